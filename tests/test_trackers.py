"""Experiment trackers: every metric of a run, read back with each tracker's own reader, offline."""

from __future__ import annotations

import glob
import json
import struct
from pathlib import Path

import pytest

from euro_post.pipeline import trackers
from euro_post.pipeline.progress import MetricsWriter
from euro_post.pipeline.recipe import RecipeError, load_recipe, validate_recipe

ROOT = Path(__file__).resolve().parent.parent
# Two training stages and the eval: sft's steps come first, rl's continue after sft's max_steps (6).
RAW = {
    "name": "tracked",
    "languages": ["de", "fr"],
    "stages": {"sft": {"init_from": "/checkpoints/start", "max_steps": 6}, "rl": {"max_steps": 3}, "eval": {}},
}
REPORT = {
    "evaluation": {
        "checkpoints": ["sft", "rl"],
        "languages": ["de", "fr"],
        "metrics": ["accuracy", "format"],
        "results": {
            label: {
                "languages": {
                    lang: {"metrics": {"accuracy": {"value": acc}, "format": {"value": 0.5}}}
                    for lang, acc in (("de", 0.25 + bonus), ("fr", 0.5 + bonus))
                }
            }
            for label, bonus in (("sft", 0.0), ("rl", 0.125))
        },
    }
}


def errors_of(raw: dict) -> str:
    with pytest.raises(RecipeError) as info:
        validate_recipe(raw)
    return str(info.value)


def test_tracker_names_are_transformers_integrations():
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    assert set(trackers.TRACKERS) <= set(INTEGRATION_TO_CALLBACK)


def test_report_to_is_validated_with_the_recipe(monkeypatch):
    assert validate_recipe(RAW).report_to == []
    assert validate_recipe({**RAW, "report_to": "tensorboard"}).report_to == ["tensorboard"]
    assert validate_recipe({**RAW, "report_to": "none"}).report_to == []
    assert "report_to: 'tensorbord' is not a tracker; use any of tensorboard, wandb, mlflow, trackio" in errors_of(
        {**RAW, "report_to": ["tensorbord"]}
    )
    assert "report_to: 'comet_ml' is a transformers integration euro-post does not report to" in errors_of(
        {**RAW, "report_to": ["comet_ml"]}
    )
    real = trackers.importlib.util.find_spec
    monkeypatch.setattr(trackers.importlib.util, "find_spec", lambda name: None if name == "mlflow" else real(name))
    assert "report_to: mlflow is not installed; pip install 'euro-post[trackers]'" in errors_of({**RAW, "report_to": ["mlflow"]})
    sft = {**RAW["stages"]["sft"], "report_to": ["mlflow"]}
    assert "stages.sft.report_to: mlflow is not installed" in errors_of({**RAW, "stages": {**RAW["stages"], "sft": sft}})


def test_set_parses_a_list_and_a_stage_may_override(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps(RAW), encoding="utf-8")
    recipe = load_recipe(path, ["report_to=[tensorboard]", "stages.rl.report_to=[]"])
    assert recipe.report_to == ["tensorboard"] and recipe.stages.sft.report_to is None
    assert trackers.stage_routes(recipe) == {"sft": ["tensorboard"], "rl": [], "eval": ["tensorboard"]}
    assert trackers.stage_offsets(recipe) == {"sft": 0, "rl": 6, "eval": 9}


def test_report_to_never_reruns_a_finished_stage():
    from euro_post.pipeline.resume import trajectory_hash

    quiet, tracked = validate_recipe(RAW), validate_recipe({**RAW, "stages": {**RAW["stages"], "rl": {"max_steps": 3, "report_to": []}}})
    assert trajectory_hash(quiet, "rl") == trajectory_hash(tracked, "rl")


def log_a_run(run_dir: Path, report_to: list[str]) -> None:
    """What the stages of a run log, through the same MetricsWriter they use, plus the eval report."""
    from PIL import Image

    recipe = validate_recipe({**RAW, "report_to": report_to})
    plot = run_dir / "report" / "accuracy_heatmap.png"
    plot.parent.mkdir(parents=True)
    Image.new("RGB", (8, 6), (200, 30, 30)).save(plot)
    with trackers.tracking(recipe, run_dir) as tracker:
        assert tracker is not None
        MetricsWriter(run_dir / "sft" / "metrics.jsonl").log(2, loss=1.5, learning_rate=1e-3)
        MetricsWriter(run_dir / "sft" / "metrics.jsonl").log(4, loss=1.25, **{"eval/loss_de": 2.0})
        MetricsWriter(run_dir / "rl" / "metrics.jsonl").log(1, loss=0.5, **{"reward/de": 0.75, "accuracy/fr": 0.5, "note": "x"})
        MetricsWriter(run_dir / "eval" / "metrics.jsonl").log(1, checkpoint="sft", **{"eval/accuracy": 0.375})
        MetricsWriter(run_dir.parent / "elsewhere" / "metrics.jsonl").log(1, loss=9.0)  # not this run's
        trackers.report_written(run_dir, REPORT, [plot])


