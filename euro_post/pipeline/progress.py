"""Metrics files and terminal progress.

`metrics.jsonl` holds one line per logged step and nothing that depends on the clock, so two
runs with one seed write identical files. Progress goes to stderr: a live line on a
terminal, and one line every `interval` seconds when output goes to a log file.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

from euro_post.pipeline import trackers
from euro_post.pipeline.checkpoint_io import atomic_write_text


class MetricsWriter:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log(self, step: int, **values) -> dict:
        record = {"step": int(step), **{k: _plain(v) for k, v in values.items()}}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        trackers.forward_metrics(self.path, record)  # the run's experiment trackers, if it has any
        return record

    def truncate_after(self, step: int) -> None:
        """On resume, drop lines logged after the checkpoint we resume from (they will be logged again).

        The file is replaced in one rename: a kill during the truncation leaves the old file whole."""
        if not self.path.exists():
            return
        kept = [line for line in self.read() if line["step"] <= step]
        atomic_write_text(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept))

    def read(self) -> list[dict]:
        """Every record, in order. A line cut short by a kill while it was written is left out."""
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # blank, or torn: the step it belonged to is logged again on resume
            if isinstance(record, dict) and "step" in record:
                records.append(record)
        return records


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return value


def log_interval() -> float:
    """Seconds between progress lines when the output is not a terminal (a cluster job's log):
    EURO_POST_PROGRESS_SECONDS, 30 by default."""
    value = os.environ.get("EURO_POST_PROGRESS_SECONDS", "30")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"EURO_POST_PROGRESS_SECONDS={value!r}: expected a number of seconds >= 0")
    return seconds


class Progress:
    """`[sft] step 40/200  loss 1.234  2.1 s/step  eta 3m10s`, throttled on non-terminals.

    With another unit it counts work of any kind, e.g. `Progress("eval", 480, unit="completions",
    label="rl: ")` shows `[eval] rl: 120/480 completions  3.2 completions/s  eta 1m52s`;
    `advance(n)` moves it on by n."""

    def __init__(self, stage: str, total: int, stream=None, interval: float | None = None, unit: str = "step",
                 label: str = ""):
        self.stage, self.total = stage, max(int(total), 1)
        self.unit, self.label = unit, label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.interval = log_interval() if interval is None else interval
        self.start = time.monotonic()
        self.start_step = None
        self.last_print = 0.0
        self.printed_done = False
        self.count = 0

    def advance(self, n: int = 1, **values) -> None:
        if self.start_step is None:
            self.start_step = 0  # counted from creation on: the first piece already has a rate
        self.update(self.count + n, **values)

    def update(self, step: int, **values) -> None:
        now = time.monotonic()
        if self.start_step is None:
            self.start_step, self.start = step, now
        self.count = step
        done = step >= self.total
        if done and self.printed_done:
            return  # evaluations logged after the last step would repeat the final line
        if not self.tty and not done and now - self.last_print < self.interval:
            return
        self.printed_done = done
        self.last_print = now
        rate = ""
        if step > self.start_step:  # the first update only starts the clock: no rate to estimate from yet
            per_unit = (now - self.start) / (step - self.start_step)
            rate = _rate(per_unit, self.unit)
        if done:
            timing = "done"
        elif step > self.start_step:
            timing = f"eta {_duration(per_unit * (self.total - step))}"
        else:
            timing = "eta ?"
        position = f"step {step}/{self.total}" if self.unit == "step" else f"{step}/{self.total} {self.unit}"
        shown = "".join(f"  {k} {_short(v)}" for k, v in values.items())
        line = f"[{self.stage}] {self.label}{position}{shown}{'  ' + rate if rate else ''}  {timing}"
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(100) + ("\n" if done else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
        self.stream.write(f"[{self.stage}] {text}\n")
        self.stream.flush()


class FolderProgress:
    """Progress of one long write into a folder (a checkpoint's save_pretrained, which reports
    nothing itself): a background thread measures the folder as it grows. Work done within
    `quiet_s` shows nothing, so small checkpoints add no lines.

        with FolderProgress("sft", tmp, model_bytes(model), label="writing checkpoint "):
            model.save_pretrained(tmp)
    """

    def __init__(self, stage: str, folder: str | Path, total_bytes: int, label: str = "", quiet_s: float = 5.0,
                 poll_s: float = 1.0, stream=None):
        import threading

        self.folder, self.quiet_s, self.poll_s = Path(folder), quiet_s, poll_s
        self.progress = Progress(stage, max(1, round(total_bytes / 2**20)), stream=stream, unit="MB", label=label)
        self.shown = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="folder-progress", daemon=True)

    def __enter__(self) -> "FolderProgress":
        self.progress.start_step = 0  # measured from the start of the write
        self._thread.start()
        return self

    def __exit__(self, *exc) -> bool:
        self._stop.set()
        self._thread.join()
        if self.shown and exc[0] is None:
            self.progress.update(self.progress.total)
        return False

    def _watch(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(self.poll_s):
            if time.monotonic() - started < self.quiet_s:
                continue
            written = _folder_bytes(self.folder) // 2**20
            self.shown = True
            self.progress.update(min(written, self.progress.total - 1))  # done only once the write returned


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            pass  # renamed or removed while we looked
    return total


def model_bytes(model) -> int:
    """Bytes of a model's parameters and buffers: about what its checkpoint weighs."""
    tensors = [*getattr(model, "parameters", list)(), *getattr(model, "buffers", list)()]
    return sum(t.numel() * t.element_size() for t in tensors)


def _rate(seconds_per_unit: float, unit: str) -> str:
    """"2.1 s/step" or "40 s/checkpoint" for slow work, "3.2 completions/s" for fast work."""
    if seconds_per_unit >= 1 or seconds_per_unit <= 0:
        return f"{seconds_per_unit:.3g} s/{unit[:-1] if unit.endswith('s') else unit}"
    return f"{1 / seconds_per_unit:.3g} {unit}/s"


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def say(stage: str, text: str) -> None:
    sys.stderr.write(f"[{stage}] {text}\n")
    sys.stderr.flush()
