"""Metrics files and terminal progress.

`metrics.jsonl` holds one line per logged step and nothing that depends on the clock, so two
runs with one seed write identical files. Progress goes to stderr: a live line on a
terminal, and one line every `interval` seconds when output goes to a log file.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path


class MetricsWriter:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log(self, step: int, **values) -> dict:
        record = {"step": int(step), **{k: _plain(v) for k, v in values.items()}}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record

    def truncate_after(self, step: int) -> None:
        """On resume, drop lines logged after the checkpoint we resume from (they will be logged again)."""
        if not self.path.exists():
            return
        kept = [line for line in self.read() if line["step"] <= step]
        self.path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return value


class Progress:
    """`[sft] step 40/200  loss 1.234  12.3 s/it  eta 3m10s`, throttled on non-terminals."""

    def __init__(self, stage: str, total: int, stream=None, interval: float = 30.0):
        self.stage, self.total = stage, max(int(total), 1)
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.interval = interval
        self.start = time.monotonic()
        self.start_step = None
        self.last_print = 0.0
        self.printed_done = False

    def update(self, step: int, **values) -> None:
        now = time.monotonic()
        if self.start_step is None:
            self.start_step, self.start = step, now
        done = step >= self.total
        if done and self.printed_done:
            return  # evaluations logged after the last step would repeat the final line
        if not self.tty and not done and now - self.last_print < self.interval:
            return
        self.printed_done = done
        self.last_print = now
        if done:
            timing = "done"
        elif step > self.start_step:  # the first update only starts the clock: no rate to estimate from yet
            timing = f"eta {_duration((now - self.start) / (step - self.start_step) * (self.total - step))}"
        else:
            timing = "eta ?"
        shown = "  ".join(f"{k} {_short(v)}" for k, v in values.items())
        line = f"[{self.stage}] step {step}/{self.total}  {shown}  {timing}"
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
