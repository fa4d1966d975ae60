"""The registry (names, RewardSpec, build_rewards) and TRL's calling convention."""

from __future__ import annotations

import pickle

import pytest
from euro_post.rewards import (
    REWARDS,
    FormatReward,
    LengthPenalty,
    MathAccuracy,
    RewardSpec,
    build_rewards,
    format_reward,
    get_reward,
    language_consistency,
    math_accuracy,
    reward_stats,
)
from pydantic import ValidationError


def test_names():
    assert REWARDS == ["math_accuracy", "format", "language_consistency", "length", "arithmetic"]
    assert [f.__name__ for f in (math_accuracy, format_reward, language_consistency)] == REWARDS[:3]
    assert get_reward("length", max_length=8, cache=2).__name__ == "length"


def test_unknown_name_lists_valid_names_and_the_nearest():
    with pytest.raises(ValueError) as caught:
        get_reward("math_acuracy")
    message = str(caught.value)
    assert "unknown reward 'math_acuracy'" in message
    assert "math_accuracy, format, language_consistency, length, arithmetic" in message
    assert "did you mean 'math_accuracy'?" in message
    with pytest.raises(ValidationError, match="did you mean 'format'"):
        RewardSpec(name="formatt")


def test_options_are_validated():
    with pytest.raises(ValidationError, match=r"unknown option\(s\) \['timeout'\]; valid options: .*item_timeout_s"):
        RewardSpec(name="math_accuracy", options={"timeout": 3})
    with pytest.raises(ValidationError, match=r"missing required option\(s\) \['max_length', 'cache'\]"):
        RewardSpec(name="length")
    with pytest.raises(ValidationError, match="cache must be in"):
        RewardSpec(name="length", options={"max_length": 10, "cache": 20})
    with pytest.raises(ValidationError, match="cannot be set in a recipe"):
        RewardSpec(name="math_accuracy", options={"engine": "x"})
    assert RewardSpec(name="length", options={"max_length": 8, "cache": 2, "unit": "tokens"}).options["unit"] == "tokens"
    with pytest.raises(ValidationError, match="extra"):
        RewardSpec(name="format", wieght=2.0)
    with pytest.raises(ValidationError, match="finite"):
        RewardSpec(name="format", weight=float("nan"))


def test_build_rewards_for_a_stage():
    specs = [
        {"name": "math_accuracy", "weight": 1.0, "options": {"item_timeout_s": 3.0}},
        {"name": "format", "weight": 0.25},
        RewardSpec(name="language_consistency", weight=0.25, options={"min_letters": 10}),
        {"name": "length", "weight": 0.5, "options": {"max_length": 6, "cache": 2, "unit": "words"}},
    ]
    funcs, weights = build_rewards(specs)
    assert weights == [1.0, 0.25, 0.25, 0.5]
    assert [type(f) for f in funcs] == [MathAccuracy, FormatReward, type(language_consistency), LengthPenalty]
    assert funcs[0].settings.item_timeout_s == 3.0 and funcs[2].min_letters == 10
    completions = ["Schritt 1: Anna hat 5 Äpfel und bekommt 7 dazu: 5 + 7 = 12\nAntwort: 12"]
    scores = [f(prompts=["Aufgabe"], completions=completions, answer=["12"], lang=["de"]) for f in funcs]
    assert scores == [[1.0], [1.0], [1.0], [-1.0]]  # 14 words against max_length 6
    with pytest.raises(ValueError, match=r"listed twice: \['format'\]"):
        build_rewards([{"name": "format"}, {"name": "format", "weight": 2}])
    with pytest.raises(ValueError, match="no rewards given"):
        build_rewards([])


def test_trl_calling_convention():
    funcs, _ = build_rewards(
        [{"name": n} for n in REWARDS[:3]]
        + [{"name": "length", "options": {"max_length": 50, "cache": 10}}, {"name": "arithmetic"}]
    )
    # GRPOTrainer names reward columns getattr(func, "__name__", type(func).__name__) (trl.trainer.utils).
    assert [getattr(f, "__name__", type(f).__name__) for f in funcs] == REWARDS
    # GRPOTrainer passes conversational completions, every dataset column and a few extras.
    prompts = [[{"role": "user", "content": "Wie viel ist 6 mal 7?"}]] * 2
    completions = [
        [{"role": "assistant", "content": "Schritt 1: Wir multiplizieren sechs mit sieben: 6 · 7 = 42\nAntwort: 42"}],
        [{"role": "assistant", "content": "Step 1: we multiply six by seven: 6 · 7 = 42\nAnswer: 41"}],
    ]
    extras = {"completion_ids": [[1, 2], [3]], "trainer_state": object(), "log_extra": print, "log_metric": print}
    results = [f(prompts=prompts, completions=completions, answer=["42", "42"], lang=["de", "de"], **extras) for f in funcs]
    assert results == [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]


def test_rewards_pickle_and_keep_working():
    copy = pickle.loads(pickle.dumps(get_reward("math_accuracy", item_timeout_s=2.0)))
    assert copy.__name__ == "math_accuracy" and copy.settings.item_timeout_s == 2.0
    assert copy(prompts=None, completions=["Antwort: 2,5"], answer=["2.5"], lang=["de"]) == [1.0]


def test_reward_stats_by_name():
    reward = get_reward("format")
    reward(prompts=None, completions=["Antwort: 1", "nichts"], lang=["de", "de"])
    stats = reward_stats()["format"]
    assert stats["calls"] >= 2 and stats["error_rate"] == 0.0
