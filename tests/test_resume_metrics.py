"""metrics.jsonl after a kill and a resume is the file an uninterrupted run writes: the same lines
with the same values, `train_loss` (the mean over every step) and the first loss after the resume
(averaged since the last log line before the kill, not since the resume) included."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
from trainer_hooks import kill_after_save, offline_pairs_file
from transformers import Trainer, TrainerCallback

from euro_post.pipeline import runner
from euro_post.pipeline.progress import MetricsWriter
from euro_post.pipeline.recipe import validate_recipe

WORLD = {"pretrain_documents_per_language": 12, "sft_per_language": 12, "rl_per_language": 8, "eval_per_language": 2,
         "max_operations": 2}
# Saved at step 3, logged every 2 steps: the checkpoint holds a step whose loss is not logged yet.
STEPS, SAVE, LOG = 5, 3, 2




def stage_options(stage: str, checkpoint: str, folder: Path) -> dict:
    common = {"init_from": checkpoint, "max_steps": STEPS, "logging_steps": LOG, "save_steps": SAVE,
              "per_device_batch_size": 2, "learning_rate": 3e-3, "lr_scheduler": "constant", "warmup_ratio": 0.0}
    if stage == "base_pretrain":
        return {**common, "max_length": 32, "eval_steps": 2, "validation_fraction": 0.1, "validation_blocks": 1}
    if stage == "sft":
        return {**common, "max_length": 512, "eval_rows_per_language": 1, "eval_steps": 2}
    if stage == "preference":
        return {**common, "max_length": 512, "pairs": "offline", "data": {"path": offline_pairs_file(folder, WORLD)}}
    # rl: its per-language means are drained at every log line, so it logs every step.
    return {**common, "logging_steps": 1, "per_device_batch_size": 4, "num_generations": 2, "max_completion_length": 6,
            "rewards": [{"name": "format"}]}


def run(stage: str, checkpoint: str, run_dir: Path) -> dict:
    recipe = validate_recipe({"name": f"metrics-{stage}", "languages": ["de", "fr"], "world": WORLD,
                              "stages": {stage: stage_options(stage, checkpoint, run_dir.parent)}})
    return runner.run_recipe(recipe, run_dir)




def metrics(run_dir: Path, stage: str) -> list[dict]:
    return [json.loads(line) for line in (run_dir / stage / "metrics.jsonl").read_text().splitlines()]


def killed_and_resumed(stage: str, checkpoint: str, run_dir: Path, monkeypatch) -> list[dict]:
    with monkeypatch.context() as patch:
        kill_after_save(patch, SAVE)
        with pytest.raises(KeyboardInterrupt):
            run(stage, checkpoint, run_dir)
    assert [line["step"] for line in metrics(run_dir, stage)][-1] <= SAVE
    manifest = run(stage, checkpoint, run_dir)[stage]
    assert manifest["resumed"] is True and manifest["status"] == "complete"
    return metrics(run_dir, stage)


class Interrupt(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        raise KeyboardInterrupt(f"killed after saving step {state.global_step}")


def plain_trainer(checkpoint: str, out: Path, metrics_path: Path, *callbacks) -> Trainer:
    """A transformers Trainer on a tiny model with the stages' StageCallback, outside any stage."""
    import torch
    from transformers import AutoModelForCausalLM, TrainingArguments

    from euro_post.training import sharded_weights
    from euro_post.training.trainer_setup import StageCallback

    generator = torch.Generator().manual_seed(0)
    rows = [{"input_ids": ids, "labels": ids} for ids in torch.randint(5, 300, (40, 12), generator=generator)]
    args = TrainingArguments(output_dir=str(out), max_steps=STEPS, logging_steps=LOG, save_steps=SAVE, learning_rate=1e-3,
                             per_device_train_batch_size=2, report_to="none", disable_tqdm=True, use_cpu=True, seed=0)
    ctx = types.SimpleNamespace(name="sft", metrics=MetricsWriter(metrics_path), log=print)
    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    trainer = Trainer(model=model, args=args, train_dataset=rows, callbacks=[StageCallback(ctx, STEPS), *callbacks])
    sharded_weights.track_trainer(trainer)
    return trainer


