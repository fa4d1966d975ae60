"""Many processes, one run: `euro-post run` under torchrun or `accelerate launch`.

Every process runs the same command. The Trainers (transformers, TRL) shard the data and
average the gradients through Accelerate; this module does the rest:

- `init()` joins the process group once (gloo on CPU, NCCL with a gloo side on CUDA) with a
  timeout, and opens a gloo *control* group for the runner's own messages;
- `main_decides(fn)`: the main process decides (skip, resume, run fresh), every process follows;
- only the main process writes: `StageContext` for many processes (`stage_context`) keeps
  metrics.jsonl, log lines and the final checkpoint on rank 0, and makes every process wait
  until the checkpoint is complete;
- sharded weights (FSDP, ZeRO-3) are gathered for saving in euro_post/training/sharded_weights.py,
  and `euro-post launch` builds its command in euro_post/training/launch.py;
- a failure names its rank (and goes to torchrun's error summary); the main process marks
  stage.json failed, or interrupted when the launcher stopped it with SIGTERM because another
  process failed (euro_post/pipeline/stop_signals.py handles the signals);
- `shutdown()` ends a run on every process (euro_post/cli.py calls it however the run ended):
  a barrier, then the process groups destroyed and their threads joined before exit;
- `EURO_POST_RECORD_BATCHES=DIR` records what each rank trained on (for tests and debugging).

With one process every function here is a no-op or returns its input.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import sys
import threading
from datetime import timedelta
from pathlib import Path

from euro_post.pipeline.progress import MetricsWriter, say
from euro_post.pipeline.stage import StageContext

TIMEOUT_ENV = "EURO_POST_DIST_TIMEOUT_S"  # collective operations and barriers (default 1800 s)
WAIT_ENV = "EURO_POST_DIST_WAIT_S"  # waiting for work done on the main process only (default 24 h)
RECORD_ENV = "EURO_POST_RECORD_BATCHES"  # folder: record each rank's training rows as JSONL
DEFAULT_TIMEOUT_S = 1800.0
DEFAULT_WAIT_S = 24 * 3600.0

# Stages that run on the main process only: evaluation generates with an unwrapped model and
# writes the report; the other processes wait for it.
MAIN_PROCESS_ONLY = frozenset({"eval"})

_control = None  # the gloo group for decisions and barriers


class DistributedError(RuntimeError):
    """A collective operation failed or timed out: usually another process failed first."""


# -- who am I ---------------------------------------------------------------------------------


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_distributed() -> bool:
    return world_size() > 1


def is_main_process() -> bool:
    return rank() == 0


def timeout_s() -> float:
    return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))


def wait_s() -> float:
    return float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_S))


def tag() -> str:
    """`[rank 1/4]` under many processes, empty otherwise."""
    return f"[rank {rank()}/{world_size()}] " if is_distributed() else ""


# -- the process group ------------------------------------------------------------------------


def init() -> None:
    """Join the process group (once). Accelerate and the Trainers reuse it."""
    global _control
    if not is_distributed() or _control is not None:
        return
    import torch
    import torch.distributed as dist

    # Imported before the group exists: its functions take `group=group.WORLD` as a default,
    # which, evaluated after init_process_group (torch._dynamo imports the module), would hold
    # the default group for good, and shutdown() could never join the group's threads.
    import torch.distributed.nn.functional  # noqa: F401

    timeout = timedelta(seconds=timeout_s())
    if not dist.is_initialized():
        backend = "gloo"
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank())
            # CPU tensors too (FSDP's full state dict, object collectives) go through gloo.
            backend = "cuda:nccl,cpu:gloo"
        dist.init_process_group(backend=backend, timeout=timeout)
    _control = dist.group.WORLD if dist.get_backend() == "gloo" else dist.new_group(backend="gloo", timeout=timeout)
    # A script that never calls shutdown() still closes the groups before the interpreter ends.
    atexit.register(_close_at_exit)


def broadcast(value):
    """The main process's `value`, on every process."""
    if not is_distributed():
        return value
    import torch.distributed as dist

    box = [value if is_main_process() else None]
    _collective("broadcast", lambda: dist.broadcast_object_list(box, src=0, group=_control))
    return box[0]


def gather(value) -> list:
    """Every process's `value`, in rank order, on every process."""
    if not is_distributed():
        return [value]
    import torch.distributed as dist

    out = [None] * world_size()
    _collective("gather", lambda: dist.all_gather_object(out, value, group=_control))
    return out


def sum_counts(counts) -> dict:
    """Every process's `counts` (a mapping of key -> number) summed key by key, on every process."""
    total: dict = {}
    for part in gather(dict(counts)):
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def barrier(what: str, timeout: float | None = None) -> None:
    """Wait until every process got here; a process that never arrives is named in the error."""
    if not is_distributed():
        return
    import torch.distributed as dist

    seconds = timeout_s() if timeout is None else timeout
    _collective(
        f"waiting for every process ({what})",
        lambda: dist.monitored_barrier(group=_control, timeout=timedelta(seconds=seconds), wait_all_ranks=True),
    )


