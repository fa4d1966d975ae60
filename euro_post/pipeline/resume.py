"""Whether a stage found on disk is skipped, resumed or run again, and when resuming is refused.

A stage's fields split in two. *Trajectory* fields change what the stage computes at every step
(model, data, seed, languages, world, batch geometry, learning rate, ...): a run resumed with a
different value would continue a trajectory that no single configuration produces. *Safe*
fields only say how long to train and how often to log, save and evaluate:

    max_steps, logging_steps, save_steps, save_total_limit, eval_steps, report_to

(`base_pretrain` counts max_steps as a trajectory field: its corpus plan is drawn for
max_steps x batch blocks, so the data order depends on it.) The trajectory hash covers the
trajectory fields of the stage and the recipe-wide settings (seed, languages, world, fused
loss); the runner records it in stage.json and every trainer checkpoint records it too.

| found on disk | recipe now | action |
| --- | --- | --- |
| complete | same trajectory, same or only log/save/eval frequency changed | skip |
| complete | max_steps raised | resume from its last checkpoint and train on to the new max_steps |
| complete | max_steps lowered, or any trajectory field changed | run again from the start |
| complete, final checkpoint missing or not the one recorded | same trajectory | resume (rebuilds it from the last trainer checkpoint) |
| interrupted / failed | same trajectory (safe fields may differ) | resume from the newest verified complete checkpoint |
| interrupted / failed, with a complete trainer checkpoint | a trajectory field changed, or the model it starts from changed on disk | refused, naming every changed field: change them back, or `--restart-stage NAME` |
| interrupted / failed, nothing saved yet | a trajectory field changed | run again from the start |
| stage.json unreadable | a trainer checkpoint records this trajectory and input | resume from it |

An input checkpoint that changed because an earlier stage ran again runs the stage again, as does
`--restart-stage NAME` (and every stage after it).

With max_steps raised, the learning-rate schedule is recomputed for the new length from the
resumed step on: a constant schedule continues exactly as an uninterrupted longer run; a
decaying one (cosine, linear, warmup_stable_decay) follows the new schedule from there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from euro_post.pipeline.checkpoint_io import fingerprint, latest_trainer_checkpoint
from euro_post.pipeline.progress import say
from euro_post.pipeline.stages import TRAINING_STAGES

SAFE_FIELDS = frozenset({"max_steps", "logging_steps", "save_steps", "save_total_limit", "eval_steps", "report_to"})
# Stages for which a generally safe field shapes the trajectory.
NOT_SAFE_IN = {"base_pretrain": frozenset({"max_steps"})}


class ResumeRefused(ValueError):
    """Resuming would continue an interrupted stage with different trajectory fields."""


def safe_fields(name: str) -> frozenset[str]:
    if name not in TRAINING_STAGES:
        return frozenset()  # eval has no trajectory to continue: any change reruns it
    return SAFE_FIELDS - NOT_SAFE_IN.get(name, frozenset())


def trajectory(recipe, name: str) -> dict:
    """Everything that shapes the stage's steps: its config without the safe fields, and the
    recipe-wide settings."""
    config = recipe.stage_config(name).model_dump(mode="json")
    for field in safe_fields(name):
        config.pop(field, None)
    return {
        "config": config,
        "seed": recipe.seed,
        "languages": list(recipe.languages),
        "fused_loss": recipe.fused_loss,
        "world": recipe.world.model_dump(mode="json"),
    }


def trajectory_hash(recipe, name: str) -> str:
    payload = json.dumps({"stage": name, **trajectory(recipe, name)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def manifest_fields(recipe, name: str) -> dict:
    """What the runner adds to stage.json so that a later run can decide and explain."""
    return {"trajectory_hash": trajectory_hash(recipe, name), "trajectory": trajectory(recipe, name)}


def stage_action(name: str, old: dict, recipe, input_fingerprint: str, stage_dir: Path, rerun_rest: bool = False,
           restart: bool = False) -> str:
    """"skip", "resume" or "fresh" for stage `name` (see the table above); raises ResumeRefused."""
    stage_dir = Path(stage_dir)
    if restart:
        if stage_dir.exists():
            say(name, "--restart-stage: discarding its earlier attempt and starting again")
        return "fresh"
    if not old:
        return _recover(name, recipe, input_fingerprint, stage_dir)
    same_input = old.get("input_fingerprint") == input_fingerprint
    if not same_input and (rerun_rest or old.get("status") == "complete"):
        return "fresh"  # an earlier stage ran again, or the input of a finished stage changed: run it on the new input
    same_trajectory = (
        old["trajectory_hash"] == trajectory_hash(recipe, name)
        if "trajectory_hash" in old
        else old.get("config_hash") == recipe.stage_hash(name)
    )
    changed = _changed_safe_fields(name, old, recipe)
    status = old.get("status")
    if status == "complete":
        if not same_trajectory or rerun_rest:
            return "fresh"
        if "max_steps" in changed:
            before, after = changed["max_steps"]
            if after < before:
                say(name, f"max_steps lowered from {before} to {after}: training it again from the start")
                return "fresh"
            say(name, f"max_steps raised from {before} to {after}: continuing from its last checkpoint")
            return "resume"
        if not output_intact(old):
            say(name, f"its final checkpoint {old.get('checkpoint')} is missing or differs from the one recorded: "
                      "rebuilding it from the last trainer checkpoint")
            return "resume"
        if changed:
            say(name, "complete; only " + _describe(changed) + " changed, which does not change its result: skipped")
        return "skip"
    if same_trajectory and same_input:
        if changed:
            say(name, "resuming with " + _describe(changed))
        return "resume"
    saved = latest_trainer_checkpoint(stage_dir / "trainer")
    if saved is None:
        return "fresh"  # nothing trained is lost by starting over
    raise ResumeRefused(refusal(name, old, recipe, saved, input_fingerprint))


def refusal(name: str, old: dict, recipe, saved: Path, input_fingerprint: str | None = None) -> str:
    differences = trajectory_diff(name, old, recipe)
    if input_fingerprint is not None and old.get("input_fingerprint") != input_fingerprint:
        # The model it starts from changed on disk (the same path or hub id, other weights).
        where = old.get("input_checkpoint") or "the input checkpoint"
        differences.append((f"model it starts from ({where}), fingerprint", old.get("input_fingerprint"), input_fingerprint))
    lines = "\n".join(f"  {path}: {before!r} (interrupted run) -> {after!r} (recipe now)" for path, before, after in differences)
    return (
        f"stage {name} was {old.get('status', 'interrupted')} with a trainer checkpoint at {saved.name}, and the recipe "
        f"now changes what it computes at every step:\n{lines or '  (fields not recorded in stage.json)'}\n"
        f"Resuming would continue a run that no single configuration produces. Change "
        f"{'this' if len(differences) == 1 else 'these'} back to continue it, or run again with "
        f"--restart-stage {name} to discard its trained steps and start it over."
    )


def trajectory_diff(name: str, old: dict, recipe) -> list[tuple[str, object, object]]:
    """(recipe path, old value, new value) for every trajectory field that differs."""
    if "trajectory" in old:
        before = old["trajectory"]
    else:  # a stage.json written before trajectories were recorded
        config = dict(old.get("config") or {})
        for field in safe_fields(name):
            config.pop(field, None)
        before = {"config": config, "seed": old.get("seed"), "languages": old.get("languages")}
    after = trajectory(recipe, name)
    flat_before, flat_after = _flatten(before, name), _flatten(after, name)
    return [
        (path, flat_before.get(path, "<unset>"), flat_after.get(path, "<unset>"))
        for path in sorted(set(flat_before) | set(flat_after))
        if flat_before.get(path, "<unset>") != flat_after.get(path, "<unset>") and (path in flat_before or "trajectory" in old)
    ]


def output_intact(manifest: dict) -> bool:
    """The stage's final checkpoint is there and is the one stage.json recorded."""
    checkpoint = manifest.get("checkpoint")
    if checkpoint is None:
        return True  # a stage without a checkpoint (eval)
    if not (Path(checkpoint) / "config.json").exists():
        return False
    recorded = manifest.get("output_fingerprint")
    return recorded is None or cached_fingerprint(checkpoint) == recorded


