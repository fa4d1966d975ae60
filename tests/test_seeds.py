"""Seed groups: `euro-post run RECIPE --seeds N` runs one folder per seed and reports mean and
spread over seeds; `euro-post report` rebuilds a group's report and compares two groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from euro_post.eval.metrics import mean_interval, summarize, welch_difference
from euro_post.eval.seed_report import build_group_report, compare_groups, write_group_report

from euro_post.cli import main
from euro_post.pipeline.seeds import parse_seeds

ROOT = Path(__file__).resolve().parent.parent


def test_parse_seeds():
    assert parse_seeds("3", base_seed=10) == [10, 11, 12]
    assert parse_seeds("1234,1,2") == [1234, 1, 2]
    assert parse_seeds("7,") == [7]
    for bad, message in (("0", "a number of seeds"), ("x", "a number of seeds"), ("1,-2", "whole number"),
                         ("1,1", "seed 1 given twice"), ("500", "at most 100")):
        with pytest.raises(ValueError, match=message):
            parse_seeds(bad)


def test_a_bad_seeds_option_is_refused_before_any_work(tmp_path, capsys):
    assert main(["run", str(ROOT / "recipes" / "smoke.yaml"), "--seeds", "2,x", "--run-dir", str(tmp_path / "g")]) == 1
    assert "--seeds '2,x'" in capsys.readouterr().err and not (tmp_path / "g").exists()


def _result(label: str, correct: list[int]) -> dict:
    """An eval result of one language (de) whose problems were answered `correct` (1/0)."""
    stat = summarize([float(c) for c in correct]).as_dict()
    metrics = {"accuracy": stat, "worked_accuracy": summarize([float(c) for c in correct[:-1]]).as_dict(), "format": stat,
               "language_consistency": stat, "length": summarize([10.0, 12.0], proportion=False).as_dict()}
    problems = {"ids": [f"p{i}" for i in range(len(correct))], "accuracy": [float(c) for c in correct],
                # worked out: every problem but the last (whose answer is then left out of this metric)
                "worked_accuracy": [float(c) for c in correct[:-1]] + [None]}
    summary = {name: s["value"] for name, s in metrics.items()}
    return {"label": label, "checkpoint": f"{label}/checkpoint", "mode": "greedy", "num_samples": 1, "max_new_tokens": 16,
            "generated_tokens": 40, "languages": {"de": {"metrics": metrics, "problems": problems}}, "summary": summary}


def _group(root: Path, per_seed: dict[int, dict[str, list[int]]]) -> Path:
    """A seed group on disk: per seed, each checkpoint's per-problem correctness."""
    for seed, checkpoints in per_seed.items():
        run = root / f"seed-{seed}"
        (run / "eval" / "results").mkdir(parents=True)
        (run / "recipe.yaml").write_text(yaml.safe_dump({"name": "toy", "seed": seed}), encoding="utf-8")
        for label, correct in checkpoints.items():
            (run / "eval" / "results" / f"{label}.json").write_text(json.dumps(_result(label, correct)), encoding="utf-8")
        (run / "eval" / "checkpoints.json").write_text(json.dumps({"order": list(checkpoints)}), encoding="utf-8")
    return root


def test_group_report_gives_mean_spread_and_each_seeds_paired_interval(tmp_path):
    group = _group(tmp_path / "a", {
        0: {"sft": [1, 0, 1, 0], "rl": [1, 1, 1, 0]},  # 0.50 -> 0.75
        1: {"sft": [1, 1, 1, 0], "rl": [1, 1, 1, 1]},  # 0.75 -> 1.00
        2: {"sft": [1, 0, 0, 0], "rl": [1, 0, 1, 0]},  # 0.25 -> 0.50
    })
    paths = write_group_report(group)
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert report["seeds"] == [0, 1, 2] and report["checkpoints"] == ["sft", "rl"]
    rl = report["summary"]["rl"]["accuracy"]
    mean, low, high = mean_interval([0.75, 1.0, 0.5])
    assert high > 1 and low > 0  # clipped to what a proportion can be
    assert rl == {"mean": mean, "low": low, "high": 1.0, "min": 0.5, "max": 1.0, "n": 3,
                  "values": {"0": 0.75, "1": 1.0, "2": 0.5}}
    change = report["changes"][0]["metrics"]["accuracy"]
    assert report["changes"][0]["from"] == "sft" and change["mean"] == pytest.approx(0.25) and change["min"] == change["max"]
    assert change["low"] == pytest.approx(0.25) and change["high"] == pytest.approx(0.25)  # the same change for every seed
    # Seed 0: per-problem changes 0, +1, 0, 0: paired mean 0.25 with s = 0.5, n = 4 -> half-width 1.96 * 0.25.
    assert change["paired"]["0"]["delta"] == pytest.approx(0.25)
    assert change["paired"]["0"]["high"] == pytest.approx(0.25 + 1.959964 * 0.25, rel=1e-5)
    # Worked-answer accuracy's change is the paired one, on the first three problems both worked out:
    # seed 0 +1/3, seed 1 0, seed 2 +1/3 (whatever the checkpoints' own worked-answer values).
    worked = report["changes"][0]["metrics"]["worked_accuracy"]
    assert worked["values"] == pytest.approx({"0": 1 / 3, "1": 0.0, "2": 1 / 3})
    assert worked["paired"]["1"]["problems"] == 3
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "| sft | accuracy (%) | 50.0 | [" in markdown and "| 25.0 to 75.0 | 50.0 | 75.0 | 25.0 |" in markdown
    # The mean's own paired interval: the seeds share the problems, so each problem is one draw of
    # its changes averaged over seeds (p0: 0, p1..p3: +1/3 each / 4): 0.25 +- 1.96 * sqrt(4/3 * 0.0052083).
    pooled = change["paired_mean"]
    assert pooled["delta"] == pytest.approx(0.25) and pooled["problems"] == 12 and pooled["weigh"] == "language"
    assert pooled["high"] - 0.25 == pytest.approx(1.959964 / 12, rel=1e-5)
    assert worked["paired_mean"]["weigh"] == "problem" and worked["paired_mean"]["delta"] == pytest.approx(2 / 9)
    assert ("| sft → rl | accuracy | +25.0 | [+8.7, +41.3] | [+25.0, +25.0] | +25.0 to +25.0 | +25.0 [-24.0, +74.0] |"
            in markdown)

    # The group as the command sees it: rebuilt by `euro-post report`, compared with another group.
    other = _group(tmp_path / "b", {5: {"rl": [1, 1, 1, 1]}, 6: {"rl": [1, 1, 1, 0]}})  # 1.00, 0.75
    assert main(["report", str(group)]) == 0
    table = compare_groups(group, other)
    diff = welch_difference([0.75, 1.0, 0.5], [1.0, 0.75])
    assert f"+{100 * diff['delta']:.1f} [{100 * diff['low']:+.1f}, {100 * diff['high']:+.1f}]" in table
    assert "| rl | accuracy (%) | 75.0 (50.0 to 100.0) | 87.5 (75.0 to 100.0) |" in table
    assert build_group_report(other)["checkpoints"] == ["rl"]


