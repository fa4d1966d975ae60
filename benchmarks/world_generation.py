"""How fast the embedded world generates and writes its splits.

    python benchmarks/world_generation.py [--languages de fr ...] [--workers 1 2]

Times `World.write` (all four JSONL files and stats.json) for the default WorldConfig
(2000 pretraining documents, 1000 SFT, 500 RL, 100 eval problems per language) and for the
small sizes of the smoke recipe, with each number of worker processes asked for. Prints the
machine and its load, the wall time, the CPU time (all processes), rows per second and the
size of the files.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import tempfile
import time

from euro_post.data.languages import LANGUAGE_CODES
from euro_post.data.world import World, WorldConfig
from euro_post.provenance.machine import cpu_model


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run(config: WorldConfig, languages: list[str], workers: int) -> dict:
    def cpu() -> float:  # this process and its finished worker processes
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    with tempfile.TemporaryDirectory() as tmp:
        start, cpu_start = time.perf_counter(), cpu()
        paths = World(config, languages).write(tmp, workers=workers)
        seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
        size = sum(p.stat().st_size for p in paths.values())
    per_lang = (
        config.pretrain_documents_per_language + config.sft_per_language + config.rl_per_language + config.eval_per_language
    )
    return {"seconds": seconds, "cpu": cpu_seconds, "rows": per_lang * len(languages), "megabytes": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGE_CODES))
    parser.add_argument("--workers", nargs="+", type=int, default=[1, os.cpu_count() or 1])
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"torch {package_version('torch')} (unused here)")
    # Other work on the machine slows every figure; the load average and a fixed pure-Python
    # loop (about 0.15 s on an idle recent x86 core) say by how much.
    start = time.perf_counter()
    sum(range(10**7))
    print(f"load average {os.getloadavg()[0]:.1f}, calibration loop {time.perf_counter() - start:.2f} s")
    configs = {
        "default": WorldConfig(),
        "smoke": WorldConfig(pretrain_documents_per_language=40, sft_per_language=20, rl_per_language=10,
                             eval_per_language=5, max_operations=2, max_operand=20),
    }
    print(f"{'config':<8} {'languages':>9} {'workers':>7} {'rows':>8} {'seconds':>8} {'cpu s':>7} {'rows/s':>8} {'MB':>6}")
    for name, config in configs.items():
        for workers in dict.fromkeys(args.workers):
            r = run(config, args.languages, workers)
            print(f"{name:<8} {len(args.languages):>9} {workers:>7} {r['rows']:>8} {r['seconds']:>8.2f} {r['cpu']:>7.2f} "
                  f"{r['rows'] / r['seconds']:>8.0f} {r['megabytes']:>6.1f}")


if __name__ == "__main__":
    main()
