"""preference: on-policy pairs ranked by real rewards, DPO that learns them, SimPO, offline pairs, resume."""

from __future__ import annotations

import ast
import json
import re

import pytest
from euro_post.preference import stage as preference_stage
from euro_post.preference.config import DPO_LOSS_TYPES, PreferenceConfig
from euro_post.preference.offline import PairDataError, clean_offline_rows
from euro_post.preference.pairs import build_pairs
from euro_post.preference.sampling import Sample

from euro_post.data.languages import answer_line, format_number
from euro_post.pipeline import runner
from euro_post.pipeline.recipe import RecipeError, validate_recipe

LANGS = ["de", "fr"]
WORLD = {"rl_per_language": 6, "eval_per_language": 2, "max_operations": 2, "max_operand": 20}
REASONING = {  # short, but long enough (>= 20 letters) for the language reward to judge
    "de": "Wir rechnen die Zahlen der Aufgabe zusammen.\n",
    "fr": "Nous additionnons les nombres du problème.\n",
    "en": "We add up the numbers of the problem.\n",
}


def solution(lang: str, answer: str) -> str:
    """A worked answer in `lang`, the number in that language's format (answers here are integers < 1000)."""
    return REASONING[lang] + answer_line(lang, format_number(float(answer), lang))


def wrong(answer: str) -> str:
    return str(int(float(answer)) + 7)


# --- pair building with real rewards -------------------------------------------------------


class FixedSampler:
    """Returns the completions listed for each prompt text, in order; counts its calls."""

    def __init__(self, by_prompt: dict[str, list[str]]):
        self.by_prompt, self.calls = by_prompt, 0

    def __call__(self, prompts):
        self.calls += 1
        return [[Sample(text, len(text.split()) + 1) for text in self.by_prompt[p[-1]["content"]]] for p in prompts]


def row(id, lang, content, answer):
    return {"id": id, "lang": lang, "prompt": [{"role": "user", "content": content}], "answer": answer}


@pytest.fixture(scope="module")
def default_rewards():
    from euro_post.rewards import build_rewards

    specs = PreferenceConfig().rewards
    funcs, weights = build_rewards(specs)
    return funcs, weights, [s.name for s in specs]


def test_pairs_are_the_best_and_the_worst_by_the_rewards(default_rewards):
    funcs, weights, names = default_rewards
    w = dict(zip(names, weights))
    rows = [
        row("mixed", "de", "p1", "42"),
        row("language", "de", "p2", "42"),
        row("tie", "fr", "p3", "42"),
        row("close", "de", "p4", "42"),
        row("unscorable", "fr", "p5", "42"),
        row("one-unscorable", "fr", "p6", "42"),
    ]
    completions = {
        # correct in German, correct in English, wrong in German
        "p1": [solution("de", "42"), solution("en", "42"), solution("de", wrong("42"))],
        # the language rule: the English one comes first, the German one must still win
        "p2": [solution("en", "42"), solution("de", "42")],
        # two different, equally good French solutions
        "p3": [solution("fr", "42"), REASONING["fr"].replace("Nous", "Puis nous") + answer_line("fr", "42")],
        # both correct German; text after the answer line costs the format reward only
        "p4": [solution("de", "42"), solution("de", "42") + "\nDas war alles."],
        # too short for the language reward to judge, and empty
        "p5": ["Réponse: 42", ""],
        # one completion the language reward cannot judge is left out; the other two still pair
        "p6": ["Réponse: 42", solution("fr", "42"), solution("fr", wrong("42"))],
    }
    sampler = FixedSampler(completions)
    margin = 0.3
    pairs, stats = build_pairs(rows, sampler, funcs, weights, names, margin=margin, chunk_prompts=4, unjudged="skip")
    by_id = {p["id"]: p for p in pairs}
    assert sorted(by_id) == ["language", "mixed", "one-unscorable"]
    assert sampler.calls == 2  # chunks of 4 prompts

    full = w["math_accuracy"] + w["format"] + w["language_consistency"]
    mixed = by_id["mixed"]
    assert mixed["chosen"] == [{"role": "assistant", "content": completions["p1"][0]}]
    assert mixed["rejected"] == [{"role": "assistant", "content": completions["p1"][2]}]
    assert mixed["chosen_score"] == pytest.approx(full)
    assert mixed["rejected_score"] == pytest.approx(w["format"] + w["language_consistency"])
    assert mixed["margin"] == pytest.approx(mixed["chosen_score"] - mixed["rejected_score"])
    assert mixed["group_scores"] == pytest.approx([full, w["math_accuracy"], mixed["rejected_score"]])
    assert mixed["rejected_rewards"] == {"math_accuracy": 0.0, "format": 1.0, "language_consistency": 1.0}

    # A correct answer in the wrong language loses to the same answer in the prompt's language.
    language = by_id["language"]
    assert language["chosen"][0]["content"] == completions["p2"][1]
    assert language["rejected"][0]["content"] == completions["p2"][0]
    assert language["rejected_rewards"] == {"math_accuracy": 1.0, "format": 0.0, "language_consistency": 0.0}
    assert language["margin"] == pytest.approx(w["format"] + w["language_consistency"])

    partial = by_id["one-unscorable"]
    assert partial["group_scores"][0] is None
    assert partial["chosen"][0]["content"] == completions["p6"][1]
    assert partial["rejected"][0]["content"] == completions["p6"][2]

    assert stats.as_dict()["skipped"] == {"tie": 1, "below_margin": 1, "unscorable": 1}
    assert stats.as_dict()["pairs_per_language"] == {"de": 2, "fr": 1}
    assert stats.as_dict()["skipped_per_language"]["fr"] == {"tie": 1, "below_margin": 0, "unscorable": 1}
    assert stats.completions_unscorable == 3
    assert stats.prompts == 6 and stats.completions == sum(len(group) for group in completions.values())
    assert stats.generated_tokens == sum(len(t.split()) + 1 for group in completions.values() for t in group)

    # With no margin, the close pair is kept: the format reward alone decides it.
    pairs, stats = build_pairs(rows[3:4], FixedSampler(completions), funcs, weights, names, margin=0.0)
    assert len(pairs) == 1 and pairs[0]["margin"] == pytest.approx(w["format"])


