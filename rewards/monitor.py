"""Health accounting of reward functions: a broken verifier must stop the run, not train it.

Every reward function owns a `RewardMonitor`. Each scored completion is one call; an error
or a timeout is a failure; "none" counts completions scored None for a legitimate reason
(e.g. too little text to identify a language), which is not a failure. After each batch the
monitor checks the failure rate over the last `window` calls and raises `RewardHealthError`
once at least `min_calls` calls were seen and the rate passes `max_error_rate`: a verifier
that silently returns nothing but None (or, worse, 0) would otherwise train a model on noise.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from typing import Iterable

logger = logging.getLogger(__name__)

_MONITORS: "weakref.WeakSet[RewardMonitor]" = weakref.WeakSet()


class RewardHealthError(RuntimeError):
    """A reward function fails too often to be trusted."""

    def __init__(self, name: str, rate: float, threshold: float, calls: int, detail: str = ""):
        self.name, self.rate, self.threshold, self.calls = name, rate, threshold, calls
        message = (
            f"reward {name!r} failed on {rate:.0%} of its last {calls} calls (errors and timeouts), "
            f"above the limit of {threshold:.0%}: stopping rather than training on unscored completions"
        )
        super().__init__(message + (f". Last failure: {detail}" if detail else ""))


class RewardMonitor:
    """Counts calls, errors, timeouts and None results of one reward function."""

    def __init__(self, name: str, *, max_error_rate: float = 0.5, min_calls: int = 32, window: int = 1024):
        if not 0.0 <= max_error_rate <= 1.0:
            raise ValueError(f"reward {name!r}: max_error_rate must be in [0, 1], got {max_error_rate}")
        if min_calls < 1 or window < min_calls:
            raise ValueError(f"reward {name!r}: need 1 <= min_calls <= window, got {min_calls} and {window}")
        self.name = name
        self.max_error_rate = max_error_rate
        self.min_calls = min_calls
        self.window = window
        self.reset()
        _MONITORS.add(self)

    def reset(self) -> None:
        self._lock = threading.Lock()
        self.batches = self.calls = self.errors = self.timeouts = self.none = 0
        self._recent: deque[bool] = deque(maxlen=self.window)  # True = failed
        self.last_failure = ""

    def __getstate__(self):  # picklable (a reward may be shipped to another process)
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()
        _MONITORS.add(self)

    def record(self, kinds: Iterable[str]) -> None:
        """One batch: a kind per completion, "ok", "none", "error" or "timeout"."""
        with self._lock:
            self.batches += 1
            for kind in kinds:
                self.calls += 1
                if kind == "error":
                    self.errors += 1
                elif kind == "timeout":
                    self.timeouts += 1
                elif kind == "none":
                    self.none += 1
                self._recent.append(kind in ("error", "timeout"))

    def note_failure(self, detail: str) -> None:
        if detail and not self.last_failure:
            logger.warning("reward %s: %s", self.name, detail)
        self.last_failure = detail or self.last_failure

    def window_error_rate(self) -> float:
        return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def check(self) -> None:
        """Raise RewardHealthError when the recent failure rate is past the limit."""
        with self._lock:
            seen = len(self._recent)
            rate = self.window_error_rate()
        if seen >= self.min_calls and rate > self.max_error_rate:
            raise RewardHealthError(self.name, rate, self.max_error_rate, seen, self.last_failure)

    def stats(self) -> dict[str, float]:
        """Counts and rates since the start (or the last reset); rates are over all calls."""
        calls = max(self.calls, 1)
        none_total = self.none + self.errors + self.timeouts
        return {
            "batches": self.batches,
            "calls": self.calls,
            "errors": self.errors,
            "timeouts": self.timeouts,
            "none": none_total,
            "error_rate": self.errors / calls,
            "timeout_rate": self.timeouts / calls,
            "none_rate": none_total / calls,
            "window_error_rate": self.window_error_rate(),
        }


def reward_stats() -> dict[str, dict[str, float]]:
    """Counts and rates of every live reward function, by name (instances of one name summed)."""
    totals: dict[str, dict[str, int]] = {}
    for monitor in list(_MONITORS):
        total = totals.setdefault(monitor.name, dict.fromkeys(("batches", "calls", "errors", "timeouts", "none"), 0))
        for key in total:
            total[key] += getattr(monitor, key)
    result = {}
    for name, t in totals.items():
        calls = max(t["calls"], 1)
        none_total = t["none"] + t["errors"] + t["timeouts"]
        result[name] = {
            **t,
            "none": none_total,
            "error_rate": t["errors"] / calls,
            "timeout_rate": t["timeouts"] / calls,
            "none_rate": none_total / calls,
        }
    return result
