"""The run report from what a run left on disk: 24 languages x 4 stages, schema-valid JSON,
real PNGs of the expected size, improvements and regressions beyond the interval, and the
comparison of two runs."""

from __future__ import annotations

import json

import pytest
from euro_post.eval.evaluate import problem_scores, summarize_languages
from euro_post.eval.metrics import SampleScore, language_metrics
from euro_post.eval.report import build_report, compare_runs, validate_report, write_report

from euro_post.data.languages import LANGUAGE_CODES
from euro_post.pipeline.checkpoint_io import atomic_write_json

STAGES = ["base_pretrain", "sft", "preference", "rl"]
N = 100


def accuracy_of(stage: str, index: int, lang: str) -> int:
    """Correct answers out of N, a fixed pattern with two planted changes."""
    base = 10 + 15 * index + (LANGUAGE_CODES.index(lang) % 5)
    if lang == "fr" and stage == "rl":
        return 5  # a regression from preference to rl
    return min(base, N)


def fake_result(stage: str, index: int, langs=LANGUAGE_CODES, shift: int = 0) -> dict:
    languages = {}
    for lang in langs:
        right = min(N, accuracy_of(stage, index, lang) + shift)
        problems = [
            [SampleScore(correct=i < right, format=1.0 if i < 50 + 10 * index else 0.0,
                         language=1.0 if i % 10 else None, tokens=40 + i % 7)]
            for i in range(N)
        ]
        languages[lang] = {"metrics": {k: v.as_dict() for k, v in language_metrics(problems).items()}, "unverified": 0,
                           "problems": problem_scores([{"id": f"{lang}-{i}"} for i in range(N)], problems)}
    return {
        "version": 2, "key": "k", "label": stage, "checkpoint": f"runs/x/{stage}/checkpoint", "fingerprint": "f",
        "mode": "greedy", "num_samples": 1, "max_new_tokens": 256, "temperature": None, "seed": 0,
        "languages": languages, "lm_eval_other": {}, "summary": summarize_languages(languages),
        "generated_tokens": 1000 * (index + 1), "wall_time_s": 1.0,
    }


def make_run(root, shift: int = 0, stages=STAGES, langs=LANGUAGE_CODES):
    root.mkdir(parents=True, exist_ok=True)
    (root / "recipe.yaml").write_text(f"name: {root.name}\ndescription: a test run\nseed: 0\nlanguages: [{', '.join(langs)}]\n")
    for index, stage in enumerate(stages):
        atomic_write_json(root / stage / "stage.json", {
            "stage": stage, "status": "complete", "wall_time_s": 12.5, "tokens_processed": 5000,
            "checkpoint": f"{root}/{stage}/checkpoint", "peak_memory_bytes": {"process_max_rss_bytes": 2**31},
            "summary": {},
        })
        lines = [{"step": s, "loss": 3.0 / s, **({"reward": 0.1 * s} if stage == "rl" else {})} for s in range(1, 11)]
        if stage == "preference":
            lines = [{"step": s, "loss": 0.7 - 0.01 * s, "rewards/margins": 0.1 * s} for s in range(1, 11)]
        (root / stage / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines) + '{"step": 11, "lo')
        atomic_write_json(root / "eval" / "results" / f"{stage}.json", fake_result(stage, index, langs, shift))
    atomic_write_json(root / "eval" / "checkpoints.json", {"order": list(stages)})
    atomic_write_json(root / "eval" / "stage.json", {"stage": "eval", "status": "running"})
    return root


