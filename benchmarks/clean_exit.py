"""How often a two-process `euro-post run` ends cleanly on every rank.

    python benchmarks/clean_exit.py [--repeats 100] [--nproc 2] [--out /tmp/euro-post-clean-exit]

Each repetition launches `python -m torch.distributed.run --standalone --nproc_per_node 2` (gloo
on CPU) on `euro-post run` (euro_post.cli.main) with a runner that trains nothing but exchanges
what a real run exchanges between its processes: it joins the process group, follows the main
process's decision for each stage, gathers the processes' figures and ends, like every stage, on
the broadcast of a manifest. Start-up and end are the CLI's own: the verifier pools closed, a
barrier, the process groups destroyed. A repetition is clean when torchrun exits 0 (every rank
exited 0) and no rank printed "terminate called" (the C++ runtime aborting a process whose
threads were still running at interpreter exit).

Prints the number of clean exits, the tail of each failure's output and the machine.
tests/test_clean_exit.py runs 20 repetitions of the same.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ABORT_MARK = "terminate called"
# The recipe only has to load: the stand-in runner reads its stage names and nothing else.
RECIPE = "name: clean-exit\nstages:\n  sft:\n    init_from: tiny\n  rl:\n    max_steps: 1\n"


def launch_once(workdir: Path, nproc: int = 2, timeout: float = 300) -> tuple[bool, str]:
    """One torchrun launch of the minimal run in `workdir`: (clean, stdout + stderr)."""
    recipe = write_recipe(workdir)
    code, output = torchrun([str(Path(__file__).resolve()), "--rank-run", str(recipe), "--run-dir", str(workdir / "run")],
                            nproc, timeout)
    return code == 0 and ABORT_MARK not in output, output + f"\n(exit status {code})"


def write_recipe(workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    recipe = workdir / "recipe.yaml"
    recipe.write_text(RECIPE, encoding="utf-8")
    return recipe


def torchrun(target: list[str], nproc: int = 2, timeout: float = 300) -> tuple[int | None, str]:
    """`python -m torch.distributed.run --standalone --nproc_per_node NPROC TARGET...` from the
    repository root: (exit status, None past `timeout`; stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), *target]
    try:
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        return None, _text(err.stdout) + _text(err.stderr) + f"\n(no exit within {timeout:g} s)"
    return done.returncode, done.stdout + done.stderr


def _text(data) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


def _messages_only(recipe, run_dir=None, restart=()):
    """run_recipe's exchanges between processes, without training (runs on each rank)."""
    from euro_post.training import distributed

    distributed.init()
    manifests = {}
    for name in recipe.enabled_stages():
        action = distributed.main_decides(lambda: "fresh")
        peaks = distributed.gather({"rss": distributed.rank()})
        manifest = {"stage": name, "status": "complete", "action": action, "peaks": peaks, "checkpoint": None}
        manifests[name] = distributed.broadcast(manifest)
    return manifests


def rank_run(argv: list[str]) -> int:
    """On each rank: `euro-post run RECIPE ...` through the CLI, with the stand-in runner."""
    from euro_post.pipeline import network

    # What the CLI does first for this recipe, which names nothing on the hub: the runner's
    # imports (huggingface_hub) must come after it.
    network.settle([])
    from euro_post.cli import main
    from euro_post.pipeline import library_warnings, runner

    runner.run_recipe = _messages_only  # the CLI imports run_recipe from the runner when it runs
    # Routing library warnings imports transformers (seconds of CPU per rank, times 2 x 20 in the
    # test); a run that trains nothing has no library warnings to route.
    library_warnings.install = _no_warnings_to_route
    return main(["run", *argv])


def _no_warnings_to_route(run_dir) -> None:
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--rank-run"]:
        return rank_run(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--nproc", type=int, default=2, help="processes per launch")
    parser.add_argument("--out", help="folder for the runs (default: a temporary one)")
    args = parser.parse_args(argv)

    from euro_post.provenance.machine import machine_line

    out = Path(args.out or tempfile.mkdtemp(prefix="euro-post-clean-exit-"))
    print(f"machine: {machine_line()}", flush=True)
    failures: list[tuple[int, str]] = []
    start = time.monotonic()
    for repeat in range(1, args.repeats + 1):
        clean, output = launch_once(out / f"run-{repeat:03d}", nproc=args.nproc)
        if not clean:
            failures.append((repeat, output))
        print(f"{repeat}/{args.repeats}: {'clean' if clean else 'FAILED'}", flush=True)
    elapsed = time.monotonic() - start
    for repeat, output in failures:
        print(f"\n--- repetition {repeat} failed; the end of its output:\n{output[-2000:]}")
    print(f"\nclean exits: {args.repeats - len(failures)}/{args.repeats} ({args.nproc} processes each), "
          f"{elapsed / max(args.repeats, 1):.1f} s per launch")
    print(f"machine: {machine_line()}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
