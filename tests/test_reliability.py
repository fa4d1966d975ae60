"""The reliability layer's parts, without training: stop signals, complete-or-absent trainer
checkpoints, resume decisions, reward guards, seeded sampling and the data check."""

from __future__ import annotations

import json
import os
import signal
import time
import types
from pathlib import Path

import pytest
import torch
from euro_post.rewards.guard import guard_reward
from euro_post.rewards.monitor import RewardHealthError, RewardMonitor

from euro_post.pipeline import runner, stop_signals
from euro_post.pipeline.checkpoint_io import COMPLETE_MARKER, latest_trainer_checkpoint
from euro_post.pipeline.recipe import validate_recipe
from euro_post.pipeline.resume import ResumeRefused, stage_action, trajectory_hash
from euro_post.training import trainer_checkpoints
from euro_post.training.seeded_sampling import SeededSampler, sample_keys, seeded_generation


# -- stop signals ----------------------------------------------------------------------------
def test_sigterm_outside_a_training_loop_stops_at_once_with_exit_code_143():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(stop_signals.Preempted) as stopped:
        with stop_signals.handle_stop_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
    assert stopped.value.exit_code == 143 and "SIGTERM" in str(stopped.value)
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is back
    assert not stop_signals.stop_requested()


def test_sigterm_in_a_training_loop_sets_the_flag_and_a_second_one_stops_at_once():
    with stop_signals.handle_stop_signals():
        with stop_signals.deferred_stop():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            assert stop_signals.stop_requested()  # the loop sees it at its next step end
            with pytest.raises(stop_signals.Preempted, match="second"):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
        # A stop already requested: the next loop does not even start.
        with pytest.raises(stop_signals.Preempted, match="before training started"):
            with stop_signals.deferred_stop():
                pass


def test_sigint_gives_exit_code_130():
    with pytest.raises(stop_signals.Preempted) as stopped:
        with stop_signals.handle_stop_signals():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
    assert stopped.value.exit_code == 130


# -- trainer checkpoints ---------------------------------------------------------------------
def fake_ctx(tmp_path, name="rl"):
    recipe = validate_recipe({"name": "t", "stages": {"rl": {"init_from": "m"}}})
    stage_dir = tmp_path / name
    stage_dir.mkdir(parents=True, exist_ok=True)
    (stage_dir / "stage.json").write_text(json.dumps({"config_hash": "c", "trajectory_hash": "t", "input_fingerprint": "i"}))
    return types.SimpleNamespace(name=name, recipe=recipe, seed=0, stage_dir=stage_dir, trainer_dir=stage_dir / "trainer",
                                 log=lambda text: None)


