"""Fault injection on the rl stage (GRPO on a tiny model, CPU): kills, SIGTERM, SIGKILL mid-save,
NaN loss, failing rewards, bad data files, corrupted checkpoints. Every resumed run must end
exactly where an uninterrupted run ends: the same weights, the same optimizer state, the same
prompts and the same sampled completions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
import yaml
from euro_post.rewards import guard as reward_guard
from euro_post.rewards.monitor import RewardHealthError
from euro_post.rl import stage as rl_stage
from safetensors.torch import load_file
from trainer_hooks import kill_after_save

from euro_post.data.rows import DataError
from euro_post.pipeline import runner
from euro_post.pipeline.checkpoint_io import latest_trainer_checkpoint
from euro_post.pipeline.recipe import validate_recipe
from euro_post.training import trainer_checkpoints
from euro_post.training.nonfinite_guard import NonFiniteError

ROOT = Path(__file__).resolve().parent.parent
SEEN: list[tuple[str, tuple[int, ...]]] = []  # (prompt id, sampled completion) in the order scored
STEPS = 4


def low_ids(prompts, completions, completion_ids, id, **columns):
    """A dense reward for a random tiny model: the share of tokens from the lower half of the vocabulary."""
    SEEN.extend(zip(id, (tuple(ids) for ids in completion_ids)))
    return [sum(t < 350 for t in ids) / max(len(ids), 1) for ids in completion_ids]


def options(checkpoint, **rl):
    return {
        "init_from": checkpoint, "max_steps": STEPS, "learning_rate": 1e-2, "per_device_batch_size": 4,
        "num_generations": 2, "max_completion_length": 6, "logging_steps": 1, "save_steps": 2,
        "rewards": [{"name": "format"}], **rl,
    }


def raw_recipe(checkpoint, run_dir, **rl):
    return {
        "name": "faults-rl", "run_dir": str(run_dir), "languages": ["de", "fr"],
        "world": {"rl_per_language": 8, "eval_per_language": 2, "max_operations": 2},
        "stages": {"rl": options(checkpoint, **rl)},
    }


def run(checkpoint, run_dir, **rl):
    return runner.run_recipe(validate_recipe(raw_recipe(checkpoint, run_dir, **rl)), run_dir)


def final_state(run_dir: Path, steps: int = STEPS) -> dict:
    return {
        "params": load_file(run_dir / "rl" / "checkpoint" / "model.safetensors"),
        "optimizer": torch.load(run_dir / "rl" / "trainer" / f"checkpoint-{steps}" / "optimizer.pt")["state"],
    }


def assert_same_state(a: dict, b: dict) -> None:
    assert a["params"].keys() == b["params"].keys()
    for name in a["params"]:
        assert torch.equal(a["params"][name], b["params"][name]), name  # bitwise: CPU and seeded
    for index, slots in a["optimizer"].items():
        for slot, value in slots.items():
            assert torch.equal(value, b["optimizer"][index][slot]), (index, slot)




def copy_run(source: Path, target: Path) -> Path:
    """A copy of a run directory whose stage.json points at the copy's own checkpoints."""
    shutil.copytree(source, target)
    manifest = target / "rl" / "stage.json"
    manifest.write_text(manifest.read_text().replace(str(source), str(target)))
    return target


def status(run_dir: Path) -> dict:
    return json.loads((run_dir / "rl" / "stage.json").read_text())


@pytest.fixture(autouse=True)
def dense_reward(monkeypatch):
    SEEN.clear()
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))


@pytest.fixture(scope="module")
def reference(tiny_checkpoint, tmp_path_factory):
    """The uninterrupted run every faulty run is compared with."""
    run_dir = tmp_path_factory.mktemp("rl-reference")
    SEEN.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
        run(tiny_checkpoint, run_dir)
    state = final_state(run_dir)
    initial = load_file(Path(tiny_checkpoint) / "model.safetensors")
    assert any(not torch.equal(state["params"][k], initial[k]) for k in initial)  # it trained: equality means something
    return {"run_dir": run_dir, "seen": list(SEEN), **state}


