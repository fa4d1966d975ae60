"""One process against two (torchrun, gloo) with the same global batch: SFT losses, gradient
norms and weights, and the wall time of each run.

    python benchmarks/distributed_equivalence.py [--steps 8] [--out /tmp/dist-bench]

Uses a tiny random LLaMA and short bilingual conversations; nothing is downloaded. The SFT loss
runs on the full logits (fused_loss "off"): see docs/distributed.md for the chunked CPU path.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

from euro_post.provenance.machine import cpu_model


def conversations(path: Path, per_language: int) -> str:
    rows = []
    for lang, (question, answer) in {
        "de": ("Anna hat {a} Äpfel und kauft {b} dazu. Wie viele?", "Antwort"),
        "fr": ("Léa a {a} pommes et en achète {b}. Combien ?", "Réponse"),
    }.items():
        for i in range(per_language):
            a, b = 3 + i % 17, 2 + (7 * i) % 11
            rows.append({"lang": lang, "messages": [
                {"role": "user", "content": question.format(a=a, b=b)},
                {"role": "assistant", "content": f"{a} + {b} = {a + b}.\n{answer}: {a + b}"},
            ]})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def recipe(checkpoint: str, rows: str, processes: int, steps: int, global_batch: int) -> dict:
    return {
        "name": f"bench-{processes}", "seed": 0, "languages": ["de", "fr"], "fused_loss": "off",
        "stages": {"sft": {
            "init_from": checkpoint, "data": {"path": rows}, "max_steps": steps, "learning_rate": 1e-3,
            "per_device_batch_size": global_batch // processes, "max_length": 256, "packing": False,
            "logging_steps": 1, "save_steps": 10_000, "eval_rows_per_language": 0,
        }},
    }


def metric(run_dir: Path, key: str) -> dict[int, float]:
    lines = [json.loads(line) for line in (run_dir / "sft" / "metrics.jsonl").read_text().splitlines()]
    return {line["step"]: line[key] for line in lines if key in line}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--global-batch", type=int, default=8)
    parser.add_argument("--out", default="/tmp/euro-post-dist-bench")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import SAMPLE_TEXT
    from euro_post.base_pretrain.tokenizer import train_tokenizer

    from euro_post.models.presets import new_model

    checkpoint = out / "tiny"
    tokenizer = train_tokenizer({lang: [text] * 20 for lang, text in SAMPLE_TEXT.items()}, vocab_size=700, sample_size=2000, seed=0)
    new_model("tiny", tokenizer, seed=0).save_pretrained(checkpoint)
    tokenizer.save_pretrained(checkpoint)
    rows = conversations(out / "sft.jsonl", per_language=8 * args.steps * args.global_batch)

    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("WORLD_SIZE", None)
    walls = {}
    for processes in (1, 2):
        path = out / f"recipe-{processes}.yaml"
        path.write_text(yaml.safe_dump(recipe(str(checkpoint), rows, processes, args.steps, args.global_batch)))
        run_dir = out / f"run-{processes}"
        launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"] if processes == 2 else []
        cmd = [sys.executable, *launcher, "-m", "euro_post.cli", "run", str(path), "--run-dir", str(run_dir)]
        start = time.monotonic()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        walls[processes] = time.monotonic() - start

    from safetensors.torch import load_file

    one, two = out / "run-1", out / "run-2"
    loss_1, loss_2 = metric(one, "loss"), metric(two, "loss")
    norm_1, norm_2 = metric(one, "grad_norm"), metric(two, "grad_norm")
    w1 = load_file(one / "sft" / "checkpoint" / "model.safetensors")
    w2 = load_file(two / "sft" / "checkpoint" / "model.safetensors")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}")
    print(f"SFT, {args.steps} steps, global batch {args.global_batch}: 1 process x {args.global_batch} vs 2 x {args.global_batch // 2}")
    print(f"max relative loss difference       {max(abs(loss_2[s] - loss_1[s]) / abs(loss_1[s]) for s in loss_1):.2e}")
    print(f"max relative grad-norm difference  {max(abs(norm_2[s] - norm_1[s]) / abs(norm_1[s]) for s in norm_1):.2e}")
    print(f"max absolute weight difference     {max((w1[k] - w2[k]).abs().max().item() for k in w1):.2e}")
    print(f"wall time (process start to exit)  1 process {walls[1]:.1f} s, 2 processes {walls[2]:.1f} s")


if __name__ == "__main__":
    main()
