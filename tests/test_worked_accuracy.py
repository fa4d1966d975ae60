"""Worked-answer accuracy, the sampled pass behind pass@k in greedy mode, and the intervals over
seeds: exact numbers from hand-made scores and known completions."""

from __future__ import annotations

import json
import math

import pytest
from euro_post.eval.config import EvalConfig
from euro_post.eval.evaluate import evaluate_checkpoint_into, evaluate_model
from euro_post.eval.metrics import (
    SampleScore,
    language_metrics,
    seed_spread,
    t_quantile,
    welch_difference,
    wilson_interval,
)
from scipy import stats


def score(correct, fmt, lang):
    return SampleScore(correct=correct, format=fmt, language=lang, tokens=10)


def test_worked_accuracy_counts_only_full_format_in_the_question_language():
    problems = [
        [score(True, 1.0, 1.0)],  # worked, right
        [score(False, 1.0, 1.0)],  # worked, wrong
        [score(True, 1.0, None)],  # worked, too short to judge its language: still worked, right
        [score(True, 0.5, None)],  # a bare answer line: right, not worked
        [score(True, 1.0, 0.0)],  # full format but written in another language: not worked
        [score(False, 0.0, 1.0)],  # no answer line
    ]
    metrics = language_metrics(problems)
    low, high = wilson_interval(2, 3)
    assert metrics["worked_accuracy"].as_dict() == {"value": 2 / 3, "low": low, "high": high, "n": 3, "interval": "wilson"}
    assert metrics["accuracy"].value == pytest.approx(4 / 6)


def test_worked_accuracy_of_sampled_problems_averages_each_problems_worked_samples():
    problems = [
        [score(True, 1.0, 1.0), score(False, 1.0, 1.0), score(True, 0.5, None)],  # 1 of 2 worked right
        [score(True, 1.0, 1.0), score(True, 1.0, 1.0)],  # 2 of 2
        [score(True, 0.0, 1.0)],  # nothing worked: left out
    ]
    stat = language_metrics(problems)["worked_accuracy"]
    assert stat.n == 2 and stat.value == pytest.approx(0.75) and stat.interval == "t"
    assert language_metrics([[score(True, 0.5, None)]])["worked_accuracy"].value is None


# Known completions in German (gold answer 12): what the rewards give each is beside it.
WORKED_RIGHT = "Anna kauft zuerst zwölf Äpfel und legt sie in den großen Korb.\nSchritt 1: 5 + 7 = 12.\nAntwort: 12"
WORKED_WRONG = "Die Kinder teilen die Bonbons gleichmäßig unter sich auf.\nSchritt 1: 26 / 2 = 13.\nAntwort: 13"
BARE_RIGHT = "Antwort: 12"  # half format credit, too short for the language reward
# German answer line (full format) after English reasoning: language consistency 0, so not worked.
ENGLISH_RIGHT = "Anna buys twelve apples first and puts all of them into the basket.\nStep 1: 5 + 7 = 12.\nAntwort: 12"


class Generator:
    """Stands in for generation: greedy (temperature 0) and sampled completions from tables."""

    def __init__(self, greedy: dict, sampled: dict):
        self.greedy, self.sampled, self.calls = greedy, sampled, []

    def __call__(self, model, tokenizer, prompts, *, max_new_tokens, temperature, top_p, num_samples, batch_size, seed):
        self.calls.append({"temperature": temperature, "num_samples": num_samples, "top_p": top_p})
        table = self.greedy if temperature == 0 else self.sampled
        return [table[p[-1]["content"]][:num_samples] for p in prompts]


ROWS = [{"id": name, "lang": "de", "prompt": [{"role": "user", "content": name}], "answer": "12"} for name in "abcd"]
GREEDY = {"a": [WORKED_RIGHT], "b": [WORKED_WRONG], "c": [BARE_RIGHT], "d": [ENGLISH_RIGHT]}
SAMPLED = {
    "a": [WORKED_RIGHT, WORKED_RIGHT, WORKED_WRONG, WORKED_WRONG],  # 2 of 4 right
    "b": [WORKED_WRONG, WORKED_WRONG, WORKED_WRONG, WORKED_RIGHT],  # 1 of 4
    "c": [WORKED_WRONG] * 4,  # none
    "d": [WORKED_RIGHT] * 4,  # all
}


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    from euro_post.models.loading import load_model, load_tokenizer

    return load_model(tiny_checkpoint, "fp32"), load_tokenizer(tiny_checkpoint)


