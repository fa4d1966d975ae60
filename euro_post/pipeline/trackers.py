"""Experiment trackers: what a run writes to metrics.jsonl, also in a lab's dashboards.

    report_to: [tensorboard]          # recipe-wide: tensorboard, wandb, mlflow, trackio
    stages:
      rl:
        report_to: []                 # a training stage may override it ([] sends it nowhere)

One tracker run per recipe run. The runner opens it (`tracking`), and it is fed from the one
place every metric already goes through, `MetricsWriter.log` (euro_post/pipeline/progress.py):
each key gets its stage as prefix (`sft/loss`, `rl/reward/de`, `base_pretrain/eval/loss_de`) and
steps continue from stage to stage (a stage's step s is logged at s plus the max_steps of the
training stages before it), so base_pretrain -> eval is one timeline. The eval report adds its
per-language x checkpoint table (a table where the tracker has one, markdown on tensorboard),
per-language scalars (`eval/accuracy/de`, one step per checkpoint) and its plots as images; the
resolved recipe goes in as config/params, every stage's stage.json facts as the final summary.

The tracker run's id is kept in runs/<run>/trackers.json, so a resumed run continues the same
tracker run: wandb with the same id, mlflow with the same run id, trackio with the same run
name, tensorboard appending to runs/<run>/tensorboard/. Without MLFLOW_TRACKING_URI, mlflow
writes to runs/<run>/mlflow.db; WANDB_PROJECT and MLFLOW_EXPERIMENT_NAME override the project,
which is otherwise the recipe's name (the run name is the run folder's).

Why not transformers' own `report_to` callbacks: they open one tracker run per Trainer, so one
per stage; they see only Trainer logs, not the eval tables or what other stages log; and they
would log every Trainer metric a second time, since StageCallback already writes each one here.
A tracker that fails mid-run is reported once and dropped: a dashboard must not stop training.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import sys
from pathlib import Path
from typing import Any, Iterator

# Tracker name (as transformers' `report_to` spells it) -> the module it needs.
TRACKERS = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow", "trackio": "trackio"}
INSTALL_HINT = {"trackio": "pip install trackio"}  # the others come with the extra
STATE_FILE = "trackers.json"

_active: "Tracker | None" = None


def check_report_to(value: Any) -> list[str] | None:
    """A recipe's `report_to`: a name or a list of names, each a tracker transformers knows,
    supported here and installed. "none" (or []) reports to no tracker. None passes through."""
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"expected a tracker name or a list of them, got {value!r}")
    names = [n.strip().lower() for n in names if n.strip().lower() not in ("none", "")]
    for name in names:
        if name not in TRACKERS:
            from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

            known = name in INTEGRATION_TO_CALLBACK
            kind = "is a transformers integration euro-post does not report to" if known else "is not a tracker"
            raise ValueError(f"{name!r} {kind}; use any of {', '.join(TRACKERS)}")
        if importlib.util.find_spec(TRACKERS[name]) is None:
            hint = INSTALL_HINT.get(name, "pip install 'euro-post[trackers]'")
            raise ValueError(f"{name} is not installed; {hint}")
    return list(dict.fromkeys(names))


def stage_routes(recipe) -> dict[str, list[str]]:
    """stage -> the trackers its metrics go to: its own `report_to` where it sets one, else the recipe's."""
    routes = {}
    for name in recipe.enabled_stages():
        own = getattr(recipe.stage_config(name), "report_to", None)
        routes[name] = list(own if own is not None else recipe.report_to)
    return routes


def stage_offsets(recipe) -> dict[str, int]:
    """stage -> the tracker step its step 0 maps to: the max_steps of the stages before it, added up."""
    offsets, total = {}, 0
    for name in recipe.enabled_stages():
        offsets[name] = total
        total += int(getattr(recipe.stage_config(name), "max_steps", 0) or 0)
    return offsets


@contextlib.contextmanager
def tracking(recipe, run_dir: str | Path) -> Iterator["Tracker | None"]:
    """Open the recipe's trackers for the run (on the main process only) and close them at the end."""
    from euro_post.training import distributed

    global _active
    routes = stage_routes(recipe)
    names = list(dict.fromkeys(n for stage in routes.values() for n in stage))
    if not names or not distributed.is_main_process():
        yield None
        return
    tracker = Tracker.open(recipe, Path(run_dir), names, routes)
    _active = tracker
    try:
        yield tracker
    except BaseException:
        tracker.close(failed=True)
        raise
    else:
        tracker.close(failed=False)
    finally:
        _active = None


def forward_metrics(metrics_path: Path, record: dict) -> None:
    """Hook of MetricsWriter.log: hand a metrics.jsonl line of the open run to its trackers."""
    if _active is not None:
        _active.log_metrics_file(Path(metrics_path), record)


def report_written(run_dir: str | Path, report: dict, plots: list[Path]) -> None:
    """Hook of the eval report: its tables, per-language scalars and plots to the open run's trackers."""
    if _active is not None and Path(run_dir).resolve() == _active.run_dir.resolve():
        _active.log_report(report, plots)


