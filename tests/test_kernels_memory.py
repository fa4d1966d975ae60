"""The fused paths never create a tokens x vocab tensor and keep peak memory near the floor.

Measured with AllocationTracker (a TorchDispatchMode that sees every tensor created, forward and
backward). Each check is paired with the reference path to show the measurement can fail.
"""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from euro_post.models.kernels import (
    AllocationTracker,
    causal_lm_logprobs,
    causal_lm_loss,
    chunked_linear_cross_entropy,
    chunked_linear_logprobs,
    reference_linear_cross_entropy,
    reference_linear_logprobs,
)

TOKENS, HIDDEN, VOCAB, CHUNK = 512, 32, 2000, 32
FP32 = 4


def linear_inputs():
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(4, TOKENS // 4, HIDDEN, generator=gen, requires_grad=True)
    weight = (torch.randn(VOCAB, HIDDEN, generator=gen) / HIDDEN**0.5).requires_grad_()
    labels = torch.randint(0, VOCAB, (4, TOKENS // 4), generator=gen)
    labels[:, :10] = -100
    return hidden, weight, labels


def track(fn):
    with AllocationTracker() as tracker:
        out = fn()
        out.backward()
        del out
    return tracker


def test_tracker_counts_allocations_not_views():
    with AllocationTracker() as tracker:
        a = torch.empty(1000)  # 4000 bytes
        view = a.view(10, 100).t()
        a.add_(1.0)  # in place: no new memory
        b = a * 2  # 4000 more
        del b
    assert tracker.peak_bytes == 8000
    assert tracker.live_bytes == 4000  # `a` (and its view) are still alive
    assert tracker.max_numel == 1000 and view.shape == (100, 10)


FUSED_CASES = {
    "cross_entropy": lambda h, w, y: chunked_linear_cross_entropy(h, w, y, chunk_size=CHUNK),
    "cross_entropy_none": lambda h, w, y: chunked_linear_cross_entropy(h, w, y, reduction="none", chunk_size=CHUNK).sum(),
    "logprobs_entropy": lambda h, w, y: sum(
        x.sum() for x in chunked_linear_logprobs(h, w, y, return_entropy=True, temperature=0.7, chunk_size=CHUNK)
    ),
}


@pytest.mark.parametrize("case", sorted(FUSED_CASES))
def test_fused_linear_paths_stay_near_the_floor(case):
    hidden, weight, labels = linear_inputs()
    tracker = track(lambda: FUSED_CASES[case](hidden, weight, labels))
    logits_bytes = TOKENS * VOCAB * FP32
    floor = hidden.numel() * FP32 + weight.numel() * FP32  # the gradients of hidden and weight
    assert tracker.max_numel <= CHUNK * VOCAB, tracker.max_shape
    # at most three chunk-sized buffers on top of the floor, far below one logits tensor
    assert tracker.peak_bytes <= floor + 3 * CHUNK * VOCAB * FP32 + 64 * 1024
    assert tracker.peak_bytes < logits_bytes / 2


def test_reference_path_does_materialise_the_logits():
    hidden, weight, labels = linear_inputs()
    ce = track(lambda: reference_linear_cross_entropy(hidden, weight, labels))
    assert ce.max_numel >= TOKENS * VOCAB and ce.peak_bytes >= TOKENS * VOCAB * FP32
    lp = track(lambda: reference_linear_logprobs(hidden, weight, labels).sum())
    assert lp.max_numel >= TOKENS * VOCAB


def test_causal_lm_never_creates_a_logits_sized_tensor():
    torch.manual_seed(0)
    vocab = 4096
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=vocab, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, intermediate_size=128,
        )
    )  # fmt: skip
    input_ids = torch.randint(0, vocab, (4, 64))
    labels = input_ids.clone()
    logits_numel = input_ids.numel() * vocab

    fused = track(lambda: causal_lm_loss(model, input_ids, labels, fused="on", chunk_size=16))
    assert fused.max_numel < logits_numel / 2, (fused.max_shape, fused.max_op)
    model.zero_grad(set_to_none=True)
    logprobs = track(lambda: causal_lm_logprobs(model, input_ids, fused="on", chunk_size=16).sum())
    assert logprobs.max_numel < logits_numel / 2, (logprobs.max_shape, logprobs.max_op)
    model.zero_grad(set_to_none=True)
    plain = track(lambda: causal_lm_loss(model, input_ids, labels, fused="off"))
    assert plain.max_numel >= logits_numel
    assert fused.peak_bytes < plain.peak_bytes - logits_numel * FP32  # at least one logits tensor saved
