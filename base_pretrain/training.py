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

import torch
from euro_post.base_pretrain.corpus import Blocks
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
