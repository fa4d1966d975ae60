"""Chunked linear cross-entropy / log-probs equal the full-logits reference, values and gradients."""

from __future__ import annotations

import pytest
import torch

from euro_post.models.kernels import (
    chunked_linear_cross_entropy,
    chunked_linear_logprobs,
    fused_linear_cross_entropy,
    fused_linear_logprobs,
    reference_linear_cross_entropy,
    reference_linear_logprobs,
)

# (rtol, atol) per dtype: fp64 shows the algorithm is exact, fp32 is what training runs on CPU
TOLERANCES = {torch.float64: (1e-10, 1e-12), torch.float32: (1e-5, 1e-6)}


def make_inputs(shape=(2, 37), hidden=24, vocab=101, dtype=torch.float64, bias=True, seed=0, ignore_frac=0.3):
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(*shape, hidden, generator=gen, dtype=dtype)
    w = torch.randn(vocab, hidden, generator=gen, dtype=dtype) / hidden**0.5
    b = torch.randn(vocab, generator=gen, dtype=dtype) if bias else None
    labels = torch.randint(0, vocab, shape, generator=gen)
    labels[torch.rand(shape, generator=gen) < ignore_frac] = -100
    return h, w, b, labels


def value_and_grads(fn, h, w, b, labels, upstream_seed=1, **kwargs):
    """Run fn, backprop a random upstream gradient, return (outputs, grads of h, w, b)."""
    params = [h.clone().requires_grad_(), w.clone().requires_grad_()]
    params.append(None if b is None else b.clone().requires_grad_())
    out = fn(params[0], params[1], labels, bias=params[2], **kwargs)
    outs = out if isinstance(out, tuple) else (out,)
    gen = torch.Generator().manual_seed(upstream_seed)
    total = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum() for o in outs)
    total.backward()
    return [o.detach() for o in outs], [None if p is None else p.grad for p in params]


def assert_same(fused, reference, dtype):
    rtol, atol = TOLERANCES[dtype]
    (f_out, f_grads), (r_out, r_grads) = fused, reference
    for a, b in zip(f_out, r_out):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)
    for a, b in zip(f_grads, r_grads):
        if b is None:
            assert a is None
        else:
            torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("chunk_size", [1, 8, 1000])
