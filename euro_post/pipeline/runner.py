"""Run a recipe's stages in order, each from the checkpoint of the one before.

For every stage the runner decides, from `runs/<run>/<stage>/stage.json`:
- skip: complete, with the same trajectory hash (how often it logs or saves may differ) and the
  same input checkpoint fingerprint;
- resume: an earlier attempt with the same trajectory and input stopped part way (or a complete
  one whose max_steps was raised);
- run fresh: anything else, and then every later stage runs again too;
- refuse: an interrupted stage with saved progress whose trajectory fields changed.
The rules are in euro_post/pipeline/resume.py; stopping on SIGTERM in euro_post/stop_signals.py.

The same code runs under torchrun / `accelerate launch` with many processes: the main process
decides and writes (recipe.yaml, stage.json, the checkpoints), every process follows its
decision (see euro_post/training/distributed.py).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import resource
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from euro_post.data.check import refuse_bad_data, refuse_unloadable
from euro_post.pipeline import library_warnings, run_lock, stop_signals, trackers
from euro_post.pipeline.checkpoint_io import atomic_write_json, atomic_write_text, fingerprint, remove_partials
from euro_post.pipeline.hub_cache import fetched
from euro_post.pipeline.network import stage_references
from euro_post.pipeline.progress import say
from euro_post.pipeline.recipe import Recipe, dump_recipe
from euro_post.pipeline.resume import cached_fingerprint, manifest_fields, stage_action
from euro_post.pipeline.stage import StageContext, StageResult, seed_everything
from euro_post.pipeline.stages import STAGES
from euro_post.provenance.card import update_cards
from euro_post.provenance.machine import machine
from euro_post.training import distributed

LIBRARIES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "liger_kernel", "math_verify", "lm_eval")


def run_recipe(recipe: Recipe, run_dir: str | Path | None = None, restart: Iterable[str] = ()) -> dict[str, dict]:
    """Run every enabled stage; return each stage's manifest (the content of its stage.json).

    `restart` names stages to run from the start even where an interrupted attempt could resume.
    SIGTERM / SIGINT stop the run cleanly (see euro_post/stop_signals.py). One run at a time per
    run directory: another process's run on it is refused (see euro_post/pipeline/run_lock.py)."""
    restart = check_restart(recipe, restart)
    run_dir = Path(run_dir or recipe.resolved_run_dir())
    distributed.init()
    with run_lock.hold_run_dir(run_dir), stop_signals.handle_stop_signals(), trackers.tracking(recipe, run_dir):
        return _run_stages(recipe, run_dir, restart)


def _run_stages(recipe: Recipe, run_dir: Path, restart: set[str]) -> dict[str, dict]:
    refuse_bad_data(recipe, run_dir)  # data that would stop a stage stops the run before any stage trains
    if distributed.is_main_process():
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(run_dir / "recipe.yaml", dump_recipe(recipe))

    manifests: dict[str, dict] = {}
    checkpoints: dict[str, str] = {}
    previous: str | None = None
    rerun_rest = False
    for name in recipe.enabled_stages():
        stop_signals.check_stop(f"before stage {name}")
        config = recipe.stage_config(name)
        input_checkpoint = _input_checkpoint(name, config, previous)
        # The main process decides (and clears a stale stage folder); every process follows.
        action, input_fingerprint, old = distributed.main_decides(
            lambda: _plan(recipe, name, run_dir / name, input_checkpoint, checkpoints, rerun_rest, name in restart)
        )
        if action == "skip":
            if distributed.is_main_process():
                say(name, "complete with the same config and input: skipped")
            manifest = old
        else:
            rerun_rest = True
            ctx = distributed.stage_context(name, recipe, run_dir, input_checkpoint, dict(checkpoints))
            manifest = _run_stage(ctx, config, input_fingerprint, action == "resume", old)
        manifests[name] = manifest
        if distributed.is_main_process():
            update_cards(run_dir, name)  # model card + training summary; after eval every card gets its results
        if manifest.get("checkpoint"):
            checkpoints[name] = manifest["checkpoint"]
            previous = manifest["checkpoint"]
    return manifests


def _plan(recipe: Recipe, name: str, stage_dir: Path, input_checkpoint, checkpoints: dict, rerun_rest: bool,
          restart: bool = False):
    """(action, input fingerprint, old manifest): action is skip, resume or fresh (see euro_post/pipeline/resume.py)."""
    if name == "eval":
        input_fingerprint = "+".join(cached_fingerprint(c) for c in checkpoints.values()) or "none"
    else:
        input_fingerprint = cached_fingerprint(input_checkpoint) if input_checkpoint else "scratch"
    old = read_manifest(stage_dir)
    action = stage_action(name, old, recipe, input_fingerprint, stage_dir, rerun_rest, restart)
    if action == "fresh" and stage_dir.exists():
        refuse_unloadable(recipe, name)  # a run that cannot even load its data must not delete the last one
        shutil.rmtree(stage_dir)
    return action, input_fingerprint, old