def test_stage_callback_carries_the_log_counters_across_a_resume(tiny_checkpoint, tmp_path):
    plain_trainer(tiny_checkpoint, tmp_path / "a", tmp_path / "straight.jsonl").train()
    with pytest.raises(KeyboardInterrupt):
        plain_trainer(tiny_checkpoint, tmp_path / "b", tmp_path / "resumed.jsonl", Interrupt()).train()
    saved = json.loads((tmp_path / "b" / f"checkpoint-{SAVE}" / "trainer_state.json").read_text())
    counters = saved["stateful_callbacks"]["StageCallback"]["attributes"]["log_state"]
    assert (counters["step"], counters["last_logged_step"]) == (SAVE, 2) and counters["pending_loss"] > 0
    plain_trainer(tiny_checkpoint, tmp_path / "b", tmp_path / "resumed.jsonl").train(
        resume_from_checkpoint=str(tmp_path / "b" / f"checkpoint-{SAVE}"))

    straight, resumed = (MetricsWriter(tmp_path / f"{name}.jsonl").read() for name in ("straight", "resumed"))
    assert [line["step"] for line in straight] == [2, 4, 5]
    assert resumed == straight


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["sft", "base_pretrain", "preference", "rl"])
def test_a_killed_and_resumed_stage_writes_the_metrics_of_an_uninterrupted_one(stage, tiny_checkpoint, tmp_path, monkeypatch):
    if stage == "rl":
        from euro_post.rewards import guard

        def low_ids(prompts, completions, completion_ids, **columns):
            return [sum(t < 350 for t in ids) / max(len(ids), 1) for ids in completion_ids]

        monkeypatch.setattr(guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
    run(stage, tiny_checkpoint, tmp_path / "straight")
    straight = metrics(tmp_path / "straight", stage)
    resumed = killed_and_resumed(stage, tiny_checkpoint, tmp_path / "resumed", monkeypatch)

    losses = [line["step"] for line in straight if "loss" in line]
    assert losses == ([1, 2, 3, 4, 5] if stage == "rl" else [2, 4]), losses
    assert next(line for line in straight if "train_loss" in line)["step"] == STEPS
    assert resumed == straight


@pytest.mark.slow
def test_the_mean_loss_of_a_resumed_run_counts_every_step(tiny_checkpoint, tmp_path, monkeypatch):
    """train_loss is the mean of the per-step losses, which the log lines give when logging every step."""
    recipe = validate_recipe({"name": "every-step", "languages": ["de", "fr"], "world": WORLD, "stages": {"sft": {
        **stage_options("sft", tiny_checkpoint, tmp_path), "logging_steps": 1, "eval_rows_per_language": 0, "eval_steps": None}}})
    with monkeypatch.context() as patch:
        kill_after_save(patch, SAVE)
        with pytest.raises(KeyboardInterrupt):
            runner.run_recipe(recipe, tmp_path)
    runner.run_recipe(recipe, tmp_path)
    lines = metrics(tmp_path, "sft")
    losses = [line["loss"] for line in lines if "loss" in line]
    [train_loss] = [line["train_loss"] for line in lines if "train_loss" in line]
    assert len(losses) == STEPS
    assert train_loss == pytest.approx(sum(losses) / STEPS, rel=1e-6)


def test_a_resumed_eval_logs_each_checkpoint_once(tiny_checkpoint, tmp_path, monkeypatch):
    from euro_post.eval import stage as eval_stage

    def recipe(run_dir: Path):
        return validate_recipe({"name": "eval-only", "languages": ["de"], "world": {"eval_per_language": 2},
                                "stages": {"eval": {"checkpoints": {"a": tiny_checkpoint, "b": tiny_checkpoint},
                                                    "max_new_tokens": 4, "batch_size": 2, "save_completions": False}}})

    runner.run_recipe(recipe(tmp_path / "straight"), tmp_path / "straight")
    evaluate = eval_stage.evaluate_checkpoint_into

    def dies_at_b(label, *args, **kwargs):
        if label == "b":
            raise KeyboardInterrupt("killed while evaluating b")
        return evaluate(label, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(eval_stage, "evaluate_checkpoint_into", dies_at_b)
        with pytest.raises(KeyboardInterrupt):
            runner.run_recipe(recipe(tmp_path / "resumed"), tmp_path / "resumed")
    assert [line["checkpoint"] for line in metrics(tmp_path / "resumed", "eval")] == ["a"]
    manifest = runner.run_recipe(recipe(tmp_path / "resumed"), tmp_path / "resumed")["eval"]
    assert manifest["resumed"] is True
    straight = metrics(tmp_path / "straight", "eval")
    assert [line["checkpoint"] for line in straight] == ["a", "b"]
    assert metrics(tmp_path / "resumed", "eval") == straight


def test_metrics_survive_a_line_torn_by_a_kill(tmp_path):
    writer = MetricsWriter(tmp_path / "metrics.jsonl")
    writer.log(1, loss=2.0)
    writer.log(2, loss=1.5)
    with open(writer.path, "a", encoding="utf-8") as f:
        f.write('{"step": 3, "lo')  # the process died in the middle of this line
    assert writer.read() == [{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.5}]
    writer.truncate_after(1)
    assert writer.path.read_text() == '{"step": 1, "loss": 2.0}\n'
    writer.log(2, loss=1.25)
    assert writer.read() == [{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.25}]
