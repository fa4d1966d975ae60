"""The sft stage: teach a base model the chat format and step-by-step answers in each language.

    rows ──► render with the chat template, loss on the assistant's tokens (encode.py)
         ──► drop and count unusable rows; hold out a validation slice per language
         ──► mix languages (temperature or weights) ──► pack ──► TRL SFTTrainer
         ──► merged checkpoint (LoRA adapters kept in stage_dir/adapter)

Full fine-tuning, LoRA, or QLoRA (4-bit base, CUDA only); resumable from the last trainer
checkpoint; the per-language validation loss is logged as `eval/loss_<lang>`.
"""

from __future__ import annotations

from euro_post.sft.config import SFTConfig
from euro_post.sft.encode import IGNORE, EncodedRows, Encoder
from euro_post.sft.mixing import mix_languages, split_holdout
from euro_post.sft.template import check_template
from euro_post.sft.trainer import (
    LANGUAGE_FIELD,
    EuroSFTTrainer,
    LogKeys,
    PackedRowsCollator,
    consumed,
    pack_examples,
    token_languages,
)

from euro_post.data.mixture import load_data
from euro_post.data.rows import rows_by_language
from euro_post.models.kernels.dispatch import apply_liger_layers, use_liger
from euro_post.models.loading import load_policy, load_tokenizer, policy_options
from euro_post.pipeline.stage import StageContext, StageResult
from euro_post.training import trainer_setup
from euro_post.training.consumption import ConsumptionCounter


class DataQualityError(ValueError):
    pass


def run(config: SFTConfig, ctx: StageContext) -> StageResult:
    checkpoint = ctx.input_checkpoint
    if not checkpoint:
        raise ValueError("stages.sft: nothing to fine-tune; set init_from to a checkpoint path or hub model id")
    quantization = trainer_setup.quantization_config(config.lora)  # refuses QLoRA early where it cannot run

    # The tokenizer first, the weights once the data is known to be usable.
    tokenizer = load_tokenizer(checkpoint, ctx.log, trust_remote_code=config.trust_remote_code)

    world = ctx.world() if config.data.uses_world else None
    data = load_data(config.data, "sft", ctx.languages, world, seed=ctx.seed)
    rows, source = data.rows, config.data.label
    choice = check_template(tokenizer, checkpoint, config.loss_on, rows, ctx.log)
    encoder = Encoder(tokenizer, config.max_length, config.loss_on, choice.chat_template, choice.masking)
    encoded = encoder.encode_all(rows)
    check_drops(encoded, config.max_drop_fraction, source)
    if encoded.dropped:
        ctx.log(f"dropped {sum(encoded.dropped.values())} of {encoded.total} rows: {_counts(encoded.dropped)}")

    train_by_lang, eval_by_lang = split_holdout(rows_by_language(encoded.examples), config.eval_rows_per_language, ctx.seed)
    train_examples, rows_used = mix_languages(train_by_lang, config.language_temperature, config.language_weights, ctx.seed)
    ctx.log(f"{len(train_examples)} training rows: {_counts(rows_used)}; held out per language: "
            f"{_counts({lang: len(rows) for lang, rows in eval_by_lang.items()}) or 'none'}")

    policy = load_policy(checkpoint, **policy_options(config), tokenizer=tokenizer, log=ctx.log)
    model, peft_config = policy.model, policy.peft_config
    ctx.log(f"{'QLoRA' if quantization else 'LoRA' if peft_config else 'full fine-tuning'}, loss on "
            f"{config.loss_on} tokens, packing {'on' if config.packing else 'off'}, fused loss "
            f"{'off' if ctx.fused_loss == 'off' else 'on'}")
    log_keys = LogKeys(ctx.languages)
    trainer = build_trainer(config, ctx, model, tokenizer, train_examples, eval_by_lang, peft_config, [log_keys])
    counter = trainer.count_consumption(ConsumptionCounter(), consumed, (LANGUAGE_FIELD,))
    trainer_setup.train(trainer, ctx)

    step = trainer.state.global_step
    if eval_by_lang and any(log_keys.latest.get(lang, {}).get("step") != step for lang in eval_by_lang):
        trainer.evaluate()
    eval_loss = {lang: log_keys.latest[lang]["loss"] for lang in sorted(eval_by_lang) if "loss" in log_keys.latest.get(lang, {})}
    final = trainer_setup.save_final(trainer.model, tokenizer, ctx)
    summary = {
        "rows": encoded.total,
        **counter.summary(),  # tokens and conversations trained on (euro_post/training/consumption.py)
        "training_set_rows_per_language": rows_used,
        "held_out_per_language": {lang: len(rows) for lang, rows in eval_by_lang.items()},
        "dropped": dict(sorted(encoded.dropped.items())),
        "truncated": encoded.truncated,
        "loss_tokens_per_epoch": sum(sum(label != IGNORE for label in ex["labels"][1:]) for ex in train_examples),
        "eval_loss": eval_loss,
        "loss_on": config.loss_on,
        "packing": config.packing,
        "training": "qlora" if quantization else "lora" if config.lora else "full",
        "steps": step,
        **({"data": data.record} if data.record else {}),  # rows per source and language, kept and left out
    }
    return StageResult(final, tokens_processed=int(trainer.state.num_input_tokens_seen), summary=summary)


