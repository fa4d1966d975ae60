"""Per-chunk building blocks shared by the chunked loss and log-prob functions.

A "chunk" is a slice of rows (tokens) of the logits, ``(rows, vocab)``. The fused functions
never hold more than one chunk of logits at a time; everything here works on one chunk.

Two steps cover every loss the project needs:

* :func:`logprob_chunk_forward` -- log-sum-exp, the label's log-probability and (optionally)
  the entropy of ``softmax(logits / T)`` per row.
* :func:`logprob_chunk_backward` -- the gradient w.r.t. the raw logits given upstream
  gradients for the label log-probability and the entropy.

Cross-entropy is ``-log p(label)``, so it is the same two steps with ``grad_logp = -weight``;
on the PyTorch path :func:`cross_entropy_chunk` does both in one in-place sweep. On CUDA the
Triton versions in :mod:`euro_post.models.kernels.triton_logsoftmax` replace the two steps; the
interface is identical so the callers do not care which one runs.
"""

from __future__ import annotations

import torch

# Budget for ``chunk_rows * vocab`` when the caller does not choose a chunk size: the larger
# of 2**24 elements (64 MiB per fp32 chunk buffer) and the number of hidden-state values, so
# the transient logits never outgrow the input gradient that must exist anyway, while big
# batches still get chunks large enough to amortise the pass over the weight gradient. The
# fused functions hold one to three such buffers at once.
DEFAULT_CHUNK_ELEMENTS = 1 << 24


