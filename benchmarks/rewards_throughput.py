"""Rewards per second on one CPU core, for each reward function and the combined set.

    python benchmarks/rewards_throughput.py [--batch 1024] [--repeats 3] [--core N]

The batch is a realistic mix of completions: worked solutions of the embedded world (when
`euro_post.data.world` is importable; else a small built-in generator) in all 24 languages, some
correct, some with a wrong answer, a LaTeX fraction in \\boxed{}, an English answer line, a
missing answer, the wrong language, or a rambling overlong text. The process and its single
verifier worker are pinned to one core. math_accuracy is timed with empty caches (verdicts,
parsed expressions) and a warm worker (worker start-up is reported on its own line). "rewards/s" is the best
wall-clock run; "(CPU time)" divides by the mean CPU seconds of this process and its worker,
which a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from importlib import metadata

from euro_post.data.languages import LANGUAGE_CODES, LANGUAGES, answer_line, format_number
from euro_post.provenance.machine import cpu_model


def _world_rows(count: int) -> list[tuple[str, str, str]] | None:
    """(solution, canonical answer, lang) from the embedded world, or None if it is not there."""
    try:
        from euro_post.data.world.config import WorldConfig
        from euro_post.data.world.world import World
    except ImportError:
        return None
    world = World(WorldConfig(seed=0))
    rows = []
    for i in range(count):
        p = world.problem(LANGUAGE_CODES[i % 24], "rl", i // 24)
        rows.append((p.solution, p.answer, p.lang))
    return rows


def _builtin_rows(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """A stand-in for the world: a few arithmetic steps written with each language's facts."""
    rows = []
    for i in range(count):
        lang = LANGUAGE_CODES[i % 24]
        info = LANGUAGES[lang]
        value, lines = Decimal(rng.randint(10, 500)), []
        for step in range(1, rng.randint(2, 4) + 1):
            operand = Decimal(rng.randint(2, 60)) / (2 if rng.random() < 0.3 else 1)
            result = value + operand
            lines.append(f"{info.step_word} {step}: {format_number(value, lang)} + {format_number(operand, lang)} = "
                         f"{format_number(result, lang)}")
            value = result
        lines.append(answer_line(lang, format_number(value, lang)))
        rows.append(("\n".join(lines), format(value.normalize(), "f"), lang))
    return rows


def make_batch(count: int, seed: int = 0) -> tuple[dict[str, list], str]:
    rng = random.Random(seed)
    rows = _world_rows(count)
    source = "embedded world (rl split)"
    if rows is None:
        rows, source = _builtin_rows(count, rng), "built-in generator"
    completions, answers, langs = [], [], []
    for i, (solution, answer, lang) in enumerate(rows):
        lines = solution.split("\n")
        kind = rng.random()
        if kind < 0.45:
            text = solution  # correct and well formed
        elif kind < 0.65:  # a wrong final answer
            wrong = format_number(Decimal(answer) + rng.choice([-2, -1, 1, 10]), lang)
            text = "\n".join(lines[:-1] + [answer_line(lang, wrong)])
        elif kind < 0.72:  # a LaTeX fraction: goes to math-verify
            value = Decimal(answer)
            text = "\n".join(lines[:-1] + [f"\\boxed{{\\frac{{{format(value * 4, 'f')}}}{{4}}}}"])
        elif kind < 0.80:  # English answer line in another language's solution
            text = "\n".join(lines[:-1] + [f"Answer: {answer}"])
        elif kind < 0.88:  # cut off before the answer
            text = "\n".join(lines[:-1])
        elif kind < 0.94:  # reasoning in the wrong language
            other = rows[(i + 7) % len(rows)][0]
            text = "\n".join(other.split("\n")[:-1] + [lines[-1]])
        else:  # rambling: the steps again and again
            text = "\n".join(lines[:-1] * 12 + [lines[-1]])
        completions.append(text)
        answers.append(answer)
        langs.append(lang)
    return {"completions": completions, "answer": answers, "lang": langs}, source


def machine_info(core: int) -> str:
    model = cpu_model()
    versions = []
    for package in ("torch", "math-verify", "py3langid"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return (f"CPU: {model}; {os.cpu_count()} cores, pinned to core {core}; Python {platform.python_version()}; "
            + ", ".join(versions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--core", type=int, default=None, help="CPU core to pin to (default: the first allowed)")
    args = parser.parse_args()

    core = args.core if args.core is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # the verifier worker, started below, inherits it

    from euro_post.rewards import LanguageConsistency, MathAccuracy, format_reward, length_penalty
    from euro_post.rewards.verify import _CACHE
    from euro_post.rewards.worker import clear_caches

    batch, source = make_batch(args.batch)
    accuracy = MathAccuracy(workers=1)
    language = LanguageConsistency()
    length = length_penalty(max_length=160, cache=40)  # in words: the rambling tail is penalized
    rewards = [accuracy, format_reward, language, length]

    from euro_post.rewards.pool import get_pool

    started = time.perf_counter()
    get_pool(1).start(wait_ready=True)
    startup = time.perf_counter() - started
    language.warm_up()

    pool = get_pool(1)
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        """CPU time of this process and of its verifier worker: robust to a busy machine."""
        total = time.process_time()
        for pid in pool.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            except OSError:
                pass
        return total

    def timed(funcs, rows=batch) -> tuple[float, float, list]:
        _CACHE.clear()  # no verdict from an earlier run, and no parse in the worker either
        pool.run(clear_caches, [()], item_timeout=30)
        c0, t0 = cpu_seconds(), time.perf_counter()
        scores = [f(prompts=None, **rows) for f in funcs]
        return time.perf_counter() - t0, cpu_seconds() - c0, scores[0]

    plain = [i for i, c in enumerate(batch["completions"]) if "\\boxed" not in c]
    numbers_only = {key: [values[i] for i in plain] for key, values in batch.items()}

    print(machine_info(core))
    print(f"batch: {args.batch} completions from the {source}, all 24 languages; {args.repeats} runs each")
    print(f"verifier worker start-up (once per run): {startup:.2f} s\n")
    print(f"{'reward':<22}{'rewards/s':>11}{'(CPU time)':>12}{'ms/batch':>10}{'mean score':>12}")
    rows = [(r.__name__, [r], batch) for r in rewards] + [("combined (all four)", rewards, batch)]
    rows.insert(1, ("  without LaTeX rows", [accuracy], numbers_only))
    for name, funcs, data in rows:
        size = len(data["completions"])
        runs = [timed(funcs, data) for _ in range(args.repeats)]
        best = min(wall for wall, _, _ in runs)
        cpu = statistics.fmean(c for _, c, _ in runs)
        scored = [x for x in runs[0][2] if x is not None]
        mean = f"{statistics.fmean(scored):.3f}" if len(funcs) == 1 and scored else ""
        print(f"{name:<22}{size / best:>11,.0f}{size / cpu:>12,.0f}{best * 1000:>10.1f}{mean:>12}")
    engine_share = 1 - len(plain) / args.batch
    print(f"\n{engine_share:.0%} of the completions (LaTeX answers) need a math-verify call, in the worker; "
          f"the other {len(plain)} are decided in-process.")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
