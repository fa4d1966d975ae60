"""The report of a seed group: one recipe run once per seed (`euro-post run RECIPE --seeds 3`).

A seed group folder holds one complete run folder per seed (`seed-<n>/`, each with its own
report) and, written from them, `seeds.json` and `seeds.md`:
- per checkpoint and metric (each a mean over languages, as in a run's summary): the mean over
  seeds, a Student-t 95% interval over seeds (df = seeds - 1: with 3 seeds it is wide, which is
  the honest answer), min and max, and every seed's value;
- per change between consecutive checkpoints: the same over seeds, next to each seed's own
  interval paired problem by problem (what one run's report says); where a seed's report has that
  paired change, it is the seed's value (worked-answer accuracy: on the problems both worked
  out, each weighing the same). The per-run interval is the uncertainty from the finite set of
  problems, and the mean over seeds has one too (`paired_mean`: the seeds share the problems, so
  each problem is one draw); the interval over seeds adds what a different seed (initialisation,
  data order, sampling) would have given.
`compare_groups(a, b)` puts two groups side by side with Welch's interval on the difference of
their means (the groups' seeds are independent draws, even where the numbers coincide).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from euro_post.eval.metrics import (METRICS, is_reward_metric, metric_title, paired_change_over_seeds, seed_spread,
                                    welch_difference)
from euro_post.eval.report import build_report, change_weighting, display, per_problem_scores

from euro_post.pipeline.checkpoint_io import atomic_write_json, atomic_write_text
from euro_post.provenance.training_summary import read_json

GROUP_FILE = "seeds.json"
GROUP_MARKDOWN = "seeds.md"
GROUP_VERSION = 1
_SEED_DIR = re.compile(r"^seed-(\d+)$")


def seed_dir_name(seed: int) -> str:
    return f"seed-{seed}"


def group_runs(group_dir: str | Path) -> dict[int, Path]:
    """seed -> run folder: the seeds seeds.json lists (the last `--seeds` run on this folder),
    else every seed-<n>/ folder that holds a run, by seed."""
    group_dir = Path(group_dir)
    listed = read_json(group_dir / GROUP_FILE).get("seeds")
    if isinstance(listed, list) and all(isinstance(s, int) for s in listed):
        return {seed: group_dir / seed_dir_name(seed) for seed in listed}
    found = {}
    for path in group_dir.iterdir() if group_dir.is_dir() else []:
        match = _SEED_DIR.match(path.name)
        if match and (path / "recipe.yaml").exists():
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def is_seed_group(path: str | Path) -> bool:
    return bool(group_runs(path))


def _scale(metric: str) -> float:
    """Proportions read in % (changes in points); lengths in tokens and rewards as scores stay."""
    return 1.0 if metric == "length" or is_reward_metric(metric) else 100.0


def _metric_order(names) -> list[str]:
    names = set(names)
    passes = sorted((m for m in names if m.startswith("pass@")), key=lambda m: int(m[5:]))
    return [m for m in METRICS if m in names] + passes + sorted(m for m in names if is_reward_metric(m))


def build_group_report(group_dir: str | Path) -> dict:
    """Everything seeds.json says, from the seed runs' own eval results on disk."""
    group_dir = Path(group_dir)
    runs = group_runs(group_dir)
    if not runs:
        raise FileNotFoundError(f"{group_dir}: not a seed group (no {GROUP_FILE} and no seed-<n>/ run folders)")
    reports = {seed: build_report(path) for seed, path in runs.items() if path.is_dir()}
    order: list[str] = []
    for report in reports.values():
        order += [label for label in report["evaluation"]["checkpoints"] if label not in order]
    metrics = _metric_order(m for r in reports.values() for res in r["evaluation"]["results"].values() for m in res["summary"])

    checkpoints = {}
    for label in order:
        entry = {}
        for metric in metrics:
            values = {seed: r["evaluation"]["results"][label]["summary"].get(metric)
                      for seed, r in reports.items() if label in r["evaluation"]["results"]}
            values = {seed: v for seed, v in values.items() if v is not None}
            spread = seed_spread(list(values.values()), None if _scale(metric) == 1 else (0.0, 1.0))
            if spread:
                entry[metric] = {**spread, "values": {str(s): v for s, v in values.items()}}
        checkpoints[label] = entry

    changes = []
    for before, after in itertools.pairwise(order):
        change = {"from": before, "to": after, "metrics": {}}
        for metric in metrics:
            deltas, paired = {}, {}
            for seed, report in reports.items():
                results = report["evaluation"]["results"]
                if before not in results or after not in results:
                    continue
                a, b = results[before]["summary"].get(metric), results[after]["summary"].get(metric)
                if a is not None and b is not None:
                    deltas[str(seed)] = b - a
                for comp in report["comparisons"]:
                    if comp["from"] == before and comp["to"] == after:
                        for c in comp.get("overall", []):
                            if c["metric"] == metric:
                                paired[str(seed)] = {k: c[k] for k in ("delta", "low", "high", "problems")}
                                # The change on the problems both checkpoints could be judged on (for
                                # worked-answer accuracy: both worked out), as the interval beside it;
                                # the plain difference of the two means also counts problems only one has.
                                deltas[str(seed)] = c["delta"]
            spread = seed_spread(list(deltas.values()))
            if spread:
                change["metrics"][metric] = {**spread, "values": deltas, "paired": paired}
                # Only where every seed's value is its paired change: the interval must belong to the mean.
                if paired and paired.keys() == deltas.keys():
                    change["metrics"][metric]["paired_mean"] = _paired_mean(reports, before, after, metric)
        changes.append(change)

    first = next(iter(reports.values()), {})
    return {
        "version": GROUP_VERSION,
        "name": (first.get("run") or {}).get("name") or group_dir.resolve().name,
        "group_dir": str(group_dir),
        "seeds": list(runs),
        "runs": {str(seed): str(path) for seed, path in runs.items()},
        "evaluated": {str(seed): seed in reports and bool(reports[seed]["evaluation"]["checkpoints"]) for seed in runs},
        "checkpoints": order,
        "metrics": metrics,
        "summary": checkpoints,
        "changes": changes,
    }


