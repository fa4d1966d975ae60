"""Library warnings go to the stage's warnings.log, not to the terminal.

A run's terminal shows euro-post's own lines: what each stage does, its progress and results.
Deprecation notices and other warnings of the libraries underneath (transformers, TRL, torch,
datasets, lm-eval, the trackers, ...) are about code the user did not write; `euro-post run`
writes them to runs/<run>/<stage>/warnings.log instead (runs/<run>/warnings.log outside a
stage), and each stage says at its end how many it wrote there. Library errors still reach
the terminal.

    install(run_dir)                            # `euro-post run`, once, before the stages run
    with to_stage_log(name, stage_dir): ...     # the runner, around each stage

Python warnings travel through `logging.captureWarnings` (the standard library's own route for
them into logging), library log records through the libraries' own loggers.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
from pathlib import Path
from typing import Iterator

LOG_NAME = "warnings.log"
# Loggers whose records are library chatter; "py.warnings" carries Python's warnings.warn.
LIBRARY_LOGGERS = (
    "py.warnings", "transformers", "trl", "peft", "accelerate", "datasets", "torch", "lm_eval",
    "huggingface_hub", "bitsandbytes", "liger_kernel", "math_verify", "mlflow", "alembic", "wandb", "trackio",
)


class WarningLog(logging.Handler):
    """Appends WARNING records to the current log file; ERROR and above go to the terminal."""

    def __init__(self, path: Path):
        super().__init__(logging.WARNING)
        self.path = Path(path)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.levelno >= logging.ERROR:
                sys.stderr.write(f"[{record.name.split('.')[0]}] {message}\n")
                sys.stderr.flush()
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{stamp} {record.name}: {message.rstrip()}\n")
            self.count += 1
        except Exception:
            self.handleError(record)


_handler: WarningLog | None = None
_replaced: dict[str, tuple[list[logging.Handler], bool]] = {}  # logger -> (terminal handlers taken off, propagate)


def install(run_dir: str | Path) -> WarningLog:
    """Route library warnings to runs/<run>/warnings.log from now on (to_stage_log moves them)."""
    global _handler
    if _handler is None:
        _handler = WarningLog(Path(run_dir) / LOG_NAME)
        logging.captureWarnings(True)
    else:
        _handler.path = Path(run_dir) / LOG_NAME
    # transformers and datasets add their own terminal handler once, when first used: have them do
    # it now (a run needs both anyway), so that routing below replaces those handlers for good.
    import datasets.utils.logging  # noqa: F401
    import transformers.utils.logging

    transformers.utils.logging.get_logger()
    # With WANDB_MODE=offline, transformers prints a notice on stdout when its integrations are
    # first imported (the Trainer imports them); the user set that mode, the notice adds nothing.
    with contextlib.redirect_stdout(io.StringIO()):
        import transformers.integrations.integration_utils
    route_library_loggers()
    return _handler


def route_library_loggers() -> None:
    """Give every library logger our handler instead of one that writes to the terminal."""
    if _handler is None:
        return
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        removed, _ = _replaced.setdefault(name, ([], logger.propagate))
        for handler in list(logger.handlers):
            if handler is not _handler and _writes_to_terminal(handler):
                logger.removeHandler(handler)
                removed.append(handler)
        if _handler not in logger.handlers:
            logger.addHandler(_handler)
        logger.propagate = False


def uninstall() -> None:
    """Undo `install`: warnings and library logs reach the terminal again, as without it."""
    global _handler
    if _handler is None:
        return
    for name, (removed, propagate) in _replaced.items():
        logger = logging.getLogger(name)
        logger.removeHandler(_handler)
        for handler in removed:
            logger.addHandler(handler)
        logger.propagate = propagate
    _replaced.clear()
    logging.captureWarnings(False)
    _handler = None


@contextlib.contextmanager
def to_stage_log(stage: str, stage_dir: str | Path) -> Iterator[None]:
    """While a stage runs, its library warnings go to <stage_dir>/warnings.log (without install: nothing changes)."""
    if _handler is None:
        yield
        return
    before, count_before = _handler.path, _handler.count
    _handler.path = Path(stage_dir) / LOG_NAME
    route_library_loggers()  # a library imported since may have added its own handler
    try:
        yield
    finally:
        written = _handler.count - count_before
        path, _handler.path = _handler.path, before
        if written:
            from euro_post.pipeline.progress import say

            say(stage, f"{written} message(s) from libraries kept in {path}")


def _writes_to_terminal(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) and (
        stream in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    )