def test_a_reward_that_cannot_judge_gives_no_credit_as_in_grpo(default_rewards):
    """The default: a bare answer line (too short for the language reward) keeps its accuracy and half
    the format credit, so it beats a wrong answer and loses to the same answer worked out."""
    funcs, weights, names = default_rewards
    w = dict(zip(names, weights))
    bare = answer_line("de", "42")
    rows = [row("bare-vs-worked", "de", "p1", "42"), row("bare-vs-wrong", "de", "p2", "42"), row("nothing", "fr", "p3", "42")]
    completions = {
        "p1": [bare, solution("de", "42")],
        "p2": [solution("de", wrong("42")), bare],
        # nothing any weighted reward can judge? An empty text still scores 0 on accuracy and format.
        "p3": ["", "Réponse: 42"],
    }
    pairs, stats = build_pairs(rows, FixedSampler(completions), funcs, weights, names, margin=0.05)
    by_id = {p["id"]: p for p in pairs}
    bare_score = w["math_accuracy"] + 0.5 * w["format"]
    assert by_id["bare-vs-worked"]["chosen"][0]["content"] == completions["p1"][1]
    assert by_id["bare-vs-worked"]["rejected_score"] == pytest.approx(bare_score)
    assert by_id["bare-vs-worked"]["rejected_rewards"]["language_consistency"] is None
    assert by_id["bare-vs-wrong"]["chosen"][0]["content"] == bare
    assert by_id["bare-vs-wrong"]["margin"] == pytest.approx(bare_score - w["format"] - w["language_consistency"])
    assert by_id["nothing"]["chosen"][0]["content"] == "Réponse: 42"
    assert by_id["nothing"]["rejected_score"] == pytest.approx(0.0)
    assert stats.completions_partly_judged == 4 and stats.completions_unscorable == 0

    # A completion no weighted reward can judge is unscorable in both modes.
    from euro_post.preference.pairs import score_group

    judged = {"a": [None, 1.0], "b": [None, float("nan")]}
    for mode in ("no_credit", "skip"):
        scored = score_group(["x", "y"], judged, {"a": 1.0, "b": 0.5}, mode)
        assert scored[0].score is None
    assert score_group(["x", "y"], judged, {"a": 1.0, "b": 0.5})[1].score == pytest.approx(1.0)
    assert score_group(["x", "y"], judged, {"a": 1.0, "b": 0.5}, "skip")[1].score is None
    with pytest.raises(ValueError, match="unjudged"):
        score_group(["x"], {"a": [1.0]}, {"a": 1.0}, "guess")


