"""rl: GRPO on a tiny model learns an easy verifiable task, logs per language, resumes exactly."""

from __future__ import annotations

import json

import pytest
from euro_post.rewards import guard as reward_guard
from euro_post.rl import stage as rl_stage

from euro_post.pipeline import runner
from euro_post.pipeline.recipe import validate_recipe

SEEN: list[str] = []


def low_ids(prompts, completions, completion_ids, id, **columns):
    """An easy, dense task for a random tiny model: write tokens from the lower half of the vocabulary."""
    SEEN.extend(id)
    return [sum(t < 350 for t in ids) / max(len(ids), 1) for ids in completion_ids]


@pytest.fixture
def easy_rewards(monkeypatch):
    SEEN.clear()
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
    return SEEN


def rl_recipe(checkpoint, run_dir, **rl):
    options = {
        "init_from": checkpoint,
        "max_steps": 20,
        "learning_rate": 1e-2,
        "per_device_batch_size": 8,
        "num_generations": 4,
        "max_completion_length": 8,
        "logging_steps": 4,
        "save_steps": 20,
        "rewards": [{"name": "format"}],
        **rl,
    }
    return validate_recipe(
        {
            "name": "rl-test",
            "run_dir": str(run_dir),
            "languages": ["de", "fr"],
            "world": {"rl_per_language": 40, "eval_per_language": 4, "max_operations": 2},
            "stages": {"rl": options},
        }
    )


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "rl" / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_reward_rises_without_a_reference_model(tiny_checkpoint, tmp_path, easy_rewards, monkeypatch):
    built = []
    original = rl_stage.EuroGRPOTrainer.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(rl_stage.EuroGRPOTrainer, "__init__", spy)
    manifests = runner.run_recipe(rl_recipe(tiny_checkpoint, tmp_path), tmp_path)

    assert built[0].ref_model is None  # beta = 0: no reference model is loaded
    rewards = [m["reward"] for m in metrics(tmp_path) if "reward" in m]
    assert len(rewards) == 5
    # A log line averages 4 steps x 8 completions: its noise is about 0.02, the rise is 5x that.
    assert rewards[-1] > rewards[0] + 0.1, rewards
    per_language = [m for m in metrics(tmp_path) if "reward/de" in m]
    assert per_language and all("reward/fr" in m and "completion_length/de" in m for m in per_language)
    assert manifests["rl"]["status"] == "complete"
    assert (tmp_path / "rl" / "checkpoint" / "model.safetensors").exists()


class StopAfterSave(Exception):
    pass


@pytest.mark.slow
def test_resume_continues_the_prompt_stream(tiny_checkpoint, tmp_path, easy_rewards, monkeypatch):
    steps = dict(max_steps=8, save_steps=4, logging_steps=2)
    runner.run_recipe(rl_recipe(tiny_checkpoint, tmp_path / "whole", **steps), tmp_path / "whole")
    uninterrupted = list(easy_rewards)
    easy_rewards.clear()

    class Interrupt(rl_stage.StageCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 4:
                raise KeyboardInterrupt

    monkeypatch.setattr(rl_stage, "StageCallback", Interrupt)
    split = tmp_path / "split"
    with pytest.raises(KeyboardInterrupt):
        runner.run_recipe(rl_recipe(tiny_checkpoint, split, **steps), split)
    assert json.loads((split / "rl" / "stage.json").read_text())["status"] == "interrupted"
    monkeypatch.undo()
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([low_ids], [1.0]))
    manifests = runner.run_recipe(rl_recipe(tiny_checkpoint, split, **steps), split)
    assert manifests["rl"]["resumed"] is True
    # The same prompts in the same order: none replayed, none skipped.
    assert easy_rewards == uninterrupted


@pytest.mark.slow
def test_the_loss_scores_the_tokens_the_sampler_drew(tiny_checkpoint, tmp_path, easy_rewards, monkeypatch):
    """On-policy check: the log-probs GRPO optimises, computed on the left-padded batch, are those of
    each completion after its own unpadded prompt at the sampling temperature."""
    import torch

    checked = []
    original = rl_stage.EuroGRPOTrainer._generate_and_score_completions

    def check(self, inputs):
        batch = original(self, inputs)
        if checked:
            return batch
        model = self.accelerator.unwrap_model(self.model)
        prompt, prompt_mask = batch["prompt_ids"], batch["prompt_mask"]
        completion, completion_mask = batch["completion_ids"], batch["completion_mask"]
        with torch.no_grad():
            logps = self._get_per_token_logps_and_entropies(
                model, torch.cat([prompt, completion], 1), torch.cat([prompt_mask, completion_mask], 1), completion.size(1)
            )[0]
            for row in range(prompt.size(0)):
                own_prompt = prompt[row][prompt_mask[row].bool()]
                tokens = completion[row][completion_mask[row].bool()]
                logits = model(torch.cat([own_prompt, tokens])[None]).logits[0, len(own_prompt) - 1 : -1]
                expected = torch.log_softmax(logits / self.temperature, -1).gather(1, tokens[:, None]).squeeze(1)
                checked.append((int((~prompt_mask[row].bool()).sum()), (logps[row, : len(tokens)] - expected).abs().max().item()))
        return batch

    monkeypatch.setattr(rl_stage.EuroGRPOTrainer, "_generate_and_score_completions", check)
    # "keep": the filter would zero the completion mask of zero-advantage groups, and with it the
    # tokens this check compares.
    recipe = rl_recipe(tiny_checkpoint, tmp_path, max_steps=1, temperature=0.7, save_steps=1, zero_variance_groups="keep")
    runner.run_recipe(recipe, tmp_path)
    assert any(pad > 0 for pad, _ in checked), "the batch should hold prompts of different lengths"
    assert max(err for _, err in checked) < 1e-4, checked
