"""A persistent pool of verifier worker processes with a hard deadline per task.

Why not `concurrent.futures.ProcessPoolExecutor`: a task that hangs inside sympy cannot be
cancelled there, and killing one of its workers breaks the whole executor. Here each worker is
a plain child process (`python -c ...`, see worker.py) that runs its tasks one at a time, with
a few queued ahead so that it never waits for the parent; the parent waits on all of them with
`multiprocessing.connection.wait` and, when a task overruns its deadline (counted from the
moment the worker starts it), kills that worker (SIGKILL), reports the task as a timeout,
hands the tasks queued behind it to the other workers and starts a replacement.
Plain child processes also work where multiprocessing children cannot be made (inside a
daemonic multiprocessing worker, e.g. a DataLoader worker) and from any thread. A worker whose
parent dies reads EOF on its stdin and exits, so nothing is left behind.

Pools are created lazily, shared per (size, memory cap) within a process, recreated in a forked
child (the parent's workers belong to the parent) and closed at the end of a run (`close_pools`)
or at exit.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import pickle
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

_BOOTSTRAP = (
    "import json, os, sys\n"
    "sys.path[:0] = [p for p in json.loads(os.environ['EURO_POST_VERIFIER_SYS_PATH']) if p not in sys.path]\n"
    "from euro_post.rewards.worker import main\n"
    "main()\n"
)
# Workers that fail to start this many times in a row make the pool give up on the batch.
MAX_START_FAILURES = 3
# Tasks queued per worker: the worker goes from one to the next without waiting for the
# parent to be scheduled (which, on a busy core, costs milliseconds per task).
PIPELINE_DEPTH = 4


@dataclass(frozen=True)
class TaskResult:
    status: str  # "ok", "error" or "timeout"
    value: Any = None  # the function's result when ok, else a short explanation


class _Worker:
    def __init__(self, memory_limit_mb: int | None):
        env = dict(os.environ)
        env["EURO_POST_VERIFIER_SYS_PATH"] = json.dumps([p for p in sys.path if isinstance(p, str)])
        env["EURO_POST_VERIFIER_MEMORY_MB"] = str(memory_limit_mb or 0)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True
        )
        self.requests = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.started = time.monotonic()
        self.ready = False
        # Tasks sent and not answered, as (batch index, task id); the first is running.
        self.inflight: deque[tuple[int, int]] = deque()
        self.deadline = float("inf")  # of the running task
        self.loading = False  # the running task is still being unpickled (its module imported)

    def stop(self, grace: float = 0.0) -> None:
        """Close the pipes and end the process: politely within `grace` seconds, else SIGKILL."""
        for conn in (self.requests, self.replies):
            try:
                conn.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=grace) if grace > 0 else None
        except subprocess.TimeoutExpired:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
                pass


class VerifierPool:
    """`size` worker processes; `run(function, arguments, ...)` maps a module-level function over them."""

    def __init__(self, size: int = 1, *, memory_limit_mb: int | None = 4096, startup_timeout: float = 60.0):
        if size < 1:
            raise ValueError(f"verifier pool size must be >= 1, got {size}")
        self.size = size
        self.memory_limit_mb = memory_limit_mb
        self.startup_timeout = startup_timeout
        self._workers: list[_Worker] = []
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._task_ids = itertools.count()
        self._start_failures = 0
        self.restarts = 0  # workers replaced after a timeout or a crash

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, wait_ready: bool = False) -> None:
        """Start the workers now (they warm up in the background); optionally wait until ready."""
        with self._lock:
            self._fill()
            if wait_ready:
                self.run(_ping, [()], item_timeout=self.startup_timeout)

    def close(self) -> None:
        with self._lock:
            if os.getpid() == self._pid:
                for worker in self._workers:
                    worker.stop(grace=1.0)
            self._workers = []

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers]

    def _fill(self) -> None:
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self.memory_limit_mb))

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self._workers.remove(worker)
        self.restarts += 1
        self._fill()

    # -- running -------------------------------------------------------------------------------
    def run(
        self,
        function: Callable,
        arguments: Sequence[tuple],
        *,
        item_timeout: float,
        batch_timeout: float | None = None,
    ) -> list[TaskResult]:
        """`[function(*args) for args in arguments]` in the workers, each within `item_timeout` s.

        A task that overruns gets TaskResult("timeout"), one that raises or kills its worker
        TaskResult("error"); tasks not finished within `batch_timeout` s get "timeout" too.
        `function` must be importable by name (a module-level function).
        """
        with self._lock:
            if os.getpid() != self._pid:  # forked: the workers belong to the parent
                self._workers, self._pid = [], os.getpid()
            return self._run(function, arguments, item_timeout, batch_timeout)

    def _run(self, function, arguments, item_timeout, batch_timeout) -> list[TaskResult]:
        results: list[TaskResult | None] = [None] * len(arguments)
        pending = deque(range(len(arguments)))
        batch_deadline = time.monotonic() + batch_timeout if batch_timeout else float("inf")
        limits = (item_timeout, batch_timeout, batch_deadline)
        while pending or any(w.inflight for w in self._workers):
            self._fill()
            if time.monotonic() >= batch_deadline:
                self._abandon(results, pending, "timeout", f"over the batch limit of {batch_timeout} s")
                break
            if self._start_failures >= MAX_START_FAILURES:
                self._abandon(results, pending, "error", "verifier workers fail to start (see stderr)")
                break
            self._dispatch(function, arguments, pending, results, batch_deadline)
            self._collect(results, pending, limits)
            self._enforce_deadlines(results, pending, limits)
        return [r if r is not None else TaskResult("error", "lost") for r in results]

    def _dispatch(self, function, arguments, pending, results, batch_deadline) -> None:
        """Hand out pending tasks round-robin, up to PIPELINE_DEPTH per ready worker."""
        while pending:
            open_workers = [w for w in self._workers if w.ready and len(w.inflight) < PIPELINE_DEPTH]
            if not open_workers:
                return
            for worker in open_workers:
                if not pending:
                    return
                index = pending.popleft()
                try:
                    payload = pickle.dumps((function, tuple(arguments[index])))
                except Exception as err:  # noqa: BLE001 - the caller's arguments, reported per task
                    results[index] = TaskResult("error", f"cannot send task: {type(err).__name__}: {err}")
                    continue
                task_id = next(self._task_ids)
                try:
                    worker.requests.send((task_id, payload))
                except OSError:  # the worker died: not this task's fault
                    pending.appendleft(index)
                    self._lost(worker, results, pending, None)
                    return
                worker.inflight.append((index, task_id))
                if len(worker.inflight) == 1:
                    self._begin(worker, batch_deadline)

    def _begin(self, worker: _Worker, batch_deadline: float) -> None:
        # Until the worker says "started", it is loading the function (a first call may import
        # its module): that counts against the startup limit, not the task's.
        worker.deadline = min(time.monotonic() + self.startup_timeout, batch_deadline)
        worker.loading = True

    def _collect(self, results, pending, limits) -> None:
        item_timeout, _, batch_deadline = limits
        waiting = [w for w in self._workers if not w.ready or w.inflight]
        if not waiting:
            return
        next_event = min(
            [batch_deadline]
            + [w.deadline for w in waiting if w.inflight]
            + [w.started + self.startup_timeout for w in waiting if not w.ready]
        )
        by_conn = {w.replies: w for w in waiting}
        for conn in wait(list(by_conn), timeout=max(0.0, min(next_event - time.monotonic(), 1.0))):
            worker = by_conn[conn]
            try:
                while True:  # drain: several answers often arrive together
                    self._handle(worker, conn.recv(), results, item_timeout, batch_deadline)
                    if not conn.poll(0):
                        break
            except (EOFError, OSError):
                self._lost(worker, results, pending, "died")

    def _handle(self, worker: _Worker, message: tuple, results, item_timeout, batch_deadline) -> None:
        if message[0] == "ready":
            worker.ready = True
            self._start_failures = 0
        elif not worker.inflight or message[0] != worker.inflight[0][1]:
            return  # not the running task's: cannot happen with a sequential worker
        elif message[1] == "started":
            worker.deadline = min(time.monotonic() + item_timeout, batch_deadline)
            worker.loading = False
        else:
            index, _ = worker.inflight.popleft()
            results[index] = TaskResult(message[1], message[2])
            worker.deadline = float("inf")
            if worker.inflight:
                self._begin(worker, batch_deadline)

    def _lost(self, worker: _Worker, results, pending, how: str | None) -> None:
        """Replace a dead worker; its running task fails ("died"), the queued ones go back."""
        if how is not None and worker.inflight:
            try:
                code = worker.proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
            index, _ = worker.inflight.popleft()
            results[index] = TaskResult("error", f"verifier worker {how} (exit code {code})")
        pending.extendleft(reversed([index for index, _ in worker.inflight]))
        worker.inflight.clear()
        if not worker.ready:
            self._start_failures += 1
        self._replace(worker)

    def _enforce_deadlines(self, results, pending, limits) -> None:
        item_timeout, batch_timeout, batch_deadline = limits
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.inflight and now >= worker.deadline:
                if worker.deadline >= batch_deadline:
                    why = f"over the batch limit of {batch_timeout} s"
                elif worker.loading:
                    why = f"the function did not load within {self.startup_timeout} s"
                else:
                    why = f"over the limit of {item_timeout} s"
                index, _ = worker.inflight.popleft()
                results[index] = TaskResult("timeout", why)
                self._lost(worker, results, pending, None)
            elif not worker.ready and now - worker.started > self.startup_timeout:
                self._start_failures += 1
                self._replace(worker)

    def _abandon(self, results, pending, status: str, why: str) -> None:
        for worker in list(self._workers):
            if worker.inflight:
                for index, _ in worker.inflight:
                    results[index] = TaskResult(status, why)
                worker.inflight.clear()
                self._replace(worker)
        while pending:
            results[pending.popleft()] = TaskResult(status, why)


def _ping() -> bool:
    return True


_POOLS: dict[tuple[int, int, int | None], VerifierPool] = {}
_POOLS_LOCK = threading.Lock()


def default_pool_size() -> int:
    """Two workers where the machine has the cores for them, else one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


def get_pool(size: int | None = None, memory_limit_mb: int | None = 4096) -> VerifierPool:
    """The shared pool of this process for that size and memory cap (created on first use)."""
    size = size or default_pool_size()
    key = (os.getpid(), size, memory_limit_mb)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = VerifierPool(size, memory_limit_mb=memory_limit_mb)
        return pool


@atexit.register
def close_pools() -> None:
    """Stop this process's verifier workers: at the end of a run (euro_post/cli.py), else at exit.
    A later `get_pool` starts new ones."""
    with _POOLS_LOCK:
        mine = [key for key in _POOLS if key[0] == os.getpid()]
        pools = [_POOLS.pop(key) for key in mine]
    for pool in pools:
        pool.close()