_FINGERPRINTS: dict[tuple, str] = {}


def cached_fingerprint(checkpoint: str | Path) -> str:
    """`fingerprint(checkpoint)`, computed once per state of the folder's files."""
    path = Path(checkpoint)
    if not path.exists():
        return fingerprint(checkpoint)
    state = tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_file()))
    key = (str(path.resolve()), state)
    if key not in _FINGERPRINTS:
        _FINGERPRINTS[key] = fingerprint(path)
    return _FINGERPRINTS[key]


def _recover(name: str, recipe, input_fingerprint: str, stage_dir: Path) -> str:
    """stage.json missing or unreadable: resume from a trainer checkpoint that records this stage's
    trajectory and input, else start afresh."""
    saved = latest_trainer_checkpoint(stage_dir / "trainer")
    if saved is None:
        return "fresh"
    try:
        marker = json.loads((saved / "checkpoint_complete.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "fresh"
    if marker.get("trajectory_hash") == trajectory_hash(recipe, name) and marker.get("input_fingerprint") == input_fingerprint:
        say(name, f"stage.json is missing or unreadable, but {saved.name} records this configuration and input: resuming from it")
        return "resume"
    return "fresh"


def _changed_safe_fields(name: str, old: dict, recipe) -> dict[str, tuple]:
    before = old.get("config") or {}
    after = recipe.stage_config(name).model_dump(mode="json")
    return {f: (before.get(f), after.get(f)) for f in sorted(safe_fields(name)) if f in before and before.get(f) != after.get(f)}


def _describe(changed: dict[str, tuple]) -> str:
    return ", ".join(f"{field} {before} -> {after}" for field, (before, after) in changed.items())


def _flatten(tree: dict, name: str) -> dict[str, object]:
    out: dict[str, object] = {}

    def walk(value, path):
        if isinstance(value, dict) and value:
            for key, child in value.items():
                walk(child, f"{path}.{key}" if path else key)
        else:
            out[path] = value

    for key, value in tree.items():
        walk(value, f"stages.{name}" if key == "config" else key)
    return out
