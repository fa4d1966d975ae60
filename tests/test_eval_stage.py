"""The eval stage: exact per-language numbers from known completions, resumable results,
the stage inside a recipe run, and `euro-post eval` on a checkpoint."""

from __future__ import annotations

import json
import shutil
import types
from pathlib import Path

import pytest
from euro_post.eval.config import EvalConfig
from euro_post.eval.evaluate import evaluate_checkpoint_into, evaluate_model
from euro_post.eval.metrics import mean_interval, wilson_interval

# (completion, gold answer): what each completion gets is spelled out beside it.
KNOWN = {
    "de": [
        # right, full format, German
        ("Anna kauft zuerst zwölf Äpfel und legt sie in den großen Korb.\nSchritt 1: 5 + 7 = 12.\nAntwort: 12", "12"),
        # right (decimal comma), full format, German
        ("Der Preis für jedes Heft beträgt genau zwei Euro und fünfzig Cent.\nSchritt 1: 5 × 2,5 = 12,5.\nAntwort: 12,5", "12.5"),
        # wrong, full format, German
        ("Die Kinder teilen die Bonbons gleichmäßig unter sich auf.\nSchritt 1: 26 / 2 = 13.\nAntwort: 13", "14"),
        # no answer, no format, English
        ("I think the result is probably fourteen apples in total, but I am not sure.", "14"),
    ],
    "fr": [
        # right, full format, French
        ("Léa achète des pommes au marché et en donne quelques-unes à son frère.\nÉtape 1 : 3 + 4 = 7.\nRéponse : 7", "7"),
        # right (French digit groups), full format, French
        ("Le voyage en train est beaucoup plus long que prévu cette semaine.\nÉtape 1 : 1000 + 234,5 = 1 234,5.\n"
         "Réponse : 1\u202f234,5", "1234.5"),
        # right, a lone answer line (half format credit: not compliant), too short to judge its language
        ("Réponse : 3", "3"),
    ],
}


def known_rows():
    return [
        {"id": f"{lang}-{i}", "lang": lang, "prompt": [{"role": "user", "content": f"{lang} question {i}"}], "answer": gold}
        for lang, items in KNOWN.items()
        for i, (_, gold) in enumerate(items)
    ]


class FixedGenerator:
    """Stands in for euro_post.models.generation.generate: returns KNOWN completions for known prompts."""

    def __init__(self, samples=None):
        self.calls = []
        self.samples = samples  # optional {prompt text: [completion per sample]}

    def __call__(self, model, tokenizer, prompts, *, max_new_tokens, temperature, top_p, num_samples, batch_size, seed):
        self.calls.append(dict(n=len(prompts), temperature=temperature, num_samples=num_samples, seed=seed))
        out = []
        for prompt in prompts:
            text = prompt[-1]["content"]
            if self.samples:
                out.append(self.samples[text])
                continue
            lang, _, index = text.split()
            out.append([KNOWN[lang][int(index)][0]] * num_samples)
        return out


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    from euro_post.models.loading import load_model, load_tokenizer

    return load_model(tiny_checkpoint, "fp32"), load_tokenizer(tiny_checkpoint)


def test_greedy_metrics_from_known_completions_are_exact(tiny):
    model, tokenizer = tiny
    generator = FixedGenerator()
    outcome = evaluate_model(model, tokenizer, known_rows(), EvalConfig(), seed=3, generate_fn=generator)
    assert [c["n"] for c in generator.calls] == [7] and generator.calls[0]["temperature"] == 0.0  # one call, every language
    de, fr = outcome["languages"]["de"]["metrics"], outcome["languages"]["fr"]["metrics"]

    def stat(k, n):
        low, high = wilson_interval(k, n)
        return {"value": k / n, "low": low, "high": high, "n": n, "interval": "wilson"}

    assert de["accuracy"] == stat(2, 4)
    assert de["format"] == stat(3, 4)
    assert de["language_consistency"] == stat(3, 4)
    assert fr["accuracy"] == stat(3, 3)
    assert fr["format"] == stat(2, 3)
    assert fr["language_consistency"] == stat(2, 2)  # the lone answer line could not be judged
    for lang, metrics in (("de", de), ("fr", fr)):
        lengths = [len(tokenizer(text, add_special_tokens=False).input_ids) for text, _ in KNOWN[lang]]
        mean, low, high = mean_interval(lengths)
        assert metrics["length"] == {"value": mean, "low": max(0.0, low), "high": high, "n": len(lengths), "interval": "t"}
    total = sum(len(tokenizer(t, add_special_tokens=False).input_ids) for items in KNOWN.values() for t, _ in items)
    assert outcome["generated_tokens"] == total
    records = {r["id"]: r for r in outcome["records"]}
    assert records["de-3"]["correct"] is False and records["fr-2"]["language_consistency"] is None