def check_drops(encoded: EncodedRows, max_fraction: float, source: str) -> None:
    """Fail when nothing is left or more than `max_fraction` of the rows were dropped."""
    dropped = sum(encoded.dropped.values())
    if encoded.examples and encoded.drop_fraction <= max_fraction:
        return
    first = "; ".join(f"{reason}: {example}" for reason, example in sorted(encoded.dropped_examples.items()))
    if not encoded.examples:
        head = f"{source}: none of the {encoded.total} rows can be trained on"
    else:
        head = (f"{source}: {dropped} of {encoded.total} rows ({encoded.drop_fraction:.1%}) cannot be trained on, "
                f"more than stages.sft.max_drop_fraction {max_fraction}")
    raise DataQualityError(f"{head} ({_counts(encoded.dropped)}). First of each: {first}. Fix the data, or raise "
                           "max_drop_fraction to train on the rest.")


def build_trainer(config: SFTConfig, ctx: StageContext, model, tokenizer, train_examples, eval_by_lang, peft_config, callbacks):
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import SFTConfig as TRLConfig

    def dataset(examples, languages: bool = False):
        columns = {"input_ids": [ex["input_ids"] for ex in examples], "labels": [ex["labels"] for ex in examples]}
        if languages:
            columns[LANGUAGE_FIELD] = token_languages(examples)
        return Dataset.from_dict(columns)

    flash = str(getattr(model.config, "_attn_implementation", "")).startswith("flash")
    native_packing = config.packing and flash  # TRL's padding-free packing needs varlen attention kernels
    train_set = dataset(train_examples, languages=True)
    eval_sets = {lang: dataset(rows) for lang, rows in sorted(eval_by_lang.items())} or None
    collator = None
    if config.packing:
        # Packed here also for TRL's padding-free path (the same bfd packing TRL would do), so that
        # every token keeps its language; EuroSFTTrainer leaves packed rows as they are.
        train_set = pack_examples(train_set, config.max_length)
    if config.packing and not native_packing:
        eval_sets = eval_sets and {lang: pack_examples(ds, config.max_length) for lang, ds in eval_sets.items()}
        collator = PackedRowsCollator(tokenizer.pad_token_id)

    args = TRLConfig(
        **trainer_setup.trainer_arguments(config, ctx),
        max_length=config.max_length,
        packing=native_packing,
        packing_strategy="bfd",
        assistant_only_loss=False,  # the labels already carry the mask (encode.py)
        per_device_eval_batch_size=config.per_device_batch_size,
        eval_strategy="steps" if eval_sets and config.eval_steps else "no",
        eval_steps=config.eval_steps,
        include_num_input_tokens_seen="non_padding",
    )
    if use_liger(ctx.fused_loss, log=ctx.log):
        apply_liger_layers(model)  # TRL's own `use_liger_kernel` is deprecated; TRL keeps its fused LM head
    trainer = EuroSFTTrainer(
        model=model,
        args=args,
        data_collator=collator,
        train_dataset=train_set,
        eval_dataset=eval_sets,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[*callbacks, trainer_setup.StageCallback(ctx, config.max_steps)],
        fused_loss=ctx.fused_loss,
    )
    trainer.remove_callback(PrinterCallback)
    return trainer


def _counts(counts: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
