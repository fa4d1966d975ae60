"""Stop bad numbers before they reach the weights.

Non-finite loss or gradient norm: `NonFiniteGuard` is handed every micro-batch's loss and the
step's gradient norm (by EuroTrainerMixin, euro_post/training/trainer.py) and raises
`NonFiniteError` in `on_pre_optimizer_step`, after backward and before `optimizer.step()`, so neither the weights nor the optimizer state ever see the NaN, and
no checkpoint of that state is written (checkpoints are saved after a step ends). The error names
the stage, the step, the micro-batch and what identifies its samples. The losses are checked
once per optimizer step (one device sync), and in a multi-process run the verdict is agreed by
all processes, so they all stop together.
"""

from __future__ import annotations

import hashlib
import math

from transformers import TrainerCallback


class NonFiniteError(RuntimeError):
    """A loss or gradient norm that is NaN or infinite: the run stops before the optimizer step."""


class NonFiniteGuard(TrainerCallback):
    """Stop before the optimizer step when a loss or the gradient norm is not finite."""

    def __init__(self, stage: str, last_checkpoint=None):
        self.stage = stage
        self.last_checkpoint = last_checkpoint  # callable -> the newest complete checkpoint, for the message
        self._losses: list = []  # this step's micro-batch losses, on the device (checked once per step)
        self._batches: list = []  # this step's micro-batches (token ids or rows), described only for the message
        self._grad_norm = None

    def add_loss(self, loss, inputs) -> None:
        """A micro-batch's loss (EuroTrainerMixin.training_step), checked at the optimizer step."""
        self._losses.append(loss.detach().float().reshape(-1)[:1])
        self._batches.append(inputs)  # a reference: described only if this step goes wrong

    def set_grad_norm(self, norm) -> None:
        """The step's gradient norm (EuroTrainerMixin._get_grad_norm). Without it, the guard
        computes the norm itself at the optimizer step."""
        self._grad_norm = norm

    def on_step_begin(self, args, state, control, **kwargs):
        self._losses.clear()
        self._batches.clear()
        self._grad_norm = None

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        import torch

        device = args.device
        losses = torch.cat(self._losses).to(device) if self._losses else torch.zeros(0, device=device)
        norm = self._grad_norm
        if norm is None:
            norm = _total_grad_norm(kwargs["model"])  # a transformers without Trainer._get_grad_norm
        norm = torch.as_tensor(norm, dtype=torch.float32, device=device).reshape(1)
        bad = torch.cat([~torch.isfinite(losses), ~torch.isfinite(norm)]).any().to(torch.int32).reshape(1)
        if _reduce_max(bad) == 0:
            self._batches.clear()
            return
        raise NonFiniteError(self._message(state.global_step + 1, losses.cpu().tolist(), float(norm.item())))

    def _message(self, step: int, losses: list[float], norm: float) -> str:
        what = []
        for index, loss in enumerate(losses):
            if not math.isfinite(loss):
                what.append(f"loss {loss} on micro-batch {index + 1} of {len(losses)} ({describe_batch(self._batches[index])})")
                break
        if not math.isfinite(norm):
            what.append(f"gradient norm {norm}")
        if not what:
            what.append("a non-finite loss or gradient norm on another process")
        checkpoint = self.last_checkpoint() if self.last_checkpoint else None
        resume = f"the last complete checkpoint, {checkpoint}, is intact" if checkpoint else "no checkpoint was written yet"
        return (
            f"stage {self.stage}, step {step}: {'; '.join(what)}. Stopped before the optimizer step: the weights and "
            f"optimizer state are those of step {step - 1} and no checkpoint of this step was written; {resume}. "
            "Lower the learning rate or max_grad_norm, train in fp32 (precision: fp32), or fix this batch's data, "
            "then run again to resume from the last complete checkpoint."
        )


def describe_batch(inputs) -> str:
    """What identifies a micro-batch: its sample ids if it carries them, else a digest of its tokens."""
    rows = inputs if isinstance(inputs, list) else None
    if rows and isinstance(rows[0], dict) and "id" in rows[0]:
        ids = list(dict.fromkeys(str(row["id"]) for row in rows))
        return "sample ids " + ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    if isinstance(inputs, dict):
        if "id" in inputs and isinstance(inputs["id"], (list, tuple)):
            return "sample ids " + ", ".join(str(i) for i in inputs["id"][:8])
        tokens = inputs.get("input_ids")
        if tokens is None:
            tokens = next((v for k, v in inputs.items() if k.endswith("input_ids")), None)
        if hasattr(tokens, "shape"):
            digest = hashlib.sha256(tokens.detach().cpu().numpy().tobytes()).hexdigest()[:12]
            return f"{tuple(tokens.shape)} token ids, sha256 {digest}"
    return f"a batch of type {type(inputs).__name__}"


def _total_grad_norm(model) -> float:
    import torch

    grads = [p.grad.detach().float().norm() for p in model.parameters() if p.grad is not None]
    return float(torch.stack(grads).norm()) if grads else 0.0


def _reduce_max(flag) -> int:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return int(flag.item())