def test_full_report_of_24_languages_and_4_stages(tmp_path):
    import matplotlib.image
    from euro_post.eval.plots import DPI, curves_size, heatmap_size

    run = make_run(tmp_path / "run")
    paths = write_report(run)
    report = json.loads(paths["json"].read_text())
    validate_report(report)
    assert report["evaluation"]["checkpoints"] == STAGES
    assert report["evaluation"]["languages"] == list(LANGUAGE_CODES)
    assert report["stages"][0]["training"]["last"]["loss"] == pytest.approx(0.3)  # the torn last line is skipped

    # preference -> rl: only fr's planted drop is a regression beyond the interval.
    by_step = {(c["from"], c["to"]): c for c in report["comparisons"]}
    fr_drop = [c for c in by_step[("preference", "rl")]["regressed"] if c["lang"] == "fr" and c["metric"] == "accuracy"]
    assert len(fr_drop) == 1 and fr_drop[0]["delta"] == pytest.approx((5 - accuracy_of("preference", 2, "fr")) / N)
    assert not [c for c in by_step[("preference", "rl")]["regressed"] if c["lang"] != "fr" and c["metric"] == "accuracy"]
    format_gains = [c for c in by_step[("base_pretrain", "sft")]["improved"] if c["metric"] == "format"]
    assert format_gains == []  # 50 -> 60 of 100 stays within the interval
    # 10 -> 25 of 100 is beyond it: every language's accuracy improved from base to sft.
    gains = [c["lang"] for c in by_step[("base_pretrain", "sft")]["improved"] if c["metric"] == "accuracy"]
    assert sorted(gains) == sorted(LANGUAGE_CODES)

    # The mean over languages, paired problem by problem: base -> sft is +15 points in every
    # language (the same 15 problems of each turn right, none turns wrong).
    overall = {c["metric"]: c for c in by_step[("base_pretrain", "sft")]["overall"]}
    diffs_var = (15 * 0.85**2 + 85 * 0.15**2) / (N - 1) / N  # per language, of the mean difference
    half = 1.959963984540054 * (24 * diffs_var) ** 0.5 / 24
    assert overall["accuracy"]["delta"] == pytest.approx(0.15)
    assert (overall["accuracy"]["low"], overall["accuracy"]["high"]) == pytest.approx((0.15 - half, 0.15 + half))
    assert (overall["accuracy"]["languages"], overall["accuracy"]["problems"]) == (24, 24 * N)
    assert overall["language_consistency"]["problems"] == 24 * 90  # problems without a judgment are left out
    # Worked-answer accuracy pairs only the problems both worked out (the first 50 of base, 60 of
    # sft): the same 15 turn right among 50, +30 points, where accuracy over all 100 moved +15.
    worked = overall["worked_accuracy"]
    assert (worked["delta"], worked["problems"], worked["weigh"]) == (pytest.approx(0.30), 24 * 50, "problem")
    assert overall["accuracy"]["weigh"] == "language"
    rl_overall = {c["metric"]: c for c in by_step[("preference", "rl")]["overall"]}["accuracy"]
    expected = sum(accuracy_of("rl", 3, lang) - accuracy_of("preference", 2, lang) for lang in LANGUAGE_CODES) / 24 / N
    assert rl_overall["delta"] == pytest.approx(expected)

    markdown = paths["markdown"].read_text()
    assert "| accuracy | " in markdown and "Mean over languages, with the change's 95% interval paired" in markdown
    assert "| worked-answer accuracy | " in markdown.split("### base → sft")[1].split("###")[0]
    assert markdown.count("\n| ") >= 24 * 4  # four per-language tables of 24 rows
    assert "| fr French |" in markdown and "### preference → rl" in markdown
    rl_section = markdown.split("### preference → rl")[1].split("###")[0]
    assert "| accuracy | 23 languages: " in rl_section and "| 1 language: fr -39.0 |" in rl_section
    assert "| base |" in markdown  # base_pretrain reads as "base"

    assert [p.name for p in paths["plots"]] == ["accuracy_heatmap.png", "language_consistency_heatmap.png", "training_curves.png"]
    width, height = heatmap_size(24 + 1, 4)  # 24 languages and the mean
    for path in paths["plots"][:2]:
        image = matplotlib.image.imread(path)
        assert image.shape[:2] == (round(height * DPI), round(width * DPI)) and image.shape[2] in (3, 4)
        assert image[..., :3].std() > 0.05  # drawn, not blank
    curves = matplotlib.image.imread(paths["plots"][2])
    assert curves.shape[:2] == (round(curves_size(4)[1] * DPI), round(curves_size(4)[0] * DPI))


def test_partial_run_and_schema_rejects_bad_reports(tmp_path):
    import jsonschema

    run = make_run(tmp_path / "partial", stages=STAGES[:2], langs=["de", "fr"])
    (run / "eval" / "results" / "sft.json").unlink()
    report = write_report(run)
    data = json.loads(report["json"].read_text())
    validate_report(data)
    assert data["evaluation"]["checkpoints"] == ["base_pretrain"] and data["comparisons"] == []
    data["evaluation"]["results"]["base_pretrain"]["languages"]["xx"] = {"metrics": {}}
    with pytest.raises(jsonschema.ValidationError):
        validate_report(data)
    empty = build_report(tmp_path / "nothing")
    validate_report(empty)
    assert empty["evaluation"]["checkpoints"] == []


def test_compare_runs(tmp_path):
    a = make_run(tmp_path / "a", langs=["de", "fr", "pl"])
    b = make_run(tmp_path / "b", shift=30, langs=["de", "fr", "pl"])
    text = compare_runs(a, b)
    for stage in ("base", "sft", "preference", "rl"):
        assert f"## {stage}" in text
    assert "| de German |" in text and "## Means over languages" in text
    # +30 correct of 100 is beyond the interval: every accuracy difference is starred.
    de_row = next(line for line in text.splitlines() if line.startswith("| de German |"))
    assert "+30.0 [" in de_row and "]*" in de_row
    same = compare_runs(a, a)
    assert "]*" not in same
    with pytest.raises(FileNotFoundError):
        compare_runs(a, tmp_path / "missing")


def test_language_modelling_section_shows_every_language_of_the_base_and_sft_stages(tmp_path):
    run = make_run(tmp_path / "run", stages=["base_pretrain", "sft"])
    losses = {lang: 2.0 + i / 100 for i, lang in enumerate(LANGUAGE_CODES)}
    manifest = json.loads((run / "base_pretrain" / "stage.json").read_text())
    manifest["summary"] = {"vocab_size": 4096, "validation_loss": losses, "fertility": {lang: 2.0 for lang in LANGUAGE_CODES},
                           "fertility_worst_best_ratio": 1.2, "fertility_worst": "fi", "fertility_best": "nl"}
    atomic_write_json(run / "base_pretrain" / "stage.json", manifest)
    markdown = write_report(run)["markdown"].read_text()
    section = markdown.split("## Language modelling by language")[1].split("\n## ")[0]
    assert "ln(4096) = 8.32" in section and "1.2 (fi / nl)" in section
    assert "| mt Maltese | 2.00 | 2.160 |" in section and section.count("\n| ") == 2 + 24
