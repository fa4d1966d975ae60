"""Your own rewards by import path: validated with the recipe, guarded like the built-in ones, and
the same function in preference pairing, GRPO and the eval report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from euro_post.eval.config import EvalConfig
from euro_post.eval.metrics import wilson_interval
from euro_post.eval.report import validate_report
from euro_post.eval.scoring import EvalScorer
from euro_post.preference.pairs import build_pairs
from euro_post.preference.sampling import Sample
from euro_post.rewards import RewardSpec
from euro_post.rewards.guard import build_guarded_rewards

from euro_post.data.languages import answer_line
from euro_post.pipeline import runner
from euro_post.pipeline.recipe import RecipeError, validate_recipe

HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def plugins(monkeypatch):
    """tests/ importable, as a lab's package would be installed; a fresh call record."""
    monkeypatch.syspath_prepend(str(HERE))
    import plugin_rewards

    plugin_rewards.CALLS.clear()
    return plugin_rewards


def rl_recipe(run_dir, rewards, stages=None, **rl):
    return validate_recipe({
        "name": "plugins",
        "run_dir": str(run_dir),
        "languages": ["de", "fr"],
        "world": {"rl_per_language": 8, "eval_per_language": 2, "max_operations": 2},
        "stages": stages or {"rl": {"rewards": rewards, **rl}},
    })


def recipe_error(rewards) -> str:
    with pytest.raises(RecipeError) as caught:
        rl_recipe("/tmp/unused", rewards, stages={"rl": {"init_from": "some/model", "rewards": rewards}})
    return str(caught.value)


def test_a_recipe_names_a_reward_by_import_path(tmp_path):
    rewards = [
        {"name": "math_accuracy"},
        {"name": "plugin_rewards:has_digit", "weight": 0.5},
        {"name": "plugin_rewards:contains", "weight": 0.2, "options": {"word": "Antwort", "score": 2.0}},
        {"name": "plugin_rewards:WordCount", "options": {"per_word": 0.5}},
    ]
    recipe = rl_recipe(tmp_path, rewards, stages={"rl": {"init_from": "some/model", "rewards": rewards}})
    specs = recipe.stages.rl.rewards
    assert [s.name for s in specs][1:] == ["plugin_rewards:has_digit", "plugin_rewards:contains", "plugin_rewards:WordCount"]
    # The config dump (stage.json, the model card) keeps the import path and the options.
    assert recipe.stages.rl.model_dump(mode="json")["rewards"][2] == {
        "name": "plugin_rewards:contains", "weight": 0.2, "options": {"word": "Antwort", "score": 2.0}}

    funcs = [spec.build() for spec in specs[1:]]
    assert [f.__name__ for f in funcs] == [s.name for s in specs[1:]]  # TRL logs rewards/<import path>/mean
    completions = ["Antwort: 12", [{"role": "assistant", "content": "keine Ahnung"}]]
    assert [f(prompts=["a", "b"], completions=completions, lang=["de", "de"]) for f in funcs] == [
        [1.0, 0.0], [2.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("no_such_lab.rewards:func", {},
         "stages.rl.rewards[1].name: cannot import 'no_such_lab.rewards:func' (No module named 'no_such_lab')"),
        ("plugin_rewards:nothing_here", {},
         ("stages.rl.rewards[1].name: cannot import 'plugin_rewards:nothing_here' "
          "(module 'plugin_rewards' has no attribute 'nothing_here')")),
        ("plugin_rewards:", {}, "stages.rl.rewards[1].name: cannot import 'plugin_rewards:': write a reward import path"),
        ("plugin_rewards:NOT_A_FUNCTION", {},
         "stages.rl.rewards[1].name: 'plugin_rewards:NOT_A_FUNCTION' is an int, not a reward function"),
        ("plugin_rewards:no_kwargs", {},
         ("stages.rl.rewards[1].name: reward 'plugin_rewards:no_kwargs' cannot take (prompts, completions, **columns): "
          "it has no **kwargs for the dataset columns")),
        ("plugin_rewards:contains", {"wrd": "x"},
         ("stages.rl.rewards[1]: reward 'plugin_rewards:contains': unknown option(s) ['wrd']; options are keyword "
          "arguments of the factory, its keyword parameters (word, score)")),
        ("plugin_rewards:WordCount", {"per_wort": 1},
         ("stages.rl.rewards[1]: reward 'plugin_rewards:WordCount': unknown option(s) ['per_wort']; options are "
          "keyword arguments of the factory, its keyword parameters (per_word)")),
        ("plugin_rewards:has_digit", {"word": "x"},
         "stages.rl.rewards[1]: reward 'plugin_rewards:has_digit': unknown option(s) ['word']"),
        ("plugin_rewards:contains", {},
         ("stages.rl.rewards[1].name: reward 'plugin_rewards:contains' cannot take (prompts, completions, **columns): "
          "it has no 'prompts' or 'completions' parameter and no **kwargs (a function is a factory only when the "
          "recipe gives it options)")),
    ],
)
def test_a_bad_import_path_is_a_recipe_error_naming_the_field(name, options, message):
    assert message in recipe_error([{"name": "format"}, {"name": name, "options": options}])


