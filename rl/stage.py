"""rl: GRPO reasoning RL with verifiable rewards, on TRL's GRPOTrainer.

For each prompt the policy samples a group of completions; the rewards score them; each
completion's advantage is its reward against its group's mean; the policy takes clipped
policy-gradient steps on those advantages (plus a KL term when beta > 0).
"""

from __future__ import annotations

import torch
from datasets import Dataset
from transformers import TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from euro_post.consumption import ConsumptionCounter
from euro_post.data import load_rows, rows_by_language
from euro_post.guards import guard_reward
from euro_post.hf_training import StageCallback, lora_config, save_final, train, trainer_arguments
from euro_post.modeling import load_model, load_tokenizer
from euro_post.rewards import build_rewards, reward_stats
from euro_post.rl.config import RLConfig
from euro_post.rl.language_metrics import LanguageMetrics
from euro_post.seeded_sampling import sample_keys, seeded_generation
from euro_post.stage import StageContext, StageResult


class EuroGRPOTrainer(GRPOTrainer):
    """GRPOTrainer that can leave zero-advantage completions out of the loss entirely, and counts
    the prompt and completion tokens of every completion it generates for training, per language."""

    def __init__(self, *args, filter_zero_variance: bool = True, consumption: ConsumptionCounter | None = None, **kwargs):
        self.filter_zero_variance = filter_zero_variance
        self.consumption = consumption  # counts every training completion, per language
        self._generating_for: list[str] = []  # the languages of the rows being generated for
        super().__init__(*args, **kwargs)

    def _generate_and_score_completions(self, inputs):
        self._generating_for = [row["lang"] for row in inputs]
        batch = super()._generate_and_score_completions(inputs)
        if self.filter_zero_variance:
            # A group whose rewards are all equal has zero advantage everywhere: no signal, only
            # tokens that would dilute the per-token normaliser of the informative groups.
            keep = (batch["advantages"] != 0).to(batch["completion_mask"].dtype)
            batch["completion_mask"] = batch["completion_mask"] * keep.unsqueeze(1)
            batch["num_items_in_batch"] = self.accelerator.gather(batch["completion_mask"].sum()).sum()
        return batch

    def _generate(self, prompts):
        generated = super()._generate(prompts)
        if self.consumption is not None and self.model.training:
            # What TRL counts in num_input_tokens_seen: prompt and completion tokens of every completion.
            prompt_ids, completion_ids, tool_mask = generated[:3]
            completion_lengths = [sum(m) for m in tool_mask] if tool_mask is not None else [len(c) for c in completion_ids]
            for lang, prompt, completion in zip(self._generating_for, prompt_ids, completion_lengths, strict=True):
                self.consumption.add(lang, len(prompt) + int(completion))
        return generated

    def _generate_single_turn(self, prompt_ids, *args, **kwargs):
        if self.use_vllm or self.use_transformers_continuous_batching:
            return super()._generate_single_turn(prompt_ids, *args, **kwargs)
        # Each completion draws from its own generator, seeded by (seed, step, prompt, sample): a resumed
        # run samples what an uninterrupted one samples.
        process = self.accelerator.process_index if self.accelerator.num_processes > 1 else None
        keys = sample_keys(self.args.seed, self.state.global_step, prompt_ids, process)
        with seeded_generation(self.accelerator.unwrap_model(self.model_wrapped), keys) as sampler:
            completions = super()._generate_single_turn(prompt_ids, *args, **kwargs)
        sampler.require_used()
        return completions


class DrainOnEveryProcess(TrainerCallback):
    """Drains the per-language metrics at every log on every process (the drain gathers), before
    StageCallback, on the main process, writes them to metrics.jsonl (`take_latest`)."""

    def __init__(self, metrics: LanguageMetrics):
        self.metrics = metrics

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.metrics.latest = self.metrics.drain(state.global_step)


def run(cfg: RLConfig, ctx: StageContext) -> StageResult:
    rows = load_rows(cfg.data, "prompts", ctx.languages, world=ctx.world())
    ctx.log(f"{len(rows)} prompts in {len(rows_by_language(rows))} languages")
    tokenizer = load_tokenizer(ctx.input_checkpoint, log=ctx.log)
    model = load_model(ctx.input_checkpoint, cfg.precision)
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))

    funcs, weights = build_rewards(cfg.rewards, tokenizer=tokenizer)
    names = [spec.name for spec in cfg.rewards]
    # A reward that raises, hangs or returns junk leaves its completions unscored, until too often.
    funcs = [guard_reward(f, name) for f, name in zip(funcs, names)]
    tracker = LanguageMetrics(dict(zip(names, weights)))
    funcs = [tracker.wrap(f, name, first=i == 0) for i, (f, name) in enumerate(zip(funcs, names))]

    args = GRPOConfig(
        **trainer_arguments(cfg, ctx),
        num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        beta=cfg.beta,
        epsilon=cfg.epsilon,
        epsilon_high=cfg.epsilon_high,
        loss_type=cfg.loss_type,
        importance_sampling_level=cfg.importance_sampling_level,
        scale_rewards=cfg.scale_rewards,
        mask_truncated_completions=cfg.mask_truncated_completions,
        num_iterations=cfg.num_iterations,
        reward_weights=weights,
        use_vllm=cfg.use_vllm,
        vllm_mode="colocate",
        vllm_gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
        use_liger_kernel=ctx.fused_loss != "off" and torch.cuda.is_available(),
        shuffle_dataset=True,
    )
    trainer = EuroGRPOTrainer(
        model=model,
        reward_funcs=funcs,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(cfg.lora),
        # The per-language means cover every process: each drains (and gathers) at every log.
        callbacks=[DrainOnEveryProcess(tracker), StageCallback(ctx, cfg.max_steps, extra_metrics=tracker.take_latest)],
        filter_zero_variance=cfg.zero_variance_groups == "filter",
        consumption=ConsumptionCounter(row_size=cfg.num_generations),  # rows are prompts
    )
    trainer.consumption.attach(trainer)
    train(trainer, ctx)
    checkpoint = save_final(trainer.model, tokenizer, ctx)
    tokens = int(getattr(trainer, "_total_train_tokens", 0) or trainer.state.num_input_tokens_seen or 0)
    last = next((h for h in reversed(trainer.state.log_history) if "reward" in h), {})
    return StageResult(
        checkpoint,
        tokens_processed=tokens,
        summary={
            "prompts": len(rows),
            "prompts_scored": len(tracker.prompt_ids),
            **trainer.consumption.summary(),  # tokens and prompts trained on (euro_post/consumption.py)
            "final_reward": last.get("reward"),
            "reward_function_stats": reward_stats(),
        },
    )