class Tracker:
    """One tracker run over every stage of a recipe run, fanned out to its backends."""

    def __init__(self, run_dir: Path, backends: dict, routes: dict[str, list[str]], offsets: dict[str, int]):
        self.run_dir, self.backends, self.routes, self.offsets = run_dir, backends, routes, offsets
        self.last_step = 0

    @classmethod
    def open(cls, recipe, run_dir: Path, names: list[str], routes: dict[str, list[str]]) -> "Tracker":
        from euro_post import __version__
        from euro_post.pipeline.checkpoint_io import atomic_write_json
        from euro_post.pipeline.tracker_backends import BACKENDS

        run_dir.mkdir(parents=True, exist_ok=True)
        state = _read_state(run_dir / STATE_FILE)
        config = recipe.model_dump(mode="json")
        config["run_dir"] = str(run_dir.resolve())
        config["euro_post_version"] = __version__
        backends = {}
        for name in names:
            backends[name] = BACKENDS[name](
                run_dir, project=recipe.name, run_name=run_dir.resolve().name, config=config, state=state.get(name, {})
            )
        atomic_write_json(run_dir / STATE_FILE, {name: backend.state() for name, backend in backends.items()})
        return cls(run_dir, backends, routes, stage_offsets(recipe))

    def log_metrics_file(self, path: Path, record: dict) -> None:
        stage = path.parent.name
        if path.parent.parent.resolve() != self.run_dir.resolve() or stage not in self.routes:
            return  # a metrics file of another run or folder
        self.log_metrics(stage, int(record.get("step", 0)), record)

    def log_metrics(self, stage: str, step: int, record: dict) -> None:
        numbers = {_key(stage, key): _number(value) for key, value in record.items() if key != "step"}
        values = {key: value for key, value in numbers.items() if value is not None}
        if not values:
            return
        global_step = self.offsets.get(stage, 0) + step
        self.last_step = max(self.last_step, global_step)
        self._each(self.routes.get(stage, []), "scalars", values, global_step)

    def log_report(self, report: dict, plots: list[Path]) -> None:
        evaluation = report.get("evaluation") or {}
        order, langs = evaluation.get("checkpoints") or [], evaluation.get("languages") or []
        metrics = list(evaluation.get("metrics") or [])
        results = evaluation.get("results") or {}
        names = self.routes.get("eval", [])
        offset = self.offsets.get("eval", 0)
        columns = ["checkpoint", "language", *metrics]
        rows = []
        for index, label in enumerate(order, start=1):
            per_language = {}
            for lang in langs:
                values = {m: _metric(results.get(label, {}), lang, m) for m in metrics}
                rows.append([label, lang, *values.values()])
                per_language.update({f"eval/{m}/{lang}": v for m, v in values.items() if v is not None})
            if per_language:
                self._each(names, "scalars", per_language, offset + index)
        step = offset + len(order)
        self.last_step = max(self.last_step, step)
        if rows:
            self._each(names, "table", "eval/results", columns, rows, step)
        for path in plots:
            self._each(names, "image", f"report/{Path(path).stem}", Path(path), step)

    def close(self, failed: bool) -> None:
        summary = run_summary(self.run_dir, list(self.routes))
        self._each(list(self.backends), "finish", summary, failed)
        self.backends = {}

    def _each(self, names: list[str], method: str, *args) -> None:
        for name in names:
            backend = self.backends.get(name)
            if backend is None:
                continue
            try:
                getattr(backend, method)(*args)
            except Exception as err:  # a dashboard must not stop the run: report once, stop sending to it
                sys.stderr.write(f"[trackers] {name}: {type(err).__name__}: {err}; no longer reporting to {name}\n")
                self.backends.pop(name, None)


def run_summary(run_dir: Path, stages: list[str]) -> dict:
    """Each stage's status, time, tokens and summary facts from its stage.json."""
    import json

    summary = {}
    for stage in stages:
        try:
            manifest = json.loads((run_dir / stage / "stage.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            continue
        keep = ("status", "wall_time_s", "tokens_processed", "resumed", "summary")
        summary[stage] = {k: manifest[k] for k in keep if k in manifest}
    return summary


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a/b": 1}; lists and other leaves stay as they are."""
    flat = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, path + "/"))
        else:
            flat[path] = value
    return flat


def _key(stage: str, key: str) -> str:
    return key if key.startswith(f"{stage}/") else f"{stage}/{key}"


def _number(value: Any) -> float | None:
    """A metric value as a float: numbers, and the "nan"/"inf" strings metrics.jsonl writes for them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf", "+inf"):
        return float(value)
    return None


def _metric(result: dict, lang: str, metric: str) -> float | None:
    value = result.get("languages", {}).get(lang, {}).get("metrics", {}).get(metric, {}).get("value")
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else float(value)


def _read_state(path: Path) -> dict:
    import json

    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return state if isinstance(state, dict) else {}