def test_sampled_metrics_give_pass_at_k(tiny):
    model, tokenizer = tiny
    right, wrong = KNOWN["de"][0][0], KNOWN["de"][2][0]
    rows = [
        {"id": "a", "lang": "de", "prompt": [{"role": "user", "content": "a"}], "answer": "12"},
        {"id": "b", "lang": "de", "prompt": [{"role": "user", "content": "b"}], "answer": "12"},
    ]
    generator = FixedGenerator({"a": [right, wrong, right, wrong], "b": [wrong] * 4})
    config = EvalConfig(mode="sampled", num_samples=4, temperature=0.9, pass_k=[1, 2, 4])
    metrics = evaluate_model(model, tokenizer, rows, config, generate_fn=generator)["languages"]["de"]["metrics"]
    assert generator.calls[0]["temperature"] == 0.9 and generator.calls[0]["num_samples"] == 4
    assert metrics["accuracy"]["value"] == pytest.approx(0.25) and metrics["accuracy"]["interval"] == "t"
    assert metrics["pass@1"]["value"] == pytest.approx(0.25)
    assert metrics["pass@2"]["value"] == pytest.approx((1 - 1 / 6) / 2)  # problem a: 1 - C(2,2)/C(4,2)
    assert metrics["pass@4"]["value"] == pytest.approx(0.5) and metrics["pass@4"]["n"] == 2


def test_config_rules():
    with pytest.raises(ValueError, match="mode: sampled"):
        EvalConfig(num_samples=4)
    with pytest.raises(ValueError, match="between 1 and num_samples"):
        EvalConfig(mode="sampled", num_samples=2, pass_k=[4])
    with pytest.raises(ValueError, match="extra"):
        EvalConfig(max_new_token=3)
    assert EvalConfig(mode="sampled", num_samples=8).resolved_pass_k() == [1, 8]


