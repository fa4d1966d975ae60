"""Stopping a run cleanly: a stop flag that every loop polls, the signals that set it, and the
exit code that says what happened.

    SIGTERM (a scheduler's preemption) or SIGINT (Ctrl-C)
        │
        ├─ inside a training loop (`deferred_stop()`): only the flag is set; the current step
        │  finishes, a complete checkpoint is written, the stage raises `Preempted`
        └─ anywhere else: `Preempted` is raised at once (everything on disk is written
           atomically, so nothing complete is lost)

    a second signal while a stop is pending: `Preempted` at once, without waiting for the step

`euro-post run` then exits with 128 + the signal number (143 for SIGTERM, 130 for SIGINT), the
stage is marked "interrupted" in stage.json, and running the same command again continues from
the last complete checkpoint.

Loops that are not a Trainer's (generation, reward scoring, pair building) call
`stop_requested()` between units of work, or `check_stop()` where raising is right. In a
multi-process run every process polls `stop_requested_anywhere()` at each step, so all of them
stop at the same step even when the signal reached only some of them.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_PREEMPTED = 128 + signal.SIGTERM  # 143: stopped by SIGTERM after saving what could be saved

_requested: int | None = None  # the first stop signal received, or None
_deferring = 0  # > 0 while a loop that polls the flag is running


class Preempted(KeyboardInterrupt):
    """The run was asked to stop (by a signal or `request_stop`) and stopped cleanly.

    A KeyboardInterrupt, so that code catching `Exception` (reward wrappers, retry loops) never
    swallows it and the runner records the stage as interrupted, not failed.
    """

    def __init__(self, signum: int = signal.SIGTERM, detail: str = ""):
        self.signum = int(signum)
        self.detail = detail
        super().__init__(f"stopped by {signal_name(self.signum)}" + (f": {detail}" if detail else ""))

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def request_stop(signum: int = signal.SIGTERM) -> None:
    """Ask every polling loop of this process to stop at its next safe point."""
    global _requested
    if _requested is None:
        _requested = int(signum)


def stop_requested() -> bool:
    """True once a stop was requested in this process. Cheap: poll it in any loop."""
    return _requested is not None


def requested_signal() -> int | None:
    return _requested


def clear_stop() -> None:
    global _requested
    _requested = None


def check_stop(detail: str = "") -> None:
    """Raise `Preempted` if a stop was requested (call it where stopping now loses nothing)."""
    if _requested is not None:
        raise Preempted(_requested, detail)


def stop_requested_anywhere(device=None) -> bool:
    """`stop_requested()` agreed across every process of a distributed run (a max all-reduce).

    Every process must call it at the same point, e.g. at each step end. One process alone
    (no process group) only reads its own flag.
    """
    local = stop_requested()
    try:
        import torch
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is a dependency
        return local
    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return local
    flag = torch.tensor([1 if local else 0], dtype=torch.int32, device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    agreed = bool(flag.item())
    if agreed and not local:
        request_stop(signal.SIGTERM)  # another process was signalled: stop here too
    return agreed


def _handle(signum, frame) -> None:
    first = _requested is None
    request_stop(signum)
    if _deferring and first:
        print(
            f"\n{signal_name(signum)} received: finishing this step, saving a checkpoint, then stopping "
            f"(send it again to stop at once without saving)",
            file=sys.stderr,
            flush=True,
        )
        return
    raise Preempted(signum, "" if first else "a second stop signal: stopped at once")


@contextlib.contextmanager
def handle_stop_signals():
    """Install the stop handlers for SIGTERM and SIGINT for the duration of a run.

    Outside the main thread (where Python cannot install handlers) this does nothing. The
    previous handlers come back afterwards, and the flag starts and ends cleared.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    clear_stop()
    previous = {sig: signal.signal(sig, _handle) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        clear_stop()


@contextlib.contextmanager
def deferred_stop():
    """Within this block a first stop signal only sets the flag: the block's loop polls it and
    stops at a point where it can save its work. A stop requested before the block started
    stops it before any work: `Preempted` is raised at entry."""
    global _deferring
    check_stop("before training started")
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
