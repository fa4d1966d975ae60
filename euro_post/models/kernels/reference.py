"""Plain reference implementations: full logits, ``F.cross_entropy`` / ``log_softmax``.

These are what the fused paths must equal. They are also what ``fused="off"`` runs, so a
run can always be repeated without any fused kernel to rule the kernels out. They follow
transformers' conventions: logits in the model's dtype, upcast to fp32 before the softmax.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from euro_post.models.kernels.chunk_ops import accumulation_dtype, apply_softcap, validate_linear_inputs


def reference_cross_entropy(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    num_items_in_batch: torch.Tensor | int | float | None = None,
    logit_softcap: float | None = None,
) -> torch.Tensor:
    """Cross-entropy of materialised ``logits`` ``(..., V)``; the contract of the fused functions."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if num_items_in_batch is not None and reduction != "mean":
        raise ValueError(f"num_items_in_batch only applies to reduction='mean', got reduction={reduction!r}")
    logits = apply_softcap(logits.to(accumulation_dtype(logits.dtype)), logit_softcap)
    flat_logits = logits.reshape(-1, logits.shape[-1])
    flat_labels = labels.reshape(-1).long()
    if num_items_in_batch is not None:
        total = F.cross_entropy(flat_logits, flat_labels, ignore_index=ignore_index, reduction="sum")
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(total.device)
        return total / num_items_in_batch
    loss = F.cross_entropy(flat_logits, flat_labels, ignore_index=ignore_index, reduction=reduction)
    return loss.view(labels.shape) if reduction == "none" else loss


def reference_logprobs(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    temperature: float = 1.0,
    ignore_index: int = -100,
    return_entropy: bool = False,
    logit_softcap: float | None = None,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Label log-probs (and entropy) of materialised ``logits`` ``(..., V)``; 0 on ignored rows."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    logits = apply_softcap(logits.to(accumulation_dtype(logits.dtype)), logit_softcap) / temperature
    log_probs = logits.log_softmax(dim=-1)
    valid = labels != ignore_index
    safe_labels = labels.long().masked_fill(~valid, 0)
    zero = log_probs.new_zeros(())
    token_logp = torch.where(valid, log_probs.gather(-1, safe_labels.unsqueeze(-1)).squeeze(-1), zero)
    if not return_entropy:
        return token_logp
    entropy = -(log_probs.exp() * log_probs).sum(dim=-1)
    return token_logp, torch.where(valid, entropy, zero)


def _reference_logits(hidden, weight, bias):
    return F.linear(hidden.to(weight.dtype), weight, None if bias is None else bias.to(weight.dtype))


def reference_linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    *,
    bias: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    num_items_in_batch: torch.Tensor | int | float | None = None,
    logit_softcap: float | None = None,
) -> torch.Tensor:
    """Same contract as :func:`~euro_post.models.kernels.chunked_linear_cross_entropy`, via full logits."""
    validate_linear_inputs(hidden, weight, labels, bias, ignore_index)
    return reference_cross_entropy(
        _reference_logits(hidden, weight, bias),
        labels,
        ignore_index=ignore_index,
        reduction=reduction,
        num_items_in_batch=num_items_in_batch,
        logit_softcap=logit_softcap,
    )


def reference_linear_logprobs(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    *,
    bias: torch.Tensor | None = None,
    temperature: float = 1.0,
    ignore_index: int = -100,
    return_entropy: bool = False,
    logit_softcap: float | None = None,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Same contract as :func:`~euro_post.models.kernels.chunked_linear_logprobs`, via full logits."""
    validate_linear_inputs(hidden, weight, labels, bias, ignore_index)
    return reference_logprobs(
        _reference_logits(hidden, weight, bias),
        labels,
        temperature=temperature,
        ignore_index=ignore_index,
        return_entropy=return_entropy,
        logit_softcap=logit_softcap,
    )
