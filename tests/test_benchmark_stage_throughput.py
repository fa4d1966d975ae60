"""benchmarks/stage_throughput.py runs end to end: SFT, DPO and GRPO through the stages and through plain TRL."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "stage_throughput.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("stage_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quickest_run_measures_every_stage_on_both_sides(capsys):
    bench = load_benchmark()
    summary = bench.main(["--quick", "--steps", "1", "--warmup", "1", "--rows", "16", "--device", "cpu"])

    assert {(row["stage"], row["side"]) for row in summary} == {
        (stage, side) for stage in ("sft", "dpo", "grpo") for side in ("euro-post", "TRL")
    }
    for row in summary:
        assert row["tokens_per_s"] > 0 and row["tokens_per_step"] > 0, row
        assert row["step_s"] > 0 and row["total_s"] >= row["step_s"], row
        assert row["peak_mib"] >= 0, row
    by_key = {(row["stage"], row["side"]): row for row in summary}
    for stage in ("sft", "dpo"):
        # Same rows in the same order, one seed, one batch size and max_length: the very same batches.
        assert by_key[(stage, "euro-post")]["tokens_per_step"] == by_key[(stage, "TRL")]["tokens_per_step"], stage
    # GRPO: the same prompts; the sampled completions may end at different lengths.
    ours, theirs = by_key[("grpo", "euro-post")]["tokens_per_step"], by_key[("grpo", "TRL")]["tokens_per_step"]
    assert 0.5 < ours / theirs < 2, (ours, theirs)
    out = capsys.readouterr().out
    assert "# machine:" in out
    assert "| grpo | euro-post |" in out and "| dpo | TRL |" in out
    assert "tokens/s euro-post / TRL" in out


def test_warmup_must_leave_the_first_step_untimed():
    bench = load_benchmark()
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--warmup", "0"])
