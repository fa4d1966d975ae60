"""benchmarks/gpu_check.py runs end to end at toy sizes on the CPU: every section, every path."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


@pytest.mark.slow
def test_tiny_gpu_check_writes_every_section(tmp_path):
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    out = tmp_path / "gpu_check.md"

    document = gpu_check.main(["--device", "cpu", "--tiny", "--out", str(out)])

    assert out.read_text(encoding="utf-8").strip() == document.strip()
    assert "## Machine" in document and "- torch " in document and "- transformers " in document
    loss_rows = [line for line in document.splitlines() if line.startswith("| ce |")]
    paths = {line.split("|")[5].strip() for line in loss_rows}
    assert {"plain", "fused", "torch"} <= paths, paths  # liger only on CUDA
    assert all("skipped" not in line for line in loss_rows), loss_rows
    stage_rows = [line.split("|") for line in document.splitlines() if line.startswith(("| sft |", "| dpo |", "| grpo |"))]
    assert {(row[1].strip(), row[3].strip()) for row in stage_rows} == {
        (stage, side) for stage in ("sft", "dpo", "grpo") for side in ("euro-post", "TRL")
    }
    for row in stage_rows:
        assert float(row[6].replace(",", "")) > 0, row  # tokens/s


def test_peak_flops_is_known_only_for_named_accelerators():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    import torch

    assert gpu_check.peak_flops(torch.device("cpu")) is None
    assert 0.8e9 < gpu_check.preset_parameters(["--preset", "1b", "--vocab", "32000"]) < 1.2e9  # the ~1B model
