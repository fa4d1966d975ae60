"""rl: GRPO reasoning RL with verifiable rewards, on TRL's GRPOTrainer.

For each prompt the policy samples a group of completions; the rewards score them; each
completion's advantage is its reward against its group's mean; the policy takes clipped
policy-gradient steps on those advantages (plus a KL term when beta > 0).
"""

from __future__ import annotations

from datasets import Dataset
from euro_post.rewards import reward_stats
from euro_post.rewards.guard import build_guarded_rewards
from euro_post.rl.config import RLConfig
from euro_post.rl.language_metrics import LanguageMetrics
from euro_post.rl.trainer import EuroGRPOTrainer
from transformers import TrainerCallback
from trl import GRPOConfig

from euro_post.data.mixture import load_data
from euro_post.data.rows import rows_by_language
from euro_post.models.kernels.dispatch import apply_liger_layers, use_liger
from euro_post.models.loading import load_policy, policy_options
from euro_post.pipeline.stage import StageContext, StageResult
from euro_post.training.consumption import ConsumptionCounter
from euro_post.training.trainer_setup import StageCallback, save_final, train, trainer_arguments


class DrainOnEveryProcess(TrainerCallback):
    """Drains the per-language metrics at every log on every process (the drain gathers), before
    StageCallback, on the main process, writes them to metrics.jsonl (`take_latest`)."""

    def __init__(self, metrics: LanguageMetrics):
        self.metrics = metrics

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.metrics.latest = self.metrics.drain(state.global_step)


def run(cfg: RLConfig, ctx: StageContext) -> StageResult:
    data = load_data(cfg.data, "prompts", ctx.languages, world=ctx.world() if cfg.data.uses_world else None,
                     rewards=[spec.name for spec in cfg.rewards], seed=ctx.seed)
    rows = data.rows
    ctx.log(f"{len(rows)} prompts in {len(rows_by_language(rows))} languages")
    # GRPO trains its policy in the training precision itself (bf16 on a GPU), not on fp32 master
    # weights, and stops completions at the checkpoint's own EOS (after sft, <|im_end|> already).
    policy = load_policy(ctx.input_checkpoint, **policy_options(cfg), log=ctx.log, fp32_master_weights=False,
                         eos_at_turn_end=False)
    model, tokenizer = policy.model, policy.tokenizer

    funcs, weights, names = build_guarded_rewards(cfg.rewards, tokenizer=tokenizer)
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
        shuffle_dataset=True,
    )
    if use_liger(ctx.fused_loss, log=ctx.log):
        apply_liger_layers(model)  # TRL's own `use_liger_kernel` is deprecated; TRL keeps its fused LM head
    trainer = EuroGRPOTrainer(
        model=model,
        reward_funcs=funcs,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=policy.peft_config,
        # The per-language means cover every process: each drains (and gathers) at every log.
        callbacks=[DrainOnEveryProcess(tracker), StageCallback(ctx, cfg.max_steps, extra_metrics=tracker.take_latest)],
        filter_zero_variance=cfg.zero_variance_groups == "filter",
        consumption=ConsumptionCounter(row_size=cfg.num_generations),  # rows are prompts
    )
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
            **trainer.consumption.summary(),  # tokens and prompts trained on (euro_post/training/consumption.py)
            "final_reward": last.get("reward"),
            "reward_function_stats": reward_stats(),
            **({"data": data.record} if data.record else {}),  # rows per source and language, kept and left out
        },
    )