def save_fake_checkpoint(ctx, step: int) -> Path:
    staged = ctx.trainer_dir / trainer_checkpoints.STAGING / f"checkpoint-{step}"
    staged.mkdir(parents=True)
    (staged / "model.safetensors").write_bytes(os.urandom(256))
    (staged / "optimizer.pt").write_bytes(os.urandom(512))
    (staged / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    trainer_checkpoints.write_marker(staged, step, ctx)
    final = trainer_checkpoints.publish(staged, ctx.trainer_dir / staged.name)
    trainer_checkpoints.retain(ctx.trainer_dir, 2)
    return final


def test_checkpoints_appear_complete_with_a_marker_and_retention_keeps_the_newest(tmp_path):
    ctx = fake_ctx(tmp_path)
    for step in (2, 4, 6):
        save_fake_checkpoint(ctx, step)
    assert sorted(p.name for p in ctx.trainer_dir.glob("checkpoint-*")) == ["checkpoint-4", "checkpoint-6"]
    marker = json.loads((ctx.trainer_dir / "checkpoint-6" / COMPLETE_MARKER).read_text())
    assert marker["step"] == 6 and marker["trajectory_hash"] == "t" and marker["input_fingerprint"] == "i"
    assert set(marker["files"]) == {"model.safetensors", "optimizer.pt", "trainer_state.json"}
    assert marker["config"]["init_from"] == "m"
    # A save killed part way (no marker, still in staging) and a folder a plain Trainer wrote are never used.
    killed = ctx.trainer_dir / trainer_checkpoints.STAGING / "checkpoint-8"
    killed.mkdir(parents=True)
    (killed / "model.safetensors").write_bytes(b"half")
    plain = ctx.trainer_dir / "checkpoint-10"
    plain.mkdir()
    (plain / "trainer_state.json").write_text("{}")
    assert latest_trainer_checkpoint(ctx.trainer_dir).name == "checkpoint-6"
    assert trainer_checkpoints.resume_point(ctx.trainer_dir).name == "checkpoint-6"
    assert not (ctx.trainer_dir / trainer_checkpoints.STAGING).exists()  # the killed save is cleaned up
    # Retention with limit 1 still keeps the newest complete one, whatever else is there.
    trainer_checkpoints.retain(ctx.trainer_dir, 1)
    assert latest_trainer_checkpoint(ctx.trainer_dir).name == "checkpoint-6"


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_a_corrupted_checkpoint_is_quarantined_and_the_previous_one_used(tmp_path, damage):
    ctx = fake_ctx(tmp_path)
    save_fake_checkpoint(ctx, 2)
    newest = save_fake_checkpoint(ctx, 4)
    target = newest / "optimizer.pt"
    data = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(data[:100])
    elif damage == "flip":
        target.write_bytes(data[:10] + bytes([data[10] ^ 0xFF]) + data[11:])
    else:
        target.unlink()
    logged = []
    assert trainer_checkpoints.resume_point(ctx.trainer_dir, logged.append).name == "checkpoint-2"
    assert (ctx.trainer_dir / "checkpoint-4.corrupt" / "model.safetensors").exists()  # kept for inspection
    assert "optimizer.pt" in logged[0] and "checkpoint-4.corrupt" in logged[0]
    save_fake_checkpoint(ctx, 6)  # retention does not count the quarantined folder
    assert sorted(p.name for p in ctx.trainer_dir.iterdir()) == ["checkpoint-2", "checkpoint-4.corrupt", "checkpoint-6"]


# -- resume decisions ------------------------------------------------------------------------
def rl_recipe(**rl):
    return validate_recipe({"name": "t", "stages": {"rl": {"init_from": "m", **rl}}})


def manifest(recipe, status, **extra):
    from euro_post.pipeline.resume import manifest_fields

    return {"status": status, "input_fingerprint": "i", "config_hash": recipe.stage_hash("rl"),
            "config": recipe.stage_config("rl").model_dump(mode="json"), **manifest_fields(recipe, "rl"), **extra}


def with_checkpoint(tmp_path):
    ctx = fake_ctx(tmp_path)
    save_fake_checkpoint(ctx, 2)
    return ctx.stage_dir


def test_safe_fields_do_not_change_the_trajectory_hash():
    base = rl_recipe()
    assert trajectory_hash(base, "rl") == trajectory_hash(rl_recipe(max_steps=7, logging_steps=1, save_steps=3, save_total_limit=5), "rl")
    assert trajectory_hash(base, "rl") != trajectory_hash(rl_recipe(learning_rate=2e-5), "rl")
    assert trajectory_hash(base, "rl") != trajectory_hash(validate_recipe({"name": "t", "seed": 1, "stages": {"rl": {"init_from": "m"}}}), "rl")
    pre = lambda **o: validate_recipe({"name": "t", "stages": {"base_pretrain": o}})  # noqa: E731
    assert trajectory_hash(pre(), "base_pretrain") != trajectory_hash(pre(max_steps=7), "base_pretrain")


def test_an_interrupted_stage_resumes_with_changed_safe_fields(tmp_path):
    old = manifest(rl_recipe(max_steps=10), "interrupted")
    assert stage_action("rl", old, rl_recipe(max_steps=20, logging_steps=1), "i", with_checkpoint(tmp_path)) == "resume"


def test_a_changed_trajectory_field_on_an_interrupted_stage_is_refused_with_a_diff(tmp_path):
    old = manifest(rl_recipe(), "interrupted")
    changed = validate_recipe({"name": "t", "seed": 3, "stages": {"rl": {"init_from": "m", "learning_rate": 2e-5, "num_generations": 4}}})
    with pytest.raises(ResumeRefused) as refused:
        stage_action("rl", old, changed, "i", with_checkpoint(tmp_path))
    text = str(refused.value)
    assert "stages.rl.learning_rate: 1e-05 (interrupted run) -> 2e-05 (recipe now)" in text
    assert "stages.rl.num_generations: 8 (interrupted run) -> 4 (recipe now)" in text
    assert "seed: 0 (interrupted run) -> 3 (recipe now)" in text
    assert "--restart-stage rl" in text and "checkpoint-2" in text
    assert "max_steps" not in text
    # Asked to restart, or with nothing trained yet to lose, it runs afresh.
    assert stage_action("rl", old, changed, "i", tmp_path / "rl", restart=True) == "fresh"
    assert stage_action("rl", old, changed, "i", tmp_path / "empty") == "fresh"


def test_complete_stages_skip_extend_or_rerun(tmp_path):
    stage_dir = with_checkpoint(tmp_path)
    old = manifest(rl_recipe(max_steps=10), "complete")
    assert stage_action("rl", old, rl_recipe(max_steps=10, logging_steps=1, save_steps=2), "i", stage_dir) == "skip"
    assert stage_action("rl", old, rl_recipe(max_steps=20), "i", stage_dir) == "resume"  # trains on to the new max_steps
    assert stage_action("rl", old, rl_recipe(max_steps=5), "i", stage_dir) == "fresh"
    assert stage_action("rl", old, rl_recipe(max_steps=10, learning_rate=2e-5), "i", stage_dir) == "fresh"
    assert stage_action("rl", old, rl_recipe(max_steps=10), "other input", stage_dir) == "fresh"


def test_an_unreadable_stage_json_resumes_from_a_checkpoint_that_records_the_same_trajectory(tmp_path):
    recipe = rl_recipe()
    ctx = fake_ctx(tmp_path)
    (ctx.stage_dir / "stage.json").write_text(json.dumps({"trajectory_hash": trajectory_hash(recipe, "rl"), "input_fingerprint": "i"}))
    save_fake_checkpoint(ctx, 2)
    (ctx.stage_dir / "stage.json").write_text('{"status": "runn')  # torn
    old = runner.read_manifest(ctx.stage_dir)
    assert stage_action("rl", old, recipe, "i", ctx.stage_dir) == "resume"
    assert stage_action("rl", old, rl_recipe(learning_rate=3e-5), "i", ctx.stage_dir) == "fresh"


def test_restart_stage_must_name_a_stage_of_the_recipe(tmp_path):
    with pytest.raises(ValueError, match="--restart-stage sft: not a stage of this recipe"):
        runner.run_recipe(rl_recipe(), tmp_path, restart=["sft"])


# -- reward guards ---------------------------------------------------------------------------
def test_guarded_rewards_leave_failures_unscored_and_count_them():
    calls = []

    def flaky(prompts, completions, **columns):
        calls.append(len(calls))
        behaviour = calls[-1]
        if behaviour == 0:
            raise RuntimeError("verifier crashed")
        if behaviour == 1:
            time.sleep(30)  # hangs past the deadline
        if behaviour == 2:
            return None
        if behaviour == 3:
            return [float("nan"), 1.0, None, 0.5]
        return [1.0] * len(completions)

    monitor = RewardMonitor("flaky (guard)", max_error_rate=1.0, min_calls=1)  # never gives up
    reward = guard_reward(flaky, "flaky", timeout_s=0.3, monitor=monitor)
    completions = ["a", "b", "c", "d"]
    start = time.monotonic()
    results = [reward(["p"] * 4, completions) for _ in range(5)]
    assert time.monotonic() - start < 10  # the hang was cut at the deadline
    assert results[:3] == [[None] * 4] * 3
    assert results[3] == [None, 1.0, None, 0.5]
    assert results[4] == [1.0] * 4
    stats = monitor.stats()
    assert (stats["errors"], stats["timeouts"], stats["calls"]) == (4 + 4 + 1, 4, 20)
    with pytest.raises(ValueError, match="returned 1 scores for 4 completions"):
        guard_reward(lambda p, c, **k: [1.0], "short")(["p"] * 4, completions)


def test_a_reward_that_keeps_failing_stops_the_run():
    monitor = RewardMonitor("broken (guard)", max_error_rate=0.5, min_calls=8)
    reward = guard_reward(lambda p, c, **k: 1 / 0, "broken", monitor=monitor)
    assert reward(["p"] * 4, ["a"] * 4) == [None] * 4  # below min_calls: tolerated
    with pytest.raises(RewardHealthError, match="'broken \\(guard\\)' failed on 100%"):
        reward(["p"] * 4, ["a"] * 4)


# -- seeded sampling -------------------------------------------------------------------------
def test_seeded_sampling_depends_on_the_key_not_on_the_batch(tiny_checkpoint):
    from transformers import AutoModelForCausalLM, GenerationConfig

    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint)
    config = GenerationConfig(do_sample=True, max_new_tokens=6, temperature=1.3, top_p=0.95, pad_token_id=0, eos_token_id=[])
    prompts = [[5, 6, 7, 8], [9, 10, 11, 12], [5, 6, 7, 8]]

    def sample(rows, step, seed=0):
        keys = sample_keys(seed, step, rows)
        with seeded_generation(model, keys) as sampler:
            out = model.generate(input_ids=torch.tensor(rows), attention_mask=torch.ones(len(rows), 4, dtype=torch.long),
                                 generation_config=config)
        sampler.require_used()
        return [tuple(r) for r in out[:, 4:].tolist()]

    torch.manual_seed(0)
    state = torch.get_rng_state()
    together = sample(prompts, step=3)
    assert torch.equal(torch.get_rng_state(), state)  # training's random numbers are untouched
    assert together[0] != together[2]  # two samples of one prompt differ
    torch.manual_seed(123)  # whatever the global generator holds
    alone = sample([prompts[1]], step=3)
    assert alone[0] == together[1]  # the same (seed, step, prompt, sample): the same completion
    assert sample(prompts, step=4) != together and sample(prompts, step=3, seed=1) != together
    assert "generate" not in vars(model)  # the wrapper is gone afterwards


