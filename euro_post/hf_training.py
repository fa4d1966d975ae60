"""What every trainer-based stage shares: arguments, metrics/progress callback, resume, LoRA.

base_pretrain, sft, preference and rl all run on transformers' Trainer (TRL's trainers are
Trainers), so the glue between a `TrainConfig` and a Trainer lives here, once.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from transformers import TrainerCallback

from euro_post.config import LoraSpec, TrainConfig
from euro_post.modeling import train_dtype
from euro_post.progress import Progress
from euro_post.stage import StageContext

# Trainer log keys that measure the clock, not the training: kept out of metrics.jsonl so
# that two runs with one seed write identical metrics.
CLOCK_KEYS = ("runtime", "per_second", "flos", "total_flos")


def trainer_arguments(cfg: TrainConfig, ctx: StageContext) -> dict:
    """Keyword arguments for `TrainingArguments` or any TRL config, from a stage's TrainConfig."""
    scheduler, scheduler_kwargs = cfg.lr_scheduler, {}
    if scheduler == "constant":
        scheduler = "constant_with_warmup"
    elif scheduler == "warmup_stable_decay":
        scheduler_kwargs = {"num_decay_steps": math.ceil(cfg.decay_ratio * cfg.max_steps)}
    bf16 = train_dtype(cfg.precision) == torch.bfloat16
    return dict(
        output_dir=str(ctx.trainer_dir),
        max_steps=cfg.max_steps,
        learning_rate=cfg.learning_rate,
        lr_scheduler_type=scheduler,
        lr_scheduler_kwargs=scheduler_kwargs,
        warmup_steps=math.ceil(cfg.warmup_ratio * cfg.max_steps),
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        per_device_train_batch_size=cfg.per_device_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        logging_steps=cfg.logging_steps,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        seed=ctx.seed,
        data_seed=ctx.seed,
        bf16=bf16,
        gradient_checkpointing=cfg.gradient_checkpointing,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
        logging_nan_inf_filter=False,  # a NaN must show, not be filtered away
    )


class StageCallback(TrainerCallback):
    """Writes every Trainer log to metrics.jsonl and shows progress on the terminal."""

    def __init__(self, ctx: StageContext, total_steps: int, extra_metrics=None):
        self.ctx = ctx
        self.progress = Progress(ctx.name, total_steps)
        self.extra_metrics = extra_metrics  # optional callable(step) -> dict merged into each log line

    def on_train_begin(self, args, state, control, **kwargs):
        # Resuming: lines logged after the checkpoint we resume from will be logged again.
        self.ctx.metrics.truncate_after(state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        values = {k: v for k, v in (logs or {}).items() if not any(c in k for c in CLOCK_KEYS)}
        if not values:
            return
        if self.extra_metrics:
            values.update(self.extra_metrics(state.global_step))
        self.ctx.metrics.log(state.global_step, **values)
        shown = {k: values[k] for k in ("loss", "eval_loss", "reward", "rewards/accuracies") if k in values}
        self.progress.update(state.global_step, **shown)


def train(trainer, ctx: StageContext):
    """Train, resuming from the newest complete trainer checkpoint of an earlier attempt."""
    resume = ctx.resume_from()
    if resume is not None:
        ctx.log(f"resuming from {resume}")
    return trainer.train(resume_from_checkpoint=str(resume) if resume else None)


def lora_config(spec: LoraSpec | None):
    """A peft LoraConfig for a recipe's `lora:` section (None: full fine-tuning)."""
    if spec is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=spec.target_modules,
        task_type="CAUSAL_LM",
    )


def quantization_config(spec: LoraSpec | None):
    """bitsandbytes 4-bit NF4 for QLoRA; refuses clearly where it cannot run."""
    if spec is None or not spec.quantize_4bit:
        return None
    if not torch.cuda.is_available():
        raise RuntimeError(
            "lora.quantize_4bit (QLoRA) needs a CUDA GPU: bitsandbytes 4-bit matmuls do not run on this "
            "machine. Set lora.quantize_4bit: false to train LoRA on full-precision weights."
        )
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def save_final(model, tokenizer, ctx: StageContext) -> Path:
    """Save the stage's checkpoint. A LoRA model keeps its adapter and hands on merged weights."""
    from peft import PeftModel

    if isinstance(model, PeftModel):
        from euro_post.checkpoint import atomic_directory

        with atomic_directory(ctx.stage_dir / "adapter") as tmp:
            model.save_pretrained(tmp)
        model = model.merge_and_unload()
    return ctx.save_checkpoint(model, tokenizer)
