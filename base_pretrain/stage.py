"""base_pretrain: from raw multilingual text to a base checkpoint that SFT can start from.

From scratch (`init_from: scratch`): train a byte-level BPE tokenizer on a temperature-
sampled mix of the corpus, build a LLaMA-style model of the preset's size, and pretrain it on
packed blocks mixed across languages. Continued pretraining (`init_from: <checkpoint>`):
load the checkpoint's model and tokenizer and run the same loop. Either way the stage writes
a standard Hugging Face checkpoint and reports tokenizer fertility, validation loss and the
tokens and documents trained on (euro_post/training/consumption.py) per language in stage.json.
"""

from __future__ import annotations

from euro_post.base_pretrain.config import BasePretrainConfig
from euro_post.base_pretrain.corpus import (
    CONSUMPTION_FIELDS,
    InMemoryCorpus,
    MixedBlocks,
)
from euro_post.base_pretrain.stream_setup import StreamingCorpus
from euro_post.base_pretrain.tokenizer import fertility, train_tokenizer
from euro_post.base_pretrain.training import PretrainTrainer, ValidationCallback
from transformers import PrinterCallback, TrainingArguments, default_data_collator

from euro_post.models.loading import load_policy, policy_options
from euro_post.models.presets import count_parameters, new_model
from euro_post.pipeline.checkpoint_io import atomic_directory
from euro_post.pipeline.stage import StageContext, StageResult
from euro_post.training import distributed, trainer_setup
from euro_post.training.consumption import ConsumptionCounter

# Fertility is measured on at most this many documents per language (held-out ones first).
FERTILITY_DOCUMENTS = 200


def run(cfg: BasePretrainConfig, ctx: StageContext) -> StageResult:
    languages = ctx.languages
    if cfg.data.uses_world:
        corpus = InMemoryCorpus(cfg, languages, ctx.seed, world=ctx.world())
    else:  # a user's corpus streams from its shards, whatever its size (stream_setup.py)
        corpus = StreamingCorpus(cfg, languages, ctx.seed, cache_dir=ctx.stage_dir)
    ctx.log(f"pretraining corpus: {corpus.describe()}")
    missing = [lang for lang in languages if lang not in corpus.languages]
    if missing:
        ctx.log(f"no pretraining text for {', '.join(missing)}: those languages are not trained on")

    scratch = ctx.input_checkpoint is None
    if scratch:
        # Under many processes the main process trains and saves the tokenizer; the others load it.
        with distributed.main_process_first("tokenizer"):
            tokenizer = _scratch_tokenizer(cfg, ctx, corpus)
        model, peft_config = new_model(cfg.preset, tokenizer, seed=ctx.seed, **cfg.model_overrides), None
    else:
        model, tokenizer, peft_config = _continued(cfg, ctx)
    parameters = count_parameters(model)
    if peft_config is not None:
        from peft import get_peft_model

        model = get_peft_model(model, peft_config)

    fertilities = fertility(tokenizer, corpus.fertility_texts(FERTILITY_DOCUMENTS))
    block = cfg.sequence_length
    valid_blocks = corpus.validation_blocks(tokenizer, block, cfg.validation_blocks)
    streaming = isinstance(corpus, StreamingCorpus)
    # A stream resumes from the data position saved with each checkpoint (training.py), not by
    # reading again the batches trained on, as transformers would.
    args = TrainingArguments(**trainer_setup.trainer_arguments(cfg, ctx), include_num_input_tokens_seen="all",
                             ignore_data_skip=streaming)
    samples = cfg.max_steps * cfg.per_device_batch_size * cfg.gradient_accumulation_steps * args.world_size
    if streaming:
        dataset, token_counts, weights = corpus.training_blocks(tokenizer, block)
    else:
        dataset, token_counts, weights = corpus.training_blocks(tokenizer, block, samples)
    ctx.log(
        f"{len(weights)} languages, {sum(token_counts.values()):,} training tokens{' (estimated)' if streaming else ''} "
        f"in blocks of {block}; {samples:,} blocks ({samples * block:,} tokens) over {cfg.max_steps} steps; "
        f"{parameters:,} parameters, vocabulary {len(tokenizer):,}, fused loss {'off' if ctx.fused_loss == 'off' else 'on'}"
    )

    validation = ValidationCallback(ctx, valid_blocks, cfg.eval_steps, cfg.per_device_batch_size, args.bf16)
    trainer = PretrainTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=default_data_collator,
        processing_class=tokenizer,
        callbacks=[trainer_setup.StageCallback(ctx, cfg.max_steps), validation],
        fused_loss=ctx.fused_loss,
    )
    trainer.remove_callback(PrinterCallback)  # StageCallback already shows progress; no raw log dicts on stdout
    consumed = trainer.count_consumption(ConsumptionCounter(), MixedBlocks.consumed, CONSUMPTION_FIELDS)
    trainer_setup.train(trainer, ctx)
    step = trainer.state.global_step
    if valid_blocks and validation.last_step != step:
        validation.evaluate(trainer.model, step, trainer.is_world_process_zero())

    model.config.use_cache = True  # training turns the KV cache off; generation wants it back
    checkpoint = trainer_setup.save_final(trainer.model, tokenizer, ctx)
    best, worst = min(fertilities.values()), max(fertilities.values())
    summary = {
        "from": "scratch" if scratch else ctx.input_checkpoint,
        "parameters": parameters,
        "vocab_size": len(tokenizer),
        "block_size": block,
        "steps": step,
        "fertility": fertilities,
        "fertility_worst_best_ratio": round(worst / best, 4),
        "fertility_worst": max(fertilities, key=fertilities.get),
        "fertility_best": min(fertilities, key=fertilities.get),
        "validation_loss": {lang: round(v, 4) for lang, v in validation.last_losses.items()},
        "validation_loss_mean": (
            round(sum(validation.last_losses.values()) / len(validation.last_losses), 4) if validation.last_losses else None
        ),
        **consumed.summary(),  # tokens and documents trained on (euro_post/training/consumption.py)
        "corpus_tokens_per_language": token_counts,
        "mixing_weights": {lang: round(w, 4) for lang, w in weights.items()},
        **corpus.summary(),
    }
    return StageResult(checkpoint=checkpoint, tokens_processed=int(trainer.state.num_input_tokens_seen), summary=summary)