def test_the_guard_counts_a_plugin_that_raises_or_returns_junk():
    specs = [{"name": f"plugin_rewards:{n}"} for n in ("raises", "returns_nan", "returns_none", "Flaky")]
    funcs, weights, names = build_guarded_rewards(specs)
    assert weights == [1.0] * 4
    completions = ["a", "b", "c", "d"]
    scores = {name: f(prompts=["p"] * 4, completions=completions, lang=["de"] * 4) for f, name in zip(funcs, names)}
    assert scores == {
        "plugin_rewards:raises": [None] * 4,
        "plugin_rewards:returns_nan": [None] * 4,
        "plugin_rewards:returns_none": [None] * 4,
        "plugin_rewards:Flaky": [None] * 4,  # its first call raises
    }
    flaky = funcs[3]
    assert flaky(prompts=["p"] * 4, completions=completions) == [None, None, 1.0, 0.0]  # NaN, None, scores
    stats = {name: f.stats() for f, name in zip(funcs, names)}
    assert stats["plugin_rewards:raises"]["errors"] == 4 and stats["plugin_rewards:raises"]["batches"] == 1
    assert stats["plugin_rewards:returns_nan"]["errors"] == 4
    assert stats["plugin_rewards:returns_none"]["errors"] == 4
    # 4 errors (the raise), then 1 (NaN); "none" counts every unscored completion: 5 errors and 1 None.
    assert {k: stats["plugin_rewards:Flaky"][k] for k in ("batches", "calls", "errors", "none")} == {
        "batches": 2, "calls": 8, "errors": 5, "none": 6}


def test_preference_pairs_rank_with_a_plugin():
    specs = [{"name": "math_accuracy"}, {"name": "plugin_rewards:contains", "weight": 0.5, "options": {"word": "Schritt"}}]
    funcs, weights, names = build_guarded_rewards(specs)
    worked = "Schritt 1: 40 + 2 = 42\n" + answer_line("de", "42")
    bare = "Wir rechnen.\n" + answer_line("de", "42")
    rows = [{"id": "p", "lang": "de", "prompt": [{"role": "user", "content": "p"}], "answer": "42"}]

    def sampler(prompts):
        return [[Sample(text, 5) for text in (bare, worked)] for _ in prompts]

    pairs, _ = build_pairs(rows, sampler, funcs, weights, names, margin=0.1)
    # Both answers are right: the plug-in's word alone decides, worked 1.5 against bare 1.0.
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs] == [(worked, bare)]
    assert pairs[0]["margin"] == pytest.approx(0.5)
    assert pairs[0]["chosen_rewards"] == {"math_accuracy": 1.0, "plugin_rewards:contains": 1.0}
    assert pairs[0]["rejected_rewards"] == {"math_accuracy": 1.0, "plugin_rewards:contains": 0.0}


def test_eval_scores_with_the_recipe_rewards_and_their_options(tiny_tokenizer, plugins):
    rl = [{"name": "language_consistency", "options": {"min_letters": 1000}},
          {"name": "plugin_rewards:has_digit"},
          {"name": "length", "options": {"max_length": 4, "cache": 2, "unit": "words"}}]
    recipe = rl_recipe("/tmp/unused", rl, stages={
        "preference": {"init_from": "some/model", "rewards": [{"name": "format"}]},
        "rl": {"rewards": rl},
        "eval": {}})
    assert [s.name for s in EvalConfig().scoring_rewards(recipe)] == [r["name"] for r in rl]
    no_rl = rl_recipe("/tmp/unused", rl, stages={
        "preference": {"init_from": "some/model", "rewards": [{"name": "format"}]}, "eval": {}})
    assert [s.name for s in EvalConfig().scoring_rewards(no_rl)] == ["format"]  # no rl stage: the preference stage's
    own = EvalConfig(rewards=[{"name": "arithmetic"}])
    assert [s.name for s in own.scoring_rewards(recipe)] == ["arithmetic"]  # the eval's own win
    assert EvalConfig().scoring_rewards(None) == []  # outside a run: the fixed columns' rewards, defaults

    scorer = EvalScorer([RewardSpec.model_validate(r) for r in rl], tiny_tokenizer)
    rows = [{"id": "a", "lang": "de", "prompt": [{"role": "user", "content": "a"}], "answer": "12"}]
    texts = ["Anna hat zwölf Äpfel und kauft heute fünf dazu.\nSchritt 1: 7 + 5 = 12\nAntwort: 12", "Ich weiß nicht"]
    (scores,) = scorer.score(rows, [texts])
    assert [s.correct for s in scores] == [True, False] and [s.format for s in scores] == [1.0, 0.0]
    assert [s.language for s in scores] == [None, None]  # min_letters 1000: the recipe's option, not the default
    assert [s.rewards for s in scores] == [
        {"reward/plugin_rewards:has_digit": 1.0, "reward/length": -1.0},  # 17 words against max_length 4
        {"reward/plugin_rewards:has_digit": 0.0, "reward/length": -0.5},  # 3 words: halfway into the cache
    ]
    eval_call = plugins.CALLS[-1]
    assert eval_call["completion_ids"] == [tiny_tokenizer(t, add_special_tokens=False).input_ids for t in texts]
    assert {"answer", "id", "lang"} <= set(eval_call["keys"])


