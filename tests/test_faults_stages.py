"""Fault injection on the other training stages (base_pretrain, sft, preference), tiny and on CPU:
a kill after a checkpoint, a real SIGTERM, a crash in the middle of a checkpoint save and a NaN
loss. A resumed run must end bitwise where an uninterrupted one ends and train on the same
batches; a NaN must stop the run before the optimizer step without a checkpoint of it.

(rl has the same and more in test_faults_rl.py, including SIGTERM and SIGKILL sent to a real
`euro-post run` process.)"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from trainer_hooks import offline_pairs_file, on_trainer
from transformers import TrainerCallback

from euro_post.pipeline import runner, stop_signals
from euro_post.pipeline.checkpoint_io import latest_trainer_checkpoint
from euro_post.pipeline.recipe import validate_recipe
from euro_post.training import trainer_checkpoints
from euro_post.training.nonfinite_guard import NonFiniteError

STAGES = ("base_pretrain", "sft", "preference")
STEPS = 4
WORLD = {"pretrain_documents_per_language": 12, "sft_per_language": 10, "rl_per_language": 6, "eval_per_language": 2,
         "max_operations": 2}




def stage_options(stage: str, checkpoint: str, folder: Path) -> dict:
    common = {"init_from": checkpoint, "max_steps": STEPS, "logging_steps": 1, "save_steps": 2, "per_device_batch_size": 2,
              "learning_rate": 3e-3, "lr_scheduler": "constant", "warmup_ratio": 0.0}
    if stage == "base_pretrain":
        return {**common, "max_length": 32, "eval_steps": 100, "validation_fraction": 0.1, "validation_blocks": 1}
    if stage == "sft":
        return {**common, "max_length": 512, "eval_rows_per_language": 0}
    return {**common, "max_length": 512, "pairs": "offline", "data": {"path": offline_pairs_file(folder, WORLD)}}


def run(stage: str, checkpoint: str, run_dir: Path, data_dir: Path):
    recipe = validate_recipe({"name": f"faults-{stage}", "run_dir": str(run_dir), "languages": ["de", "fr"], "world": WORLD,
                              "stages": {stage: stage_options(stage, checkpoint, data_dir)}})
    return runner.run_recipe(recipe, run_dir)


def final_state(stage: str, run_dir: Path) -> dict:
    return {
        "params": load_file(run_dir / stage / "checkpoint" / "model.safetensors"),
        "optimizer": torch.load(run_dir / stage / "trainer" / f"checkpoint-{STEPS}" / "optimizer.pt")["state"],
    }


def assert_same_state(a: dict, b: dict) -> None:
    assert a["params"].keys() == b["params"].keys()
    for name in a["params"]:
        assert torch.equal(a["params"][name], b["params"][name]), name
    for index, slots in a["optimizer"].items():
        for slot, value in slots.items():
            assert torch.equal(value, b["optimizer"][index][slot]), (index, slot)


def record_batches(patch, into: list) -> None:
    """Append (step, digest of the micro-batch's token ids) for every micro-batch trained on."""

    def change(trainer):
        step = trainer.training_step

        def recorded(model, inputs, *args, **kwargs):
            tokens = {k: v for k, v in inputs.items() if k.endswith("input_ids")}
            digest = hashlib.sha256(b"".join(t.cpu().numpy().tobytes() for _, t in sorted(tokens.items()))).hexdigest()[:12]
            into.append((trainer.state.global_step + 1, digest))
            return step(model, inputs, *args, **kwargs)

        trainer.training_step = recorded

    on_trainer(patch, change)


def die_inside_save(patch, step: int, after_publish: bool) -> None:
    """The process dies while saving step `step`: with its files written but no marker (a crash
    mid-save leaves exactly what SIGKILL leaves), or right after the checkpoint became visible."""
    target = "publish" if after_publish else "write_marker"
    original = getattr(trainer_checkpoints, target)

    def dying(folder, *args, **kwargs):
        done = original(folder, *args, **kwargs) if after_publish else None
        if Path(folder).name == f"checkpoint-{step}":
            raise KeyboardInterrupt(f"killed while saving step {step}")
        return done if after_publish else original(folder, *args, **kwargs)

    patch.setattr(trainer_checkpoints, target, dying)


@pytest.fixture(scope="module")
def references(tiny_checkpoint, tmp_path_factory):
    """Uninterrupted runs, one per stage, made on first use."""
    made: dict[str, dict] = {}

    def get(stage: str) -> dict:
        if stage not in made:
            run_dir = tmp_path_factory.mktemp(f"{stage}-reference")
            batches: list = []
            with pytest.MonkeyPatch.context() as patch:
                record_batches(patch, batches)
                run(stage, tiny_checkpoint, run_dir, run_dir)
            state = final_state(stage, run_dir)
            initial = load_file(Path(tiny_checkpoint) / "model.safetensors")
            assert any(not torch.equal(state["params"][k], initial[k]) for k in initial if k in state["params"])
            made[stage] = {"batches": batches, "data_dir": run_dir, **state}
        return made[stage]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_killed_after_a_checkpoint_and_resumed_is_exact(stage, tiny_checkpoint, tmp_path, references, monkeypatch):
    reference = references(stage)
    batches: list = []
    record_batches(monkeypatch, batches)
    die_inside_save(monkeypatch, 2, after_publish=True)
    with pytest.raises(KeyboardInterrupt):
        run(stage, tiny_checkpoint, tmp_path, reference["data_dir"])
    monkeypatch.undo()
    record_batches(monkeypatch, batches)
    manifests = run(stage, tiny_checkpoint, tmp_path, reference["data_dir"])
    assert manifests[stage]["resumed"] is True
    assert_same_state(final_state(stage, tmp_path), reference)
    assert batches == reference["batches"] and len(batches) == STEPS  # the same batches, none twice, none skipped


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_sigterm_then_a_crash_mid_save_then_resume_is_exact(stage, tiny_checkpoint, tmp_path, references, monkeypatch):
    reference = references(stage)

    class SignalAtStep1(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 1:
                os.kill(os.getpid(), signal.SIGTERM)  # a real signal, to this process, mid-run

    on_trainer(monkeypatch, lambda trainer: trainer.add_callback(SignalAtStep1()))
    with pytest.raises(stop_signals.Preempted) as stopped:
        run(stage, tiny_checkpoint, tmp_path, reference["data_dir"])
    assert stopped.value.exit_code == 143 and "complete checkpoint at step 1 of 4" in str(stopped.value)
    manifest = json.loads((tmp_path / stage / "stage.json").read_text())
    assert manifest["status"] == "interrupted" and not (tmp_path / stage / "checkpoint").exists()
    assert latest_trainer_checkpoint(tmp_path / stage / "trainer").name == "checkpoint-1"
    monkeypatch.undo()

    die_inside_save(monkeypatch, STEPS, after_publish=False)
    with pytest.raises(KeyboardInterrupt):
        run(stage, tiny_checkpoint, tmp_path, reference["data_dir"])
    staged = tmp_path / stage / "trainer" / trainer_checkpoints.STAGING / f"checkpoint-{STEPS}"
    assert (staged / "optimizer.pt").exists() and latest_trainer_checkpoint(tmp_path / stage / "trainer").name == "checkpoint-2"
    monkeypatch.undo()

    assert run(stage, tiny_checkpoint, tmp_path, reference["data_dir"])[stage]["status"] == "complete"
    assert not staged.parent.exists()
    assert_same_state(final_state(stage, tmp_path), reference)


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_a_nan_loss_stops_the_stage_before_the_optimizer_step(stage, tiny_checkpoint, tmp_path, references, monkeypatch):
    reference = references(stage)

    def poison(trainer):
        compute_loss = trainer.compute_loss

        def nan_at_step_3(model, inputs, *args, **kwargs):
            out = compute_loss(model, inputs, *args, **kwargs)
            if trainer.state.global_step != 2:
                return out
            return (out[0] * float("nan"), *out[1:]) if isinstance(out, tuple) else out * float("nan")

        trainer.compute_loss = nan_at_step_3

    on_trainer(monkeypatch, poison)
    with pytest.raises(NonFiniteError, match=f"stage {stage}, step 3: loss nan on micro-batch 1 of 1"):
        run(stage, tiny_checkpoint, tmp_path, reference["data_dir"])
    trainer_dir = tmp_path / stage / "trainer"
    assert sorted(p.name for p in trainer_dir.iterdir() if p.name.startswith("checkpoint")) == ["checkpoint-2"]
    assert not (tmp_path / stage / "checkpoint").exists()
    manifest = json.loads((tmp_path / stage / "stage.json").read_text())
    assert manifest["status"] == "failed" and "NonFiniteError" in manifest["error"]
    assert all(torch.isfinite(t).all() for t in load_file(trainer_dir / "checkpoint-2" / "model.safetensors").values())