def write_group_report(group_dir: str | Path) -> dict:
    """Write seeds.json and seeds.md into the group folder; return their paths."""
    group_dir = Path(group_dir)
    report = build_group_report(group_dir)
    atomic_write_json(group_dir / GROUP_FILE, report)
    atomic_write_text(group_dir / GROUP_MARKDOWN, render_group(report))
    return {"json": group_dir / GROUP_FILE, "markdown": group_dir / GROUP_MARKDOWN}


def _num(value: float | None, metric: str, signed: bool = False) -> str:
    if value is None:
        return "–"
    scaled = value * _scale(metric)
    digits = 3 if is_reward_metric(metric) else 1
    return f"{scaled:+.{digits}f}" if signed else f"{scaled:.{digits}f}"


def _spread_cells(entry: dict, metric: str, signed: bool = False) -> list[str]:
    interval = f"[{_num(entry['low'], metric, signed)}, {_num(entry['high'], metric, signed)}]" if entry["n"] > 1 else "–"
    return [_num(entry["mean"], metric, signed), interval,
            f"{_num(entry['min'], metric, signed)} to {_num(entry['max'], metric, signed)}"]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| --- | --- |" + " ---: |" * (len(header) - 2)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _titled(metric: str) -> str:
    """`accuracy (%)`, `mean length (tokens)`, `reward arithmetic (score)`."""
    if metric == "length":
        return metric_title(metric)
    return f"{metric_title(metric)} ({'score' if is_reward_metric(metric) else '%'})"


def _paired_mean(reports: dict, before: str, after: str, metric: str) -> dict | None:
    """The mean over seeds of the seeds' paired changes, with its interval from the problems drawn
    (the same held-out problems for every seed, each problem one draw)."""
    pairs = []
    for report in reports.values():
        results, languages = report["evaluation"]["results"], report["evaluation"]["languages"]
        if before in results and after in results:
            pairs.append((per_problem_scores(results[before], languages), per_problem_scores(results[after], languages)))
    change = paired_change_over_seeds(pairs, metric, weigh=change_weighting(metric))
    return change and {k: change[k] for k in ("delta", "low", "high", "problems", "weigh")}


