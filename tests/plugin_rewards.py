"""Reward functions written for TRL, as a lab brings them to a recipe (`plugin_rewards:has_digit`).

They use only TRL's calling convention, nothing of euro-post: completions are strings or
conversations (open-r1 reads `completion[0]["content"]`), every other argument is a keyword.
tests/test_reward_plugins.py puts this folder on sys.path.
"""

from __future__ import annotations

import math

CALLS: list[dict] = []  # the keywords of every has_digit call, to see what each stage passes


def _text(completion) -> str:
    return completion if isinstance(completion, str) else completion[0]["content"]


def has_digit(prompts, completions, completion_ids=None, **kwargs):
    """1.0 when the completion writes a digit."""
    CALLS.append({"keys": sorted(kwargs), "completion_ids": completion_ids, "completions": len(completions)})
    return [1.0 if any(ch.isdigit() for ch in _text(c)) else 0.0 for c in completions]


def contains(word: str, score: float = 1.0):
    """A factory: the reward gives `score` to completions that contain `word` (any case)."""

    def contains_word(completions, **kwargs):
        return [score if word.lower() in _text(c).lower() else 0.0 for c in completions]

    return contains_word


class WordCount:
    """A class: its instance is the reward, `per_word` for each word, at most 1."""

    def __init__(self, per_word: float = 0.1):
        self.per_word = per_word

    def __call__(self, prompts, completions, **kwargs):
        return [min(1.0, self.per_word * len(_text(c).split())) for c in completions]


class Flaky:
    """Fails the ways a reward fails, call by call: raises, then NaN and None in turn with scores."""

    def __init__(self):
        self.calls = 0

    def __call__(self, prompts, completions, **kwargs):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("the reward server is not up yet")
        cycle = [math.nan, None, 1.0, 0.0]
        return [cycle[i % len(cycle)] for i in range(len(completions))]


def raises(prompts, completions, **kwargs):
    raise ZeroDivisionError("division by zero")


def returns_nan(prompts, completions, **kwargs):
    return [math.inf] + [math.nan] * (len(completions) - 1)


def returns_none(prompts, completions, **kwargs):
    return None


def no_kwargs(prompts, completions):
    """Cannot take the dataset columns TRL passes."""
    return [0.0] * len(completions)


NOT_A_FUNCTION = 3
