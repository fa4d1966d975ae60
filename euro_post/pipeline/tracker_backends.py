"""One class per tracker, each speaking its tracker's own client (see euro_post/pipeline/trackers.py).

Every backend takes the run folder, the project and run name, the resolved recipe (config) and
what trackers.json kept from an earlier attempt (`state`), and offers the same calls:
`scalars(values, step)`, `table(key, columns, rows, step)`, `image(key, path, step)`,
`finish(summary, failed)` and `state()`, what trackers.json keeps to resume the same run.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import yaml


class TensorBoardBackend:
    """Event files under runs/<run>/tensorboard/; a resumed run appends a new event file there."""

    def __init__(self, run_dir: Path, *, project: str, run_name: str, config: dict, state: dict):
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = run_dir / "tensorboard"
        self.writer = SummaryWriter(log_dir=str(self.log_dir))
        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
        self.writer.add_text("recipe", _code_block(text), 0)
        self.writer.flush()

    def state(self) -> dict:
        return {"log_dir": str(self.log_dir)}

    def scalars(self, values: dict[str, float], step: int) -> None:
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def table(self, key: str, columns: list[str], rows: list[list], step: int) -> None:
        self.writer.add_text(key, markdown_table(columns, rows), step)
        self.writer.flush()

    def image(self, key: str, path: Path, step: int) -> None:
        import numpy as np
        from PIL import Image

        with Image.open(path) as picture:
            pixels = np.asarray(picture.convert("RGB"))
        self.writer.add_image(key, pixels, step, dataformats="HWC")
        self.writer.flush()

    def finish(self, summary: dict, failed: bool) -> None:
        text = json.dumps({"failed": failed, "stages": summary}, indent=2, ensure_ascii=False)
        self.writer.add_text("summary", _code_block(text), 0)
        self.writer.close()


class MlflowBackend:
    """An MLflow run: at MLFLOW_TRACKING_URI, else in runs/<run>/mlflow.db with artifacts in runs/<run>/mlruns."""

    def __init__(self, run_dir: Path, *, project: str, run_name: str, config: dict, state: dict):
        # Before mlflow is imported: it decides on import whether its telemetry thread reports usage.
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        from mlflow.tracking import MlflowClient

        for name in ("mlflow", "alembic"):  # database set-up notices on every start (set after mlflow's own set-up)
            logging.getLogger(name).setLevel(logging.WARNING)

        local = not os.environ.get("MLFLOW_TRACKING_URI")
        self.uri = f"sqlite:///{(run_dir / 'mlflow.db').resolve()}" if local else os.environ["MLFLOW_TRACKING_URI"]
        try:
            self.client = MlflowClient(tracking_uri=self.uri)
            self.run_id = self._resumed_run(state) or self._new_run(project, run_name, local, run_dir)
        except Exception as err:
            raise RuntimeError(
                f"report_to: mlflow could not open a run at {self.uri} ({type(err).__name__}: {str(err)[:300]}); "
                "pip install 'euro-post[trackers]'"
            ) from err
        self.client.update_run(self.run_id, status="RUNNING")
        self._params(config)
        self.client.log_text(self.run_id, yaml.safe_dump(config, sort_keys=False, allow_unicode=True), "recipe.yaml")

    def _resumed_run(self, state: dict) -> str | None:
        if state.get("tracking_uri") != self.uri or not state.get("run_id"):
            return None
        try:
            return self.client.get_run(state["run_id"]).info.run_id
        except Exception:
            return None  # deleted, or another store: start a new run

    def _new_run(self, project: str, run_name: str, local: bool, run_dir: Path) -> str:
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or project
        experiment = self.client.get_experiment_by_name(name)
        if experiment is None:
            location = (run_dir / "mlruns").resolve().as_uri() if local else None
            experiment_id = self.client.create_experiment(name, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
        return self.client.create_run(experiment_id, run_name=run_name, tags={"euro_post.recipe": project}).info.run_id

    def _params(self, config: dict) -> None:
        from mlflow.entities import Param

        from euro_post.pipeline.trackers import flatten

        # MLflow refuses to change a logged parameter: a resumed run adds only the new ones
        # (the recipe of every attempt is in recipe.yaml).
        known = self.client.get_run(self.run_id).data.params
        params = [
            Param(key[:250], json.dumps(value) if not isinstance(value, str) else value)
            for key, value in flatten(config).items()
            if key[:250] not in known
        ]
        params = [Param(p.key, p.value[:6000]) for p in params]
        for start in range(0, len(params), 100):
            self.client.log_batch(self.run_id, params=params[start : start + 100])

    def state(self) -> dict:
        return {"tracking_uri": self.uri, "run_id": self.run_id}

    def scalars(self, values: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(key, value, now, step) for key, value in values.items()]
        for start in range(0, len(metrics), 1000):
            self.client.log_batch(self.run_id, metrics=metrics[start : start + 1000])

    def table(self, key: str, columns: list[str], rows: list[list], step: int) -> None:
        data = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
        self.client.log_table(self.run_id, data=data, artifact_file=f"{key}.json")

    def image(self, key: str, path: Path, step: int) -> None:
        self.client.log_artifact(self.run_id, str(path), artifact_path=str(Path(key).parent))

    def finish(self, summary: dict, failed: bool) -> None:
        self.client.log_dict(self.run_id, summary, "summary.json")
        self.client.set_terminated(self.run_id, status="FAILED" if failed else "FINISHED")


class WandbBackend:
    """A W&B run in runs/<run>/wandb/; WANDB_MODE=offline keeps it on disk (`wandb sync` uploads it later)."""

    def __init__(self, run_dir: Path, *, project: str, run_name: str, config: dict, state: dict):
        import wandb

        self.wandb = wandb
        self.project = os.environ.get("WANDB_PROJECT") or project
        # W&B's notices (e.g. "URL not available in offline run", when TRL writes a model card) stay
        # off the terminal: the process-wide setting, which the run's own does not reach.
        wandb.setup(settings=wandb.Settings(silent=True))
        try:
            self.run = wandb.init(
                project=self.project, name=run_name, id=state.get("id"), resume="allow", dir=str(run_dir), config=config,
                settings=wandb.Settings(silent=True, console="off"),
            )
        except Exception as err:
            raise RuntimeError(
                f"report_to: wandb could not start a run ({type(err).__name__}: {str(err)[:300]}); "
                "log in with `wandb login`, or set WANDB_MODE=offline to write it to the run folder"
            ) from err
        # Every stage continues one step axis (see trackers.py); a custom step metric lets a resumed
        # stage log steps again that W&B's own step counter has already passed.
        self.run.define_metric("global_step", hidden=True)
        self.run.define_metric("*", step_metric="global_step")

    def state(self) -> dict:
        return {"id": self.run.id, "project": self.project}

    def scalars(self, values: dict[str, float], step: int) -> None:
        self.run.log({**values, "global_step": step})

    def table(self, key: str, columns: list[str], rows: list[list], step: int) -> None:
        self.run.log({key: self.wandb.Table(columns=columns, data=rows), "global_step": step})

    def image(self, key: str, path: Path, step: int) -> None:
        self.run.log({key: self.wandb.Image(str(path)), "global_step": step})

    def finish(self, summary: dict, failed: bool) -> None:
        from euro_post.pipeline.trackers import flatten

        self.run.summary.update({f"summary/{k}": v for k, v in flatten(summary).items()})
        self.run.finish(exit_code=1 if failed else 0)


class TrackioBackend:
    """A trackio run (local by default; TRACKIO_SPACE_ID sends it to a Space); resumed by run name."""

    def __init__(self, run_dir: Path, *, project: str, run_name: str, config: dict, state: dict):
        import trackio

        self.trackio = trackio
        self.project, self.name = state.get("project") or project, state.get("name") or run_name
        with contextlib.redirect_stdout(io.StringIO()):  # where its dashboard is, printed on every start
            self.run = trackio.init(
                project=self.project, name=self.name, config=config, resume="allow",
                auto_log_gpu=False, auto_log_cpu=False, embed=False,
            )

    def state(self) -> dict:
        return {"project": self.project, "name": self.name}

    def scalars(self, values: dict[str, float], step: int) -> None:
        self.run.log(values, step=step)

    def table(self, key: str, columns: list[str], rows: list[list], step: int) -> None:
        self.run.log({key: self.trackio.Table(columns=columns, data=rows)}, step=step)

    def image(self, key: str, path: Path, step: int) -> None:
        self.run.log({key: self.trackio.Image(str(path))}, step=step)

    def finish(self, summary: dict, failed: bool) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            self.trackio.finish()  # the module's finish also forgets the run, which its exit hook would finish again


BACKENDS: dict[str, Any] = {
    "tensorboard": TensorBoardBackend,
    "mlflow": MlflowBackend,
    "wandb": WandbBackend,
    "trackio": TrackioBackend,
}


def markdown_table(columns: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        return "" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _code_block(text: str) -> str:
    # TensorBoard renders text as markdown: indented lines keep their layout.
    return "\n".join("    " + line for line in text.splitlines())
