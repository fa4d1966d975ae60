"""Per-token log-probabilities (and entropy) of ``hidden @ weight.T``, chunk by chunk.

DPO needs the summed log-probs of chosen and rejected completions; GRPO needs per-token
log-probs (and often the entropy) under a sampling temperature. Both flow into arbitrary
losses, so unlike cross-entropy the upstream gradient is per token and unknown in forward.
This function therefore works like activation checkpointing: forward keeps only the
per-row log-sum-exp (and entropy), and backward recomputes each chunk's logits to form the
gradient. Memory: O(chunk x vocab) transient plus O(tokens) saved; compute: the LM head
matmul runs twice in forward+backward instead of once.

Rows whose label is ``ignore_index`` get log-prob 0 and entropy 0 and are never computed.
"""

from __future__ import annotations

import torch

from euro_post.models.kernels.chunk_ops import (
    accumulation_dtype,
    addmm_accumulate,
    apply_softcap,
    autocast_off,
    chunk_logits,
    common_operands,
    resolve_chunk_size,
    select_chunk_steps,
    softcap_grad_,
    validate_linear_inputs,
)


class ChunkedLinearLogProbsFunction(torch.autograd.Function):
    """Autograd function behind :func:`chunked_linear_logprobs` (2-D hidden, 1-D labels)."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, *args):
        with autocast_off(hidden.device):
            return ChunkedLinearLogProbsFunction._forward(ctx, hidden, *args)

    @staticmethod
    def _forward(
        ctx,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        labels: torch.Tensor,
        ignore_index: int,
        temperature: float,
        chunk_size: int | None,
        with_entropy: bool,
        softcap: float | None,
        backend: str | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        ctx.set_materialize_grads(False)
        num_rows = hidden.shape[0]
        acc = accumulation_dtype(hidden.dtype)
        valid_idx = (labels != ignore_index).nonzero().squeeze(1)
        n_valid = valid_idx.numel()
        chunk = resolve_chunk_size(n_valid, weight.shape[0], chunk_size, hidden.shape[1])
        forward_step, _ = select_chunk_steps(hidden.device, hidden.dtype, backend)
        logp = torch.zeros(num_rows, dtype=acc, device=hidden.device)
        entropy = torch.zeros(num_rows if with_entropy else 0, dtype=acc, device=hidden.device)
        lse = torch.empty(n_valid, dtype=acc, device=hidden.device)
        for start in range(0, n_valid, chunk):
            rows = valid_idx[start : start + chunk]
            h = hidden.index_select(0, rows)
            logits = apply_softcap(chunk_logits(h, weight, bias), softcap)
            chunk_logp, chunk_lse, chunk_entropy = forward_step(
                logits, labels.index_select(0, rows), temperature, with_entropy, inplace=True
            )
            del logits
            logp.index_copy_(0, rows, chunk_logp.to(acc))
            lse[start : start + chunk] = chunk_lse
            if with_entropy:
                entropy.index_copy_(0, rows, chunk_entropy.to(acc))
        ctx.save_for_backward(hidden, weight, bias, labels, valid_idx, lse, entropy)
        ctx.settings = (temperature, chunk, with_entropy, softcap, backend)
        if not with_entropy:
            ctx.mark_non_differentiable(entropy)
        return logp, entropy

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_logp: torch.Tensor | None, grad_entropy: torch.Tensor | None):
        with autocast_off(grad_logp.device if grad_logp is not None else grad_entropy.device):
            return ChunkedLinearLogProbsFunction._backward(ctx, grad_logp, grad_entropy)

    @staticmethod
    def _backward(ctx, grad_logp: torch.Tensor | None, grad_entropy: torch.Tensor | None):
        hidden, weight, bias, labels, valid_idx, lse, entropy = ctx.saved_tensors
        temperature, chunk, with_entropy, softcap, backend = ctx.settings
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        nones = (None,) * 7
        if grad_logp is None and (grad_entropy is None or not with_entropy):
            return None, None, None, *nones
        acc = accumulation_dtype(hidden.dtype)
        if grad_logp is None:
            grad_logp = torch.zeros(hidden.shape[0], dtype=acc, device=hidden.device)
        if not with_entropy:
            grad_entropy = None
        _, backward_step = select_chunk_steps(hidden.device, hidden.dtype, backend)
        grad_hidden = torch.zeros_like(hidden) if need_hidden else None
        grad_weight = torch.zeros(weight.shape, dtype=acc, device=weight.device) if need_weight else None
        grad_bias = (
            torch.zeros(weight.shape[0], dtype=acc, device=weight.device) if need_bias and bias is not None else None
        )
        for start in range(0, valid_idx.numel(), chunk):
            rows = valid_idx[start : start + chunk]
            h = hidden.index_select(0, rows)
            logits = apply_softcap(chunk_logits(h, weight, bias), softcap)
            grad = backward_step(
                logits,
                labels.index_select(0, rows),
                lse[start : start + chunk],
                grad_logp.index_select(0, rows),
                temperature,
                entropy.index_select(0, rows) if grad_entropy is not None else None,
                grad_entropy.index_select(0, rows) if grad_entropy is not None else None,
                inplace=softcap is None,
            )
            grad = softcap_grad_(grad, logits, softcap)
            del logits
            if grad_hidden is not None:
                grad_hidden.index_copy_(0, rows, grad.to(h.dtype) @ weight)
            if grad_weight is not None:
                addmm_accumulate(grad_weight, grad.t(), h)
            if grad_bias is not None:
                grad_bias += grad.sum(dim=0, dtype=acc)
            del grad
        return (
            grad_hidden,
            None if grad_weight is None else grad_weight.to(weight.dtype),
            None if grad_bias is None else grad_bias.to(bias.dtype),
            *nones,
        )


def chunked_linear_logprobs(
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
    backend: str | None = None,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """``log softmax(hidden @ weight.T / temperature)[label]`` per token, never holding all logits.

    Args:
        hidden: ``(..., H)``; weight ``(V, H)``; bias optional ``(V,)``.
        labels: ``(...)`` target ids, the leading shape of ``hidden``; ``ignore_index`` rows
            give 0 (log-prob and entropy) and are not computed.
        temperature: logits are divided by it (GRPO samples at a temperature and scores the
            samples under the same one).
        return_entropy: also return the entropy of each row's distribution (differentiable).
        logit_softcap: ``c * tanh(logits / c)`` before the temperature, as Gemma 2 does.
        chunk_size, backend: as in :func:`chunked_linear_cross_entropy`.

    Returns ``logp`` (fp32 for half-precision inputs, shape of ``labels``), or
    ``(logp, entropy)`` with ``return_entropy``. Differentiable w.r.t. hidden, weight and bias.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if logit_softcap is not None and logit_softcap <= 0:
        raise ValueError(f"logit_softcap must be positive, got {logit_softcap}")
    validate_linear_inputs(hidden, weight, labels, bias, ignore_index)
    hidden, weight, bias = common_operands(hidden, weight, bias)
    logp, entropy = ChunkedLinearLogProbsFunction.apply(
        hidden.reshape(-1, hidden.shape[-1]), weight, bias, labels.reshape(-1).long(), ignore_index,
        float(temperature), chunk_size, bool(return_entropy), logit_softcap, backend,
    )  # fmt: skip
    logp = logp.view(labels.shape)
    return (logp, entropy.view(labels.shape)) if return_entropy else logp
