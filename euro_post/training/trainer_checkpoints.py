"""Resumable trainer checkpoints that are complete or absent, and checked before they are used.

transformers' Trainer writes `checkpoint-<step>/` file by file under its final name (weights,
optimizer, scheduler, the RNG state of every process, trainer_state.json), so a process killed
while saving leaves a folder that looks like a checkpoint but is not one. Here every save goes
to `trainer/.staging/checkpoint-<step>/`; once every process has written its part, the main
process adds `checkpoint_complete.json` (step, stage, the config and trajectory hashes, the
input fingerprint, the resolved stage config, the size and sha256 of every file), fsyncs, and
renames the folder to `trainer/checkpoint-<step>` in one step. Only then does retention delete
the oldest complete checkpoints past `save_total_limit`: the newest complete one, the one a
resume would use, is never deleted. (EuroTrainerMixin._save_checkpoint, in trainer.py, runs
these steps in this order with the functions below.)

Resume takes the newest checkpoint whose marker is there and whose files still match it. One
that does not match (a file truncated or altered after the save) is renamed
`checkpoint-<step>.corrupt` (kept for inspection, never used or counted) and the next older one
is used instead. A `.staging` folder left by a killed save is deleted when training starts again.

What a checkpoint holds beyond the Trainer's own files: for GRPO, the micro-step counter and the
buffered generation batch (`euro_post_extras_<rank>.pt`), so that a run with several
optimisation passes per generation resumes in the middle of a batch on the same completions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

from euro_post.pipeline.checkpoint_io import (
    COMPLETE_MARKER,
    _fsync_dir,
    _fsync_tree,
    _marker_intact,
    checkpoint_step,
    latest_trainer_checkpoint,
)

STAGING = ".staging"
CORRUPT = ".corrupt"
EXTRAS = "euro_post_extras_{rank}.pt"
MARKER_FORMAT = 1


def write_marker(folder: Path, step: int, ctx, world_size: int = 1, extras: dict | None = None) -> dict:
    """Write the completion marker last: what the checkpoint is, and the size and hash of every file."""
    folder = Path(folder)
    manifest = _read_stage_manifest(ctx.stage_dir)
    marker = {
        "format": MARKER_FORMAT,
        "stage": ctx.name,
        "step": int(step),
        "seed": ctx.seed,
        "world_size": int(world_size),
        "config_hash": manifest.get("config_hash"),
        "trajectory_hash": manifest.get("trajectory_hash"),
        "input_fingerprint": manifest.get("input_fingerprint"),
        "config": ctx.recipe.stage_config(ctx.name).model_dump(mode="json"),
        "extras": extras or {},
        "files": {name: {"bytes": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)} for name in _files(folder)},
    }
    with open(folder / COMPLETE_MARKER, "w", encoding="utf-8") as f:
        json.dump(marker, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    return marker


def publish(folder: Path, final: Path, log: Callable[[str], None] = print) -> Path:
    """Make a staged checkpoint visible under its final name in one rename."""
    _fsync_tree(folder)
    if final.exists():
        if verify(final) is None:
            # The same step saved again (a resumed run stopping where it started): the state is the same.
            shutil.rmtree(folder)
            with contextlib.suppress(OSError):
                folder.parent.rmdir()
            return final
        quarantine(final, "replaced by a complete save of the same step", log)
    os.rename(folder, final)
    _fsync_dir(final.parent)
    if folder.parent.name == STAGING:
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # empty now; a staging folder is left only by a save that was killed
    return final


def retain(trainer_dir: Path, limit: int | None) -> list[Path]:
    """Delete the oldest complete checkpoints beyond `limit`; the newest is always kept. Returns the deleted."""
    if not limit:
        return []
    complete = sorted(
        (p for p in Path(trainer_dir).glob("checkpoint-*") if checkpoint_step(p) is not None and _marker_intact(p)),
        key=checkpoint_step,
    )
    doomed = complete[: max(len(complete) - max(int(limit), 1), 0)]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed


def verify(folder: Path) -> str | None:
    """None when `folder` is a complete checkpoint whose files match its marker, else what is wrong."""
    folder = Path(folder)
    try:
        marker = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
        files = marker["files"]
    except FileNotFoundError:
        return f"no {COMPLETE_MARKER}: the save never finished"
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"unreadable {COMPLETE_MARKER} ({err})"
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != entry["bytes"]:
            return f"{name} has {size} bytes, {entry['bytes']} were saved (truncated or overwritten)"
        if file_sha256(path) != entry["sha256"]:
            return f"{name} does not match the sha256 recorded when it was saved (corrupted)"
    return None


def quarantine(folder: Path, reason: str, log: Callable[[str], None] = print) -> Path:
    """Rename a bad checkpoint out of the way (`checkpoint-<step>.corrupt`), keeping it for inspection."""
    target = folder.with_name(folder.name + CORRUPT)
    suffix = 1
    while target.exists():
        suffix += 1
        target = folder.with_name(f"{folder.name}{CORRUPT}-{suffix}")
    os.rename(folder, target)
    log(f"{folder.name} cannot be resumed from: {reason}; moved to {target.name}")
    return target


def resume_point(trainer_dir: Path, log: Callable[[str], None] = print, main_process: bool = True) -> Path | None:
    """The newest verified complete checkpoint. The main process deletes a killed save's staging
    folder and quarantines checkpoints that fail verification; other processes only look."""
    trainer_dir = Path(trainer_dir)
    if not main_process:
        return latest_trainer_checkpoint(trainer_dir)
    shutil.rmtree(trainer_dir / STAGING, ignore_errors=True)
    # Newest first, every folder that claims to be complete (has a marker); folders without one are
    # not checkpoints of ours and are left alone.
    candidates = sorted(
        (p for p in trainer_dir.glob("checkpoint-*") if checkpoint_step(p) is not None and (p / COMPLETE_MARKER).exists()),
        key=checkpoint_step,
        reverse=True,
    )
    for candidate in candidates:
        problem = verify(candidate)
        if problem is None:
            return candidate
        quarantine(candidate, problem, log)
    return None


def read_marker(folder: Path) -> dict:
    return json.loads((Path(folder) / COMPLETE_MARKER).read_text(encoding="utf-8"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


# -- GRPO's in-between-steps state --------------------------------------------------------------
def _is_grpo(trainer) -> bool:
    return hasattr(trainer, "_buffered_inputs") and hasattr(trainer, "_step")


def extras_summary(trainer) -> dict:
    """For the marker: GRPO's loop counter and its prompt cursor (prompts drawn so far, all processes)."""
    if not _is_grpo(trainer):
        return {}
    args = trainer.args
    per_generation = args.steps_per_generation * getattr(trainer, "num_iterations", 1)
    generations = -(-int(trainer._step) // per_generation)  # generation batches drawn (ceil)
    prompts = generations * args.per_device_train_batch_size * args.steps_per_generation * args.world_size // trainer.num_generations
    return {"grpo_micro_step": int(trainer._step), "grpo_buffered": trainer._buffered_inputs is not None, "grpo_prompts_drawn": prompts}


def save_extras(trainer, folder: Path) -> None:
    if not _is_grpo(trainer):
        return
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    state = {"step": int(trainer._step), "buffered_inputs": trainer._buffered_inputs}
    torch.save(state, folder / EXTRAS.format(rank=trainer.args.process_index))


def restore_extras(trainer, checkpoint: Path) -> bool:
    """Put GRPO's micro-step counter and buffered batch back, as they were at the save. True if restored."""
    if not _is_grpo(trainer):
        return False
    import torch

    path = Path(checkpoint) / EXTRAS.format(rank=trainer.args.process_index)
    if not path.exists():
        return False
    # Our own file, written by this code: it holds tensors and lists of prompts, not only weights.
    # A CPU process may call its device "cpu:0", which torch.load cannot map to: say plain "cpu".
    device = trainer.args.device
    state = torch.load(path, map_location="cpu" if device.type == "cpu" else device, weights_only=False)
    trainer._step = int(state["step"])
    trainer._buffered_inputs = state["buffered_inputs"]
    return True


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != COMPLETE_MARKER)


def _read_stage_manifest(stage_dir: Path) -> dict:
    try:
        return json.loads((Path(stage_dir) / "stage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
