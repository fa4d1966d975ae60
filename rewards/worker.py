"""The verifier worker process: runs math-verify (or any engine function) on request.

Started by `euro_post.rewards.pool.VerifierPool` as `python -c ...`, it talks over its stdin
and stdout with `multiprocessing.connection` messages:

    parent -> worker: (task_id, pickle.dumps((function, args)))
    worker -> parent: ("ready", pid) once; per task (task_id, "started") once the function is
                      loaded, then (task_id, "ok", result) or (task_id, "error", text)

The worker never enforces a time limit itself: math-verify's own timeout uses SIGALRM, which
only works in the main thread of the main interpreter, so it is switched off
(`parsing_timeout=None`, `timeout_seconds=None`) and the parent kills a worker that overruns
its deadline instead. A memory cap (RLIMIT_AS) turns a runaway sympy expansion into a
MemoryError rather than an out-of-memory kill of the machine.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
from functools import lru_cache


@lru_cache(maxsize=4096)
def _parse(text: str):
    from math_verify import parse

    return parse(text, parsing_timeout=None)


def math_verify_engine(gold: str, prediction: str) -> bool:
    """math-verify's verdict on a prediction against a gold answer (both as math-verify input text).

    Raises ValueError when the gold answer does not parse: that is bad data, not a wrong answer.
    """
    from math_verify import verify

    parsed_gold = _parse(gold)
    if not parsed_gold:
        raise ValueError(f"gold answer {gold[:80]!r} does not parse")
    parsed_prediction = _parse(prediction)
    if not parsed_prediction:
        return False
    return bool(verify(parsed_gold, parsed_prediction, timeout_seconds=None))


def clear_caches() -> bool:
    """Forget parsed expressions (run in a worker: benchmarks measure cold parsing)."""
    _parse.cache_clear()
    return True


def _warm_up() -> None:
    # The first call imports sympy's parsers lazily (~0.3 s); pay that before saying "ready"
    # so that the first real task does not run into its deadline.
    logging.getLogger("math_verify").setLevel(logging.ERROR)  # the "timeout disabled" notice
    math_verify_engine("$\\frac{1}{2}$", "0.5")


def _limit_memory(limit_mb: int) -> None:
    try:
        import resource

        limit = limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform, or above the hard limit
        pass


def main() -> None:
    from multiprocessing.connection import Connection

    # The protocol owns the original stdout; anything a library prints goes to stderr.
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business

    limit_mb = int(os.environ.get("EURO_POST_VERIFIER_MEMORY_MB", "0"))
    if limit_mb > 0:
        _limit_memory(limit_mb)
    try:
        _warm_up()
    except Exception as err:  # noqa: BLE001 - report, the parent decides
        print(f"verifier worker warm-up failed: {err!r}", file=sys.stderr)
    try:
        replies.send(("ready", os.getpid()))
        while True:
            try:
                task_id, payload = requests.recv()
            except (EOFError, OSError):
                return  # the parent closed the pipe or died: nothing left to do
            try:
                function, args = pickle.loads(payload)  # may import the function's module
                replies.send((task_id, "started"))  # the parent's deadline starts now
                reply = (task_id, "ok", function(*args))
            except Exception as err:  # noqa: BLE001 - RecursionError, MemoryError, sympy errors
                reply = (task_id, "error", f"{type(err).__name__}: {_short(err)}")
            try:
                replies.send(reply)
            except (pickle.PicklingError, TypeError, AttributeError) as err:  # an unpicklable result
                replies.send((task_id, "error", f"result not sendable: {type(err).__name__}"))
    except OSError:  # BrokenPipeError: the parent is gone
        return


def _short(err: BaseException) -> str:
    try:
        text = str(err)
    except Exception:  # noqa: BLE001 - some sympy errors fail to print
        text = "?"
    return text[:300]


if __name__ == "__main__":
    main()
