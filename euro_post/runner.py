"""Run a recipe's stages in order, each from the checkpoint of the one before.

For every stage the runner decides, from `runs/<run>/<stage>/stage.json`:
- skip: complete, with the same config hash and the same input checkpoint fingerprint;
- resume: an earlier attempt with the same config and input stopped part way;
- run fresh: anything else, and then every later stage runs again too.
"""

from __future__ import annotations

import importlib
import json
import platform
import resource
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from euro_post.card import update_cards
from euro_post.checkpoint import atomic_write_json, atomic_write_text, fingerprint, remove_partials
from euro_post.progress import say
from euro_post.recipe import Recipe, dump_recipe
from euro_post.stage import StageContext, StageResult, seed_everything

LIBRARIES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "liger_kernel", "math_verify", "lm_eval")


def run_recipe(recipe: Recipe, run_dir: str | Path | None = None) -> dict[str, dict]:
    """Run every enabled stage; return each stage's manifest (the content of its stage.json)."""
    run_dir = Path(run_dir or recipe.resolved_run_dir())
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "recipe.yaml", dump_recipe(recipe))

    manifests: dict[str, dict] = {}
    checkpoints: dict[str, str] = {}
    previous: str | None = None
    rerun_rest = False
    for name in recipe.enabled_stages():
        config = recipe.stage_config(name)
        input_checkpoint = _input_checkpoint(name, config, previous)
        if name == "eval":
            input_fingerprint = "+".join(fingerprint(c) for c in checkpoints.values()) or "none"
        else:
            input_fingerprint = fingerprint(input_checkpoint) if input_checkpoint else "scratch"
        stage_dir = run_dir / name
        old = read_manifest(stage_dir)
        same = (
            old.get("config_hash") == recipe.stage_hash(name)
            and old.get("input_fingerprint") == input_fingerprint
        )
        if same and not rerun_rest and old.get("status") == "complete" and _output_present(old):
            say(name, "complete with the same config and input: skipped")
            manifest = old
        else:
            rerun_rest = True
            resume = same and old.get("status") in ("running", "interrupted", "failed")
            if not resume and stage_dir.exists():
                shutil.rmtree(stage_dir)
            ctx = StageContext(name, recipe, run_dir, input_checkpoint, dict(checkpoints))
            manifest = _run_stage(ctx, config, input_fingerprint, resume)
        manifests[name] = manifest
        update_cards(run_dir, name)  # model card + training summary; after eval every card gets its results
        if manifest.get("checkpoint"):
            checkpoints[name] = manifest["checkpoint"]
            previous = manifest["checkpoint"]
    return manifests


def _input_checkpoint(name: str, config, previous: str | None) -> str | None:
    init = getattr(config, "init_from", "previous")
    if name == "eval":
        return previous
    if init == "previous":
        return previous
    if init == "scratch":
        return None
    return init


def _run_stage(ctx: StageContext, config, input_fingerprint: str, resume: bool) -> dict:
    stage_dir = ctx.stage_dir
    stage_dir.mkdir(parents=True, exist_ok=True)
    remove_partials(ctx.checkpoint_dir)
    manifest = {
        "stage": ctx.name,
        "status": "running",
        "config_hash": ctx.recipe.stage_hash(ctx.name),
        "config": config.model_dump(mode="json"),
        "input_checkpoint": ctx.input_checkpoint,
        "input_fingerprint": input_fingerprint,
        "seed": ctx.seed,
        "languages": ctx.languages,
        "started_at": _now(),
        "resumed": resume,
        "libraries": library_versions(),
        "machine": machine(),
    }
    atomic_write_json(stage_dir / "stage.json", manifest)
    say(ctx.name, ("resuming" if resume else "starting") + (f" from {ctx.input_checkpoint}" if ctx.input_checkpoint else ""))

    stage = importlib.import_module(f"euro_post.{ctx.name}.stage")
    seed_everything(ctx.seed)
    _reset_peak_memory()
    start = time.monotonic()
    try:
        result: StageResult = stage.run(config, ctx)
    except BaseException as err:
        manifest.update(status="interrupted" if isinstance(err, KeyboardInterrupt) else "failed")
        manifest.update(ended_at=_now(), wall_time_s=round(time.monotonic() - start, 3), error=f"{type(err).__name__}: {err}")
        atomic_write_json(stage_dir / "stage.json", manifest)
        raise
    checkpoint = str(result.checkpoint) if result.checkpoint else None
    manifest.update(
        status="complete",
        ended_at=_now(),
        wall_time_s=round(time.monotonic() - start, 3),
        tokens_processed=int(result.tokens_processed),
        peak_memory_bytes=_peak_memory(),
        checkpoint=checkpoint,
        output_fingerprint=fingerprint(checkpoint) if checkpoint else None,
        summary=result.summary,
    )
    manifest.pop("error", None)
    atomic_write_json(stage_dir / "stage.json", manifest)
    say(ctx.name, f"complete in {manifest['wall_time_s']:.1f} s" + (f" -> {checkpoint}" if checkpoint else ""))
    return manifest


def read_manifest(stage_dir: Path) -> dict:
    path = Path(stage_dir) / "stage.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}  # a torn manifest means the stage never finished: run it again


def _output_present(manifest: dict) -> bool:
    checkpoint = manifest.get("checkpoint")
    return checkpoint is None or (Path(checkpoint) / "config.json").exists()


def _reset_peak_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def _peak_memory() -> dict:
    import torch

    peak = {"process_max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if torch.cuda.is_available():
        peak["cuda_max_allocated_bytes"] = int(torch.cuda.max_memory_allocated())
    return peak


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = version(lib.replace("_", "-"))
        except PackageNotFoundError:
            versions[lib] = "not installed"
    return versions


def machine() -> dict[str, str | int]:
    import os

    import torch

    info: dict[str, str | int] = {"platform": platform.platform(), "cpu_count": os.cpu_count() or 0}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_count"] = torch.cuda.device_count()
    return info


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