def test_tensorboard_event_files_hold_every_metric(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = tmp_path / "run"
    log_a_run(run_dir, ["tensorboard"])
    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()

    def scalars(tag):
        return [(e.step, e.value) for e in events.Scalars(tag)]

    assert scalars("sft/loss") == [(2, 1.5), (4, 1.25)]
    assert scalars("sft/eval/loss_de") == [(4, 2.0)]
    assert scalars("rl/reward/de") == [(7, 0.75)] and scalars("rl/accuracy/fr") == [(7, 0.5)]
    assert scalars("eval/accuracy") == [(10, 0.375)]  # already prefixed: not eval/eval/accuracy
    assert scalars("eval/accuracy/de") == [(10, 0.25), (11, 0.375)]  # one step per checkpoint
    assert "rl/note" not in events.Tags()["scalars"] and "elsewhere/loss" not in events.Tags()["scalars"]
    table = events.Tensors("eval/results/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| checkpoint | language | accuracy | format |" in table and "| rl | fr | 0.625 | 0.5 |" in table
    assert events.Images("report/accuracy_heatmap")[0].width == 8
    recipe_text = events.Tensors("recipe/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "name: tracked" in recipe_text
    summary = events.Tensors("summary/text_summary")[0].tensor_proto.string_val[0].decode()
    assert '"failed": false' in summary


def test_mlflow_run_in_a_local_store_holds_metrics_params_and_tables(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from mlflow.tracking import MlflowClient

    run_dir = tmp_path / "run"
    log_a_run(run_dir, ["mlflow"])
    state = json.loads((run_dir / "trackers.json").read_text())["mlflow"]
    assert state["tracking_uri"] == f"sqlite:///{(run_dir / 'mlflow.db').resolve()}"
    client = MlflowClient(tracking_uri=state["tracking_uri"])
    run = client.get_run(state["run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "sft/loss")] == [(2, 1.5), (4, 1.25)]
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "rl/reward/de")] == [(7, 0.75)]
    assert [m.value for m in client.get_metric_history(run.info.run_id, "eval/accuracy/fr")] == [0.5, 0.625]
    assert run.data.params["name"] == "tracked" and run.data.params["stages/sft/max_steps"] == "6"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)} | {
        a.path for folder in ("eval", "report") for a in client.list_artifacts(run.info.run_id, folder)
    }
    assert {"recipe.yaml", "summary.json", "eval/results.json", "report/accuracy_heatmap.png"} <= artifacts
    table = json.loads(Path(client.download_artifacts(run.info.run_id, "eval/results.json", str(tmp_path))).read_text())
    assert table["columns"] == ["checkpoint", "language", "accuracy", "format"] and ["rl", "fr", 0.625, 0.5] in table["data"]

    # A resumed run continues the same MLflow run.
    log_a_run_again(run_dir, ["mlflow"])
    assert json.loads((run_dir / "trackers.json").read_text())["mlflow"]["run_id"] == state["run_id"]
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "sft/loss")][-1] == (4, 1.0)


def log_a_run_again(run_dir: Path, report_to: list[str]) -> None:
    recipe = validate_recipe({**RAW, "report_to": report_to})
    with trackers.tracking(recipe, run_dir):
        MetricsWriter(run_dir / "sft" / "metrics.jsonl").log(4, loss=1.0)


def wandb_records(path: str):
    """The records of an offline W&B run file (a LevelDB-style log of protobuf records)."""
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B"
    position, chunks = 7, b""
    while position + 7 <= len(data):
        room = 32768 - position % 32768
        if room < 7:
            position += room
            continue
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if length == 0 and kind == 0:
            position += room  # padding to the end of the block
            continue
        if position + 7 + length > len(data):
            return  # a record still being written
        chunks += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (1, 4):  # a full record, or the last piece of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(chunks)
            chunks = b""
            yield record


