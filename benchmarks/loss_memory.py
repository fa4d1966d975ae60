"""Peak memory and time of LM head + loss, forward and backward, four ways.

Paths: ``plain`` (the full logits), ``fused`` (euro_post.models.kernels, chunked), ``torch``
(``torch.nn.functional.linear_cross_entropy`` with its chunked ``LinearCrossEntropyOptions``,
torch >= 2.13; log-probs as minus its per-token loss on the temperature-scaled hidden states) and,
on CUDA with liger-kernel installed, ``liger`` (its fused linear cross-entropy; cross-entropy only).

Run alone:  python benchmarks/loss_memory.py --quick          (CPU rows, a few minutes)
            python benchmarks/loss_memory.py --device cuda    (full sweep on a GPU)

What is measured, per row (tokens N, hidden H, vocabulary V):

* time: median wall time of ``loss(hidden @ W.T).backward()`` (or the log-prob variant with a
  per-token upstream gradient), after a warm-up run (on CPU the memory-tracked run).
* peak: extra memory at the peak, relative to what existed before the call (hidden, weight,
  labels). CUDA: ``torch.cuda.max_memory_allocated``. CPU has no allocator statistics, so the
  peak comes from ``AllocationTracker`` (a dispatch mode that counts every tensor created
  until its storage is freed; see euro_post/models/kernels/memory.py); the process's RSS
  high-water mark (VmHWM, reset between rows, large frees returned to the OS) is printed
  next to it as an OS-level cross-check.
* floor: the gradients of hidden and weight (N*H + V*H values in the parameters' dtype),
  which any implementation must hand back; "x floor" is how close the path comes to it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import statistics
import sys
import time

import torch

from euro_post.models.kernels import (
    AllocationTracker,
    fused_linear_cross_entropy,
    fused_linear_logprobs,
    reference_linear_cross_entropy,
    reference_linear_logprobs,
)
from euro_post.models.kernels.memory import current_rss_bytes, peak_rss_bytes, reset_peak_rss
from euro_post.provenance.machine import machine_line

GIB = 1024**3
FULL = dict(tokens=[1024, 4096, 16384, 65536], hidden=[2048, 4096], vocab=[32768, 131072, 262144])
QUICK = dict(tokens=[1024, 4096], hidden=[256], vocab=[32768, 131072])


def fixed_mmap_threshold() -> None:
    """Make glibc return every large free to the OS so the RSS high-water mark is meaningful."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD = 1 MiB, no dynamic growth
    except OSError:
        pass


def torch_chunked_available() -> bool:
    return hasattr(torch.nn.functional, "linear_cross_entropy") and hasattr(torch.nn, "LinearCrossEntropyOptions")


def liger_available(device: torch.device) -> bool:
    if device.type != "cuda":
        return False
    try:
        from liger_kernel.transformers import LigerFusedLinearCrossEntropyLoss  # noqa: F401
    except ImportError:
        return False
    return True


def available_paths(loss: str, device: torch.device) -> list[str]:
    paths = ["plain", "fused"]
    if torch_chunked_available():
        paths.append("torch")
    if loss == "ce" and liger_available(device):
        paths.append("liger")
    return paths


def torch_step(loss: str, hidden, weight, labels):
    import torch.nn.functional as F

    options = torch.nn.LinearCrossEntropyOptions()

    def step():
        if loss == "ce":
            F.linear_cross_entropy(hidden, weight, labels, options=options).backward()
        else:
            logp = -F.linear_cross_entropy(hidden / 0.9, weight, labels, reduction="none", options=options)
            logp.backward(torch.ones_like(logp) / logp.numel())
        hidden.grad = weight.grad = None

    return step


def liger_step(hidden, weight, labels):
    from liger_kernel.transformers import LigerFusedLinearCrossEntropyLoss

    fn = LigerFusedLinearCrossEntropyLoss()

    def step():
        fn(weight, hidden, labels).backward()
        hidden.grad = weight.grad = None

    return step


def make_step(path: str, loss: str, hidden, weight, labels):
    if path == "torch":
        return torch_step(loss, hidden, weight, labels)
    if path == "liger":
        return liger_step(hidden, weight, labels)
    fused = path == "fused"

    def step():
        if loss == "ce":
            fn = fused_linear_cross_entropy if fused else reference_linear_cross_entropy
            kwargs = dict(fused="on") if fused else {}
            out = fn(hidden, weight, labels, **kwargs)
            out.backward()
        else:
            fn = fused_linear_logprobs if fused else reference_linear_logprobs
            kwargs = dict(fused="on") if fused else {}
            logp = fn(hidden, weight, labels, temperature=0.9, **kwargs)
            logp.backward(torch.ones_like(logp) / logp.numel())
        hidden.grad = weight.grad = None

    return step


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(step, device: torch.device, repeats: int) -> dict[str, float]:
    gc.collect()
    result = {}
    if device.type == "cpu":
        # the tracked run doubles as the warm-up; its Python overhead stays out of the timings
        with AllocationTracker() as tracker:
            step()
        result["peak_bytes"] = tracker.peak_bytes
    else:
        step()  # warm-up: Triton compilation, allocator pools
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base_cuda = torch.cuda.memory_allocated(device)
    base_rss = current_rss_bytes()
    reset_peak_rss()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - start)
    result["time_s"] = statistics.median(times)
    if device.type == "cuda":
        result["peak_bytes"] = torch.cuda.max_memory_allocated(device) - base_cuda
    else:
        result["rss_peak_bytes"] = max(0, peak_rss_bytes() - base_rss)
    return result


