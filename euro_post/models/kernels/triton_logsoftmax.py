"""Triton kernels for the chunk step: logits -> log-softmax -> label log-prob, entropy, gradient.

liger-kernel fuses the LM head with cross-entropy, but it has no differentiable, temperature
aware "log-prob of the label plus entropy" step that never sees the full logits: its
``fused_selective_log_softmax`` runs without gradient on materialised logits. DPO and GRPO need
exactly that step with gradients, so it lives here.

One program handles one row of a chunk and streams over the vocabulary in ``BLOCK`` columns:

* forward: online max / sum-exp (and the entropy's ``sum p * z`` term, rescaled like the
  sum when the running max moves), then ``logp = z[label] - lse``;
* backward: ``dz = g_logp * onehot - p * (g_logp + g_ent * (log p + entropy))``, divided by the
  temperature, written in place over the logits when the caller allows it.

The Python wrappers have the same signatures as the PyTorch reference steps in
:mod:`euro_post.models.kernels.chunk_ops`, so the chunked functions can use either. Under
``TRITON_INTERPRET=1`` they also run on CPU tensors, which is how the tests check them. Rows
must carry valid labels (the callers drop ignored rows before calling).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

# Columns per iteration; 4096 fp32 values stay in registers on current GPUs.
MAX_BLOCK = 4096


@triton.jit
def _logprob_forward_kernel(
    LOGITS,
    logits_row_stride,
    LABELS,
    LOGP,
    LSE,
    ENTROPY,
    n_cols,
    temperature,
    WITH_ENTROPY: tl.constexpr,
    BLOCK: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)
    row_ptr = LOGITS + row * logits_row_stride
    run_max = float("-inf")
    run_sum = 0.0
    run_dot = 0.0  # sum_j exp(z_j - run_max) * (z_j - run_max)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        in_row = cols < n_cols
        z = tl.load(row_ptr + cols, mask=in_row, other=float("-inf")).to(tl.float32) / temperature
        new_max = tl.maximum(run_max, tl.max(z, axis=0))
        rescale = tl.exp(run_max - new_max)
        exp = tl.where(in_row, tl.exp(z - new_max), 0.0)
        if WITH_ENTROPY:
            shifted = tl.where(in_row, z - new_max, 0.0)
            # moving the max by d = run_max - new_max turns e*(z - m) into e'*(z - m') with
            # e' = e * rescale and (z - m') = (z - m) + d; on the first block run_max is -inf
            # and run_sum is 0, so use d = 0 there instead of -inf * 0
            shift_term = (tl.where(run_sum > 0.0, run_max, new_max) - new_max) * run_sum
            run_dot = rescale * (run_dot + shift_term) + tl.sum(exp * shifted, axis=0)
        run_sum = run_sum * rescale + tl.sum(exp, axis=0)
        run_max = new_max
    log_sum = tl.log(run_sum)
    lse = run_max + log_sum
    label = tl.load(LABELS + row).to(tl.int64)
    z_label = tl.load(row_ptr + label).to(tl.float32) / temperature
    tl.store(LOGP + row, z_label - lse)
    tl.store(LSE + row, lse)
    if WITH_ENTROPY:
        tl.store(ENTROPY + row, log_sum - run_dot / run_sum)


@triton.jit
def _logprob_backward_kernel(
    LOGITS,
    logits_row_stride,
    GRAD,
    grad_row_stride,
    LABELS,
    LSE,
    GRAD_LOGP,
    ENTROPY,
    GRAD_ENTROPY,
    n_cols,
    temperature,
    WITH_ENTROPY: tl.constexpr,
    BLOCK: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)
    row_ptr = LOGITS + row * logits_row_stride
    grad_ptr = GRAD + row * grad_row_stride
    lse = tl.load(LSE + row)
    g_logp = tl.load(GRAD_LOGP + row)
    label = tl.load(LABELS + row).to(tl.int64)
    if WITH_ENTROPY:
        entropy = tl.load(ENTROPY + row)
        g_ent = tl.load(GRAD_ENTROPY + row)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        in_row = cols < n_cols
        z = tl.load(row_ptr + cols, mask=in_row, other=0.0).to(tl.float32) / temperature
        log_p = z - lse
        p = tl.exp(log_p)
        if WITH_ENTROPY:
            coeff = g_logp + g_ent * (log_p + entropy)
        else:
            coeff = g_logp
        grad = -p * coeff
        grad = tl.where(cols == label, grad + g_logp, grad)
        grad = grad / temperature
        # each element is read before it is written by the same program: in place is safe
        tl.store(grad_ptr + cols, grad.to(GRAD.dtype.element_ty), mask=in_row)


def _block_size(n_cols: int) -> int:
    return min(MAX_BLOCK, triton.next_power_of_2(max(n_cols, 16)))


def _row_major(x: torch.Tensor) -> torch.Tensor:
    return x if x.stride(-1) == 1 else x.contiguous()


def logprob_chunk_forward(
    logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
    inplace: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Triton twin of :func:`euro_post.models.kernels.chunk_ops.logprob_chunk_forward` (fp32 outputs).

    The kernel only reads ``logits``; ``inplace`` is accepted for the shared signature.
    """
    logits = _row_major(logits)
    rows, n_cols = logits.shape
    labels = labels.contiguous()
    logp = torch.empty(rows, dtype=torch.float32, device=logits.device)
    lse = torch.empty_like(logp)
    entropy = torch.empty_like(logp) if with_entropy else None
    if rows:
        _logprob_forward_kernel[(rows,)](
            logits,
            logits.stride(0),
            labels,
            logp,
            lse,
            entropy if with_entropy else logp,  # unused pointer when WITH_ENTROPY is off
            n_cols,
            float(temperature),
            WITH_ENTROPY=with_entropy,
            BLOCK=_block_size(n_cols),
        )
    return logp, lse, entropy


def logprob_chunk_backward(
    logits: torch.Tensor,
    labels: torch.Tensor,
    lse: torch.Tensor,
    grad_logp: torch.Tensor,
    temperature: float = 1.0,
    entropy: torch.Tensor | None = None,
    grad_entropy: torch.Tensor | None = None,
    inplace: bool = False,
) -> torch.Tensor:
    """Triton twin of :func:`euro_post.models.kernels.chunk_ops.logprob_chunk_backward`.

    With ``inplace`` the gradient overwrites ``logits`` (same dtype, e.g. bf16, which is what
    the following matmuls want); otherwise it goes to a fresh fp32 buffer.
    """
    with_entropy = grad_entropy is not None
    if with_entropy and entropy is None:
        raise ValueError("grad_entropy needs the forward entropy")
    logits = _row_major(logits)
    rows, n_cols = logits.shape
    grad = logits if inplace else torch.empty(rows, n_cols, dtype=torch.float32, device=logits.device)
    f32 = torch.float32
    grad_logp = grad_logp.to(f32).contiguous()
    if rows:
        _logprob_backward_kernel[(rows,)](
            logits,
            logits.stride(0),
            grad,
            grad.stride(0),
            labels.contiguous(),
            lse.to(f32).contiguous(),
            grad_logp,
            entropy.to(f32).contiguous() if with_entropy else grad_logp,
            grad_entropy.to(f32).contiguous() if with_entropy else grad_logp,
            n_cols,
            float(temperature),
            WITH_ENTROPY=with_entropy,
            BLOCK=_block_size(n_cols),
        )
    return grad
