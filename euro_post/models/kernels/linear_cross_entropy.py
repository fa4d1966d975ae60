"""Chunked linear + cross-entropy in plain PyTorch: the logits never exist in full.

``loss = CE(hidden @ weight.T + bias, labels)`` is computed over slices of tokens. For the
``mean`` and ``sum`` reductions the gradients w.r.t. hidden, weight and bias are produced in
the forward pass, slice by slice (the loss is the last op of the graph, so its upstream
gradient is a scalar that backward only has to multiply in); the slice's logits are then
dropped. Peak extra memory is O(chunk x vocab) on top of the unavoidable gradients of hidden
and weight. ``reduction="none"`` has a per-token upstream gradient that must be folded in
before the sum over tokens, so there the gradients are recomputed slice by slice in backward.

Rows whose label is ``ignore_index`` are skipped entirely (no matmul, zero gradient): prompt
and padding tokens cost nothing. Half-precision inputs use fp32 for the softmax, the loss and
the weight/bias gradient accumulators.
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
    cross_entropy_chunk,
    logprob_chunk_forward,
    resolve_chunk_size,
    select_chunk_steps,
    softcap_grad_,
    validate_linear_inputs,
)

REDUCTIONS = ("mean", "sum", "none")


def _cross_entropy_pass(hidden: torch.Tensor, *args, **kwargs):
    """:func:`_cross_entropy_sweep` with autocast off: operands arrive in one dtype already."""
    with autocast_off(hidden.device):
        return _cross_entropy_sweep(hidden, *args, **kwargs)


def _cross_entropy_sweep(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    labels: torch.Tensor,
    valid_idx: torch.Tensor | None,
    row_grad: torch.Tensor | None,
    chunk_size: int,
    softcap: float | None,
    backend: str | None,
    need_hidden: bool,
    need_weight: bool,
    need_bias: bool,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    """One sweep over the valid rows: per-row losses and, if ``row_grad`` is given, gradients.

    ``valid_idx`` holds the rows to score (``None``: all rows). ``row_grad`` is the upstream
    gradient of each valid row's loss, shape ``(n_valid,)``.
    """
    num_rows = hidden.shape[0]
    n_valid = num_rows if valid_idx is None else valid_idx.numel()
    acc = accumulation_dtype(hidden.dtype)
    forward_step, backward_step = select_chunk_steps(hidden.device, hidden.dtype, backend)
    # the PyTorch path has a one-sweep CE chunk; the Triton path keeps its two kernels
    single_sweep = forward_step is logprob_chunk_forward and softcap is None
    losses = torch.empty(n_valid, dtype=acc, device=hidden.device)
    want_grads = row_grad is not None
    grad_hidden = (
        torch.zeros_like(hidden) if want_grads and need_hidden else None
    )  # ignored rows keep their zero gradient
    grad_weight = torch.zeros(weight.shape, dtype=acc, device=weight.device) if want_grads and need_weight else None
    grad_bias = (
        torch.zeros(weight.shape[0], dtype=acc, device=weight.device)
        if want_grads and need_bias and bias is not None
        else None
    )
    for start in range(0, n_valid, chunk_size):
        end = min(start + chunk_size, n_valid)
        if valid_idx is None:
            rows = None
            h = hidden[start:end]
            y = labels[start:end]
        else:
            rows = valid_idx[start:end]
            h = hidden.index_select(0, rows)
            y = labels.index_select(0, rows)
        logits = apply_softcap(chunk_logits(h, weight, bias), softcap)
        if want_grads and single_sweep:
            losses[start:end], grad = cross_entropy_chunk(logits, y, row_grad[start:end])
        else:
            logp, lse, _ = forward_step(logits, y, inplace=not want_grads)
            losses[start:end] = -logp
            if not want_grads:
                continue
            # CE = -logp, so its gradient is the log-prob gradient with grad_logp = -row_grad
            grad = backward_step(logits, y, lse, -row_grad[start:end], inplace=softcap is None)
            grad = softcap_grad_(grad, logits, softcap)
        del logits
        if grad_hidden is not None:
            grad_h = grad.to(h.dtype) @ weight
            if rows is None:
                grad_hidden[start:end] = grad_h
            else:
                grad_hidden.index_copy_(0, rows, grad_h)
            del grad_h
        if grad_weight is not None:
            addmm_accumulate(grad_weight, grad.t(), h)
        if grad_bias is not None:
            grad_bias += grad.sum(dim=0, dtype=acc)
        del grad
    return losses, grad_hidden, grad_weight, grad_bias


class ChunkedLinearCrossEntropyFunction(torch.autograd.Function):
    """Autograd function behind :func:`chunked_linear_cross_entropy` (2-D hidden, 1-D labels)."""

    @staticmethod
    def forward(
        ctx,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        labels: torch.Tensor,
        ignore_index: int,
        reduction: str,
        chunk_size: int | None,
        num_items_in_batch: torch.Tensor | float | None,
        softcap: float | None,
        backend: str | None,
    ) -> torch.Tensor:
        num_rows = hidden.shape[0]
        valid = labels != ignore_index
        valid_idx = valid.nonzero().squeeze(1)  # one host sync; lets every ignored row be skipped
        n_valid = valid_idx.numel()
        if n_valid == num_rows:
            valid_idx = None
        chunk = resolve_chunk_size(n_valid, weight.shape[0], chunk_size, hidden.shape[1])
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        need_any = need_hidden or need_weight or (need_bias and bias is not None)
        acc = accumulation_dtype(hidden.dtype)

        if reduction == "none":
            with torch.no_grad():
                losses, *_ = _cross_entropy_pass(
                    hidden, weight, bias, labels, valid_idx, None, chunk, softcap, backend, False, False, False
                )
            out = torch.zeros(num_rows, dtype=acc, device=hidden.device)
            out = out.index_copy_(0, valid_idx, losses) if valid_idx is not None else losses
            ctx.save_for_backward(hidden, weight, bias, labels, valid_idx)
            ctx.settings = (chunk, softcap, backend, need_hidden, need_weight, need_bias)
            return out

        if reduction == "sum":
            denominator = 1.0
        elif num_items_in_batch is not None:
            denominator = num_items_in_batch
        else:
            denominator = float(n_valid)  # 0 gives a NaN loss, as F.cross_entropy does
        if torch.is_tensor(denominator):
            denominator = denominator.to(device=hidden.device, dtype=acc)
        else:
            denominator = torch.tensor(float(denominator), dtype=acc, device=hidden.device)
        scale = 1.0 / denominator
        row_grad = scale.expand(n_valid).contiguous() if need_any else None
        losses, grad_hidden, grad_weight, grad_bias = _cross_entropy_pass(
            hidden, weight, bias, labels, valid_idx, row_grad, chunk, softcap, backend,
            need_hidden, need_weight, need_bias,
        )  # fmt: skip
        loss = losses.sum() / denominator  # sum, then divide: the order transformers uses
        if need_any:
            # Held on ctx (not saved tensors) so backward can hand them over and scale in place:
            # no second weight-sized buffer at backward time.
            ctx.grads = [
                grad_hidden,
                None if grad_weight is None else grad_weight.to(weight.dtype),
                None if grad_bias is None else grad_bias.to(bias.dtype),
            ]
        return loss

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output: torch.Tensor):
        tail = (None,) * 7
        if hasattr(ctx, "settings"):  # reduction="none": recompute chunk by chunk
            hidden, weight, bias, labels, valid_idx = ctx.saved_tensors
            chunk, softcap, backend, need_hidden, need_weight, need_bias = ctx.settings
            acc = accumulation_dtype(hidden.dtype)
            row_grad = grad_output.to(acc)
            if valid_idx is not None:
                row_grad = row_grad.index_select(0, valid_idx)
            _, grad_hidden, grad_weight, grad_bias = _cross_entropy_pass(
                hidden, weight, bias, labels, valid_idx, row_grad, chunk, softcap, backend,
                need_hidden, need_weight, need_bias,
            )  # fmt: skip
            return (
                grad_hidden,
                None if grad_weight is None else grad_weight.to(weight.dtype),
                None if grad_bias is None else grad_bias.to(bias.dtype),
                None,
                *tail[1:],
            )
        grads = getattr(ctx, "grads", None)
        if grads is None:
            raise RuntimeError(
                "chunked_linear_cross_entropy computes its gradients once, in forward; backward "
                "through the same loss a second time (retain_graph=True) is not supported"
            )
        ctx.grads = None
        scaled = [None if g is None else g.mul_(grad_output.to(g.dtype)) for g in grads]
        return scaled[0], scaled[1], scaled[2], None, *tail[1:]


def chunked_linear_cross_entropy(
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
    backend: str | None = None,
) -> torch.Tensor:
    """Cross-entropy of ``hidden @ weight.T + bias`` against ``labels``, chunk by chunk.

    Args:
        hidden: ``(..., H)`` hidden states; any leading batch dims.
        weight: ``(V, H)`` LM head weight. bias: optional ``(V,)``.
        labels: ``(...)`` class ids, the leading shape of ``hidden``; ``ignore_index`` rows are
            skipped and contribute neither loss nor gradient.
        reduction: ``"mean"`` (over non-ignored tokens), ``"sum"``, or ``"none"`` (per token,
            shape of ``labels``, 0 on ignored tokens).
        chunk_size: tokens per chunk; by default a chunk's logits hold at most the larger of
            :data:`~euro_post.models.kernels.chunk_ops.DEFAULT_CHUNK_ELEMENTS` and ``N * H`` values.
        num_items_in_batch: with ``reduction="mean"``, divide the summed loss by this number
            instead of the local token count, exactly as transformers' ``ForCausalLMLoss``
            does, so gradient accumulation over micro-batches gives the full-batch gradient.
        logit_softcap: apply ``c * tanh(logits / c)`` before the softmax (Gemma 2 style).
        backend: chunk step implementation, ``None`` (Triton on CUDA, PyTorch elsewhere),
            ``"torch"`` or ``"triton"``.

    The loss is fp32 for half-precision inputs (like transformers, which upcasts the logits).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if num_items_in_batch is not None and reduction != "mean":
        raise ValueError(
            f"num_items_in_batch replaces the token count of reduction='mean'; it makes no sense with "
            f"reduction={reduction!r}"
        )
    validate_linear_inputs(hidden, weight, labels, bias, ignore_index)
    if logit_softcap is not None and logit_softcap <= 0:
        raise ValueError(f"logit_softcap must be positive, got {logit_softcap}")
    hidden, weight, bias = common_operands(hidden, weight, bias)
    flat_hidden = hidden.reshape(-1, hidden.shape[-1])
    flat_labels = labels.reshape(-1).long()
    loss = ChunkedLinearCrossEntropyFunction.apply(
        flat_hidden, weight, bias, flat_labels, ignore_index, reduction, chunk_size,
        num_items_in_batch, logit_softcap, backend,
    )  # fmt: skip
    return loss.view(labels.shape) if reduction == "none" else loss