@pytest.fixture(scope="module")
def killed_at_2(tiny_checkpoint, tmp_path_factory):
    """A run killed right after its step-2 checkpoint (a template: tests copy it)."""
    run_dir = tmp_path_factory.mktemp("rl-killed") / "run"
    SEEN.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
        kill_after_save(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            run(tiny_checkpoint, run_dir)
    assert status(run_dir)["status"] == "interrupted"
    return run_dir, list(SEEN)


@pytest.mark.slow
def test_killed_and_resumed_ends_bitwise_where_an_uninterrupted_run_ends(tiny_checkpoint, tmp_path, reference, killed_at_2):
    template, seen_before = killed_at_2
    run_dir = copy_run(template, tmp_path / "run")
    manifests = run(tiny_checkpoint, run_dir)
    assert manifests["rl"]["resumed"] is True and manifests["rl"]["status"] == "complete"
    assert_same_state(final_state(run_dir), reference)
    # The same prompts in the same order, and the same sampled completions for each.
    assert seen_before + SEEN == reference["seen"]
    assert len(seen_before) == len(SEEN) == 2 * 4
    # The checkpoint it resumed from said where the run was: step, loop counter, prompt cursor, config.
    marker = trainer_checkpoints.read_marker(template / "rl" / "trainer" / "checkpoint-2")
    assert (marker["step"], marker["extras"]["grpo_micro_step"], marker["extras"]["grpo_prompts_drawn"]) == (2, 2, 4)
    assert marker["trajectory_hash"] == status(run_dir)["trajectory_hash"] and marker["config"]["max_steps"] == STEPS


@pytest.mark.slow
def test_resuming_in_the_middle_of_a_generation_batch_is_exact(tiny_checkpoint, tmp_path, monkeypatch):
    """Two optimisation passes per generation batch: a checkpoint after step 1 lies between the two."""
    whole = tmp_path / "whole"
    run(tiny_checkpoint, whole, num_iterations=2, save_steps=1)
    seen_whole = list(SEEN)
    SEEN.clear()
    split = tmp_path / "split"
    kill_after_save(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        run(tiny_checkpoint, split, num_iterations=2, save_steps=1)
    assert trainer_checkpoints.read_marker(split / "rl" / "trainer" / "checkpoint-1")["extras"]["grpo_buffered"] is True
    monkeypatch.undo()
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
    run(tiny_checkpoint, split, num_iterations=2, save_steps=1)
    assert SEEN == seen_whole  # step 2 reused the buffered completions of step 1: no new generation
    assert_same_state(final_state(split), final_state(whole))


@pytest.mark.slow
def test_an_interrupted_run_continues_with_a_raised_max_steps_like_a_complete_one_extended(tiny_checkpoint, tmp_path, reference, killed_at_2):
    interrupted, complete = tmp_path / "interrupted", tmp_path / "complete"
    copy_run(killed_at_2[0], interrupted)
    copy_run(reference["run_dir"], complete)
    assert run(tiny_checkpoint, interrupted, max_steps=6)["rl"]["resumed"] is True  # a safe field: continues
    extended = run(tiny_checkpoint, complete, max_steps=6)["rl"]  # complete at 4: trains on to 6
    assert extended["resumed"] is True and extended["summary"]["prompts_scored"] == 2 * 4  # only steps 5 and 6 ran
    assert_same_state(final_state(interrupted, 6), final_state(complete, 6))


@pytest.mark.slow
def test_a_changed_trajectory_field_is_refused_and_restart_stage_starts_over(tiny_checkpoint, tmp_path, killed_at_2):
    from euro_post.cli import main

    run_dir = copy_run(killed_at_2[0], tmp_path / "run")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(raw_recipe(tiny_checkpoint, run_dir, learning_rate=5e-3)))
    assert main(["validate", str(recipe)]) == 0
    assert main(["run", str(recipe)]) == 1  # refused, nothing touched
    assert status(run_dir)["status"] == "interrupted" and latest_trainer_checkpoint(run_dir / "rl" / "trainer").name == "checkpoint-2"
    assert main(["run", str(recipe), "--restart-stage", "rl"]) == 0
    assert status(run_dir)["status"] == "complete" and status(run_dir)["resumed"] is False


def test_the_refusal_names_the_fields(tiny_checkpoint, tmp_path, killed_at_2, capsys):
    from euro_post.cli import main

    run_dir = copy_run(killed_at_2[0], tmp_path / "run")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(raw_recipe(tiny_checkpoint, run_dir, learning_rate=5e-3, max_completion_length=7)))
    assert main(["run", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert "stages.rl.learning_rate: 0.01 (interrupted run) -> 0.005 (recipe now)" in err
    assert "stages.rl.max_completion_length: 6 (interrupted run) -> 7 (recipe now)" in err
    assert "--restart-stage rl" in err


DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from euro_post.training import trainer_checkpoints
    from euro_post.rewards import guard as reward_guard
    from euro_post.rl import stage as rl_stage

    def low_ids(prompts, completions, completion_ids, **columns):
        return [sum(t < 350 for t in ids) / max(len(ids), 1) for ids in completion_ids]

    reward_guard.build_rewards = lambda specs, tokenizer=None: ([low_ids], [1.0])
    recipe, mode, flag = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if mode == "slow":  # one second per step: time to signal it mid-run
        class Slow(rl_stage.StageCallback):
            def on_step_end(self, *args, **kwargs):
                time.sleep(1.0)
        rl_stage.StageCallback = Slow
    else:  # "pause-at-N": stop inside the save of step N, files written, marker not yet
        step, write_marker = int(mode.split("-")[-1]), trainer_checkpoints.write_marker
        def paused(folder, at, ctx, **kwargs):
            if at == step:
                flag.write_text("saving")
                time.sleep(300)
            return write_marker(folder, at, ctx, **kwargs)
        trainer_checkpoints.write_marker = paused
    from euro_post.cli import main
    sys.exit(main(["run", recipe]))
    """
)


def start(tmp_path, recipe: Path, mode: str, flag: Path) -> subprocess.Popen:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    log = open(tmp_path / f"{mode}.log", "w")
    # Bitwise equality with the in-process reference needs the same number of threads (float sums
    # split differently across threads round differently), whatever an earlier test set.
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    return subprocess.Popen([sys.executable, str(driver), str(recipe), mode, str(flag)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition, proc, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_sigterm_then_sigkill_mid_save_then_resume_ends_where_an_uninterrupted_run_ends(tiny_checkpoint, tmp_path, reference):
    run_dir = tmp_path / "run"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(raw_recipe(tiny_checkpoint, run_dir)))
    metrics, flag = run_dir / "rl" / "metrics.jsonl", tmp_path / "saving.flag"

    # 1. A real SIGTERM while it trains: it finishes the step, saves a complete checkpoint, exits 143.
    proc = start(tmp_path, recipe, "slow", flag)
    try:
        wait_for(lambda: metrics.exists() and metrics.read_text().strip(), proc, "the first step")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=240) == 143, (tmp_path / "slow.log").read_text()[-3000:]
    finally:
        proc.kill()
    stopped = latest_trainer_checkpoint(run_dir / "rl" / "trainer")
    assert stopped is not None and trainer_checkpoints.verify(stopped) is None
    assert status(run_dir)["status"] == "interrupted" and "SIGTERM" in status(run_dir)["error"]
    assert int(stopped.name.split("-")[1]) < STEPS

    # 2. Run again; SIGKILL it in the middle of writing the step-4 checkpoint.
    proc = start(tmp_path, recipe, f"pause-at-{STEPS}", flag)
    try:
        wait_for(flag.exists, proc, f"the step-{STEPS} save")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    staged = run_dir / "rl" / "trainer" / trainer_checkpoints.STAGING / f"checkpoint-{STEPS}"
    assert (staged / "model.safetensors").exists()  # half a checkpoint, under the staging name only
    assert latest_trainer_checkpoint(run_dir / "rl" / "trainer").name != f"checkpoint-{STEPS}"
    assert status(run_dir)["status"] == "running" and not (run_dir / "rl" / "checkpoint").exists()

    # 3. Run again: it resumes from the last complete checkpoint and ends where the reference ends.
    manifests = run(tiny_checkpoint, run_dir)
    assert manifests["rl"]["status"] == "complete" and manifests["rl"]["resumed"] is True
    assert not staged.parent.exists()
    assert_same_state(final_state(run_dir), reference)


@pytest.mark.slow
def test_a_nan_loss_stops_before_the_optimizer_step_and_saves_nothing_of_it(tiny_checkpoint, tmp_path, reference, monkeypatch):
    compute_loss = rl_stage.EuroGRPOTrainer.compute_loss

    def nan_at_step_3(self, model, inputs, *args, **kwargs):
        loss = compute_loss(self, model, inputs, *args, **kwargs)
        return loss * float("nan") if self.state.global_step == 2 else loss

    monkeypatch.setattr(rl_stage.EuroGRPOTrainer, "compute_loss", nan_at_step_3)
    run_dir = tmp_path / "run"
    with pytest.raises(NonFiniteError) as stopped:
        run(tiny_checkpoint, run_dir)
    text = str(stopped.value)
    assert "stage rl, step 3" in text and "loss nan on micro-batch 1 of 1" in text and "sample ids" in text
    assert "checkpoint-2" in text and "no checkpoint of this step was written" in text
    trainer_dir = run_dir / "rl" / "trainer"
    assert sorted(p.name for p in trainer_dir.iterdir() if p.name.startswith("checkpoint")) == ["checkpoint-2"]
    assert not (trainer_dir / trainer_checkpoints.STAGING).exists() and not (run_dir / "rl" / "checkpoint").exists()
    assert status(run_dir)["status"] == "failed" and "NonFiniteError" in status(run_dir)["error"]
    saved = load_file(trainer_dir / "checkpoint-2" / "model.safetensors")
    assert all(torch.isfinite(t).all() for t in saved.values())
    # Once the cause is gone, the run resumes from step 2 and nothing of the first attempt is lost.
    monkeypatch.setattr(rl_stage.EuroGRPOTrainer, "compute_loss", compute_loss)
    SEEN.clear()
    run(tiny_checkpoint, run_dir)
    assert_same_state(final_state(run_dir), reference)
    assert SEEN == reference["seen"][len(reference["seen"]) // 2 :]


@pytest.mark.slow
def test_rewards_that_raise_hang_or_return_junk_leave_completions_unscored(tiny_checkpoint, tmp_path, monkeypatch):
    calls = []

    def unreliable(prompts, completions, completion_ids, **columns):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("verifier crashed")
        if len(calls) == 2:
            time.sleep(60)  # hangs: cut off at the deadline
        if len(calls) == 3:
            return None
        if len(calls) == 4:
            return [float("nan")] + [None] * (len(completions) - 1)
        return low_ids(prompts, completions, completion_ids, **columns)

    monkeypatch.setattr(reward_guard, "REWARD_TIMEOUT_S", 1.0)
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([unreliable], [1.0]))
    start_time = time.monotonic()
    manifests = run(tiny_checkpoint, tmp_path, max_steps=6, save_steps=6)
    assert time.monotonic() - start_time < 120
    stats = manifests["rl"]["summary"]["reward_function_stats"]["format (guard)"]
    assert (stats["errors"], stats["timeouts"], stats["calls"]) == (4 + 4 + 1, 4, 6 * 4)
    assert stats["none"] == 4 + 4 + 4 + 4  # every completion of the four bad batches went unscored
    assert manifests["rl"]["status"] == "complete"
    weights = load_file(tmp_path / "rl" / "checkpoint" / "model.safetensors")
    assert all(torch.isfinite(t).all() for t in weights.values())


@pytest.mark.slow
def test_a_reward_that_keeps_failing_stops_the_run_and_keeps_its_checkpoints(tiny_checkpoint, tmp_path, reference, monkeypatch):
    def broken_from_step_3(prompts, completions, completion_ids, trainer_state, **columns):
        if trainer_state.global_step >= 2:
            raise ConnectionError("verifier service unreachable")
        return low_ids(prompts, completions, completion_ids, **columns)

    monkeypatch.setattr(reward_guard, "REWARD_HEALTH", {"max_error_rate": 0.25, "min_calls": 8})
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([broken_from_step_3], [1.0]))
    with pytest.raises(RewardHealthError, match="unreachable"):
        run(tiny_checkpoint, tmp_path)
    assert status(tmp_path)["status"] == "failed" and "format (guard)" in status(tmp_path)["error"]
    assert latest_trainer_checkpoint(tmp_path / "rl" / "trainer").name == "checkpoint-2"
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
    run(tiny_checkpoint, tmp_path)
    assert_same_state(final_state(tmp_path), reference)


def world_rows(checkpoint, tmp_path) -> list[dict]:
    from euro_post.data.world import World, WorldConfig

    recipe = validate_recipe(raw_recipe(checkpoint, tmp_path))
    world = World(WorldConfig(**recipe.world.model_dump()), languages=["de", "fr"])
    return [row for lang in ("de", "fr") for row in world.rl_rows(lang)]


@pytest.mark.parametrize("damage", ["truncated", "malformed_row", "missing_column", "bad_lang", "empty"])
def test_bad_data_files_stop_before_training_and_keep_the_last_results(tiny_checkpoint, tmp_path, reference, damage):
    lines = [json.dumps(row) for row in world_rows(tiny_checkpoint, tmp_path)]
    if damage == "truncated":
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    elif damage == "malformed_row":
        lines[3] = "{'id': 'not json'}"
    elif damage == "missing_column":
        lines[5] = json.dumps({"id": "x", "lang": "de", "answer": "1"})
    elif damage == "bad_lang":
        lines[2] = json.dumps({**json.loads(lines[2]), "lang": "xx"})
    else:
        lines = []
    data = tmp_path / "prompts.jsonl"
    data.write_text("\n".join(lines) + ("\n" if lines else ""))

    # A first run: the stage names the file and the line or row, before any training.
    fresh = tmp_path / "fresh"
    expected = {
        "truncated": f"prompts.jsonl, line {len(lines)}: not valid JSON .*truncated",
        "malformed_row": "prompts.jsonl, line 4: not valid JSON",
        "missing_column": "prompts.jsonl, line 6: a prompts row needs prompt",
        "bad_lang": "prompts.jsonl, line 3: `lang` must be one of the 24 EU language codes, got 'xx'",
        "empty": "prompts.jsonl: no prompts rows",
    }[damage]
    with pytest.raises(DataError, match=expected):
        run(tiny_checkpoint, fresh, data={"path": str(data)})
    assert not (fresh / "rl" / "trainer").exists()

    # Over a complete stage: refused before its results are discarded, which stay as they were.
    run_dir = copy_run(reference["run_dir"], tmp_path / "run")
    before = (run_dir / "rl" / "stage.json").read_text()
    reason = {"truncated": "truncated_line 1", "malformed_row": "invalid_json 1", "missing_column": "missing_columns 1",
              "bad_lang": "bad_lang 1", "empty": "0 rows, 0 usable"}[damage]
    with pytest.raises(DataError, match=f"earlier results are kept(.|\\n)*{reason}"):
        run(tiny_checkpoint, run_dir, data={"path": str(data)})
    assert (run_dir / "rl" / "stage.json").read_text() == before
    assert run(tiny_checkpoint, run_dir)["rl"]["status"] == "complete"  # and skipped as before
    assert_same_state(final_state(run_dir), reference)


@pytest.mark.slow
def test_a_corrupted_trainer_checkpoint_is_set_aside_and_the_previous_one_resumed(tiny_checkpoint, tmp_path, reference, monkeypatch):
    run_dir = tmp_path / "run"
    kill_after_save(monkeypatch, STEPS)
    with pytest.raises(KeyboardInterrupt):
        run(tiny_checkpoint, run_dir)
    monkeypatch.undo()
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
    optimizer = run_dir / "rl" / "trainer" / f"checkpoint-{STEPS}" / "optimizer.pt"
    data = bytearray(optimizer.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    optimizer.write_bytes(bytes(data))
    run(tiny_checkpoint, run_dir)
    assert (run_dir / "rl" / "trainer" / f"checkpoint-{STEPS}.corrupt").is_dir()
    assert_same_state(final_state(run_dir), reference)


def test_a_corrupted_final_checkpoint_is_rebuilt_from_the_last_trainer_checkpoint(tiny_checkpoint, tmp_path, reference):
    run_dir = copy_run(reference["run_dir"], tmp_path / "run")
    weights = run_dir / "rl" / "checkpoint" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    manifests = run(tiny_checkpoint, run_dir)
    assert manifests["rl"]["resumed"] is True and SEEN == []  # no step trained again
    assert manifests["rl"]["output_fingerprint"] == json.loads((reference["run_dir"] / "rl" / "stage.json").read_text())["output_fingerprint"]
    assert_same_state(final_state(run_dir), reference)