def test_cross_entropy_matches_reference(dtype, reduction, chunk_size):
    h, w, b, labels = make_inputs(dtype=dtype)  # 74 tokens: not a multiple of 8
    kw = dict(reduction=reduction)
    fused = value_and_grads(chunked_linear_cross_entropy, h, w, b, labels, chunk_size=chunk_size, **kw)
    assert_same(fused, value_and_grads(reference_linear_cross_entropy, h, w, b, labels, **kw), dtype)
    if reduction == "none":
        assert fused[0][0].shape == labels.shape
        assert torch.all(fused[0][0][labels == -100] == 0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cross_entropy_num_items_in_batch_and_softcap(dtype):
    h, w, b, labels = make_inputs(shape=(3, 5, 7), dtype=dtype)  # two leading batch dims
    for kw in (dict(num_items_in_batch=123), dict(num_items_in_batch=torch.tensor(57)), dict(logit_softcap=2.5)):
        fused = value_and_grads(chunked_linear_cross_entropy, h, w, b, labels, chunk_size=6, **kw)
        assert_same(fused, value_and_grads(reference_linear_cross_entropy, h, w, b, labels, **kw), dtype)


def test_num_items_in_batch_makes_gradient_accumulation_exact():
    h, w, _, labels = make_inputs(shape=(4, 9), bias=False, ignore_frac=0.5)
    full = value_and_grads(chunked_linear_cross_entropy, h, w, None, labels, chunk_size=5)
    n_items = int((labels != -100).sum())
    grads = [torch.zeros_like(h), torch.zeros_like(w)]
    loss_total = 0.0
    for part in range(2):  # two micro-batches of two sequences, different token counts
        rows = slice(2 * part, 2 * part + 2)
        (loss,), (gh, gw, _) = value_and_grads(
            chunked_linear_cross_entropy, h[rows], w, None, labels[rows], chunk_size=5, num_items_in_batch=n_items
        )
        loss_total += loss
        grads[0][rows] += gh
        grads[1] += gw
    torch.testing.assert_close(loss_total, full[0][0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grads[0], full[1][0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(grads[1], full[1][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("temperature", [1.0, 0.7, 1.9])
@pytest.mark.parametrize("return_entropy", [False, True])
def test_logprobs_match_reference(dtype, temperature, return_entropy):
    h, w, b, labels = make_inputs(dtype=dtype)
    kw = dict(temperature=temperature, return_entropy=return_entropy)
    fused = value_and_grads(chunked_linear_logprobs, h, w, b, labels, chunk_size=9, **kw)
    assert_same(fused, value_and_grads(reference_linear_logprobs, h, w, b, labels, **kw), dtype)
    assert fused[0][0].shape == labels.shape
    assert torch.all(fused[0][0][labels == -100] == 0)
    assert torch.all(fused[0][0][labels != -100] < 0)


def test_logprobs_softcap_and_entropy_only_gradient():
    h, w, b, labels = make_inputs(shape=(11,), bias=True)
    kw = dict(temperature=0.8, logit_softcap=1.5, return_entropy=True)
    assert_same(
        value_and_grads(chunked_linear_logprobs, h, w, b, labels, chunk_size=4, **kw),
        value_and_grads(reference_linear_logprobs, h, w, b, labels, **kw),
        torch.float64,
    )
    # a loss on the entropy alone: the log-prob output gets no gradient at all
    hh = h.clone().requires_grad_()
    _, ent = chunked_linear_logprobs(hh, w, labels, return_entropy=True, chunk_size=4)
    ent.sum().backward()
    hr = h.clone().requires_grad_()
    reference_linear_logprobs(hr, w, labels, return_entropy=True)[1].sum().backward()
    torch.testing.assert_close(hh.grad, hr.grad, rtol=1e-10, atol=1e-12)


def test_frozen_weight_and_no_grad():
    h, w, _, labels = make_inputs(bias=False)
    hh = h.clone().requires_grad_()
    loss = chunked_linear_cross_entropy(hh, w, labels, chunk_size=16)  # weight frozen, as with LoRA
    loss.backward()
    hr = h.clone().requires_grad_()
    reference_linear_cross_entropy(hr, w, labels).backward()
    torch.testing.assert_close(hh.grad, hr.grad, rtol=1e-10, atol=1e-12)
    with torch.no_grad():
        torch.testing.assert_close(
            chunked_linear_logprobs(h, w, labels), reference_linear_logprobs(h, w, labels), rtol=1e-10, atol=1e-12
        )


def test_bfloat16_uses_fp32_accumulation():
    h, w, _, labels = make_inputs(shape=(64,), hidden=32, vocab=300, dtype=torch.float32, bias=False)
    (ref,), (_, ref_gw, _) = value_and_grads(reference_linear_cross_entropy, h, w, None, labels, reduction="sum")
    (loss,), (gh, gw, _) = value_and_grads(
        chunked_linear_cross_entropy, h.bfloat16(), w.bfloat16(), None, labels, reduction="sum", chunk_size=8
    )
    assert loss.dtype == torch.float32 and gw.dtype == torch.bfloat16 and gh.dtype == torch.bfloat16
    # bf16 inputs round the logits (~3 significant digits); fp32 sums keep the total that close
    torch.testing.assert_close(loss, ref, rtol=2e-2, atol=0)
    torch.testing.assert_close(gw.float(), ref_gw, rtol=5e-2, atol=2e-2)


def test_all_tokens_ignored_matches_torch():
    h, w, b, labels = make_inputs(shape=(6,))
    labels[:] = -100
    assert torch.isnan(chunked_linear_cross_entropy(h, w, labels, bias=b))  # 0 / 0, like F.cross_entropy
    assert chunked_linear_cross_entropy(h, w, labels, bias=b, reduction="sum") == 0
    assert torch.all(chunked_linear_logprobs(h, w, labels, bias=b) == 0)


def test_second_backward_is_refused():
    h, w, _, labels = make_inputs(shape=(5,), bias=False)
    hh = h.clone().requires_grad_()
    loss = chunked_linear_cross_entropy(hh, w, labels)
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_bad_inputs_are_named():
    h, w, b, labels = make_inputs(shape=(5,))
    with pytest.raises(ValueError, match="labels must have the leading shape"):
        chunked_linear_cross_entropy(h, w, labels[:3])
    with pytest.raises(ValueError, match="hidden size mismatch"):
        chunked_linear_cross_entropy(h[:, :5], w, labels)
    with pytest.raises(ValueError, match="out of range"):
        chunked_linear_cross_entropy(h, w, labels.clamp(min=0) + 1000)
    with pytest.raises(ValueError, match="reduction"):
        chunked_linear_cross_entropy(h, w, labels, reduction="avg")
    with pytest.raises(ValueError, match="num_items_in_batch"):
        chunked_linear_cross_entropy(h, w, labels, reduction="sum", num_items_in_batch=3)
    with pytest.raises(ValueError, match="temperature"):
        chunked_linear_logprobs(h, w, labels, temperature=0.0)
    with pytest.raises(ValueError, match="fused must be"):
        fused_linear_cross_entropy(h, w, labels, fused="maybe")


@pytest.mark.parametrize("fused", ["auto", "on", "off", True, False])
def test_dispatch_on_cpu_equals_reference(fused):
    h, w, b, labels = make_inputs()
    kw = dict(num_items_in_batch=40)
    assert_same(
        value_and_grads(fused_linear_cross_entropy, h, w, b, labels, fused=fused, **kw),
        value_and_grads(reference_linear_cross_entropy, h, w, b, labels, **kw),
        torch.float64,
    )
    kw = dict(temperature=0.9, return_entropy=True)
    assert_same(
        value_and_grads(fused_linear_logprobs, h, w, b, labels, fused=fused, **kw),
        value_and_grads(reference_linear_logprobs, h, w, b, labels, **kw),
        torch.float64,
    )


def test_autocast_computes_in_the_autocast_dtype():
    h, w, b, labels = make_inputs(shape=(40,), hidden=32, vocab=200, dtype=torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        (ref,), ref_grads = value_and_grads(reference_linear_cross_entropy, h, w, b, labels)
        (loss,), grads = value_and_grads(chunked_linear_cross_entropy, h, w, b, labels, chunk_size=16)
        (_, ent), lp_grads = value_and_grads(chunked_linear_logprobs, h, w, b, labels, return_entropy=True)
    assert all(g.dtype == torch.float32 for g in grads + lp_grads)  # parameters keep their dtype
    torch.testing.assert_close(loss, ref, rtol=1e-2, atol=0)
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want, rtol=5e-2, atol=5e-3)
    assert torch.isfinite(ent).all()


def test_default_chunk_size(monkeypatch):
    from euro_post.models.kernels import chunk_ops

    assert chunk_ops.resolve_chunk_size(100_000, 262_144, None, 64) == 64  # 2**24 logits per chunk
    assert chunk_ops.resolve_chunk_size(65_536, 262_144, None, 4096) == 1024  # tokens x hidden budget
    assert chunk_ops.resolve_chunk_size(10, 262_144, None, 64) == 10
    assert chunk_ops.resolve_chunk_size(10, 50, 64) == 10
    # the default path, forced into many chunks, still equals the reference
    monkeypatch.setattr(chunk_ops, "DEFAULT_CHUNK_ELEMENTS", 3 * 101)
    h, w, b, labels = make_inputs()
    assert_same(
        value_and_grads(chunked_linear_cross_entropy, h, w, b, labels),
        value_and_grads(reference_linear_cross_entropy, h, w, b, labels),
        torch.float64,
    )
