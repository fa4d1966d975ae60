"""The sft stage: teach a base model the chat format and step-by-step answers in each language.

    rows ──► render with the chat template, loss on the assistant's tokens (encode.py)
         ──► drop and count unusable rows; hold out a validation slice per language
         ──► mix languages (temperature or weights) ──► pack ──► TRL SFTTrainer
         ──► merged checkpoint (LoRA adapters kept in stage_dir/adapter)

Full fine-tuning, LoRA, or QLoRA (4-bit base, CUDA only); resumable from the last trainer
checkpoint; the per-language validation loss is logged as `eval/loss_<lang>`.
"""

from __future__ import annotations

import warnings

import torch
from euro_post.sft.config import SFTConfig
from euro_post.sft.encode import IGNORE, EncodedRows, Encoder
from euro_post.sft.mixing import mix_languages, split_holdout
from euro_post.sft.template import choose_template
from euro_post.sft.trainer import (
    LANGUAGE_FIELD,
    EuroSFTTrainer,
    LogKeys,
    PackedRowsCollator,
    consumed,
    pack_examples,
    token_languages,
)

from euro_post.data.rows import load_rows, rows_by_language
from euro_post.models.chat_template import CHAT_TEMPLATE, EOS
from euro_post.models.loading import load_model, load_tokenizer
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

    tokenizer = load_tokenizer(checkpoint, ctx.log)
    if tokenizer.chat_template == CHAT_TEMPLATE and tokenizer.eos_token != EOS:
        # The project's template ends every turn with <|im_end|>: that is where generation must stop.
        tokenizer.eos_token = EOS

    world = ctx.world() if config.data.path == "world" else None
    rows = load_rows(config.data, "sft", ctx.languages, world)
    source = "the embedded world" if world is not None else config.data.path
    choice = choose_template(tokenizer, checkpoint, config.loss_on, any("messages" in row for row in rows), ctx.log)
    encoder = Encoder(tokenizer, config.max_length, config.loss_on, choice.chat_template, choice.assistant_markers)
    encoded = encoder.encode_all(rows)
    check_drops(encoded, config.max_drop_fraction, source)
    if encoded.dropped:
        ctx.log(f"dropped {sum(encoded.dropped.values())} of {encoded.total} rows: {_counts(encoded.dropped)}")

    train_by_lang, eval_by_lang = split_holdout(rows_by_language(encoded.examples), config.eval_rows_per_language, ctx.seed)
    train_examples, rows_used = mix_languages(train_by_lang, config.language_temperature, config.language_weights, ctx.seed)
    ctx.log(f"{len(train_examples)} training rows: {_counts(rows_used)}; held out per language: "
            f"{_counts({lang: len(rows) for lang, rows in eval_by_lang.items()}) or 'none'}")

    model, peft_config = load_for_training(checkpoint, config, tokenizer, quantization, ctx)
    ctx.log(f"{'QLoRA' if quantization else 'LoRA' if peft_config else 'full fine-tuning'}, loss on "
            f"{config.loss_on} tokens, packing {'on' if config.packing else 'off'}, fused loss "
            f"{'off' if ctx.fused_loss == 'off' else 'on'}")
    log_keys = LogKeys(ctx.languages)
    trainer = build_trainer(config, ctx, model, tokenizer, train_examples, eval_by_lang, peft_config, [log_keys])
    counter = ConsumptionCounter().attach(trainer, consumed, (LANGUAGE_FIELD,))
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


def load_for_training(checkpoint: str, config: SFTConfig, tokenizer, quantization, ctx: StageContext):
    """The model to train and its peft config (None for full fine-tuning)."""
    kwargs = {}
    if quantization is not None:
        kwargs = {"quantization_config": quantization, "device_map": {"": torch.cuda.current_device()}}
    # Full fine-tuning keeps fp32 master weights (bf16 runs under autocast); frozen LoRA bases can be bf16.
    model = load_model(checkpoint, config.precision if config.lora else "fp32", **kwargs)
    rows = model.get_input_embeddings().num_embeddings
    added = list(range(rows, len(tokenizer)))
    if added:
        model.resize_token_embeddings(len(tokenizer))
        ctx.log(f"resized the embeddings from {rows} to {len(tokenizer)} rows for the chat template's special tokens")
    # The chat template ends turns with the tokenizer's eos; generation must stop there and pad with its pad.
    model.config.pad_token_id = model.generation_config.pad_token_id = tokenizer.pad_token_id
    eos = model.generation_config.eos_token_id
    eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    if tokenizer.eos_token_id not in eos:
        model.generation_config.eos_token_id = [tokenizer.eos_token_id, *eos]
        model.config.eos_token_id = tokenizer.eos_token_id

    peft_config = trainer_setup.lora_config(config.lora)
    if peft_config is not None and added:
        # peft's trainable-token wrapper would hide the LM head's weight from the fused losses: rows stay frozen.
        ctx.log(f"LoRA keeps the {len(added)} new token embeddings at their initial values (the mean of the others); "
                "full fine-tuning trains them")
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
    return model, peft_config


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

    fused = ctx.fused_loss != "off"
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
        # liger's RMSNorm/RoPE/SwiGLU kernels (local Triton code, nothing downloaded); TRL keeps its fused LM head.
        use_liger_kernel=fused and torch.cuda.is_available() and _liger_available(),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*use_liger_kernel.*deprecated", category=FutureWarning)
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


def _liger_available() -> bool:
    try:
        import liger_kernel.transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _counts(counts: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