def test_all_pairs_contrast_every_right_answer_with_every_wrong_one(default_rewards):
    funcs, weights, names = default_rewards
    w = dict(zip(names, weights))
    rows = [row("g", "de", "p1", "42"), row("tie", "fr", "p2", "42")]
    right, wrong_de, english = solution("de", "42"), solution("de", wrong("42")), solution("en", "42")
    completions = {
        # scores: right 1.7, wrong 0.7, right-in-English 1.0, right 1.7, wrong 0.7
        "p1": [wrong_de, right, english, right + " ", wrong_de + " "],
        "p2": [solution("fr", "42"), solution("fr", "42")],
    }
    pairs, stats = build_pairs(
        rows, FixedSampler(completions), funcs, weights, names, margin=0.3, pairing="all", max_pairs_per_prompt=10
    )
    full, wrong_score = w["math_accuracy"] + w["format"] + w["language_consistency"], w["format"] + w["language_consistency"]
    # 2 right x 2 wrong (gap 1.0), then right vs English (0.7); English vs wrong is 0.3, the margin: kept last.
    margins = [p["margin"] for p in pairs]
    assert margins == pytest.approx([full - wrong_score] * 4 + [full - w["math_accuracy"]] * 2 + [w["math_accuracy"] - wrong_score] * 2)
    contents = [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs[:4]]
    assert contents == [(right, wrong_de), (right, wrong_de + " "), (right + " ", wrong_de), (right + " ", wrong_de + " ")]
    assert all(p["chosen_score"] > p["rejected_score"] for p in pairs)
    assert stats.as_dict()["pairs_per_language"] == {"de": 8}
    assert stats.as_dict()["skipped"]["tie"] == 1

    capped, _ = build_pairs(
        rows[:1], FixedSampler(completions), funcs, weights, names, margin=0.3, pairing="all", max_pairs_per_prompt=3
    )
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in capped] == contents[:3]
    # A margin above every gap but the widest: only right-against-wrong remains.
    wide, _ = build_pairs(rows[:1], FixedSampler(completions), funcs, weights, names, margin=0.8, pairing="all", max_pairs_per_prompt=10)
    assert len(wide) == 4
    assert build_pairs(rows[1:], FixedSampler(completions), funcs, weights, names, margin=0.3, pairing="all")[1].skipped["tie"] == 1


# --- configuration ------------------------------------------------------------------------


def test_loss_types_are_trls_and_bad_options_are_refused():
    from trl import DPOConfig

    help_text = DPOConfig.__dataclass_fields__["loss_type"].metadata["help"]
    assert set(re.findall(r"`'(\w+)'`", help_text)) == set(DPO_LOSS_TYPES)

    def check(message, **options):
        with pytest.raises(RecipeError, match=message):
            validate_recipe({"name": "t", "stages": {"preference": {"init_from": "x", **options}}})

    check("unknown loss type", loss_type=["sigmoid", "dpop"])
    check("exo_pair", loss_type="exo_pair")
    check("reference-free", algorithm="simpo", precompute_ref_log_probs=True)
    check("own loss", algorithm="simpo", loss_type="ipo")
    check("data.path", pairs="offline")
    check("loss_weights has 1 weights for 2", loss_type=["sigmoid", "sft"], loss_weights=[1.0])
    check("label_smoothing", label_smoothing=0.5)
    ok = validate_recipe({"name": "t", "stages": {"preference": {"init_from": "x", "loss_type": "robust",
                                                                   "label_smoothing": 0.1}}})
    assert ok.stages.preference.loss_type == ["robust"]
    assert ok.stages.preference.resolved_beta == 0.1


def test_vllm_is_refused_clearly_where_it_cannot_run(tiny_checkpoint):
    from euro_post.preference.sampling import make_sampler

    from euro_post.models.loading import load_model, load_tokenizer

    cfg = PreferenceConfig(init_from=tiny_checkpoint, use_vllm=True)
    with pytest.raises(RuntimeError, match="use_vllm"):
        make_sampler(cfg, load_model(tiny_checkpoint, "fp32"), load_tokenizer(tiny_checkpoint), tiny_checkpoint, 0)


# --- training through the runner ---------------------------------------------------------


