"""Numerics of the Triton kernels (ours and the liger path) on CPU, under TRITON_INTERPRET=1.

The interpreter must be switched on before triton is first imported, so each check runs in a
fresh interpreter process and reports its largest errors as JSON. Sizes are tiny: the
interpreter executes every program instance in Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("triton", reason="triton is not importable on this machine")

STEPS_SCRIPT = r"""
import json, torch
from euro_post.models.kernels import chunk_ops, triton_logsoftmax as tk
from euro_post.models.kernels import (chunked_linear_cross_entropy, chunked_linear_logprobs,
    reference_linear_cross_entropy, reference_linear_logprobs)

tk.MAX_BLOCK = 64  # several blocks per row, so the online max / sum / entropy rescaling is exercised
errors = {}
gen = torch.Generator().manual_seed(0)
for dtype in (torch.float32, torch.bfloat16):
    logits = (torch.randn(6, 301, generator=gen) * 4).to(dtype)
    labels = torch.randint(0, 301, (6,), generator=gen)
    for temperature in (1.0, 0.6):
        key = f"{str(dtype)[6:]}_T{temperature}"
        got = tk.logprob_chunk_forward(logits, labels, temperature, True)
        ref = chunk_ops.logprob_chunk_forward(logits, labels, temperature, True)
        for name, a, b in zip(("logp", "lse", "entropy"), got, ref):
            errors[f"fwd_{name}_{key}"] = (a.float() - b.float()).abs().max().item()
        g_logp, g_ent = torch.randn(6, generator=gen), torch.randn(6, generator=gen)
        lse, ent = ref[1], ref[2]
        got = tk.logprob_chunk_backward(logits, labels, lse, g_logp, temperature, ent, g_ent)
        want = chunk_ops.logprob_chunk_backward(logits, labels, lse, g_logp, temperature, ent, g_ent)
        errors[f"bwd_entropy_{key}"] = (got - want).abs().max().item()
        buffer = logits.clone()
        got = tk.logprob_chunk_backward(buffer, labels, lse, g_logp, temperature, inplace=True)
        want = chunk_ops.logprob_chunk_backward(logits, labels, lse, g_logp, temperature)
        assert got.data_ptr() == buffer.data_ptr() and got.dtype == dtype
        # in place keeps the logits' dtype, so bf16 rounds the gradient (|grad| <= 1/T)
        errors[f"bwd_inplace_{key}"] = (got.float() - want).abs().max().item()

def run(fn, h, w, b, y, **kw):
    h, w, b = (t.clone().requires_grad_() for t in (h, w, b))
    out = fn(h, w, y, bias=b, **kw)
    outs = out if isinstance(out, tuple) else (out,)
    sum((o * torch.linspace(-1, 1, o.numel()).view(o.shape)).sum() for o in outs).backward()
    return [o.detach() for o in outs] + [h.grad, w.grad, b.grad]

h = torch.randn(2, 9, 16, generator=gen)
w = torch.randn(150, 16, generator=gen) / 4
b = torch.randn(150, generator=gen)
y = torch.randint(0, 150, (2, 9), generator=gen)
y[0, :3] = -100
cases = {
    "ce_mean": (chunked_linear_cross_entropy, reference_linear_cross_entropy, dict(num_items_in_batch=11)),
    "ce_none": (chunked_linear_cross_entropy, reference_linear_cross_entropy, dict(reduction="none")),
    "logprobs": (chunked_linear_logprobs, reference_linear_logprobs, dict(temperature=0.8, return_entropy=True)),
}
for name, (fused, reference, kw) in cases.items():
    got = run(fused, h, w, b, y, backend="triton", chunk_size=4, **kw)
    want = run(reference, h, w, b, y, **kw)
    errors[f"e2e_{name}"] = max((a - c).abs().max().item() for a, c in zip(got, want))
print(json.dumps(errors))
"""

LIGER_SCRIPT = r"""
import json, torch
from euro_post.models.kernels.dispatch import liger_linear_cross_entropy
from euro_post.models.kernels import reference_linear_cross_entropy

gen = torch.Generator().manual_seed(0)
h = torch.randn(2, 7, 16, generator=gen)
w = torch.randn(90, 16, generator=gen) / 4
y = torch.randint(0, 90, (2, 7), generator=gen)
y[1, :4] = -100
errors = {}
for name, kw in {
    "mean": {}, "sum": dict(reduction="sum"), "none": dict(reduction="none"),
    "num_items": dict(num_items_in_batch=torch.tensor(23)),
}.items():  # no softcap case: liger's softcap kernel branch does not run under the interpreter
    results = []
    for fn in (liger_linear_cross_entropy, reference_linear_cross_entropy):
        hh, ww = h.clone().requires_grad_(), w.clone().requires_grad_()
        loss = fn(hh, ww, y, **kw)
        (loss * torch.linspace(0.5, 1.5, loss.numel()).view(loss.shape)).sum().backward()
        results.append((loss.detach(), hh.grad, ww.grad))
    assert results[0][0].shape == results[1][0].shape
    errors[name] = max((a - b).abs().max().item() for a, b in zip(*results))
print(json.dumps(errors))
"""


def run_interpreted(script: str, timeout: int = 300) -> dict[str, float]:
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_triton_chunk_steps_match_torch_steps_and_reference():
    errors = run_interpreted(STEPS_SCRIPT)
    assert len(errors) == 5 * 4 + 3  # 5 checks x (2 dtypes x 2 temperatures) + 3 end-to-end
    for name, err in errors.items():
        if name.startswith("bwd_inplace_bfloat16"):
            limit = 2e-2  # the gradient itself is stored in bf16
        elif name.startswith("e2e"):
            limit = 2e-5
        else:
            limit = 1e-5  # fp32 arithmetic on both sides; bf16 inputs are upcast identically
        assert err <= limit, (name, err)


@pytest.mark.slow  # importing liger-kernel alone takes ~10 s
def test_liger_wrapper_matches_reference():
    pytest.importorskip("liger_kernel", reason="liger-kernel is not installed")
    errors = run_interpreted(LIGER_SCRIPT)
    assert set(errors) == {"mean", "sum", "none", "num_items"}
    for name, err in errors.items():
        assert err <= 2e-5, (name, err)
