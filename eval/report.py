"""The run report: runs/<run>/report/{report.md, report.json, *.png}.

`write_report(run_dir)` rebuilds it from what is on disk, so it works on a finished run, on a
partial one (whatever stages and checkpoints are done so far) and on the output folder of
`euro-post eval`: each stage's stage.json and metrics.jsonl, and the eval results the eval
stage saved in runs/<run>/eval/results/<label>.json. report.json follows the JSON Schema in
`eval/report.schema.json` (its `schema_version` changes with any incompatible change).
`compare_runs(a, b)` puts two runs side by side, language by language.
"""

from __future__ import annotations

import json
from pathlib import Path

from euro_post.eval.metrics import METRICS, PROPORTIONS, difference_interval, paired_macro_difference, stat_from_dict

from euro_post.data.languages import LANGUAGE_CODES
from euro_post.pipeline import trackers
from euro_post.pipeline.checkpoint_io import atomic_write_json, atomic_write_text
from euro_post.provenance.training_summary import read_json, read_yaml

SCHEMA_VERSION = 2
SCHEMA_PATH = Path(__file__).parent / "report.schema.json"
STAGES = ("base_pretrain", "sft", "preference", "rl", "eval")
TRAINING = STAGES[:-1]
# How checkpoint labels read in tables and plots.
DISPLAY = {"base_pretrain": "base"}


def display(label: str) -> str:
    return DISPLAY.get(label, label)


def build_report(run_dir: str | Path) -> dict:
    """Everything the report says, as plain data (the content of report.json, less the plot list)."""
    from euro_post import __version__

    run_dir = Path(run_dir)
    recipe = read_yaml(run_dir / "recipe.yaml")
    stages = []
    for name in STAGES:
        manifest = read_json(run_dir / name / "stage.json")
        if not manifest:
            continue
        records = _read_metrics(run_dir / name / "metrics.jsonl")
        stage = {
            "name": name,
            "status": manifest.get("status", "unknown"),
            "wall_time_s": manifest.get("wall_time_s"),
            "tokens_processed": manifest.get("tokens_processed"),
            "checkpoint": manifest.get("checkpoint"),
            "peak_memory_bytes": manifest.get("peak_memory_bytes") or {},
            "summary": manifest.get("summary") or {},
        }
        if name in TRAINING:
            stage["training"] = _training_summary(records)
        stages.append(stage)
    order, results = load_results(run_dir)
    languages = [lang for lang in LANGUAGE_CODES if any(lang in results[label]["languages"] for label in order)]
    metrics = list(METRICS) + sorted(
        {m for label in order for v in results[label]["languages"].values() for m in v["metrics"] if m not in METRICS}
    )
    evaluation = {
        "checkpoints": order,
        "languages": languages,
        "metrics": metrics,
        "results": {label: _result_entry(results[label]) for label in order},
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "euro_post_version": __version__,
        "run": {
            "name": recipe.get("name") or run_dir.resolve().name,
            "description": recipe.get("description") or "",
            "run_dir": str(run_dir),
            "seed": recipe.get("seed"),
            "languages": recipe.get("languages") or languages,
        },
        "stages": stages,
        "evaluation": evaluation,
        "comparisons": compare_consecutive(order, results, languages),
        "plots": [],
    }


def load_results(run_dir: str | Path) -> tuple[list[str], dict[str, dict]]:
    """The eval results of a run in report order: the order the eval stage recorded, else pipeline order."""
    eval_dir = Path(run_dir) / "eval"
    results = {}
    for path in sorted((eval_dir / "results").glob("*.json")):
        data = read_json(path)
        if data.get("languages") is not None:
            results[data.get("label", path.stem)] = data
    recorded = read_json(eval_dir / "checkpoints.json").get("order", [])
    rank = {label: i for i, label in enumerate(["start", *STAGES, *recorded])}
    order = [label for label in recorded if label in results]
    order += sorted((label for label in results if label not in order), key=lambda l: (rank.get(l, len(rank)), l))
    return order, results


def compare_consecutive(order: list[str], results: dict[str, dict], languages: list[str]) -> list[dict]:
    """What improved and what regressed from each checkpoint to the next, beyond the 95% interval."""
    comparisons = []
    for before, after in zip(order, order[1:]):
        improved, regressed, unchanged = [], [], 0
        for lang in languages:
            a = results[before]["languages"].get(lang)
            b = results[after]["languages"].get(lang)
            if not a or not b:
                continue
            for metric in [m for m in b["metrics"] if m in PROPORTIONS or m.startswith("pass@")]:
                if metric not in a["metrics"]:
                    continue
                diff = difference_interval(stat_from_dict(a["metrics"][metric]), stat_from_dict(b["metrics"][metric]))
                if diff is None:
                    continue
                delta, low, high = diff
                change = {"lang": lang, "metric": metric, "before": a["metrics"][metric]["value"],
                          "after": b["metrics"][metric]["value"], "delta": delta, "low": low, "high": high}
                if low > 0:
                    improved.append(change)
                elif high < 0:
                    regressed.append(change)
                else:
                    unchanged += 1
        comparisons.append({"from": before, "to": after, "overall": overall_changes(results[before], results[after], languages),
                            "improved": improved, "regressed": regressed, "within_interval": unchanged})
    return comparisons