def test_worked_accuracy_from_real_rewards(tiny):
    model, tokenizer = tiny
    metrics = evaluate_model(model, tokenizer, ROWS, EvalConfig(), generate_fn=Generator(GREEDY, SAMPLED))
    de = metrics["languages"]["de"]["metrics"]
    assert de["accuracy"]["value"] == 0.75  # a, c, d
    assert de["format"]["value"] == 0.75 and de["language_consistency"]["value"] == 2 / 3  # d: full format, English
    assert de["worked_accuracy"]["value"] == 0.5 and de["worked_accuracy"]["n"] == 2  # a right, b wrong; c bare, d English


def test_pass_at_k_comes_from_a_second_sampled_pass(tiny_checkpoint, tmp_path):
    generator = Generator(GREEDY, SAMPLED)
    config = EvalConfig(pass_at_k={"num_samples": 4, "temperature": 0.5, "k": [1, 2, 4]})
    eval_dir = tmp_path / "run" / "eval"  # laid out as in a run, for the report below
    result = evaluate_checkpoint_into("sft", tiny_checkpoint, ROWS, config, eval_dir, generate_fn=generator, log=lambda _: None)
    assert [(c["temperature"], c["num_samples"]) for c in generator.calls] == [(0.0, 1), (0.5, 4)]
    de = result["languages"]["de"]["metrics"]
    assert de["accuracy"]["value"] == 0.75  # the greedy pass's columns stay greedy
    assert de["pass@1"]["value"] == pytest.approx((2 / 4 + 1 / 4 + 0 + 1) / 4)
    # pass@2 = 1 - C(n-c, 2) / C(4, 2): a 1 - 1/6, b 1 - 3/6, c 0, d 1
    assert de["pass@2"]["value"] == pytest.approx((5 / 6 + 3 / 6 + 0 + 1) / 4)
    assert de["pass@4"]["value"] == pytest.approx(3 / 4) and de["pass@4"]["interval"] == "wilson"
    assert result["summary"]["pass@4"] == pytest.approx(3 / 4)
    assert result["pass_at_k"] == {"num_samples": 4, "temperature": 0.5, "top_p": 1.0, "k": [1, 2, 4]}
    sampled = (eval_dir / "completions" / "sft.sampled.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(sampled) == 16 and json.loads(sampled[0])["completion"] == WORKED_RIGHT

    from euro_post.eval.report import build_report, validate_report
    from euro_post.eval.report_markdown import render_report

    report = build_report(tmp_path / "run")
    validate_report(report)
    markdown = render_report(report)
    assert "| pass@1 | pass@2 | pass@4 |" in markdown and "worked-answer accuracy" in markdown
    assert "4 samples per problem at temperature 0.5" in markdown


def test_pass_at_k_option_rules():
    with pytest.raises(ValueError, match="between 1 and num_samples"):
        EvalConfig(pass_at_k={"num_samples": 2, "k": [4]})
    with pytest.raises(ValueError, match="adds a sampled pass to greedy"):
        EvalConfig(mode="sampled", num_samples=2, pass_at_k={"num_samples": 2})
    assert EvalConfig().sampled_pass() is None
    assert EvalConfig(pass_at_k={}).sampled_pass().resolved_pass_k() == [1, 8]


def test_interval_over_seeds_is_student_t():
    spread = seed_spread([0.30, 0.36, 0.33])
    half = stats.t.ppf(0.975, 2) * math.sqrt(0.0009 / 3)  # sample variance of the three: 0.0009
    assert spread["mean"] == pytest.approx(0.33)
    assert spread["low"] == pytest.approx(0.33 - half) and spread["high"] == pytest.approx(0.33 + half)
    assert (spread["min"], spread["max"], spread["n"]) == (0.30, 0.36, 3)
    assert half == pytest.approx(4.303 * 0.01732, rel=1e-3)  # t(0.975, 2) = 4.303: three seeds give wide intervals
    one = seed_spread([0.4, None])
    assert one["low"] == one["high"] == one["mean"] == 0.4 and one["n"] == 1
    assert seed_spread([None]) is None


def test_welch_interval_between_seed_groups():
    a, b = [0.30, 0.36, 0.33], [0.40, 0.42]
    diff = welch_difference(a, b)
    va, vb = 0.0009 / 3, 0.0002 / 2
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 1)
    assert diff["delta"] == pytest.approx(0.41 - 0.33)
    assert diff["df"] == pytest.approx(df)
    assert diff["high"] - diff["delta"] == pytest.approx(t_quantile(df) * math.sqrt(va + vb))
    reference = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (diff["low"], diff["high"]) == pytest.approx((reference.low, reference.high))
    assert welch_difference([0.3], b) is None