def run_row(n_tokens, hidden_size, vocab, loss, device, dtype, args) -> list[dict]:
    gen = torch.Generator(device=device).manual_seed(0)
    hidden = torch.randn(n_tokens, hidden_size, device=device, dtype=dtype, generator=gen).requires_grad_()
    weight = (torch.randn(vocab, hidden_size, device=device, dtype=dtype, generator=gen) * 0.02).requires_grad_()
    labels = torch.randint(0, vocab, (n_tokens,), device=device, generator=gen)
    itemsize = hidden.element_size()
    floor = (n_tokens + vocab) * hidden_size * itemsize
    logits_bytes = n_tokens * vocab * 4  # the fp32 logits the plain path upcasts to
    rows = []
    for path in available_paths(loss, device):
        row = dict(path=path, tokens=n_tokens, hidden=hidden_size, vocab=vocab, loss=loss, floor=floor)
        if path == "plain" and 3 * logits_bytes > args.max_plain_gib * GIB:
            row["skipped"] = f"plain needs ~{3 * logits_bytes / GIB:.0f} GiB"
        else:
            row.update(measure(make_step(path, loss, hidden, weight, labels), device, args.repeats))
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def format_row(row: dict) -> str:
    head = f"| {row['loss']} | {row['tokens']} | {row['hidden']} | {row['vocab']} | {row['path']} |"
    logits = f" {row['tokens'] * row['vocab'] * 4 / GIB:.2f} |"
    if "skipped" in row:
        return head + f" skipped ({row['skipped']}) | | | | |" + logits
    rss = f" {row['rss_peak_bytes'] / GIB:.3f} |" if "rss_peak_bytes" in row else " n/a |"
    return head + (
        f" {row['time_s']:.2f} | {row['peak_bytes'] / GIB:.3f} |{rss} {row['floor'] / GIB:.3f} | "
        f"{row['peak_bytes'] / row['floor']:.2f} |"
    ) + logits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda when available)")
    parser.add_argument("--quick", action="store_true", help=f"small sweep that fits a CPU: {QUICK}")
    parser.add_argument("--tokens", type=int, nargs="+", help="override the token counts")
    parser.add_argument("--hidden", type=int, nargs="+", help="override the hidden sizes")
    parser.add_argument("--vocab", type=int, nargs="+", help="override the vocabulary sizes")
    parser.add_argument("--loss", choices=["ce", "logprobs", "both"], default="ce")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], help="default: float32 on CPU, bfloat16 on CUDA")
    parser.add_argument("--repeats", type=int, help="timed runs per row (default: 1 on CPU, 5 on CUDA)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--max-plain-gib", type=float, default=12.0, help="skip plain rows needing more")
    parser.add_argument("--max-tflop", type=float, help="skip rows above this many TFLOP (default: 3 on CPU)")
    args = parser.parse_args(argv)

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype or ("bfloat16" if device.type == "cuda" else "float32"))
    grid = dict(QUICK if args.quick else FULL)
    for key in ("tokens", "hidden", "vocab"):
        grid[key] = getattr(args, key) or grid[key]
    max_tflop = args.max_tflop if args.max_tflop is not None else (3.0 if device.type == "cpu" else float("inf"))
    if device.type == "cpu":
        fixed_mmap_threshold()
    args.repeats = args.repeats or (1 if device.type == "cpu" else 5)

    print(f"# LM head + loss, forward+backward: {machine_line(device)}; dtype {str(dtype)[6:]}")
    print("| loss | tokens | hidden | vocab | path | time s | peak GiB | RSS peak GiB | floor GiB | x floor | fp32 logits GiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    losses = ["ce", "logprobs"] if args.loss == "both" else [args.loss]
    for loss in losses:
        for vocab in grid["vocab"]:
            for hidden_size in grid["hidden"]:
                for n_tokens in grid["tokens"]:
                    # forward matmul + two backward matmuls; log-probs recompute the forward once more
                    tflop = (8 if loss == "logprobs" else 6) * n_tokens * hidden_size * vocab / 1e12
                    if tflop > max_tflop:
                        row = dict(loss=loss, tokens=n_tokens, hidden=hidden_size, vocab=vocab, path="both")
                        print(format_row({**row, "skipped": f"{tflop:.1f} TFLOP over --max-tflop"}))
                        continue
                    run_row(n_tokens, hidden_size, vocab, loss, device, dtype, args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