def per_problem_scores(result: dict, languages: list[str]) -> dict:
    """language -> its per-problem scores, as the eval stage stored them (version 2 on)."""
    return {lang: v["problems"] for lang, v in result["languages"].items() if lang in languages and "problems" in v}


def change_weighting(metric: str) -> str:
    """How a paired change of `metric` weighs its languages. Worked-answer accuracy pairs the
    problems both checkpoints worked out: did the same kind of answer get more accurate
    ("sharpening"), not just more frequent. How many those are differs by language (2 where a
    checkpoint still answered bare, 30 elsewhere), so each paired problem weighs the same rather
    than each language."""
    return "problem" if metric == "worked_accuracy" else "language"


def overall_changes(before: dict, after: dict, languages: list[str]) -> list[dict]:
    """The change of each proportion's mean over languages, with a paired 95% interval, where both
    checkpoints kept their per-problem scores (eval results from version 2 on)."""
    changes = []
    for metric in PROPORTIONS:
        change = paired_macro_difference(per_problem_scores(before, languages), per_problem_scores(after, languages),
                                         metric, weigh=change_weighting(metric))
        if change is not None:
            change.update(before=before["summary"].get(metric), after=after["summary"].get(metric))
            changes.append(change)
    return changes


def write_report(run_dir: str | Path) -> dict:
    """Write runs/<run>/report/: report.md, report.json and the PNG plots; return their paths."""
    from euro_post.eval import plots
    from euro_post.eval.report_markdown import render_report

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: no such run folder")
    out = run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(run_dir)
    evaluation = report["evaluation"]
    langs, order = evaluation["languages"], evaluation["checkpoints"]
    written = []
    if order and langs:
        row_labels = list(langs)
        columns = [display(label) for label in order]
        for metric, title in (("accuracy", "Accuracy (%)"), ("language_consistency", "Language consistency (%)")):
            values = [[_value(evaluation["results"][label], lang, metric) for label in order] for lang in langs]
            means = [evaluation["results"][label]["summary"].get(metric) for label in order]
            path = plots.heatmap(
                values, row_labels, columns, f"{title} by language and checkpoint", out / f"{metric}_heatmap.png",
                summary=means if len(langs) > 1 else None,
            )
            written.append(path)
    curves = {display(name): _read_metrics(run_dir / name / "metrics.jsonl") for name in TRAINING}
    curve_path = plots.training_curves({k: v for k, v in curves.items() if v}, out / "training_curves.png")
    if curve_path:
        written.append(curve_path)
    report["plots"] = [p.name for p in written]
    markdown = render_report(report)
    atomic_write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", markdown)
    trackers.report_written(run_dir, report, written)  # tables and plots to the run's trackers, if it has any
    return {"markdown": out / "report.md", "json": out / "report.json", "plots": written}


def validate_report(report: dict) -> None:
    """Raise jsonschema.ValidationError when `report` does not follow report.schema.json."""
    import jsonschema

    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def compare_runs(run_a: str | Path, run_b: str | Path) -> str:
    """Markdown: per-language differences (b - a) for the checkpoints both runs evaluated."""
    from euro_post.eval.report_markdown import render_comparison

    order_a, results_a = load_results(run_a)
    order_b, results_b = load_results(run_b)
    if not order_a or not order_b:
        missing = run_a if not order_a else run_b
        raise FileNotFoundError(f"{missing}: no eval results (eval/results/*.json); run the eval stage first")
    pairs = [(label, label) for label in order_a if label in results_b]
    if not pairs:
        pairs = [(order_a[-1], order_b[-1])]
    return render_comparison(Path(run_a), Path(run_b), pairs, results_a, results_b)


def _result_entry(result: dict) -> dict:
    return {
        "checkpoint": result.get("checkpoint"),
        "mode": result.get("mode", "greedy"),
        "num_samples": result.get("num_samples", 1),
        "max_new_tokens": result.get("max_new_tokens"),
        "generated_tokens": result.get("generated_tokens", 0),
        "pass_at_k": result.get("pass_at_k"),  # the sampled pass behind pass@k in greedy mode, if any
        "rewards": result.get("rewards", []),  # what it was scored with (eval results before plug-ins: none)
        "summary": result.get("summary", {}),
        "languages": result["languages"],
        "lm_eval_other": result.get("lm_eval_other", {}),
    }


def _value(result: dict, lang: str, metric: str) -> float | None:
    return result["languages"].get(lang, {}).get("metrics", {}).get(metric, {}).get("value")


def _training_summary(records: list[dict]) -> dict:
    numeric = {}
    for record in records:
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                numeric[key] = value
    return {"logged_steps": len(records), "last_step": records[-1]["step"] if records else None, "last": numeric}


def _read_metrics(path: Path) -> list[dict]:
    if not Path(path).exists():
        return []
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line of an interrupted stage
        if isinstance(record, dict) and "step" in record:
            records.append(record)
    return records
