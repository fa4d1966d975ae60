"""Writing checkpoints so that a folder under its final name is always complete.

A stage writes into `<name>.partial-<pid>`, fsyncs, then renames: a killed process leaves
only a `.partial-*` folder behind, which the next run removes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path

PARTIAL = ".partial-"
# Files that describe a checkpoint rather than make it up: writing them must not change its identity.
METADATA_FILES = {"training_summary.json"}
# Written last into a trainer checkpoint: its presence says the folder is complete (see trainer_checkpoints.py).
COMPLETE_MARKER = "checkpoint_complete.json"


@contextlib.contextmanager
def atomic_directory(final: str | Path):
    """Yield a temporary folder; on success it replaces `final` in one rename."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_partials(final)
    tmp = final.with_name(f"{final.name}{PARTIAL}{os.getpid()}")
    tmp.mkdir()
    try:
        yield tmp
        _fsync_tree(tmp)
        if final.exists():
            # Rename the old folder away first: os.rename cannot replace a non-empty folder.
            stale = final.with_name(f"{final.name}{PARTIAL}old-{os.getpid()}")
            os.rename(final, stale)
            os.rename(tmp, final)
            shutil.rmtree(stale)
        else:
            os.rename(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}{PARTIAL}{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_write_json(path: str | Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def remove_partials(final: Path) -> None:
    for leftover in final.parent.glob(f"{final.name}{PARTIAL}*"):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)


def save_pretrained_atomic(model, tokenizer, final: str | Path, extra_files: dict[str, str] | None = None) -> Path:
    """Save a Hugging Face model + tokenizer (safetensors) so `final` appears only when complete."""
    from euro_post.pipeline.progress import FolderProgress, model_bytes  # progress imports this module

    final = Path(final)
    with atomic_directory(final) as tmp:
        # A large model takes minutes to write: progress under its stage's name (runs/<run>/<stage>/checkpoint).
        with FolderProgress(final.parent.name, tmp, model_bytes(model), label="writing checkpoint "):
            model.save_pretrained(tmp, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return final


def fingerprint(checkpoint: str | Path) -> str:
    """A short content hash of a local checkpoint's weights and configs, or the id of a hub model."""
    path = Path(checkpoint)
    if not path.exists():
        return f"hub:{checkpoint}"
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file() and PARTIAL not in str(p))
    for file in files:
        if file.suffix not in {".safetensors", ".json", ".jinja", ".model", ".txt"} or file.name in METADATA_FILES:
            continue
        digest.update(str(file.relative_to(path)).encode())
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def latest_trainer_checkpoint(trainer_dir: str | Path) -> Path | None:
    """The newest complete `checkpoint-<step>` folder a Trainer left, if any.

    Complete means published by `euro_post.training.trainer_checkpoints`: it holds the completion marker
    (written last, before the folder was renamed into place) and every file the marker lists,
    at the size it lists. Folders without a marker (a save that never finished, or one written
    by a plain Trainer) and quarantined `.corrupt` folders are never resumed from.
    """
    trainer_dir = Path(trainer_dir)
    if not trainer_dir.is_dir():
        return None
    complete = [p for p in trainer_dir.glob("checkpoint-*") if checkpoint_step(p) is not None and _marker_intact(p)]
    return max(complete, key=checkpoint_step, default=None)


def checkpoint_step(path: str | Path) -> int | None:
    """The step of a `checkpoint-<step>` folder, or None for anything else (`.corrupt`, partials)."""
    number = Path(path).name.removeprefix("checkpoint-")
    return int(number) if Path(path).name.startswith("checkpoint-") and number.isdigit() else None


def _marker_intact(folder: Path) -> bool:
    try:
        marker = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
        return all((folder / name).stat().st_size == entry["bytes"] for name, entry in marker["files"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