def test_seeded_sampler_follows_the_distribution():
    sampler = SeededSampler([f"k{i}" for i in range(4000)])
    sampler.configure(types.SimpleNamespace(do_sample=True, temperature=1.0, top_k=None, top_p=1.0, min_p=None))
    logits = torch.log(torch.tensor([0.1, 0.6, 0.3, 0.0])).expand(4000, 4).clone()
    chosen = sampler(torch.zeros(4000, 1, dtype=torch.long), logits).argmax(-1)
    freq = torch.bincount(chosen, minlength=4).float() / 4000
    assert torch.allclose(freq, torch.tensor([0.1, 0.6, 0.3, 0.0]), atol=0.03) and freq[3] == 0


# -- the data check of `euro-post validate` --------------------------------------------------
def test_validate_counts_every_bad_row_by_reason(tmp_path, capsys):
    from euro_post.cli import main

    turn = lambda role, text: {"role": role, "content": text}  # noqa: E731
    good = {"lang": "de", "messages": [turn("user", "2+3?"), turn("assistant", "Antwort: 5")]}
    rows = [
        good, good, good,
        {"lang": "de", "messages": []},  # empty_conversation
        {"lang": "de", "messages": [turn("user", "x"), turn("assistant", " ")]},  # empty_assistant
        {"lang": "de", "messages": [turn("user", "x"), turn("robot", "y")]},  # unknown_role
        {"lang": "fr", "prompt": "x", "completion": ""},  # empty_assistant (prompt/completion)
        {"lang": "xx", "messages": [turn("user", "x")]},  # bad_lang
        {"lang": "de", "text": "no conversation"},  # missing_columns
        {"lang": "it", "messages": [turn("user", "x"), turn("assistant", "y")]},  # another language
    ]
    data = tmp_path / "sft.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows) + "[1, 2]\n{not json}\n" + '{"lang": "de", "mess')
    pairs = tmp_path / "pairs.jsonl"
    pair = {"lang": "de", "prompt": "p", "chosen": "a", "rejected": "b"}
    pairs.write_text("".join(json.dumps(r) + "\n" for r in [pair, {**pair, "rejected": "a"}, {**pair, "chosen": ""}, {**pair, "prompt": 3}]))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"name: v\nlanguages: [de, fr]\nstages:\n  sft:\n    init_from: m\n    data: {{path: {data}}}\n"
        f"  preference:\n    pairs: offline\n    data: {{path: {pairs}}}\n"
    )
    assert main(["validate", str(recipe)]) == 1
    out = capsys.readouterr()
    assert "13 rows, 3 usable" in out.out and "1 row in languages outside the recipe" in out.out
    assert "invalid (the run would stop): bad_lang 1, invalid_json 1, missing_columns 1, not_an_object 1, truncated_line 1" in out.out
    assert "would be dropped: empty_assistant 2, empty_conversation 1, unknown_role 1" in out.out
    assert f"truncated_line: first at {data}, line 13" in out.out
    assert "4 rows, 1 usable" in out.out and "invalid (the run would stop): bad_shape 1" in out.out
    assert "would be dropped: empty_chosen 1, identical 1" in out.out
    assert "the data of sft, preference would stop the run" in out.err