def render_group(report: dict) -> str:
    seeds = report["seeds"]
    out = [f"# Seed group: {report['name']}", "",
           (f"{len(seeds)} seed(s): {', '.join(map(str, seeds))}; one run folder each "
           f"(`seed-<n>/`, with its own report). Every number is a mean over languages (every language "
           "weighs the same), as in a run's summary; proportions in % and changes in points. The interval is "
           "Student's t over seeds (95%, df = seeds - 1); min to max is the range the seeds gave."), ""]
    missing = [s for s, done in report["evaluated"].items() if not done]
    if missing:
        out += [f"Not evaluated yet: seed {', '.join(missing)} (left out below).", ""]
    if not report["checkpoints"]:
        return "\n".join(out + ["No checkpoint has been evaluated yet.", ""])
    header = ["checkpoint", "metric", "mean", "95% interval over seeds", "min to max"] + [f"seed {s}" for s in seeds]
    rows = []
    for label in report["checkpoints"]:
        for metric in report["metrics"]:
            entry = report["summary"][label].get(metric)
            if entry:
                rows.append([display(label), _titled(metric), *_spread_cells(entry, metric)]
                            + [_num(entry["values"].get(str(s)), metric) for s in seeds])
    out += ["## Checkpoints", ""] + _table(header, rows) + [""]
    if report["changes"]:
        out += ["## Changes between consecutive checkpoints", "",
                ("The change over seeds, and each seed's change with its own 95% interval paired problem by problem "
                "(accuracy, worked-answer accuracy, format and language consistency; the run report's figure). "
                "For these the change is the paired one, on the problems both checkpoints could be judged on "
                "(worked-answer accuracy: the problems both worked out, each weighing the same), so it can differ "
                "from the difference of the checkpoints' values above. Its paired interval is that of the mean over "
                "these seeds: every seed was evaluated on the same problems, each problem counts as one draw, so it "
                "says whether the change is more than the luck of the problems drawn; the interval over seeds says "
                "what other seeds would give."), ""]
        header = (["change", "metric", "mean", "95% interval paired (the problems drawn)", "95% interval over seeds",
                   "min to max"] + [f"seed {s}" for s in seeds])
        rows = []
        for change in report["changes"]:
            for metric, entry in change["metrics"].items():
                pooled = entry.get("paired_mean")
                pooled = f"[{_num(pooled['low'], metric, True)}, {_num(pooled['high'], metric, True)}]" if pooled else "–"
                cells = []
                for s in seeds:
                    delta, paired = entry["values"].get(str(s)), entry["paired"].get(str(s))
                    cell = _num(delta, metric, signed=True)
                    if paired:
                        cell += f" [{_num(paired['low'], metric, True)}, {_num(paired['high'], metric, True)}]"
                    cells.append(cell)
                mean, *spread = _spread_cells(entry, metric, signed=True)
                rows.append([f"{display(change['from'])} → {display(change['to'])}", metric_title(metric),
                             mean, pooled, *spread] + cells)
        out += _table(header, rows) + [""]
    return "\n".join(out)


def compare_groups(group_a: str | Path, group_b: str | Path) -> str:
    """Markdown: per checkpoint both groups evaluated and per metric, each group's mean over seeds
    and the difference b - a with Welch's 95% interval over seeds."""
    a, b = build_group_report(group_a), build_group_report(group_b)
    labels = [label for label in a["checkpoints"] if label in b["checkpoints"]]
    if not labels:
        raise FileNotFoundError(
            f"{group_a} and {group_b}: no checkpoint evaluated in both seed groups "
            f"(a: {', '.join(a['checkpoints']) or 'none'}; b: {', '.join(b['checkpoints']) or 'none'})"
        )
    out = [(f"# Comparing seed groups `{group_a}` (a, seeds {', '.join(map(str, a['seeds']))}) and "
           f"`{group_b}` (b, seeds {', '.join(map(str, b['seeds']))})"), "",
           ("Means over languages, then over seeds; b − a in points (length: tokens) with Welch's 95% t interval "
           "over seeds (– with fewer than 2 seeds in a group); `*`: the interval excludes zero."), ""]
    rows = []
    for label in labels:
        for metric in [m for m in a["metrics"] if m in b["metrics"]]:
            ea, eb = a["summary"][label].get(metric), b["summary"][label].get(metric)
            if not ea or not eb:
                continue
            diff = welch_difference(list(ea["values"].values()), list(eb["values"].values()))
            if diff is None:
                change = _num(eb["mean"] - ea["mean"], metric, signed=True)
            else:
                mark = "*" if diff["low"] > 0 or diff["high"] < 0 else ""
                change = (f"{_num(diff['delta'], metric, True)} [{_num(diff['low'], metric, True)}, "
                          f"{_num(diff['high'], metric, True)}]{mark}")
            rows.append([display(label), _titled(metric),
                         f"{_num(ea['mean'], metric)} ({_num(ea['min'], metric)} to {_num(ea['max'], metric)})",
                         f"{_num(eb['mean'], metric)} ({_num(eb['min'], metric)} to {_num(eb['max'], metric)})", change])
    out += _table(["checkpoint", "metric", "a: mean (min to max)", "b: mean (min to max)", "b − a"], rows) + [""]
    return "\n".join(out)