QUESTION = {"de": "Wie viel ist {a} + {b}?", "fr": "Combien font {a} + {b} ?"}


def prompt_rows(per_language=6):
    """Short user prompts (the world's are long for a 700-token vocabulary), with gold answers."""
    return [
        {"id": f"{lang}-{i}", "lang": lang, "answer": str(3 * i + 5),
         "prompt": [{"role": "user", "content": QUESTION[lang].format(a=3 * i, b=5)}]}
        for lang in LANGS for i in range(per_language)
    ]


def three_samples(rows):
    """For every prompt: correct in English, correct in the prompt's language, wrong in it."""
    return FixedSampler({
        r["prompt"][-1]["content"]: [solution("en", r["answer"]), solution(r["lang"], r["answer"]),
                                     solution(r["lang"], wrong(r["answer"]))]
        for r in rows
    })


@pytest.fixture
def prompts(tmp_path):
    return write_jsonl(tmp_path / "prompts.jsonl", prompt_rows())


@pytest.fixture
def sampler(monkeypatch):
    fixed = three_samples(prompt_rows())
    monkeypatch.setattr(preference_stage, "make_sampler", lambda *args, **kwargs: fixed)
    return fixed


def recipe(run_dir, checkpoint, **options):
    stage = {"init_from": checkpoint, "max_steps": 30, "learning_rate": 1e-3, "warmup_ratio": 0.0,
             "lr_scheduler": "constant", "per_device_batch_size": 2, "logging_steps": 1, "save_steps": 100,
             "max_length": 256, **options}
    return validate_recipe({"name": "pref", "run_dir": str(run_dir), "languages": LANGS, "world": WORLD,
                            "stages": {"preference": stage}})


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "preference" / "metrics.jsonl").read_text().splitlines()]