def check_restart(recipe: Recipe, names: Iterable[str]) -> set[str]:
    """The stages named by --restart-stage, each of which must be in the recipe."""
    names = set(names)
    unknown = sorted(names - set(recipe.enabled_stages()))
    if unknown:
        raise ValueError(
            f"--restart-stage {', '.join(unknown)}: not a stage of this recipe (its stages: {', '.join(recipe.enabled_stages())})"
        )
    return names


def _input_checkpoint(name: str, config, previous: str | None) -> str | None:
    init = getattr(config, "init_from", "previous")
    if name == "eval":
        return previous
    if init == "previous":
        return previous
    if init == "scratch":
        return None
    return init


def _run_stage(ctx: StageContext, config, input_fingerprint: str, resume: bool, old: dict | None = None) -> dict:
    stage_dir = ctx.stage_dir
    main = distributed.is_main_process()
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
    manifest.update(manifest_fields(ctx.recipe, ctx.name))  # trajectory hash and fields, for resume decisions
    if distributed.is_distributed():
        manifest["processes"] = distributed.world_size()
    if main:
        stage_dir.mkdir(parents=True, exist_ok=True)
        remove_partials(ctx.checkpoint_dir)
        atomic_write_json(stage_dir / "stage.json", manifest)
        say(ctx.name, ("resuming" if resume else "starting") + (f" from {ctx.input_checkpoint}" if ctx.input_checkpoint else ""))
        before = (old or {}).get("processes", 1)
        if resume and before != distributed.world_size():
            say(ctx.name, f"the interrupted attempt ran {before} process(es), this one {distributed.world_size()}: "
                          "the global batch changes from here on")

    run = STAGES[ctx.name].run_function()
    seed_everything(ctx.seed)
    _reset_peak_memory()
    start = time.monotonic()
    result: StageResult | None = None
    try:
        if main or distributed.runs_on_every_process(ctx.name):
            with library_warnings.to_stage_log(ctx.name, stage_dir):  # library warnings: its warnings.log
                result = run(config, ctx)
        if not distributed.runs_on_every_process(ctx.name):
            distributed.barrier(f"{ctx.name} on the main process", timeout=distributed.wait_s())
        peaks = distributed.gather(_peak_memory())
    except BaseException as err:
        distributed.report_failure(ctx.name, err)
        if main:
            manifest.update(status="interrupted" if isinstance(err, KeyboardInterrupt) else "failed")
            manifest.update(ended_at=_now(), wall_time_s=round(time.monotonic() - start, 3), error=f"{type(err).__name__}: {err}")
            atomic_write_json(stage_dir / "stage.json", manifest)
        raise
    if main:
        checkpoint = str(result.checkpoint) if result.checkpoint else None
        manifest.update(
            status="complete",
            ended_at=_now(),
            wall_time_s=round(time.monotonic() - start, 3),
            tokens_processed=int(result.tokens_processed),
            peak_memory_bytes=_max_per_key(peaks),
            checkpoint=checkpoint,
            output_fingerprint=fingerprint(checkpoint) if checkpoint else None,
            summary=result.summary,
            hub=fetched(stage_references(ctx.recipe, ctx.name)),  # what came from the hub, at which commit
        )
        manifest.pop("error", None)
        atomic_write_json(stage_dir / "stage.json", manifest)
        say(ctx.name, f"complete in {manifest['wall_time_s']:.1f} s" + (f" -> {checkpoint}" if checkpoint else ""))
    return distributed.broadcast(manifest)


def _max_per_key(peaks: list[dict]) -> dict:
    """One process's peak memory, or the largest of every process's (per measure)."""
    return {key: max(p[key] for p in peaks if key in p) for key in peaks[0]}


def read_manifest(stage_dir: Path) -> dict:
    path = Path(stage_dir) / "stage.json"
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}  # a torn manifest means the stage never finished: run it again
    if manifest.get("checkpoint"):
        # A stage's checkpoint is always <stage_dir>/checkpoint; the path recorded is where the run
        # directory was then (relative to the working directory of that run), and it may have moved.
        manifest["checkpoint"] = str(Path(stage_dir) / "checkpoint")
    return manifest


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
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = importlib.metadata.version(lib.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            versions[lib] = "not installed"
    return versions


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

