"""One switch for every loss path: ``fused="auto" | "on" | "off"``.

* ``"off"``: the plain reference (full logits, ``F.cross_entropy`` / ``log_softmax``). Use it
  to rule the kernels out when a run misbehaves; it is also the slowest and hungriest path.
* ``"on"``: the fused path, always. Where a model cannot be fused exactly (an LM head wrapper
  we do not know), :mod:`euro_post.models.kernels.causal_lm` raises instead of falling back.
* ``"auto"`` (default): the fused path, falling back to the reference with a warning only in
  those unfusable cases.

The fused path is:

* cross-entropy on CUDA: liger-kernel's ``LigerFusedLinearCrossEntropyFunction`` (Triton),
  imported lazily; without liger, our chunked function with our Triton chunk step;
* cross-entropy elsewhere (CPU): :func:`chunked_linear_cross_entropy` in PyTorch;
* log-probs everywhere: :func:`chunked_linear_logprobs`, whose chunk step is our Triton kernel
  on CUDA. liger has no public differentiable, logits-free log-prob function (its
  ``fused_selective_log_softmax`` is no-grad and takes materialised logits).
"""

from __future__ import annotations

import functools
from typing import Literal

import torch

from euro_post.models.kernels.linear_cross_entropy import chunked_linear_cross_entropy
from euro_post.models.kernels.linear_logprobs import chunked_linear_logprobs
from euro_post.models.kernels.reference import reference_linear_cross_entropy, reference_linear_logprobs

FusedMode = Literal["auto", "on", "off"]
FUSED_MODES = ("auto", "on", "off")


def check_fused_mode(fused: str | bool) -> str:
    """Normalise the switch; booleans are accepted as ``on``/``off`` for config convenience."""
    if fused is True:
        return "on"
    if fused is False:
        return "off"
    if fused not in FUSED_MODES:
        raise ValueError(f"fused must be one of {FUSED_MODES} (or a bool), got {fused!r}")
    return fused


@functools.cache
def liger_available() -> bool:
    try:
        from liger_kernel.transformers.functional import liger_fused_linear_cross_entropy  # noqa: F401
    except Exception:  # missing, or its Triton import fails on this machine
        return False
    return True


def use_liger(fused_loss: str | bool, device_type: str | None = None, log=None) -> bool:
    """Whether a stage turns on liger-kernel's kernels, the one rule of every stage: fused losses
    not switched off, a CUDA device (`device_type`, default: CUDA when there is one), and liger
    importable. A missing liger on CUDA is said through `log`, then training goes on without it."""
    if check_fused_mode(fused_loss) == "off":
        return False
    if (device_type or ("cuda" if torch.cuda.is_available() else "cpu")) != "cuda":
        return False
    if not liger_available():
        if log:
            log("liger-kernel is not installed (or its Triton kernels do not load here): training without its kernels")
        return False
    return True


def apply_liger_layers(model) -> None:
    """liger's layer kernels (RMSNorm, RoPE, SwiGLU: local Triton code, nothing downloaded) on a
    model, in place: what TRL's `use_liger_kernel`, deprecated in favour of kernels fetched from
    the hub, did. liger's fused linear cross-entropy stays off: the trainers bring their own
    fused LM head."""
    from liger_kernel.transformers import _apply_liger_kernel_to_instance

    _apply_liger_kernel_to_instance(model=model, fused_linear_cross_entropy=False)


def liger_linear_cross_entropy(
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
    """liger's fused linear cross-entropy behind our contract (batch dims, num_items_in_batch)."""
    from liger_kernel.transformers.functional import liger_fused_linear_cross_entropy

    if num_items_in_batch is not None and reduction != "mean":
        raise ValueError(f"num_items_in_batch only applies to reduction='mean', got reduction={reduction!r}")
    half = hidden.dtype in (torch.float16, torch.bfloat16)
    loss = liger_fused_linear_cross_entropy(
        hidden.reshape(-1, hidden.shape[-1]),
        weight,
        labels.reshape(-1).long(),
        bias=bias,
        ignore_index=ignore_index,
        reduction="sum" if num_items_in_batch is not None else reduction,
        softcap=logit_softcap,
        accum_dtype=torch.float32 if half else None,  # fp32 weight/bias gradient accumulation
    )
    if num_items_in_batch is not None:
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(loss.device)
        loss = loss / num_items_in_batch
    return loss.view(labels.shape) if reduction == "none" else loss


def fused_linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    *,
    bias: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    chunk_size: int | None = None,
    num_items_in_batch: torch.Tensor | int | float | None = None,
    logit_softcap: float | None = None,
    fused: FusedMode | bool = "auto",
) -> torch.Tensor:
    """Cross-entropy of the LM head, through the path ``fused`` selects (see module doc).

    Arguments as :func:`chunked_linear_cross_entropy`. ``chunk_size`` only applies to the
    chunked path (liger sizes its own chunks).
    """
    mode = check_fused_mode(fused)
    kwargs = dict(
        bias=bias,
        ignore_index=ignore_index,
        reduction=reduction,
        num_items_in_batch=num_items_in_batch,
        logit_softcap=logit_softcap,
    )
    if mode == "off":
        return reference_linear_cross_entropy(hidden, weight, labels, **kwargs)
    if hidden.is_cuda and liger_available():
        return liger_linear_cross_entropy(hidden, weight, labels, **kwargs)
    return chunked_linear_cross_entropy(hidden, weight, labels, chunk_size=chunk_size, **kwargs)


def fused_linear_logprobs(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    *,
    bias: torch.Tensor | None = None,
    temperature: float = 1.0,
    ignore_index: int = -100,
    chunk_size: int | None = None,
    return_entropy: bool = False,
    logit_softcap: float | None = None,
    fused: FusedMode | bool = "auto",
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Per-token label log-probs (and entropy) through the path ``fused`` selects."""
    mode = check_fused_mode(fused)
    kwargs = dict(
        bias=bias,
        temperature=temperature,
        ignore_index=ignore_index,
        return_entropy=return_entropy,
        logit_softcap=logit_softcap,
    )
    if mode == "off":
        return reference_linear_logprobs(hidden, weight, labels, **kwargs)
    return chunked_linear_logprobs(hidden, weight, labels, chunk_size=chunk_size, **kwargs)
