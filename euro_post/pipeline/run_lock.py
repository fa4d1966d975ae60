"""One run per run directory: `<run_dir>/.lock`, held by the process that runs the recipe.

Two `euro-post run` on one run directory would both train every stage, interleave their
metrics.jsonl and, with different configs, leave a run directory that no single recipe made.
So `run_recipe` holds an exclusive `fcntl.flock` on `<run_dir>/.lock` from before it writes
anything until the run ends, and a second process is refused at once:

    euro-post: error: runs/x is in use by euro-post run (pid 1234 on host h, since 2025-01-01T10:00:00+00:00);
    wait for it or use another --run-dir

The kernel releases a flock when its holder exits, however it exits (SIGKILL, a crash, an OOM
kill), so a lock file left by a dead process is free: the next run takes it over. The file's
content (pid, host, start time, command) only tells a refused run who holds it; it never decides
anything. The holder deletes the file when it ends, while still holding the lock; a process that
locked the file just before it was deleted sees that the path no longer names the file it locked
and tries again on the new one.

Under torchrun / `accelerate launch` the main process (rank 0) takes the lock for the whole run;
the other processes learn whether it succeeded, so that every process stops on a refusal.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from euro_post.pipeline.progress import say
from euro_post.training import distributed

LOCK_NAME = ".lock"


class RunDirInUse(RuntimeError):
    """Another live process holds the run directory's lock."""


@contextlib.contextmanager
def hold_run_dir(run_dir: str | Path):
    """Hold `run_dir` exclusively for the body of the `with`; raise RunDirInUse if another process does.

    Creates `run_dir` if needed; nothing else is written before the lock is held."""
    run_dir = Path(run_dir)
    lock, failure = None, None
    if distributed.is_main_process():
        try:
            lock = acquire(run_dir)
        except Exception as err:  # noqa: BLE001 - handed to every process below, then raised
            failure = err
    # Every process stops on a refusal, not only the main one (the others would wait for it).
    refusal = distributed.broadcast(None if failure is None else str(failure))
    if failure is not None:
        raise failure
    if refusal is not None:
        raise RunDirInUse(refusal)
    try:
        yield
    finally:
        if lock is not None:
            lock.release()


class RunLock:
    """An acquired lock: the open lock file, whose flock this process holds."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd < 0:
            return
        # Delete while still holding the lock, so that no other process can have locked this file.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self.fd)  # closing releases the flock
        self.fd = -1


def acquire(run_dir: Path) -> RunLock | None:
    """Take `run_dir`'s lock without waiting. None where the file system cannot lock (the run goes
    on unprotected, with a warning); RunDirInUse where a live process holds it."""
    path = run_dir / LOCK_NAME
    while True:
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise RuntimeError(f"{run_dir}: cannot create the run lock {path}: {err.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunDirInUse(f"{run_dir} is in use by {describe(holder)}; wait for it or use another --run-dir") from None
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                say("run", f"{run_dir}: the file system cannot lock files ({err.strerror}); "
                           "nothing stops a second run from using this run directory at the same time")
                return None
            raise
        if _same_file(fd, path):
            break
        os.close(fd)  # the holder deleted the file we locked as it ended: lock the current one
    stale = _read(fd)
    if stale:
        say("run", f"taking over the lock of {describe(stale)}, which has ended")
    _write(fd, holder_record())
    return RunLock(path, fd)


def holder_record() -> dict:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
    }


def describe(holder: dict) -> str:
    if not holder.get("pid"):
        return "another euro-post run (it has not written its pid yet)"
    return f"euro-post run (pid {holder['pid']} on host {holder.get('host', '?')}, since {holder.get('started_at', '?')})"


def _read_holder(fd: int, patience_s: float = 2.0) -> dict:
    """The holder's record. A holder writes it just after taking the lock, so a refusal in that
    instant waits a moment for it rather than naming no one."""
    deadline = time.monotonic() + patience_s
    while True:
        holder = _read(fd)
        if holder.get("pid") or time.monotonic() >= deadline:
            return holder
        time.sleep(0.02)


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    return _parse(os.read(fd, 1 << 16).decode("utf-8", errors="replace"))


def _parse(text: str) -> dict:
    try:
        record = json.loads(text)
    except ValueError:
        return {}  # empty (the holder has not written yet) or torn
    return record if isinstance(record, dict) else {}


def _write(fd: int, record: dict) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(record) + "\n").encode("utf-8"))


def _same_file(fd: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (current.st_dev, current.st_ino)
