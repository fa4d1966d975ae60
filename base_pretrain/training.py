"""The pretraining Trainer: the fused LM-head loss, and validation loss per language.

With the fused loss on, TRL's `add_fused_lm_head` projects hidden states through the LM head
in chunks and returns per-token log-probabilities, so the (batch, block, vocab) logits tensor
never exists; `compute_loss` reads its `.loss`, normalised by the tokens of the whole
accumulated batch (`num_items_in_batch`) like the model's own loss.
"""

from __future__ import annotations

import contextlib

import torch
from transformers import Trainer, TrainerCallback

from euro_post.base_pretrain.corpus import Blocks


def use_fused_loss(setting: str) -> bool:
    """The recipe's `fused_loss` switch: "auto" and "on" use the fused head, "off" the model's own loss."""
    return setting != "off"


def add_fused_head(model) -> None:
    from trl.trainer.utils import add_fused_lm_head

    add_fused_lm_head(model)
    model._euro_post_fused_head = True


def has_fused_head(model) -> bool:
    return getattr(model, "_euro_post_fused_head", False)


class PretrainTrainer(Trainer):
    """A transformers Trainer whose loss goes through the fused LM head when the model has one."""

    def __init__(self, *args, fused_lm_head: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fused_lm_head = fused_lm_head

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if not self.fused_lm_head:
            return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        outputs = model(**inputs, fused_lm_head=True, num_items_in_batch=num_items_in_batch)
        loss = outputs.loss
        # As in Trainer.compute_loss: num_items_in_batch counts every rank's tokens and DDP
        # averages gradients over ranks, so scale back up by the number of data-parallel ranks.
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * (self.accelerator.num_processes // self.get_tp_size())
        return (loss, outputs) if return_outputs else loss


@torch.no_grad()
def validation_losses(model, blocks: dict[str, Blocks], batch_size: int, bf16: bool = False) -> dict[str, float]:
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
                    if has_fused_head(model):
                        loss = model(input_ids=input_ids, labels=labels, fused_lm_head=True).loss
                    else:
                        loss = model(input_ids=input_ids, labels=labels, use_cache=False).loss
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
        losses = validation_losses(model, self.blocks, self.batch_size, self.bf16)
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
