"""The preference stage: preference pairs, then DPO-family training.

    prompts ──► k samples each from the input checkpoint (sampling.py)
            ──► verifiable rewards, best vs worst per prompt (pairs.py) ──► pairs.jsonl
    or a file of prompt/chosen/rejected rows (offline.py)
            ──► TRL DPOTrainer (or CPOTrainer as SimPO) (trainers.py)
            ──► merged checkpoint (LoRA adapters kept in stage_dir/adapter)

An interrupted stage resumes from its last trainer checkpoint and reuses the pairs it had
already built.
"""

from __future__ import annotations

import json

from datasets import Dataset
from euro_post.preference.config import PreferenceConfig
from euro_post.preference.offline import clean_offline_rows
from euro_post.preference.pairs import build_pairs, load_saved_pairs, save_pairs
from euro_post.preference.sampling import make_sampler
from euro_post.preference.trainers import build_trainer, consumed_pairs
from euro_post.rewards.guard import build_guarded_rewards

from euro_post.data.mixture import load_data
from euro_post.models.loading import load_policy, policy_options
from euro_post.pipeline.stage import StageContext, StageResult
from euro_post.training import distributed
from euro_post.training.consumption import ConsumptionCounter
from euro_post.training.trainer_setup import StageCallback, quantization_config, save_final, train

# Metrics whose last logged value goes into the stage summary.
SUMMARY_METRICS = ("loss", "rewards/accuracies", "rewards/margins", "rewards/chosen", "rewards/rejected")


class NoPairsError(ValueError):
    pass


def run(cfg: PreferenceConfig, ctx: StageContext) -> StageResult:
    checkpoint = ctx.input_checkpoint
    if not checkpoint:
        raise ValueError("stages.preference: nothing to train; set init_from to a checkpoint path or hub model id")
    quantization = quantization_config(cfg.lora)  # refuses QLoRA early where it cannot run
    policy = load_policy(checkpoint, **policy_options(cfg), log=ctx.log)
    model, tokenizer = policy.model, policy.tokenizer

    if cfg.pairs == "on_policy":
        # Rank 0 samples and saves the pairs; the other processes then load the same pairs.
        with distributed.main_process_first("preference pairs"):
            pairs, pair_stats = on_policy_pairs(cfg, ctx, model, tokenizer)
    else:
        data = load_data(cfg.data, "preference", ctx.languages, seed=ctx.seed)
        pairs, pair_stats = clean_offline_rows(data.rows, cfg.max_drop_fraction, cfg.data.label)
        if data.record:
            pair_stats["data"] = data.record  # rows per source and language, kept and left out
        if sum(pair_stats["dropped"].values()):
            ctx.log(f"dropped offline rows: {pair_stats['dropped']}")
    ctx.log(f"{len(pairs)} pairs: {pair_stats['pairs_per_language']}")

    # `lang` only feeds the consumption counts; the trainers never read it.
    dataset = Dataset.from_list([{key: pair[key] for key in ("prompt", "chosen", "rejected", "lang")} for pair in pairs])
    trainer = build_trainer(cfg, ctx, model, tokenizer, dataset, [StageCallback(ctx, cfg.max_steps)])
    too_long = len(dataset) - len(trainer.train_dataset)  # TRL drops pairs whose prompt alone fills max_length
    if too_long:
        ctx.log(f"{too_long} of {len(dataset)} pairs have a prompt of max_length ({cfg.max_length}) tokens or more: left out")
    if too_long == len(dataset):
        raise NoPairsError(
            f"stages.preference: every one of the {len(dataset)} pairs has a prompt of at least max_length "
            f"({cfg.max_length}) tokens, leaving nothing to learn from; raise max_length"
        )
    counter = trainer.count_consumption(ConsumptionCounter(), consumed_pairs, ("lang",))
    train(trainer, ctx)
    final = save_final(trainer.model, tokenizer, ctx)

    trained_tokens = int(trainer.state.num_input_tokens_seen or 0)
    generated_tokens = int(pair_stats.get("generated_tokens", 0))
    last = {}
    for entry in trainer.state.log_history:
        last.update({key: entry[key] for key in SUMMARY_METRICS if key in entry})
    summary = {
        "pairs_source": cfg.pairs,
        **pair_stats,
        "algorithm": cfg.algorithm,
        "loss_type": "simpo" if cfg.algorithm == "simpo" else list(cfg.loss_type),
        "beta": cfg.resolved_beta,
        "training": "qlora" if quantization else "lora" if cfg.lora else "full",
        "pairs_too_long": too_long,
        "steps": trainer.state.global_step,
        "trained_tokens": trained_tokens,
        **counter.summary(),  # tokens and pairs trained on (euro_post/training/consumption.py)
        "final": last,
    }
    return StageResult(final, tokens_processed=generated_tokens + trained_tokens, summary=summary)


def on_policy_pairs(cfg: PreferenceConfig, ctx: StageContext, model, tokenizer) -> tuple[list[dict], dict]:
    """Pairs from the model's own samples, or those an earlier attempt of this stage already built."""
    built_with = json.loads(
        json.dumps(
            {
                "input_checkpoint": ctx.input_checkpoint,
                "seed": ctx.seed,
                "languages": ctx.languages,
                "world": ctx.recipe.world.model_dump(mode="json"),
                **cfg.model_dump(
                    mode="json",
                    include={"data", "rewards", "samples_per_prompt", "temperature", "top_p", "max_completion_length",
                             "margin", "pairing", "max_pairs_per_prompt", "unjudged", "generation_batch_size", "use_vllm"},
                ),
            }
        )
    )
    saved = load_saved_pairs(ctx.stage_dir, built_with)
    if saved is not None:
        pairs, stats = saved
        ctx.log(f"reusing the {len(pairs)} pairs built by an earlier attempt ({ctx.stage_dir / 'pairs.jsonl'})")
        return pairs, stats

    world = ctx.world() if cfg.data.uses_world else None
    data = load_data(cfg.data, "prompts", ctx.languages, world=world, rewards=[spec.name for spec in cfg.rewards],
                     seed=ctx.seed)
    rows = data.rows
    ctx.log(f"sampling {cfg.samples_per_prompt} completions for each of {len(rows)} prompts")
    funcs, weights, names = build_guarded_rewards(cfg.rewards, tokenizer=tokenizer)
    sampler = make_sampler(cfg, model, tokenizer, ctx.input_checkpoint, ctx.seed)
    try:
        chunk = getattr(sampler, "prompts_per_call", 64)
        pairs, stats = build_pairs(
            rows, sampler, funcs, weights, names, cfg.margin, chunk_prompts=chunk, log=ctx.log,
            pairing=cfg.pairing, max_pairs_per_prompt=cfg.max_pairs_per_prompt, unjudged=cfg.unjudged,
        )
    finally:
        close = getattr(sampler, "close", None)
        if close:
            close()
    result = stats.as_dict()
    if data.record:
        result["data"] = data.record  # rows per source and language, kept and left out
    result["reward_function_stats"] = {
        name: func.stats() for name, func in zip(names, funcs) if callable(getattr(func, "stats", None))
    }
    if not pairs:
        raise NoPairsError(
            f"stages.preference: no preference pairs from {result['prompts']} prompts (skipped: {result['skipped']}; "
            f"{result['completions_unscorable']} of {result['completions']} completions unscorable). Sample more "
            "(samples_per_prompt), raise temperature, lower margin, or give offline pairs."
        )
    save_pairs(ctx.stage_dir, pairs, result, built_with)
    return pairs, result
