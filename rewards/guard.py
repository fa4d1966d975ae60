"""The reward guard: a reward function that raises, hangs, or returns junk leaves its completions
unscored instead of killing a long run.

`guard_reward` wraps a TRL-style reward function so that one that raises, hangs past a
deadline, returns None, returns non-finite numbers or the wrong number of scores is handled the
same way as a verifier failure in `euro_post.rewards`: the affected completions are unscored
(None, which carries no advantage), the failure is counted by a `RewardMonitor`, and the run
stops with `RewardHealthError` once failures pass the monitor's rate. `build_guarded_rewards`
builds a recipe's rewards, each guarded.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading

from euro_post.rewards.registry import RewardSpec, build_rewards

logger = logging.getLogger(__name__)

# A reward call that runs longer than this is abandoned and its completions left unscored.
REWARD_TIMEOUT_S = 600.0
# When the guard gives up on a reward: more than this share of failed completions over its
# recent window, once it has seen at least `min_calls` (the verifiers' own defaults).
REWARD_HEALTH = {"max_error_rate": 0.5, "min_calls": 32}


class RewardTimeout(Exception):
    """A reward call ran past its deadline."""


def guard_reward(func, name: str, timeout_s: float | None = None, monitor=None):
    """`func` wrapped so that its failures leave completions unscored and are counted, not fatal,
    until they are too frequent to trust (then `RewardHealthError`). `timeout_s` defaults to
    REWARD_TIMEOUT_S (read at each call), `monitor` to a RewardMonitor with REWARD_HEALTH."""
    from euro_post.rewards.monitor import RewardHealthError, RewardMonitor

    monitor = monitor or RewardMonitor(f"{name} (guard)", **REWARD_HEALTH)

    def guarded(prompts=None, completions=None, **columns):
        size = len(completions or [])
        seconds = timeout_s if timeout_s is not None else REWARD_TIMEOUT_S
        try:
            with deadline(seconds):
                scores = func(prompts, completions, **columns)
        except RewardHealthError:
            raise
        except RewardTimeout:
            return _failed(monitor, name, size, "timeout", f"no result within {seconds:g} s")
        except Exception as err:  # a reward's own bug must not kill a long run at its first occurrence
            return _failed(monitor, name, size, "error", f"raised {type(err).__name__}: {err}")
        if scores is None:
            return _failed(monitor, name, size, "error", "returned None instead of a list of scores")
        scores = list(scores)
        if len(scores) != size:
            raise ValueError(f"reward {name!r} returned {len(scores)} scores for {size} completions: it must return one per completion")
        kinds, clean = [], []
        for score in scores:
            if score is None:
                kinds.append("none")
                clean.append(None)
            elif isinstance(score, (int, float)) and math.isfinite(score):
                kinds.append("ok")
                clean.append(float(score))
            else:
                kinds.append("error")
                clean.append(None)
                monitor.note_failure(f"returned {score!r}, not a finite number")
        monitor.record(kinds)
        monitor.check()
        return clean

    guarded.__name__ = getattr(func, "__name__", name)
    guarded.monitor = monitor
    # A built-in reward counts its own verifier failures; a user's function has only the guard's counts.
    guarded.stats = func.stats if callable(getattr(func, "stats", None)) else monitor.stats
    return guarded


def build_guarded_rewards(specs, tokenizer=None) -> tuple[list, list[float], list[str]]:
    """The rewards a recipe names, each behind `guard_reward`: (functions, weights, names).

    What preference pairing and GRPO score with: a reward that raises, hangs or returns junk
    leaves its completions unscored, until it does so too often to trust."""
    specs = [spec if isinstance(spec, RewardSpec) else RewardSpec.model_validate(spec) for spec in specs]
    funcs, weights = build_rewards(specs, tokenizer=tokenizer)
    names = [spec.name for spec in specs]
    return [guard_reward(func, name) for func, name in zip(funcs, names)], weights, names


def _failed(monitor, name: str, size: int, kind: str, detail: str) -> list:
    monitor.note_failure(f"{kind}: {detail}")
    monitor.record([kind] * size)
    monitor.check()
    logger.warning("reward %s: %s; its %d completions are left unscored", name, detail, size)
    return [None] * size


@contextlib.contextmanager
def deadline(seconds: float | None):
    """Raise `RewardTimeout` in the block after `seconds` (SIGALRM; main thread only, else no limit).

    It interrupts Python code and sleeping system calls; C code that holds the interpreter lock
    is interrupted when it returns. The built-in verifiers run in worker processes with their
    own hard timeouts, so this is the outer net.
    """
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise RewardTimeout(f"no result within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