@pytest.mark.slow
def test_grpo_logs_a_plugin_and_the_report_shows_its_column(tiny_checkpoint, tmp_path, plugins):
    rewards = [{"name": "format", "weight": 0.2}, {"name": "plugin_rewards:has_digit"},
               {"name": "plugin_rewards:Flaky", "weight": 0.1}]
    stages = {
        "rl": {"init_from": tiny_checkpoint, "rewards": rewards, "max_steps": 2, "per_device_batch_size": 4,
               "num_generations": 2, "max_completion_length": 8, "logging_steps": 1, "save_steps": 2,
               "learning_rate": 1e-3},
        "eval": {"max_new_tokens": 8, "batch_size": 8},
    }
    manifests = runner.run_recipe(rl_recipe(tmp_path, rewards, stages=stages), tmp_path)
    assert manifests["rl"]["status"] == "complete" and manifests["eval"]["status"] == "complete"

    # GRPO passes TRL's keywords to the plug-in, and logs it by its import path.
    grpo_calls = [c for c in plugins.CALLS if "trainer_state" in c["keys"]]
    assert len(grpo_calls) == 2 and all(len(c["completion_ids"]) == c["completions"] == 4 for c in grpo_calls)
    logged = [json.loads(line) for line in (tmp_path / "rl" / "metrics.jsonl").read_text().splitlines()]
    means = [m["rewards/plugin_rewards:has_digit/mean"] for m in logged if "rewards/plugin_rewards:has_digit/mean" in m]
    assert len(means) == 2 and all(0.0 <= v <= 1.0 for v in means)
    # The flaky plug-in raised once and returned NaN and None, counted; the run went on.
    flaky = manifests["rl"]["summary"]["reward_function_stats"]["plugin_rewards:Flaky (guard)"]
    assert flaky["calls"] == 8 and flaky["errors"] == 4 + 1 and flaky["none"] == 4 + 1 + 1
    stage_json = json.loads((tmp_path / "rl" / "stage.json").read_text())
    assert "plugin_rewards:has_digit" in json.dumps(stage_json)

    # The eval scores every completion with it: a column per language, its mean, per checkpoint.
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    validate_report(report)
    column = "reward/plugin_rewards:has_digit"
    assert column in report["evaluation"]["metrics"] and "reward/plugin_rewards:Flaky" in report["evaluation"]["metrics"]
    for label in ("start", "rl"):
        result = report["evaluation"]["results"][label]
        assert [r["name"] for r in result["rewards"]] == [
            "math_accuracy", "format", "language_consistency", "plugin_rewards:has_digit", "plugin_rewards:Flaky"]
        records = [json.loads(line) for line in (tmp_path / "eval" / "completions" / f"{label}.jsonl").read_text().splitlines()]
        for lang in ("de", "fr"):
            digits = [1.0 if any(ch.isdigit() for ch in r["completion"]) else 0.0 for r in records if r["lang"] == lang]
            assert [r[column] for r in records if r["lang"] == lang] == digits
            low, high = wilson_interval(int(sum(digits)), len(digits))
            assert result["languages"][lang]["metrics"][column] == {
                "value": sum(digits) / len(digits), "low": low, "high": high, "n": 2, "interval": "wilson"}
        per_language = [result["languages"][lang]["metrics"][column]["value"] for lang in ("de", "fr")]
        assert result["summary"][column] == pytest.approx(sum(per_language) / 2)
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "## Reward plugin_rewards:has_digit by language" in markdown
    summary_header = next(line for line in markdown.splitlines() if line.startswith("| checkpoint |"))
    assert "| mean length (tokens) | reward plugin_rewards:Flaky | reward plugin_rewards:has_digit |" in summary_header
    assert "`plugin_rewards:has_digit`" in markdown  # the rewards it was scored with
    card = (tmp_path / "rl" / "checkpoint" / "README.md").read_text()
    assert "plugin_rewards:has_digit x1.0 (user code)" in card