def _scratch_tokenizer(cfg: BasePretrainConfig, ctx: StageContext, corpus):
    """Train the tokenizer, or reuse the one an interrupted attempt of this stage already trained."""
    from transformers import AutoTokenizer

    saved = ctx.stage_dir / "tokenizer"
    if (saved / "tokenizer.json").exists():
        ctx.log(f"reusing the tokenizer trained before the interruption ({saved})")
        return AutoTokenizer.from_pretrained(saved, trust_remote_code=False)
    tokenizer = train_tokenizer(
        corpus.tokenizer_texts(),
        vocab_size=cfg.vocab_size,
        temperature=cfg.tokenizer_temperature,
        sample_size=cfg.tokenizer_sample_size,
        seed=ctx.seed,
        max_length=cfg.model_dimensions()["max_position_embeddings"],
        split_digits=cfg.split_digits,
    )
    with atomic_directory(saved) as tmp:
        tokenizer.save_pretrained(tmp)
    ctx.log(f"trained a {len(tokenizer):,}-token byte-level BPE tokenizer")
    return tokenizer


def _continued(cfg: BasePretrainConfig, ctx: StageContext):
    """Continued pretraining: the checkpoint's model, tokenizer and LoRA config (None: all weights)."""
    # Documents are separated by the checkpoint's own EOS, whatever chat template it is given.
    policy = load_policy(ctx.input_checkpoint, **policy_options(cfg), log=ctx.log, eos_at_turn_end=False)
    model = policy.model
    if model.config.max_position_embeddings < cfg.sequence_length:
        raise ValueError(
            f"block_size {cfg.sequence_length} exceeds {ctx.input_checkpoint}'s max_position_embeddings "
            f"{model.config.max_position_embeddings}"
        )
    return model, policy.tokenizer, policy.peft_config
