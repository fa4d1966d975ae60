"""The runner's decisions: run, skip, rerun on change, resume, and never a half-written checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from euro_post.pipeline import runner
from euro_post.pipeline.recipe import validate_recipe
from euro_post.pipeline.stage import StageResult

CALLS: list[str] = []


def fake_stage(name: str):
    """A stage that 'trains' by writing a tiny safetensors file derived from its input and config."""

    def run(config, ctx):
        CALLS.append(name)
        ctx.metrics.log(1, loss=1.0)

        class Saveable:
            def save_pretrained(self, path, safe_serialization=True):
                import torch
                from safetensors.torch import save_file

                payload = f"{ctx.input_checkpoint}|{config.model_dump_json()}"
                save_file({"w": torch.tensor([float(len(payload))])}, os.path.join(path, "model.safetensors"))
                Path(path, "config.json").write_text(json.dumps({"stage": name}))

        return StageResult(ctx.save_checkpoint(Saveable(), None), tokens_processed=10, summary={"ok": True})

    return types.SimpleNamespace(run=run)


@pytest.fixture
def fake_stages(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(runner.importlib, "import_module", lambda path: fake_stage(path.split(".")[1]))
    return CALLS


def recipe(**sft):
    return validate_recipe({"name": "t", "stages": {"sft": {"init_from": "base/model", **sft}, "preference": {}, "rl": {}}})


def test_runs_every_stage_in_order_and_writes_manifests(tmp_path, fake_stages):
    manifests = runner.run_recipe(recipe(), tmp_path)
    assert fake_stages == ["sft", "preference", "rl"]
    for name in ("sft", "preference", "rl"):
        manifest = json.loads((tmp_path / name / "stage.json").read_text())
        assert manifest["status"] == "complete"
        assert manifest["tokens_processed"] == 10
        assert manifest["wall_time_s"] >= 0
        assert manifest["peak_memory_bytes"]["process_max_rss_bytes"] > 0
        assert manifest["libraries"]["torch"]
        assert (tmp_path / name / "checkpoint" / "model.safetensors").exists()
        assert (tmp_path / name / "metrics.jsonl").read_text().strip() == '{"step": 1, "loss": 1.0}'
    # each stage starts from the checkpoint of the one before
    assert manifests["preference"]["input_checkpoint"] == manifests["sft"]["checkpoint"]
    assert manifests["rl"]["input_fingerprint"] == manifests["preference"]["output_fingerprint"]
    assert (tmp_path / "recipe.yaml").read_text().startswith("name: t")


def test_complete_stages_are_skipped(tmp_path, fake_stages):
    runner.run_recipe(recipe(), tmp_path)
    first = (tmp_path / "rl" / "stage.json").read_text()
    fake_stages.clear()
    runner.run_recipe(recipe(), tmp_path)
    assert fake_stages == []
    assert (tmp_path / "rl" / "stage.json").read_text() == first


def test_a_moved_run_directory_is_still_complete(tmp_path, fake_stages):
    runner.run_recipe(recipe(), tmp_path / "here")
    (tmp_path / "here").rename(tmp_path / "there")
    fake_stages.clear()
    manifests = runner.run_recipe(recipe(), tmp_path / "there")
    assert fake_stages == []
    assert manifests["rl"]["checkpoint"] == str(tmp_path / "there" / "rl" / "checkpoint")


def test_a_changed_stage_reruns_with_everything_after_it(tmp_path, fake_stages):
    runner.run_recipe(recipe(), tmp_path)
    fake_stages.clear()
    runner.run_recipe(recipe(learning_rate=5e-5), tmp_path)
    assert fake_stages == ["sft", "preference", "rl"]


def test_a_changed_later_stage_keeps_the_earlier_ones(tmp_path, fake_stages):
    runner.run_recipe(recipe(), tmp_path)
    fake_stages.clear()
    changed = validate_recipe(
        {"name": "t", "stages": {"sft": {"init_from": "base/model"}, "preference": {}, "rl": {"max_steps": 7}}}
    )
    runner.run_recipe(changed, tmp_path)
    assert fake_stages == ["rl"]


def test_a_failed_stage_is_recorded_and_resumed(tmp_path, monkeypatch, fake_stages):
    def broken(path):
        if path.endswith("preference.stage"):
            raise_at = types.SimpleNamespace(run=lambda c, x: (_ for _ in ()).throw(RuntimeError("boom")))
            return raise_at
        return fake_stage(path.split(".")[1])

    monkeypatch.setattr(runner.importlib, "import_module", broken)
    with pytest.raises(RuntimeError, match="boom"):
        runner.run_recipe(recipe(), tmp_path)
    manifest = json.loads((tmp_path / "preference" / "stage.json").read_text())
    assert manifest["status"] == "failed" and "boom" in manifest["error"]
    monkeypatch.setattr(runner.importlib, "import_module", lambda p: fake_stage(p.split(".")[1]))
    fake_stages.clear()
    manifests = runner.run_recipe(recipe(), tmp_path)
    assert fake_stages == ["preference", "rl"]
    assert manifests["preference"]["resumed"] is True


SLOW_SAVE = textwrap.dedent(
    """
    import os, sys, time, types, json
    from pathlib import Path
    from euro_post.pipeline import runner
    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.pipeline.stage import StageResult

    def run(config, ctx):
        class Slow:
            def save_pretrained(self, path, safe_serialization=True):
                Path(path, "config.json").write_text("{}")
                Path(sys.argv[2]).write_text("saving")
                time.sleep(60)
        return StageResult(ctx.save_checkpoint(Slow(), None))

    runner.importlib.import_module = lambda p: types.SimpleNamespace(run=run)
    runner.run_recipe(validate_recipe({"name": "t", "stages": {"sft": {"init_from": "m"}}}), sys.argv[1])
    """
)


def test_a_process_killed_while_saving_leaves_no_checkpoint_under_its_final_name(tmp_path):
    script = tmp_path / "slow_save.py"
    script.write_text(SLOW_SAVE)
    flag = tmp_path / "saving.flag"
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, str(script), str(run_dir), str(flag)])
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert proc.poll() is None, "the stage process ended before saving"
            assert time.monotonic() < deadline, "the stage never started saving"
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stage_dir = run_dir / "sft"
    assert not (stage_dir / "checkpoint").exists()
    assert [p.name for p in stage_dir.iterdir() if p.name.startswith("checkpoint.partial-")]
    assert json.loads((stage_dir / "stage.json").read_text())["status"] == "running"

    # The next run cleans the leftover up and completes the stage.
    def quick(path):
        return fake_stage(path.split(".")[1])

    original = runner.importlib.import_module
    runner.importlib.import_module = quick
    try:
        runner.run_recipe(validate_recipe({"name": "t", "stages": {"sft": {"init_from": "m"}}}), run_dir)
    finally:
        runner.importlib.import_module = original
    assert (stage_dir / "checkpoint" / "model.safetensors").exists()
    assert not [p for p in stage_dir.iterdir() if ".partial-" in p.name]
