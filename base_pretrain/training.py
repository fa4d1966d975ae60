"""The pretraining Trainer: the fused LM-head loss, and validation loss per language.

Unless the recipe's `fused_loss` is "off", the loss goes through euro_post.models.kernels
(`trainer_setup.causal_lm_trainer_loss`, as in SFT): liger's fused linear cross-entropy on CUDA,
the chunked PyTorch one on CPU, so the (batch, block, vocab) logits tensor never exists. On CPU
the chunked path is also the fastest: the default recipe's cpu-small steps of 16 x 256 tokens
take 0.7 s on 2 cores, against 1.3 s through TRL's generic fused head (used here before), as the
SFT loss paths in docs/benchmarks.md order the same way.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import torch
from euro_post.base_pretrain.corpus import Blocks
from euro_post.base_pretrain.stream import StreamingBlocks
from transformers import Trainer, TrainerCallback

from euro_post.models.kernels import causal_lm_loss
from euro_post.training import trainer_setup
from euro_post.training.trainer import EuroTrainerMixin


class PretrainTrainer(EuroTrainerMixin, Trainer):
    """A transformers Trainer whose loss follows the recipe's `fused_loss` switch (and what every
    euro-post trainer adds: euro_post/training/trainer.py)."""

    def __init__(self, *args, fused_loss: str = "auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.fused_loss = fused_loss

    # -- a streamed corpus's data position, saved with every trainer checkpoint ------------------------
    # The stream (stream.py) reads ahead of training; the position saved is the one after the blocks
    # the optimizer has taken. Written before the completion marker, so the marker hashes it.
    def _streaming(self) -> StreamingBlocks | None:
        return self.train_dataset if isinstance(self.train_dataset, StreamingBlocks) else None

    def _save_checkpoint_files(self, model, trial=None) -> None:
        super()._save_checkpoint_files(model, trial)
        stream = self._streaming()
        if stream is not None:
            args = self.args
            blocks = self.state.global_step * args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
            folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
            stream.save_position(folder, blocks, rank=args.process_index)

    def train(self, resume_from_checkpoint=None, *args, **kwargs):
        stream = self._streaming()
        if stream is not None and isinstance(resume_from_checkpoint, (str, os.PathLike)):
            stream.load_position(resume_from_checkpoint, rank=self.args.process_index)
        return super().train(resume_from_checkpoint, *args, **kwargs)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.fused_loss == "off":
            return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        loss = trainer_setup.causal_lm_trainer_loss(self, model, inputs, num_items_in_batch, fused=self.fused_loss)
        return (loss, None) if return_outputs else loss


@torch.no_grad()
def validation_losses(
    model, blocks: dict[str, Blocks], batch_size: int, bf16: bool = False, fused: str = "auto"
) -> dict[str, float]:
    """Mean next-token loss over each language's held-out blocks (token-weighted)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    losses = {}
    try:
        for lang in sorted(blocks):
            total, count = 0.0, 0
            lang_blocks = blocks[lang]
            for start in range(0, len(lang_blocks), batch_size):
                input_ids = lang_blocks.input_ids[start : start + batch_size].long().to(device)
                lengths = lang_blocks.lengths[start : start + batch_size].to(device)
                positions = torch.arange(input_ids.shape[1], device=device)
                labels = input_ids.masked_fill(positions[None, :] >= lengths[:, None], -100)
                targets = int((labels[:, 1:] != -100).sum())
                if targets == 0:
                    continue
                with autocast:
                    loss = causal_lm_loss(model, input_ids, labels, fused=fused, use_cache=False)
                total += float(loss) * targets
                count += targets
            if count:
                losses[lang] = total / count
    finally:
        model.train(was_training)
    return losses


def validation_record(losses: dict[str, float]) -> dict[str, float]:
    """metrics.jsonl fields: `eval/loss_<lang>` for each language and `eval/loss`, their plain mean."""
    record = {f"eval/loss_{lang}": round(loss, 6) for lang, loss in losses.items()}
    if losses:
        record["eval/loss"] = round(sum(losses.values()) / len(losses), 6)
    return record


class ValidationCallback(TrainerCallback):
    """Every `eval_steps` optimizer steps (and at the last), score the held-out blocks of every language."""

    def __init__(self, ctx, blocks: dict[str, Blocks], eval_steps: int, batch_size: int, bf16: bool):
        self.ctx = ctx
        self.blocks = blocks
        self.eval_steps = eval_steps
        self.batch_size = batch_size
        self.bf16 = bf16
        self.last_step: int | None = None
        self.last_losses: dict[str, float] = {}

    def evaluate(self, model, step: int, is_main: bool = True) -> dict[str, float]:
        losses = validation_losses(model, self.blocks, self.batch_size, self.bf16, self.ctx.fused_loss)
        self.last_step, self.last_losses = step, losses
        if is_main and losses:
            record = validation_record(losses)
            self.ctx.metrics.log(step, **record)
            worst = max(losses, key=losses.get)
            self.ctx.log(f"step {step}: validation loss {record['eval/loss']:.4f} (worst {worst} {losses[worst]:.4f})")
        return losses

    def on_step_end(self, args, state, control, model=None, **kwargs):
        step = state.global_step
        if self.blocks and (step % self.eval_steps == 0 or step == state.max_steps):
            self.evaluate(model, step, state.is_world_process_zero)