def test_no_paired_interval_of_the_mean_when_a_seed_kept_no_per_problem_scores(tmp_path):
    group = _group(tmp_path / "a", {0: {"sft": [1, 0, 1, 0], "rl": [1, 1, 1, 0]}, 1: {"sft": [1, 1, 1, 0], "rl": [1, 1, 1, 1]}})
    for label in ("sft", "rl"):  # seed 1's eval results from before per-problem scores were stored
        path = group / "seed-1" / "eval" / "results" / f"{label}.json"
        result = json.loads(path.read_text(encoding="utf-8"))
        del result["languages"]["de"]["problems"]
        path.write_text(json.dumps(result), encoding="utf-8")
    change = build_group_report(group)["changes"][0]["metrics"]["accuracy"]
    # Seed 1's value is then the plain difference; an interval from seed 0's problems alone would
    # not belong to the mean beside it.
    assert set(change["paired"]) == {"0"} and set(change["values"]) == {"0", "1"} and "paired_mean" not in change


def test_a_folder_holding_a_single_run_is_not_made_a_seed_group(tmp_path, capsys):
    (tmp_path / "smoke").mkdir()
    (tmp_path / "smoke" / "recipe.yaml").write_text("name: smoke\n", encoding="utf-8")
    argv = ["run", str(ROOT / "recipes" / "smoke.yaml"), "--seeds", "2", "--run-dir", str(tmp_path / "smoke")]
    assert main(argv) == 1
    assert f"add --run-dir {tmp_path / 'smoke'}-seeds" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "smoke").iterdir()) == ["recipe.yaml"]


def test_report_refuses_a_group_beside_a_single_run(tmp_path, capsys):
    group = _group(tmp_path / "g", {0: {"rl": [1, 0]}, 1: {"rl": [1, 1]}})
    assert main(["report", str(group), str(group / "seed-0")]) == 1
    assert "is a seed group and" in capsys.readouterr().err


@pytest.mark.slow
def test_two_seeds_of_the_smoke_recipe(tmp_path, capsys):
    group = tmp_path / "smoke"
    argv = ["run", str(ROOT / "recipes" / "smoke.yaml"), "--seeds", "2", "--run-dir", str(group),
            "--set", "stages.eval.pass_at_k.num_samples=2"]
    assert main(argv) == 0
    assert "seed group complete" in capsys.readouterr().out
    manifests = {}
    for seed in (0, 1):
        run = group / f"seed-{seed}"
        assert yaml.safe_load((run / "recipe.yaml").read_text())["seed"] == seed
        assert (run / "report" / "report.md").exists()
        manifests[seed] = {n: json.loads((run / n / "stage.json").read_text()) for n in ("base_pretrain", "rl", "eval")}
        assert all(m["status"] == "complete" and m["seed"] == seed for m in manifests[seed].values())
    # Different seeds train different models, on the same world.
    assert manifests[0]["base_pretrain"]["output_fingerprint"] != manifests[1]["base_pretrain"]["output_fingerprint"]

    report = json.loads((group / "seeds.json").read_text())
    assert report["seeds"] == [0, 1] and report["checkpoints"] == ["base_pretrain", "sft", "preference", "rl"]
    for label in report["checkpoints"]:
        values = [json.loads((group / f"seed-{s}" / "eval" / "results" / f"{label}.json").read_text())["summary"]
                  for s in (0, 1)]
        for metric in ("accuracy", "format", "pass@1", "pass@2"):  # always defined (language: not on 16 tokens)
            entry = report["summary"][label][metric]
            mean, low, high = mean_interval([v[metric] for v in values], (0.0, 1.0))
            assert (entry["mean"], entry["low"], entry["high"]) == pytest.approx((mean, low, high))
            assert entry["min"] == min(v[metric] for v in values) and entry["n"] == 2
    markdown = (group / "seeds.md").read_text()
    assert "| base | accuracy (%) |" in markdown and "| rl | pass@2 (%) |" in markdown and "| seed 0 | seed 1 |" in markdown

    # The same command again: every stage of every seed is complete and skipped.
    assert main(argv) == 0
    for seed in (0, 1):
        again = json.loads((group / f"seed-{seed}" / "rl" / "stage.json").read_text())
        assert again["ended_at"] == manifests[seed]["rl"]["ended_at"]
    assert json.loads((group / "seeds.json").read_text()) == report