def resolve_chunk_size(num_rows: int, vocab_size: int, chunk_size: int | None, hidden_size: int = 0) -> int:
    """Rows per chunk: the caller's choice, else the largest that fits the budget above."""
    if chunk_size is not None:
        if int(chunk_size) < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        return max(1, min(int(chunk_size), max(num_rows, 1)))
    budget = max(DEFAULT_CHUNK_ELEMENTS, num_rows * hidden_size)
    rows = max(1, budget // max(vocab_size, 1))
    if rows >= 8:
        rows -= rows % 8  # multiples of 8 keep matmul tiles aligned
    return max(1, min(rows, max(num_rows, 1)))


def accumulation_dtype(dtype: torch.dtype) -> torch.dtype:
    """fp32 for half precision inputs, the input's own dtype for fp32/fp64."""
    return torch.promote_types(dtype, torch.float32)


def chunk_logits(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``hidden @ weight.T (+ bias)`` for one chunk, in the input dtype (as a plain nn.Linear)."""
    if bias is None:
        return hidden @ weight.t()
    return torch.addmm(bias, hidden, weight.t())


def addmm_accumulate(acc: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> None:
    """``acc += a @ b`` with ``acc`` in fp32 (or fp64) even when ``a``/``b`` are bf16/fp16.

    On CUDA the half precision product accumulates straight into the fp32 buffer through
    ``out_dtype``; elsewhere the (small) operands are upcast, which is exact and costs one
    chunk-sized copy instead of a weight-sized one.
    """
    if a.dtype == acc.dtype and b.dtype == acc.dtype:
        acc.addmm_(a, b)
        return
    if acc.is_cuda and acc.dtype == torch.float32 and a.dtype == b.dtype:
        try:
            torch.addmm(acc, a, b, out_dtype=torch.float32, out=acc)
            return
        except (TypeError, RuntimeError):
            pass  # older torch without out_dtype: fall through to the upcast
    acc.addmm_(a.to(acc.dtype), b.to(acc.dtype))


def _working_copy(logits: torch.Tensor, temperature: float, inplace: bool) -> torch.Tensor:
    """``logits / temperature`` in the accumulation dtype, reusing ``logits`` when allowed."""
    acc = accumulation_dtype(logits.dtype)
    if inplace and logits.dtype == acc:
        work = logits
    else:
        work = logits.to(acc, copy=True)
    return work.div_(temperature) if temperature != 1.0 else work


def logprob_chunk_forward(
    logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
    inplace: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Row-wise statistics of ``softmax(logits / temperature)`` for one chunk.

    ``logits`` (rows, V) in any float dtype, ``labels`` (rows,) valid class ids. Returns
    ``(logp, lse, entropy)`` in the accumulation dtype, where ``lse`` is the log-sum-exp of
    the temperature-scaled logits, ``logp = z[label] - lse`` and ``entropy`` is ``None``
    unless asked for. ``inplace`` lets the step use ``logits`` as scratch space (callers pass
    it when they have no further use for them).
    """
    shifted = _working_copy(logits, temperature, inplace)
    row_max = shifted.amax(dim=1, keepdim=True)
    shifted.sub_(row_max)
    label_shifted = shifted.gather(1, labels.unsqueeze(1)).squeeze(1)
    entropy = None
    if with_entropy:
        exp = shifted.exp()
        sum_exp = exp.sum(dim=1)
        # sum_j e_j * (z_j - max) as a batched dot product: no third (rows, V) buffer
        weighted = torch.bmm(exp.unsqueeze(1), shifted.unsqueeze(2)).view(-1)
        log_sum = sum_exp.log()
        entropy = log_sum - weighted / sum_exp
        del exp, weighted
    else:
        sum_exp = shifted.exp_().sum(dim=1)
        log_sum = sum_exp.log()
    del shifted
    lse = row_max.squeeze(1) + log_sum
    logp = label_shifted - log_sum
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
    """Gradient w.r.t. the raw logits of ``sum(grad_logp * logp + grad_entropy * entropy)``.

    With ``log p = z - lse`` and ``z = logits / T``::

        d logp[y] / dz_j  = 1[j == y] - p_j
        d entropy / dz_j  = -p_j * (log p_j + entropy)

    so ``dz = grad_logp * onehot - p * (grad_logp + grad_entropy * (log p + entropy))`` and the
    result is ``dz / T``, in the accumulation dtype. ``inplace`` allows the gradient to be
    written over ``logits`` (when their dtype allows).
    """
    if grad_entropy is not None and entropy is None:
        raise ValueError("grad_entropy needs the forward entropy")
    acc = accumulation_dtype(logits.dtype)
    log_p = _working_copy(logits, temperature, inplace).sub_(lse.to(acc).unsqueeze(1))
    grad_logp = grad_logp.to(acc)
    if grad_entropy is not None:
        probs = log_p.exp()
        coeff = log_p.add_(entropy.to(acc).unsqueeze(1))
        coeff.mul_(grad_entropy.to(acc).unsqueeze(1)).add_(grad_logp.unsqueeze(1))
        grad = probs.mul_(coeff).neg_()
        del coeff
    else:
        grad = log_p.exp_().mul_(grad_logp.neg().unsqueeze(1))
    grad.scatter_add_(1, labels.unsqueeze(1), grad_logp.unsqueeze(1))
    if temperature != 1.0:
        grad.div_(temperature)
    return grad


def cross_entropy_chunk(
    logits: torch.Tensor, labels: torch.Tensor, grad_loss: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss and logits gradient of cross-entropy in one sweep, overwriting ``logits``.

    PyTorch-path shortcut for the common case: ``loss = lse - z[label]`` and
    ``d loss / dz = (softmax(z) - onehot) * grad_loss``, computed in place on the chunk's own
    logits buffer (one buffer, about six passes over it).
    """
    z = _working_copy(logits, 1.0, inplace=True)
    grad_loss = grad_loss.to(z.dtype)
    row_max = z.amax(dim=1, keepdim=True)
    z.sub_(row_max)
    label_shifted = z.gather(1, labels.unsqueeze(1)).squeeze(1)
    sum_exp = z.exp_().sum(dim=1)
    loss = sum_exp.log() - label_shifted
    z.mul_((grad_loss / sum_exp).unsqueeze(1))
    z.scatter_add_(1, labels.unsqueeze(1), grad_loss.neg().unsqueeze(1))
    return loss, z


def apply_softcap(logits: torch.Tensor, softcap: float | None) -> torch.Tensor:
    """``softcap * tanh(logits / softcap)`` in the accumulation dtype (Gemma-style capping)."""
    if softcap is None:
        return logits
    acc = accumulation_dtype(logits.dtype)
    return torch.tanh(logits.to(acc) / softcap) * softcap  # out of place: the reference backprops it


def softcap_grad_(grad: torch.Tensor, capped: torch.Tensor, softcap: float | None) -> torch.Tensor:
    """Chain rule through the cap, in place on ``grad``; ``capped`` is consumed."""
    if softcap is None:
        return grad
    # d(c * tanh(x / c)) / dx = 1 - tanh(x / c)^2 = 1 - (capped / c)^2
    return grad.mul_(capped.div_(softcap).square_().neg_().add_(1.0))


def validate_linear_inputs(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    labels: torch.Tensor,
    bias: torch.Tensor | None,
    ignore_index: int,
    check_range: bool = True,
) -> None:
    """Clear errors for the shape and label mistakes that would otherwise surface deep in a matmul."""
    if hidden.dim() < 1 or weight.dim() != 2:
        raise ValueError(
            f"expected hidden (..., H) and weight (V, H); got hidden {tuple(hidden.shape)}, weight {tuple(weight.shape)}"
        )
    if hidden.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"hidden size mismatch: hidden {tuple(hidden.shape)} has H={hidden.shape[-1]} but weight "
            f"{tuple(weight.shape)} expects H={weight.shape[1]}"
        )
    if tuple(labels.shape) != tuple(hidden.shape[:-1]):
        raise ValueError(
            f"labels must have the leading shape of hidden: labels {tuple(labels.shape)}, "
            f"hidden {tuple(hidden.shape)} (expected labels {tuple(hidden.shape[:-1])})"
        )
    if labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8, torch.int8):
        raise ValueError(f"labels must be an integer tensor, got {labels.dtype}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    # The range check needs a host sync; CUDA callers rely on the kernels' own asserts instead.
    if check_range and not labels.is_cuda and labels.numel() > 0:
        valid = labels[labels != ignore_index]
        if valid.numel() and (int(valid.min()) < 0 or int(valid.max()) >= weight.shape[0]):
            raise ValueError(
                f"labels out of range: found values in [{int(valid.min())}, {int(valid.max())}] but the "
                f"vocabulary has {weight.shape[0]} entries (ignore_index={ignore_index})"
            )


def common_operands(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Bring hidden, weight and bias to one compute dtype before entering a chunked function.

    Under autocast that is the autocast dtype (what ``nn.Linear`` would compute in; the
    functions then run with autocast off so every chunk sees consistent dtypes). Otherwise it
    is the weight's dtype: a mixed pair casts the small operand, never the weight.
    """
    device_type = hidden.device.type
    try:
        autocast_on = torch.is_autocast_enabled(device_type)
    except (TypeError, RuntimeError):  # device types without autocast support
        autocast_on = False
    target = torch.get_autocast_dtype(device_type) if autocast_on else weight.dtype
    if not target.is_floating_point:
        target = weight.dtype
    hidden = hidden if hidden.dtype == target else hidden.to(target)
    weight = weight if weight.dtype == target else weight.to(target)
    if bias is not None and bias.dtype != target:
        bias = bias.to(target)
    return hidden, weight, bias


def autocast_off(device: torch.device):
    """Context that disables autocast on ``device`` inside the chunk loops."""
    return torch.autocast(device_type=device.type, enabled=False)


def select_chunk_steps(device: torch.device, dtype: torch.dtype, backend: str | None):
    """The ``(forward, backward)`` chunk steps to use: Triton on CUDA, PyTorch elsewhere.

    ``backend`` forces one: ``"torch"`` or ``"triton"`` (the latter also runs on CPU tensors
    under ``TRITON_INTERPRET=1``, which is how the tests check the kernels' numerics).
    """
    if backend not in (None, "torch", "triton"):
        raise ValueError(f"backend must be None, 'torch' or 'triton', got {backend!r}")
    if backend is None:
        use_triton = device.type == "cuda" and dtype != torch.float64 and triton_available()
    else:
        use_triton = backend == "triton"
    if not use_triton:
        return logprob_chunk_forward, logprob_chunk_backward
    from euro_post.models.kernels import triton_logsoftmax

    return triton_logsoftmax.logprob_chunk_forward, triton_logsoftmax.logprob_chunk_backward


def triton_available() -> bool:
    try:
        import triton  # noqa: F401
    except Exception:  # ImportError, or a broken install that fails at import
        return False
    return True