def test_validate_reports_an_unreadable_parquet_file_and_passes_good_data(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from euro_post.cli import main

    good = tmp_path / "prompts.parquet"
    pq.write_table(pa.table({"prompt": ["2+3?"] * 20, "lang": ["de"] * 20, "answer": ["5"] * 20}), good)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    recipe = tmp_path / "recipe.yaml"
    for path, code in ((good, 0), (broken, 1)):
        recipe.write_text(f"name: v\nlanguages: [de]\nstages:\n  rl:\n    init_from: m\n    data: {{path: {path}}}\n")
        assert main(["validate", str(recipe)]) == code
    out = capsys.readouterr().out
    assert "20 rows, 20 usable" in out and "unreadable_file 1" in out and "broken.parquet" in out


def test_an_interrupted_stage_whose_starting_model_changed_on_disk_is_refused(tmp_path):
    recipe = rl_recipe()
    old = manifest(recipe, "interrupted", input_checkpoint="m")
    stage_dir = with_checkpoint(tmp_path)
    with pytest.raises(ResumeRefused, match=r"model it starts from \(m\), fingerprint: 'i' \(interrupted run\) -> 'j'"):
        stage_action("rl", old, recipe, "j", stage_dir)
    # When an earlier stage of this run ran again, its new output is meant to be trained on.
    assert stage_action("rl", old, recipe, "j", stage_dir, rerun_rest=True) == "fresh"
