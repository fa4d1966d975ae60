"""`arithmetic`: the share of the written calculations that hold, numbers read per language."""

from __future__ import annotations

import pytest
from euro_post.rewards import get_reward
from euro_post.rewards.arithmetic import arithmetic_score

from euro_post.data.world import World, WorldConfig


@pytest.mark.parametrize(
    "text, lang, score",
    [
        ("Step 1: 3 + 8 = 11.\nStep 2: 11 + 1 = 11.\nAnswer: 11", "en", 0.5),  # "Step 1:" is no division
        ("Schritt 1: 2,5 × 4 = 10.\nSchritt 2: 10 / 3 = 3,33\nAntwort: 3,33", "de", 1.0),  # rounded to its last digit
        ("Krok 1: 5 − 7 = −2", "cs", 1.0),  # minus sign, negative result
        ("2 × 3 + 4 = 10 and 2 + 3 × 4 = 20", "en", 0.5),  # × before +
        ("20 % × 50 = 10", "en", 1.0),
        ("1 234 + 1 = 1 235", "fr", 1.0),  # grouped thousands
        ("24 : 2 = 12, 3 x 4 = 12, 6 · 7 = 42, 9 ÷ 3 = 3", "de", 1.0),
        ("112 + 3 = 115", "en", 1.0),  # not read from inside 112
        ("10 / 3 = 3", "en", 0.0),  # a whole-number result must be exact
        ("10 / 0 = 1", "en", 0.0),
        ("No calculation. Answer: 5", "en", 0.0),
    ],
)
def test_scores(text, lang, score):
    assert arithmetic_score(text, lang) == score


def test_every_worked_solution_of_the_world_holds_in_every_language():
    config = WorldConfig(min_operations=2, max_operations=4, decimals=0.5, percentages=0.3, sft_per_language=30,
                         pretrain_documents_per_language=0, rl_per_language=0, eval_per_language=0)
    world = World(config)
    for lang in world.languages:
        for index in range(30):
            problem = world.problem(lang, "sft", index)
            assert arithmetic_score(problem.solution, lang) == 1.0, (lang, problem.solution)
            slipped = problem.solution.replace(f"= {problem.answer_text}", "= 100003", 1)  # the last step's result
            assert slipped != problem.solution
            assert arithmetic_score(slipped, lang) < 1.0, (lang, slipped)


def test_trl_call_needs_the_language_column():
    reward = get_reward("arithmetic")
    assert reward.__name__ == "arithmetic"
    completions = [[{"role": "assistant", "content": "Vaihe 1: 2,5 + 1,5 = 4\nVastaus: 4"}], "7 - 2 = 4"]
    assert reward(prompts=["p", "p"], completions=completions, lang=["fi", "fi"]) == [1.0, 0.0]
    with pytest.raises(ValueError, match="lang"):
        reward(prompts=["p"], completions=["1 + 1 = 2"])