def test_results_are_written_and_reused(tiny_checkpoint, tmp_path):
    generator = FixedGenerator()
    config = EvalConfig()
    logs = []
    first = evaluate_checkpoint_into("sft", tiny_checkpoint, known_rows(), config, tmp_path, generate_fn=generator, log=logs.append)
    saved = json.loads((tmp_path / "results" / "sft.json").read_text())
    assert saved == json.loads(json.dumps(first))
    assert saved["summary"]["accuracy"] == pytest.approx((2 / 4 + 3 / 3) / 2)  # every language weighs the same
    lines = (tmp_path / "completions" / "sft.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7 and json.loads(lines[0])["completion"] == KNOWN["de"][0][0]
    again = evaluate_checkpoint_into("sft", tiny_checkpoint, known_rows(), config, tmp_path, generate_fn=generator, log=logs.append)
    assert again == saved and len(generator.calls) == 1 and "reused" in logs[-1]
    evaluate_checkpoint_into("sft", tiny_checkpoint, known_rows(), EvalConfig(max_new_tokens=64), tmp_path, generate_fn=generator, log=logs.append)
    assert len(generator.calls) == 2  # changed settings: evaluated again


def test_checkpoints_follow_the_pipeline(tiny_checkpoint):
    from euro_post.eval.stage import checkpoints_to_evaluate

    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.pipeline.stage import StageContext

    recipe = validate_recipe({
        "name": "t",
        "stages": {"sft": {"init_from": "hub/base"}, "rl": {}, "eval": {"checkpoints": {"other": "x/y"}}},
    })
    ctx = StageContext("eval", recipe, Path("unused"), "r", {"sft": "s", "rl": "r"})
    assert list(checkpoints_to_evaluate(recipe.stages.eval, ctx).items()) == [
        ("start", "hub/base"), ("sft", "s"), ("rl", "r"), ("other", "x/y")
    ]
    assert list(checkpoints_to_evaluate(recipe.stages.eval.model_copy(update={"evaluate_start": False}), ctx)) == ["sft", "rl", "other"]
    clash = recipe.stages.eval.model_copy(update={"checkpoints": {"rl": "z"}})
    with pytest.raises(ValueError, match="already taken"):
        checkpoints_to_evaluate(clash, ctx)


def copy_stage(name):
    """A training stage stand-in: hands on a copy of its input checkpoint and logs a short curve."""

    def run(config, ctx):
        for step in range(1, 4):
            ctx.metrics.log(step, loss=2.0 / step, **({"reward": 0.1 * step} if name == "rl" else {}))
        from euro_post.pipeline.checkpoint_io import atomic_directory

        with atomic_directory(ctx.checkpoint_dir) as tmp:
            shutil.copytree(ctx.input_checkpoint, tmp, dirs_exist_ok=True)
        from euro_post.pipeline.stage import StageResult

        return StageResult(ctx.checkpoint_dir, tokens_processed=100)

    return types.SimpleNamespace(run=run)


@pytest.mark.slow
def test_eval_stage_in_a_recipe_run_writes_the_report(tiny_checkpoint, tmp_path, monkeypatch):
    import importlib

    import matplotlib.image
    from euro_post.eval.plots import DPI, curves_size, heatmap_size
    from euro_post.eval.report import validate_report

    from euro_post.pipeline import runner
    from euro_post.pipeline.recipe import validate_recipe

    real_import = importlib.import_module
    fakes = {"euro_post.sft.stage": copy_stage("sft"), "euro_post.rl.stage": copy_stage("rl")}
    # runner.importlib is the importlib module itself: pass every other import through.
    monkeypatch.setattr(runner.importlib, "import_module", lambda path, *a: fakes.get(path) or real_import(path, *a))
    recipe = validate_recipe({
        "name": "e2e",
        "languages": ["de", "fr"],
        "world": {"eval_per_language": 3},
        "stages": {
            "sft": {"init_from": tiny_checkpoint},
            "rl": {},
            "eval": {"problems_per_language": 2, "max_new_tokens": 6, "batch_size": 4,
                     "lm_eval_tasks": ["euro_post_world"], "lm_eval_limit": 1},
        },
    })
    manifests = runner.run_recipe(recipe, tmp_path)
    eval_manifest = manifests["eval"]
    assert eval_manifest["status"] == "complete" and eval_manifest["checkpoint"] is None
    assert list(eval_manifest["summary"]) == ["start", "sft", "rl"]
    assert eval_manifest["tokens_processed"] > 0
    result = json.loads((tmp_path / "eval" / "results" / "rl.json").read_text())
    assert set(result["languages"]) == {"de", "fr"}
    assert result["languages"]["de"]["metrics"]["accuracy"]["n"] == 2
    assert result["languages"]["fr"]["lm_eval"]["euro_post_world_fr"]["n"] == 1
    # The same weights give the same completions: start, sft and rl agree exactly.
    start = json.loads((tmp_path / "eval" / "results" / "start.json").read_text())
    assert start["languages"]["de"]["metrics"] == result["languages"]["de"]["metrics"]

    report = json.loads((tmp_path / "report" / "report.json").read_text())
    validate_report(report)
    assert report["evaluation"]["checkpoints"] == ["start", "sft", "rl"]
    assert [s["name"] for s in report["stages"]] == ["sft", "rl", "eval"]
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "## Accuracy by language" in markdown and "| de German |" in markdown and "start → sft" in markdown
    for name in ("accuracy_heatmap.png", "language_consistency_heatmap.png"):
        image = matplotlib.image.imread(tmp_path / "report" / name)
        width, height = heatmap_size(2 + 1, 3)  # de, fr and their mean
        assert image.shape[:2] == (round(height * DPI), round(width * DPI))
    curves = matplotlib.image.imread(tmp_path / "report" / "training_curves.png")
    assert curves.shape[:2] == (round(curves_size(2)[1] * DPI), round(curves_size(2)[0] * DPI))

    # A second run with the same recipe skips every stage, the eval included.
    again = runner.run_recipe(recipe, tmp_path)
    assert again["eval"]["started_at"] == eval_manifest["started_at"]


def test_evaluate_checkpoint_command(tiny_checkpoint, tmp_path, capsys):
    from euro_post.cli import main

    out = tmp_path / "out"
    assert main(["eval", tiny_checkpoint, "--languages", "de", "--limit", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "\nde " in printed and "report:" in printed
    from euro_post.eval.standalone import checkpoint_label

    label = checkpoint_label(tiny_checkpoint)  # ".../tiny0/checkpoint" -> "tiny0"
    assert label.startswith("tiny")
    result = json.loads((out / "eval" / "results" / f"{label}.json").read_text())
    assert list(result["languages"]) == ["de"] and result["languages"]["de"]["metrics"]["accuracy"]["n"] == 2
    assert (out / "report" / "report.md").exists()
    assert main(["report", str(out)]) == 0


def test_user_eval_rows(tmp_path):
    from euro_post.eval.evaluate import eval_rows

    from euro_post.data.rows import DataError
    from euro_post.pipeline.config import DataSpec

    path = tmp_path / "eval.jsonl"
    rows = [{"prompt": f"Frage {i}", "answer": str(i), "lang": "de"} for i in range(5)]
    rows += [{"prompt": [{"role": "user", "content": "Question"}], "answer": "2", "lang": "fr"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = EvalConfig(data=DataSpec(path=str(path)), problems_per_language=3)
    picked = eval_rows(config, ["de", "fr"])
    assert [r["prompt"] for r in picked] == ["Frage 0", "Frage 1", "Frage 2", rows[-1]["prompt"]]
    assert [r["lang"] for r in eval_rows(config, ["fr"])] == ["fr"]
    path.write_text(json.dumps({"prompt": "x", "lang": "de"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="eval.jsonl, line 1: `answer` is missing"):
        eval_rows(config, ["de"])