def quarter_means(values):
    q = max(len(values) // 4, 1)
    return sum(values[:q]) / q, sum(values[-q:]) / q


@pytest.mark.slow
def test_dpo_on_on_policy_pairs_widens_the_margin(tiny_checkpoint, tmp_path, prompts, sampler):
    manifests = runner.run_recipe(recipe(tmp_path, tiny_checkpoint, data={"path": str(prompts)}), tmp_path)
    manifest = manifests["preference"]
    assert manifest["status"] == "complete"

    pairs = [json.loads(line) for line in (tmp_path / "preference" / "pairs.jsonl").read_text().splitlines()]
    assert len(pairs) == len(prompt_rows())
    for pair in pairs:
        # best: correct in the prompt's language; worst: the correct English one (1.0) beats the
        # wrong one in the prompt's language (0.7) only on accuracy, so the wrong one is rejected.
        assert pair["chosen"][0]["content"] == solution(pair["lang"], pair["answer"])
        assert pair["rejected"][0]["content"] == solution(pair["lang"], wrong(pair["answer"]))
        assert pair["id"].startswith(pair["lang"])
    summary = manifest["summary"]
    assert summary["pairs_per_language"] == {"de": 6, "fr": 6}
    assert summary["skipped"] == {"tie": 0, "below_margin": 0, "unscorable": 0}
    assert summary["steps"] == 30 and summary["algorithm"] == "dpo"
    assert manifest["tokens_processed"] == summary["generated_tokens"] + summary["trained_tokens"]
    assert summary["generated_tokens"] > 0 and summary["trained_tokens"] > 0

    logged = [m for m in metrics(tmp_path) if "rewards/margins" in m]
    assert [m["step"] for m in logged] == list(range(1, 31))
    for key in ("rewards/margins", "rewards/accuracies"):
        first, last = quarter_means([m[key] for m in logged])
        assert last > first, (key, first, last)
    assert quarter_means([m["rewards/accuracies"] for m in logged])[1] == 1.0
    assert (tmp_path / "preference" / "checkpoint" / "model.safetensors").exists()


def test_real_sampling_from_the_world_says_why_a_random_model_gives_no_pairs(tiny_checkpoint, tmp_path):
    from euro_post.preference.stage import NoPairsError

    options = dict(max_steps=1, samples_per_prompt=2, max_completion_length=6, data={"max_rows": 4})
    # A random model's six-token samples score 0 everywhere (ties) or are too short to judge (unscorable).
    with pytest.raises(NoPairsError, match=r"no preference pairs from 4 prompts") as error:
        runner.run_recipe(recipe(tmp_path, tiny_checkpoint, **options), tmp_path)
    skipped = ast.literal_eval(re.search(r"skipped: (\{.*?\})", str(error.value)).group(1))
    assert sum(skipped.values()) == 4
    assert re.search(r"\d of 8 completions unscorable", str(error.value))
    assert json.loads((tmp_path / "preference" / "stage.json").read_text())["status"] == "failed"
    assert not (tmp_path / "preference" / "pairs.jsonl").exists()


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def offline_rows(n_per_lang=4):
    rows = []
    for lang in LANGS:
        for i in range(n_per_lang):
            answer = str(10 + i)
            prompt = f"{lang}-{i}: " + ("Wie viel ist es?" if lang == "de" else "Combien est-ce ?")
            if i % 2:  # mix plain and conversational rows
                rows.append({"prompt": [{"role": "user", "content": prompt}], "lang": lang,
                             "chosen": [{"role": "assistant", "content": solution(lang, answer)}],
                             "rejected": [{"role": "assistant", "content": solution("en", answer)}]})
            else:
                rows.append({"prompt": prompt, "chosen": solution(lang, answer), "rejected": solution("en", answer),
                             "lang": lang})
    return rows


def test_offline_rows_are_cleaned_and_counted():
    rows = offline_rows() + [
        {"prompt": "x", "chosen": "  ", "rejected": "b", "lang": "de"},
        {"prompt": "x", "chosen": "same", "rejected": [{"role": "assistant", "content": "same"}], "lang": "fr"},
        {"prompt": "x", "chosen": "a", "rejected": "b", "lang": "sv"},
    ]
    kept, stats = clean_offline_rows(rows, max_drop_fraction=0.5, source="pairs.jsonl")
    assert stats["dropped"] == {"empty_prompt": 0, "empty_chosen": 1, "empty_rejected": 0, "identical": 1}
    assert stats["pairs_per_language"] == {"de": 4, "fr": 4, "sv": 1} and stats["rows"] == 11
    assert stats["format"] == "conversational"
    assert all(isinstance(p[k], list) for p in kept for k in ("prompt", "chosen", "rejected"))
    assert kept[0]["prompt"] == [{"role": "user", "content": rows[0]["prompt"]}]

    with pytest.raises(PairDataError, match=r"2 of 11 preference rows \(18.2%\).*max_drop_fraction 0.1"):
        clean_offline_rows(rows, max_drop_fraction=0.1, source="pairs.jsonl")
    with pytest.raises(PairDataError, match="none of the 1"):
        clean_offline_rows([{"prompt": "x", "chosen": "a", "rejected": "a", "lang": "de"}], 1.0, "f")
    with pytest.raises(PairDataError, match=r"f, row 2: `chosen` must be a string or a list"):
        clean_offline_rows([rows[0], {"prompt": "x", "chosen": 5, "rejected": "a", "lang": "de"}], 1.0, "f")


@pytest.mark.slow
def test_offline_pairs_from_jsonl_with_precomputed_reference(tiny_checkpoint, tmp_path, monkeypatch):
    data = write_jsonl(tmp_path / "pairs.jsonl", offline_rows() + [
        {"prompt": "x", "chosen": "", "rejected": "b", "lang": "de"},
        {"prompt": "x", "chosen": "a", "rejected": "a", "lang": "pl"},  # not a recipe language: filtered, not dropped
    ])
    built = []
    from trl import DPOTrainer

    original = DPOTrainer.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(DPOTrainer, "__init__", spy)
    run_dir = tmp_path / "run"
    manifests = runner.run_recipe(recipe(run_dir, tiny_checkpoint, pairs="offline", data={"path": str(data)},
                                         max_steps=4, precompute_ref_log_probs=True, max_drop_fraction=0.2), run_dir)
    summary = manifests["preference"]["summary"]
    assert summary["pairs_source"] == "offline"
    assert summary["rows"] == 9 and summary["pairs"] == 8
    assert summary["dropped"]["empty_chosen"] == 1
    assert summary["pairs_per_language"] == {"de": 4, "fr": 4}
    assert built[0].ref_model is None  # precomputed: no reference model held while training
    assert "ref_chosen_logps" in built[0].train_dataset.column_names
    assert not (run_dir / "preference" / "pairs.jsonl").exists()
    assert [m["step"] for m in metrics(run_dir) if "rewards/margins" in m] == [1, 2, 3, 4]


@pytest.mark.slow
def test_simpo_trains_without_a_reference(tiny_checkpoint, tmp_path):
    import torch
    from safetensors.torch import load_file

    data = write_jsonl(tmp_path / "pairs.jsonl", offline_rows())
    run_dir = tmp_path / "run"
    manifests = runner.run_recipe(recipe(run_dir, tiny_checkpoint, pairs="offline", data={"path": str(data)},
                                         algorithm="simpo", max_steps=12), run_dir)
    summary = manifests["preference"]["summary"]
    assert summary["algorithm"] == "simpo" and summary["loss_type"] == "simpo" and summary["beta"] == 2.0
    assert summary["trained_tokens"] > 0
    logged = [m for m in metrics(run_dir) if "rewards/margins" in m]
    assert len(logged) == 12 and all("nll_loss" in m for m in logged)
    first, last = quarter_means([m["rewards/margins"] for m in logged])
    assert last > first
    before = load_file(f"{tiny_checkpoint}/model.safetensors")
    after = load_file(run_dir / "preference" / "checkpoint" / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)


@pytest.mark.slow
def test_lora_dpo_keeps_the_adapter_and_hands_on_merged_weights(tiny_checkpoint, tmp_path):
    data = write_jsonl(tmp_path / "pairs.jsonl", offline_rows())
    run_dir = tmp_path / "run"
    manifests = runner.run_recipe(recipe(run_dir, tiny_checkpoint, pairs="offline", data={"path": str(data)},
                                         max_steps=3, lora={"r": 4, "alpha": 8}), run_dir)
    assert manifests["preference"]["summary"]["training"] == "lora"
    assert (run_dir / "preference" / "adapter" / "adapter_config.json").exists()
    assert (run_dir / "preference" / "checkpoint" / "model.safetensors").exists()


@pytest.mark.slow
def test_resume_continues_from_the_interrupted_step_and_reuses_the_pairs(tiny_checkpoint, tmp_path, prompts, sampler,
                                                                         monkeypatch):
    steps = dict(max_steps=6, save_steps=3, data={"path": str(prompts)})
    whole = tmp_path / "whole"
    whole_summary = runner.run_recipe(recipe(whole, tiny_checkpoint, **steps), whole)["preference"]["summary"]
    uninterrupted = {m["step"]: m for m in metrics(whole) if "loss" in m}
    assert sampler.calls == 1

    class Interrupt(preference_stage.StageCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(preference_stage, "StageCallback", Interrupt)
    split = tmp_path / "split"
    with pytest.raises(KeyboardInterrupt):
        runner.run_recipe(recipe(split, tiny_checkpoint, **steps), split)
    assert json.loads((split / "preference" / "stage.json").read_text())["status"] == "interrupted"
    assert sampler.calls == 2
    monkeypatch.setattr(preference_stage, "StageCallback", Interrupt.__mro__[1])

    trained_steps = []
    original = preference_stage.build_trainer

    def counting(*args, **kwargs):
        trainer = original(*args, **kwargs)
        step = trainer.training_step

        def counted(*a, **k):
            trained_steps.append(1)
            return step(*a, **k)

        trainer.training_step = counted
        return trainer

    monkeypatch.setattr(preference_stage, "build_trainer", counting)
    manifests = runner.run_recipe(recipe(split, tiny_checkpoint, **steps), split)
    assert manifests["preference"]["resumed"] is True
    assert sampler.calls == 2  # the pairs of the first attempt were reused
    summary = manifests["preference"]["summary"]
    assert summary["pairs"] == whole_summary["pairs"] and summary["generated_tokens"] == whole_summary["generated_tokens"]
    assert summary["trained_tokens"] == whole_summary["trained_tokens"]  # the first attempt's tokens still count
    assert len(trained_steps) == 3  # steps 4..6 only
    resumed = {m["step"]: m for m in metrics(split) if "loss" in m}
    assert sorted(resumed) == sorted(uninterrupted) == list(range(1, 7))
    for step in (4, 6):
        assert resumed[step]["loss"] == pytest.approx(uninterrupted[step]["loss"], rel=1e-4)
        assert resumed[step]["rewards/margins"] == pytest.approx(uninterrupted[step]["rewards/margins"], rel=1e-3, abs=1e-6)