def _collective(what: str, op) -> None:
    try:
        op()
    except Exception as err:  # gloo raises RuntimeError subclasses that differ across torch versions
        raise DistributedError(f"{tag()}{what} failed: {err}") from err


def main_decides(fn):
    """Run `fn` on the main process only and hand its result (or its error) to every process."""
    if not is_distributed():
        return fn()
    outcome, error = None, None
    if is_main_process():
        try:
            outcome = ("ok", fn())
        except Exception as err:
            # The text, not the exception: not every exception class can be rebuilt from a pickle.
            error, outcome = err, ("error", f"{type(err).__name__}: {err}")
    kind, value = broadcast(outcome)
    if kind == "error":
        if error is not None:
            raise error
        raise DistributedError(f"{tag()}the main process failed: {value}")
    return value


@contextlib.contextmanager
def main_process_first(what: str):
    """The main process runs the block first (e.g. builds and saves a cache); the others run
    it after, and find the main process's result on disk."""
    if is_distributed() and not is_main_process():
        barrier(what, timeout=wait_s())
    yield
    if is_distributed() and is_main_process():
        barrier(what, timeout=wait_s())


def report_failure(what: str, err: BaseException) -> None:
    """Print a failure with the rank it happened on, and leave it for torchrun's error summary."""
    if not is_distributed():
        return
    sys.stderr.write(f"{tag()}{what} failed: {type(err).__name__}: {err}\n")
    sys.stderr.flush()
    if os.environ.get("TORCHELASTIC_ERROR_FILE") and not isinstance(err, KeyboardInterrupt):
        try:
            from torch.distributed.elastic.multiprocessing.errors import ErrorHandler

            ErrorHandler().record_exception(err)
        except Exception:
            pass  # the summary is a convenience; the error above is already printed


# -- the stage context: only the main process writes ------------------------------------------


