"""The GPU check: what euro-post's training paths cost on one accelerator, in one go.

    python benchmarks/gpu_check.py [--device cuda] [--out gpu_check.md] [--budget-s 450]
    python benchmarks/gpu_check.py --device cpu --tiny       (the same code at toy sizes: a CI test)

On a bare GPU image, first carry the wheels it lacks (benchmarks/gpu_wheels.sh prints how).
With the image's own torch and transformers, it measures and writes as one markdown document:

1. the machine and the library versions;
2. LM head + loss, forward and backward, in bf16: the full logits (plain), liger-kernel's fused
   linear cross-entropy, torch's chunked `F.linear_cross_entropy` and euro-post's chunked loss
   (euro_post.models.kernels), at 16K and 64K tokens x vocabularies of 128K and 256K, hidden 4096
   (benchmarks/loss_memory.py does the measuring);
3. SFT step throughput and model FLOP utilisation on a ~1B-parameter LLaMA-shaped model (random
   init, nothing downloaded), with and without liger-kernel; DPO and GRPO step throughput
   (benchmarks/stage_throughput.py does the measuring: the real stages, against plain TRL).

Sections that would run past `--budget-s` are listed as skipped rather than left to time out.
MFU counts 6 x parameters FLOPs per trained token (forward and backward, attention left out)
against the accelerator's dense bf16 peak, where the peak of the device is known.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling benchmarks are plain scripts, not a package

import torch  # noqa: E402

# Dense bf16 peak FLOP/s by device name (tensor cores, no sparsity), from the vendors' data sheets.
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "H800": 989e12, "A100": 312e12, "L40S": 362e12}

FULL = dict(
    loss=dict(tokens=[16384, 65536], hidden=[4096], vocab=[131072, 262144], dtype=torch.bfloat16, max_plain_gib=60.0),
    stage=["--preset", "1b", "--vocab", "32000", "--batch", "8", "--max-length", "1024", "--steps", "5",
           "--warmup", "2", "--repeats", "1", "--rows", "64", "--completion-length", "128", "--generations", "8"],
)
TINY = dict(
    loss=dict(tokens=[256], hidden=[64], vocab=[1024, 2048], dtype=torch.float32, max_plain_gib=1.0),
    stage=["--quick", "--steps", "1", "--warmup", "1", "--rows", "16"],
)


def peak_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_BF16.items() if key in name), None)


def versions_section(device: torch.device) -> list[str]:
    from euro_post.pipeline.runner import library_versions
    from euro_post.provenance.machine import machine_line

    lines = ["## Machine", "", f"- {machine_line(device)}"]
    lines += [f"- {name} {version}" for name, version in library_versions().items()]
    return lines


def loss_section(device: torch.device, grid: dict) -> list[str]:
    import loss_memory

    args = argparse.Namespace(max_plain_gib=grid["max_plain_gib"], repeats=1 if device.type == "cpu" else 5)
    lines = ["## LM head + loss, forward and backward", "",
             f"dtype {str(grid['dtype'])[6:]}; peak: memory allocated on top of the inputs; floor: the gradients any path returns.",
             "",
             "| loss | tokens | hidden | vocab | path | time s | peak GiB | RSS peak GiB | floor GiB | x floor | fp32 logits GiB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for vocab in grid["vocab"]:
        for hidden in grid["hidden"]:
            for tokens in grid["tokens"]:
                with contextlib.redirect_stdout(io.StringIO()):
                    rows = loss_memory.run_row(tokens, hidden, vocab, "ce", device, grid["dtype"], args)
                lines += [loss_memory.format_row(row) for row in rows]
                if device.type == "cuda":
                    torch.cuda.empty_cache()
    return lines


def stage_rows(stage_args: list[str], stages: str, fused_loss: str, device: torch.device) -> list[dict]:
    import stage_throughput

    argv = [*stage_args, "--stages", stages, "--fused-loss", fused_loss, "--device", device.type]
    with contextlib.redirect_stdout(io.StringIO()):
        return stage_throughput.main(argv)


def stage_section(device: torch.device, stage_args: list[str], parameters: int | None) -> list[str]:
    peak = peak_flops(device)
    lines = ["## Training steps: euro-post stages against plain TRL", "",
             f"Stage settings: `{' '.join(stage_args)}`; MFU = 6 x {parameters or 'parameters'} x tokens/s / "
             f"{f'{peak / 1e12:.0f} TFLOP/s' if peak else 'peak (unknown for this device)'}.", "",
             "| stage | liger | side | tokens/step | step s | tokens/s | MFU | peak MiB |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    runs = [("sft", "on"), ("sft", "off"), ("dpo", "on"), ("grpo", "on")] if device.type == "cuda" else [("sft", "off"), ("dpo", "off"), ("grpo", "off")]
    for stage, liger in runs:
        for row in stage_rows(stage_args, stage, liger if device.type == "cuda" else "auto", device):
            mfu = f"{6 * parameters * row['tokens_per_s'] / peak:.1%}" if peak and parameters else "n/a"
            lines.append(f"| {stage} | {liger if device.type == 'cuda' else 'n/a (CPU)'} | {row['side']} | "
                         f"{row['tokens_per_step']:,.0f} | {row['step_s']:.3f} | {row['tokens_per_s']:,.0f} | {mfu} | "
                         f"{row['peak_mib']:,.0f} |")
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return lines


def preset_parameters(stage_args: list[str]) -> int | None:
    """Parameters of the stage benchmark's model (built on the meta device: no memory, no time)."""
    from transformers import AutoModelForCausalLM

    from euro_post.models.presets import PRESETS, preset_config

    preset = stage_args[stage_args.index("--preset") + 1] if "--preset" in stage_args else "tiny"
    vocab = int(stage_args[stage_args.index("--vocab") + 1]) if "--vocab" in stage_args else 1024

    class Vocabulary:  # what preset_config reads of a tokenizer
        def __len__(self):
            return vocab

        def convert_tokens_to_ids(self, token):
            return 0

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(preset_config(PRESETS[preset], Vocabulary()))
    return sum(p.numel() for p in model.parameters())


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto", help="cuda, cpu or auto (cuda when available)")
    parser.add_argument("--tiny", action="store_true", help="toy sizes: checks the script itself, on any machine")
    parser.add_argument("--out", help="also write the markdown here")
    parser.add_argument("--budget-s", type=float, default=450.0, help="skip the sections that would start after this")
    args = parser.parse_args(argv)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    sizes = TINY if args.tiny else FULL
    start = time.perf_counter()
    parameters = preset_parameters(sizes["stage"])
    sections = [
        ("machine", lambda: versions_section(device)),
        ("loss", lambda: loss_section(device, sizes["loss"])),
        ("stages", lambda: stage_section(device, sizes["stage"], parameters)),
    ]
    lines = [f"# euro-post GPU check ({'tiny' if args.tiny else 'full'} sizes, {device.type})", ""]
    for name, section in sections:
        elapsed = time.perf_counter() - start
        if elapsed > args.budget_s:
            lines += [f"## {name}", "", f"skipped: {elapsed:.0f} s of the {args.budget_s:.0f} s budget spent", ""]
            continue
        lines += section() + [""]
        print(f"<!-- {name}: done at {time.perf_counter() - start:.0f} s -->", flush=True)
    document = "\n".join(lines)
    print(document, flush=True)
    if args.out:
        Path(args.out).write_text(document + "\n", encoding="utf-8")
    return document


if __name__ == "__main__":
    main()