def finished_records(path: str, wait_s: float = 60.0) -> list:
    """The run file's records once W&B's writer process has written the run's end (it writes after finish() returns)."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        records = list(wandb_records(path))
        if any(r.WhichOneof("record_type") == "exit" for r in records) or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def test_wandb_offline_run_folder_holds_the_history(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_dir = tmp_path / "run"
    log_a_run(run_dir, ["wandb"])
    run_id = json.loads((run_dir / "trackers.json").read_text())["wandb"]["id"]
    (run_file,) = glob.glob(str(run_dir / "wandb" / f"offline-run-*-{run_id}" / f"run-{run_id}.wandb"))
    records = finished_records(run_file)
    history = [
        {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
        for record in records
        if record.WhichOneof("record_type") == "history"
    ]
    rows = {(row.get("global_step"), key): value for row in history for key, value in row.items()}
    assert rows[(2, "sft/loss")] == 1.5 and rows[(4, "sft/eval/loss_de")] == 2.0
    assert rows[(7, "rl/reward/de")] == 0.75 and rows[(11, "eval/accuracy/fr")] == 0.625
    assert any(key == "eval/results/_type" and value == "table-file" for (_, key), value in rows.items())


def test_trackio_run_holds_the_metrics(tmp_path, monkeypatch):
    import sys

    if "trackio" not in sys.modules:
        monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "trackio"))  # read once, when trackio is imported
    trackio = pytest.importorskip("trackio")  # not in the extra: it pins an older pillow
    if Path(trackio.utils.TRACKIO_DIR) != tmp_path / "trackio":
        pytest.skip("trackio was imported earlier in this process with another folder")
    log_a_run(tmp_path / "run", ["trackio"])
    logs = trackio.SQLiteStorage.get_logs("tracked", "run")
    assert {(row["step"], row["sft/loss"]) for row in logs if "sft/loss" in row} == {(2, 1.5), (4, 1.25)}
    assert [row["rl/reward/de"] for row in logs if "rl/reward/de" in row] == [0.75]


def test_a_failing_tracker_is_dropped_and_the_run_goes_on(tmp_path, capsys):
    class Broken:
        def scalars(self, values, step):
            raise ConnectionError("dashboard unreachable")

    tracker = trackers.Tracker(tmp_path, {"wandb": Broken()}, {"sft": ["wandb"]}, {"sft": 0})
    tracker.log_metrics("sft", 1, {"loss": 1.0})
    tracker.log_metrics("sft", 2, {"loss": 0.5})
    assert tracker.backends == {}
    assert capsys.readouterr().err.count("dashboard unreachable; no longer reporting to wandb") == 1


@pytest.mark.slow
def test_smoke_recipe_reports_every_stage_to_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from euro_post.pipeline.runner import run_recipe

    recipe = load_recipe(ROOT / "recipes" / "smoke.yaml", ["report_to=[tensorboard]"])
    run_recipe(recipe, tmp_path / "run")
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    # Every number of every stage's metrics.jsonl, under its stage.
    for stage in recipe.enabled_stages():
        lines = MetricsWriter(tmp_path / "run" / stage / "metrics.jsonl").read()
        keys = {trackers._key(stage, k) for line in lines for k, v in line.items() if k != "step" and trackers._number(v) is not None}
        assert keys and keys <= tags, (stage, sorted(keys - tags))
    for stage in ("base_pretrain", "sft", "preference", "rl"):
        assert f"{stage}/loss" in tags, stage
    # Steps continue from stage to stage: base_pretrain 1-4, sft 5-8, preference 9-10, rl 11-12, eval 13-16.
    assert [e.step for e in events.Scalars("sft/loss")] == [6, 8]
    assert [e.step for e in events.Scalars("rl/loss")] == [11, 12]
    assert any(tag.startswith("rl/reward/") for tag in tags) and any(tag.startswith("rl/accuracy/") for tag in tags)
    for lang in recipe.languages:
        assert f"base_pretrain/eval/loss_{lang}" in tags
        assert [e.step for e in events.Scalars(f"eval/accuracy/{lang}")] == [13, 14, 15, 16]
    assert {"report/accuracy_heatmap", "report/training_curves"} <= set(events.Tags()["images"])
    assert "eval/results/text_summary" in events.Tags()["tensors"]