class _SilentMetrics(MetricsWriter):
    """Metrics of a non-main process: the main process writes metrics.jsonl (the Trainer already
    averages the logged values over all processes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)  # never created: nothing is written here

    def log(self, step: int, **values) -> dict:
        return {"step": int(step), **values}

    def truncate_after(self, step: int) -> None:
        pass


class DistributedStageContext(StageContext):
    """StageContext for one of several processes: rank 0 writes, the others wait for it."""

    @functools.cached_property
    def metrics(self) -> MetricsWriter:
        path = self.stage_dir / "metrics.jsonl"
        return MetricsWriter(path) if is_main_process() else _SilentMetrics(path)

    def log(self, text: str) -> None:
        if is_main_process():
            say(self.name, text)

    def save_checkpoint(self, model, tokenizer, extra_files: dict[str, str] | None = None) -> Path:
        """Every process calls this; the main process writes, and all return once it is complete."""
        if is_main_process():
            super().save_checkpoint(model, tokenizer, extra_files)
        record_event(self.name, "save" if is_main_process() else "skip_save", path=str(self.checkpoint_dir))
        barrier(f"{self.name}: final checkpoint", timeout=wait_s())
        return self.checkpoint_dir


def stage_context(name, recipe, run_dir, input_checkpoint, checkpoints) -> StageContext:
    cls = DistributedStageContext if is_distributed() else StageContext
    return cls(name, recipe, Path(run_dir), input_checkpoint, checkpoints)


def runs_on_every_process(stage: str) -> bool:
    return stage not in MAIN_PROCESS_ONLY


def through_wrapper(model, fn):
    """`fn(inner)` run *inside* the forward of `model` when `model` wraps another module (DDP,
    DeepSpeed), else `fn(model)`.

    A loss computed on the unwrapped model never passes through the wrapper's forward, so DDP
    never arms its gradient all-reduce and each process silently keeps its own gradients. Calling
    the wrapper with its forward redirected to `fn` keeps the hooks (the same trick as Lightning's
    and TRL's forward redirection)."""
    import torch

    inner = getattr(model, "module", None)
    if not isinstance(inner, torch.nn.Module):
        return fn(model)
    patched = "forward" in inner.__dict__  # an instance-level forward (e.g. TRL's fused head) stays
    original = inner.__dict__.get("forward")

    def restore():
        if patched:
            inner.forward = original
        else:
            inner.__dict__.pop("forward", None)

    def redirected(*args, **kwargs):
        restore()  # fn may call the real forward
        return fn(inner)

    inner.forward = redirected
    try:
        return model()
    finally:
        restore()


# -- what each rank trained on (debugging and tests) --------------------------------------------


def record_batch(trainer, stage: str, inputs) -> None:
    """With EURO_POST_RECORD_BATCHES=DIR, append the batch a rank is about to train on to
    DIR/<stage>-rank<r>.jsonl: the row ids (rows with an `id`, as GRPO's prompts) or a hash of
    each sequence's tokens with the padding stripped (tokenized batches). Called by
    EuroTrainerMixin.training_step."""
    folder = os.environ.get(RECORD_ENV)
    if not folder:
        return
    pad = getattr(getattr(trainer, "processing_class", None), "pad_token_id", None)
    path = Path(folder) / f"{stage}-rank{rank()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"rank": rank(), "step": trainer.state.global_step + 1, "rows": _row_keys(inputs, pad)}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def record_event(stage: str, event: str, **fields) -> None:
    folder = os.environ.get(RECORD_ENV)
    if not folder:
        return
    path = Path(folder) / f"{stage}-events-rank{rank()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"rank": rank(), "event": event, **fields}) + "\n")


def _row_keys(inputs, pad) -> list[str]:
    if isinstance(inputs, list):
        return [str(row.get("id", "?")) if isinstance(row, dict) else "?" for row in inputs]
    ids = inputs["input_ids"].tolist()
    keys = []
    for row in ids:
        while row and pad is not None and row[-1] == pad:
            row = row[:-1]
        keys.append(hashlib.sha1(json.dumps(row).encode()).hexdigest()[:16])
    return keys


# -- the end of a run: every process leaves the process groups ---------------------------------

# A failed run waits at most this long for its groups to close: a collective operation that
# another process never joins would hold it until the group's timeout, and torchrun stops the
# other processes only once this one has exited.
CLOSE_WAIT_S = 10.0


def shutdown(completed: bool = True) -> None:
    """Leave the process groups at the end of a run (with one process, nothing to do).

    A completed run first waits until every process has got here (a process that never arrives
    is named in the error); then the control group and the default group are destroyed, which
    joins gloo's worker threads. Why: a worker thread lets go of the tensors of the last
    collective operation a moment after that operation has returned to Python; when that moment
    falls while the interpreter is shutting down, the thread cannot take the GIL, the C++ runtime
    aborts ("terminate called without an active exception", SIGABRT) and torchrun reports the
    whole run failed. A failed run (`completed=False`) does not wait for the others, which may
    never get here, and gives the groups at most CLOSE_WAIT_S seconds to close."""
    if not is_distributed() or not _group_open():
        return
    everyone_finished = False
    try:
        if completed:
            barrier("the end of the run")
            everyone_finished = True
    finally:
        if everyone_finished:
            _close_groups()
        else:
            _close_within(CLOSE_WAIT_S)
    record_event("run", "shutdown", completed=completed)


def _close_groups() -> None:
    """Destroy the control group (when it is a group of its own) and the default group.

    torch drops its references to a group here; once the last one is gone the group's destructor
    waits for the operations still queued and joins its threads (with the GIL released)."""
    global _control
    import gc

    import torch.distributed as dist

    side = _control if _control is not None and _control is not dist.group.WORLD else None
    _control = None
    if not dist.is_initialized():
        return
    # Trainers of finished stages wait in reference cycles, and their DDP wrappers hold the
    # group: freed first, they let the group go below instead of at a later collection, which
    # could come while a group thread wants the GIL.
    gc.collect()
    if side is not None:
        dist.destroy_process_group(side)
        side = None
    dist.destroy_process_group()


def _close_within(seconds: float) -> None:
    """`_close_groups()` given at most `seconds`; what goes wrong is printed, not raised: this
    runs after a failure (whose error is the one to see) or at interpreter exit."""
    failures: list[BaseException] = []

    def close():
        try:
            _close_groups()
        except Exception as err:  # noqa: BLE001 - reported below, on the calling thread's stderr
            failures.append(err)

    closer = threading.Thread(target=close, name="euro-post-close-process-groups", daemon=True)
    closer.start()
    closer.join(seconds)
    if closer.is_alive():
        sys.stderr.write(
            f"{tag()}the process groups did not close within {seconds:g} s (an operation still waits for "
            "another process); exiting without them\n"
        )
    elif failures:
        sys.stderr.write(f"{tag()}closing the process groups failed: {type(failures[0]).__name__}: {failures[0]}\n")
    sys.stderr.flush()


def _close_at_exit() -> None:
    """At interpreter exit (atexit runs before the interpreter starts shutting down): close the
    groups of a script that called init() and never shutdown()."""
    if _group_open():
        _close_within(CLOSE_WAIT_S)


def _group_open() -> bool:
    """Whether this process is in a process group, without importing torch (a run that failed
    before joining one need not spend seconds importing it on its way out)."""
    dist = sys.modules.get("torch.distributed")
    return dist is not None and dist.is_available() and dist.is_initialized()
