"""What every trainer-based stage shares: arguments, metrics/progress callback, resume, LoRA.

base_pretrain, sft, preference and rl all run on transformers' Trainer (TRL's trainers are
Trainers), so the glue between a `TrainConfig` and a Trainer lives here, once.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from transformers import TrainerCallback, TrainingArguments
from transformers.trainer_callback import ExportableState

from euro_post.models.loading import train_dtype
from euro_post.pipeline.config import LoraSpec, TrainConfig
from euro_post.pipeline.progress import Progress
from euro_post.pipeline.stage import StageContext
from euro_post.training import log_state

# Trainer log keys that measure the clock, not the training: kept out of metrics.jsonl so
# that two runs with one seed write identical metrics.
CLOCK_KEYS = ("runtime", "per_second", "flos", "step_time")

# transformers renamed `gradient_checkpointing` to `activation_checkpointing` (the old name warns);
# older 5.x releases, as GPU images ship them, know only the old one.
CHECKPOINTING_ARGUMENT = (
    "activation_checkpointing" if "activation_checkpointing" in TrainingArguments.__dataclass_fields__ else "gradient_checkpointing"
)


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
        adam_beta1=cfg.adam_beta1,
        adam_beta2=cfg.adam_beta2,
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
        **{CHECKPOINTING_ARGUMENT: cfg.gradient_checkpointing},
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
        logging_nan_inf_filter=False,  # a NaN must show, not be filtered away
    )


def causal_lm_trainer_loss(trainer, model, inputs: dict, num_items_in_batch=None, fused: str = "auto"):
    """A Trainer's next-token loss through euro_post.models.kernels.causal_lm_loss: liger's fused linear
    cross-entropy on CUDA, the chunked PyTorch one elsewhere, the full logits under fused="off";
    the same number as `model(**inputs).loss` on every path. Shared by base_pretrain and SFT."""
    from euro_post.models.kernels import causal_lm_loss
    from euro_post.training.distributed import through_wrapper

    inputs = dict(inputs)
    inputs["use_cache"] = False  # a cache would make transformers skip a packed-sequence mask
    labels = inputs.pop("labels")
    input_ids, attention_mask, position_ids = (inputs.pop(k, None) for k in ("input_ids", "attention_mask", "position_ids"))
    # Run inside the DDP wrapper's forward so that gradients are averaged across processes.
    loss = through_wrapper(
        model,
        lambda inner: causal_lm_loss(
            inner, input_ids, labels, attention_mask=attention_mask, position_ids=position_ids,
            num_items_in_batch=num_items_in_batch, fused=fused, **inputs,
        ),
    )
    if trainer.args.average_tokens_across_devices and num_items_in_batch is not None:
        loss = loss * trainer.accelerator.num_processes  # DDP averages gradients; the token count spans all ranks
    return loss


class StageCallback(TrainerCallback, ExportableState):
    """Writes every Trainer log to metrics.jsonl and shows progress on the terminal.

    A resumed run writes the lines an uninterrupted one writes: the Trainer's counters between two
    log lines are saved with every checkpoint and put back on resume (euro_post/training/log_state.py),
    and `train_loss` is the mean over every step, not only over those after the resume."""

    def __init__(self, ctx: StageContext, total_steps: int, extra_metrics=None):
        self.ctx = ctx
        self.progress = Progress(ctx.name, total_steps)
        self.extra_metrics = extra_metrics  # optional callable(step) -> dict merged into each log line
        self.resumed_counters = False  # the counters of the checkpoint resumed from were put back
        self.unlogged_loss: tuple[int, float] | None = None  # (step, loss since the last log, mean over processes)

    def trainer(self):
        """The Trainer this callback belongs to (the running stage's), or None."""
        from euro_post.training import sharded_weights

        trainer = sharded_weights.active_trainer()
        return trainer if trainer is not None and self in trainer.callback_handler.callbacks else None

    def state(self) -> dict:
        # Called by the Trainer as it saves a checkpoint: stored in its trainer_state.json.
        trainer = self.trainer()
        step = trainer.state.global_step if trainer is not None else 0
        pending = self.unlogged_loss[1] if self.unlogged_loss and self.unlogged_loss[0] == step else None
        return {"args": {}, "attributes": {"log_state": log_state.capture(trainer, step, pending)}}

    def on_train_begin(self, args, state, control, **kwargs):
        # Resuming: lines logged after the checkpoint we resume from will be logged again.
        if state.is_world_process_zero:
            self.ctx.metrics.truncate_after(state.global_step)
        name = type(self).__name__
        saved = state.stateful_callbacks.get(name) or {}
        trainer = self.trainer()
        if state.global_step > 0 and trainer is not None:
            self.resumed_counters = log_state.restore(trainer, saved.get("attributes", {}).get("log_state"), state.global_step)
            if not self.resumed_counters and state.is_world_process_zero:
                self.ctx.log("the checkpoint has no saved log counters: the first loss after the resume and "
                             "train_loss average only the steps trained from here")
        state.stateful_callbacks.setdefault(name, {})  # a checkpoint saved without it: the Trainer's next save needs the key

    def on_step_end(self, args, state, control, **kwargs):
        from euro_post.training import distributed

        trainer = self.trainer()
        if distributed.is_distributed() and trainer is not None:
            # Each process's loss since the last log differs; the checkpoint keeps their mean, which
            # every process resumes from (the Trainer logs the mean over processes).
            losses = distributed.gather(log_state.unlogged_loss(trainer))
            self.unlogged_loss = (state.global_step, sum(losses) / len(losses))

    def on_log(self, args, state, control, logs=None, **kwargs):
        # Every process of a multi-process run gets on_log; only the main one writes.
        if not state.is_world_process_zero:
            return
        values = {k: v for k, v in (logs or {}).items() if not any(c in k for c in CLOCK_KEYS)}
        if not values:
            return
        if "train_loss" in values and self.resumed_counters:
            values["train_loss"] = log_state.train_loss(self.trainer(), state.global_step)
        if self.extra_metrics:
            values.update(self.extra_metrics(state.global_step))
        self.ctx.metrics.log(state.global_step, **values)
        shown = {k: values[k] for k in ("loss", "eval_loss", "reward", "rewards/accuracies") if k in values}
        self.progress.update(state.global_step, **shown)


def train(trainer, ctx: StageContext):
    """Train a stage's trainer (an EuroTrainerMixin), resuming from the newest complete trainer
    checkpoint of an earlier attempt: `EuroTrainerMixin.train_stage` (euro_post/training/trainer.py)."""
    return trainer.train_stage(ctx)


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


def save_final(model, tokenizer, ctx: StageContext, trainer=None) -> Path:
    """Save the stage's checkpoint. A LoRA model keeps its adapter and hands on merged weights.

    Under many processes every process calls this: sharded weights (FSDP, DeepSpeed ZeRO-3)
    are gathered with all of them taking part, only the main process writes, and every
    process returns once the checkpoint is complete. `trainer` defaults to the one `train` ran."""
    from peft import PeftModel

    from euro_post.training import distributed, sharded_weights

    if distributed.is_distributed():
        model = sharded_weights.full_model_for_saving(model, trainer)
        if not distributed.is_main_process():
            return ctx.save_checkpoint(model, tokenizer)  # writes nothing; waits for the main process
    if isinstance(model, PeftModel):
        from euro_post.pipeline.checkpoint_io import atomic_directory

        with atomic_directory(ctx.stage_dir / "adapter") as tmp:
            model.save_pretrained(tmp)
        if is_quantized(model.get_base_model()):
            model = merge_into_full_precision(model, ctx.stage_dir / "adapter")
        else:
            model = model.merge_and_unload()
    return ctx.save_checkpoint(model, tokenizer)


def is_quantized(model) -> bool:
    return (
        getattr(model, "hf_quantizer", None) is not None
        or getattr(model, "is_loaded_in_4bit", False)
        or getattr(model, "is_loaded_in_8bit", False)
    )


def merge_into_full_precision(model, adapter_dir: Path):
    """QLoRA: merging into the 4-bit base would hand on a 4-bit checkpoint (rounded again, and
    loadable only with bitsandbytes on CUDA). Reload the base unquantized and merge the adapter
    into that instead; embeddings and LM head (never quantized) come from the trained model, so
    rows added for new tokens survive."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base_path = model.peft_config[model.active_adapter].base_model_name_or_path
    if not base_path:
        raise ValueError("cannot merge a QLoRA adapter: the adapter does not name its base checkpoint")
    trained = model.get_base_model()
    # The trained model carries an auto_map only if its stage was allowed to run custom code.
    remote = bool(getattr(trained.config, "auto_map", None))
    base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.bfloat16, trust_remote_code=remote)
    base.resize_token_embeddings(trained.get_input_embeddings().num_embeddings)
    with torch.no_grad():
        base.get_input_embeddings().weight.copy_(trained.get_input_embeddings().weight)
        if not base.config.get_text_config().tie_word_embeddings:
            base.get_output_embeddings().weight.copy_(trained.get_output_embeddings().weight)
    base.config.eos_token_id, base.config.pad_token_id = trained.config.eos_token_id, trained.config.pad_token_id
    base.generation_config = trained.generation_config
    return PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
