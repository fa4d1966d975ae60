"""`arithmetic`: do the calculations the completion writes down hold?

A step-level verifiable reward. Every equation "<expression> = <number>" in the completion, the
expression being numbers joined by + - × / (also −, x, *, ·, ÷, :) with an optional % after a
number, is recomputed (× and / before + and -); the score is the share of equations that hold.
A completion that shows no calculation scores 0: the reward is for worked steps, not for their
absence.

Why: the final answer says only whether everything went right. A solution with one slip in its
second step and one that misread the problem both score 0 on `math_accuracy`; this reward tells
them apart, so each rollout carries more than one bit about the skill that failed.

Numbers are read in the row's language (decimal comma, grouped thousands), as `math_accuracy`
reads answers. A result written with decimals may be rounded to its last digit (10 / 3 = 3,33);
a whole-number result must be exact.
"""

from __future__ import annotations

import re
from decimal import Decimal, DivisionByZero, InvalidOperation

from euro_post.rewards.base import TextReward
from euro_post.rewards.numbers import MINUS_SIGNS, NUMBER_RUN, read_run

from euro_post.data.languages import get_language

_NUMBER = NUMBER_RUN.pattern
# ":" divides only between spaces ("24 : 2"), so that "Step 1: 3 + 8" is not read as 1 : 3 + 8.
_MINUS = re.escape(MINUS_SIGNS)
_OPERATOR = rf"(?:[+×x*·/÷{_MINUS}]|(?<=\s):(?=\s))"
_TERM = rf"{_NUMBER}\s*%?"
# An expression of at least two terms, "=", and a result with an optional minus sign. The
# lookbehind keeps a match from starting inside a number ("12" of "112 + 3").
EQUATION = re.compile(
    rf"(?<![\d.,])(?P<expr>{_TERM}(?:\s*{_OPERATOR}\s*{_TERM})+)\s*=\s*(?P<sign>[{_MINUS}])?\s*(?P<result>{_NUMBER})"
)
_PIECE = re.compile(rf"({_NUMBER})\s*(%?)|({_OPERATOR})")
_ADDITIVE = {"+": 1, "-": -1, "\u2212": -1, "\u2013": -1}


def _evaluate(expression: str, lang: str) -> Decimal | None:
    """The value of "a op b op c ..." with × and / first; None if a number does not read."""
    terms: list[Decimal] = []
    ops: list[str] = []
    for number, percent, op in _PIECE.findall(expression):
        if op:
            ops.append(op)
            continue
        value = read_run(number, lang)
        if value is None:
            return None
        terms.append(value / 100 if percent else value)
    if len(terms) != len(ops) + 1:
        return None
    total, product, sign = Decimal(0), terms[0], 1
    try:
        for op, value in zip(ops, terms[1:]):
            if op in _ADDITIVE:
                total += sign * product
                product, sign = value, _ADDITIVE[op]
            elif op in "/÷:":
                product = product / value
            else:
                product = product * value
    except (DivisionByZero, InvalidOperation):
        return None
    return total + sign * product


def _holds(value: Decimal, result_text: str, negative: bool, lang: str) -> bool:
    result = read_run(result_text, lang)
    if result is None:
        return False
    result = -result if negative else result
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:  # written with decimals: allow rounding to the last one
        return abs(value - result) <= Decimal(5).scaleb(exponent - 1)
    return value == result


def arithmetic_score(text: str, lang: str) -> float:
    """The share of the equations in `text` that hold (0.0 when there is none)."""
    get_language(lang)
    checked = right = 0
    for match in EQUATION.finditer(text):
        value = _evaluate(match.group("expr"), lang)
        checked += 1
        right += value is not None and _holds(value, match.group("result"), bool(match.group("sign")), lang)
    return right / checked if checked else 0.0


class ArithmeticReward(TextReward):
    """Share of the written calculations that hold (needs the `lang` column); see the module docstring."""

    name = "arithmetic"

    def score_text(self, text: str, lang: str) -> float:
        return arithmetic_score(text, lang)
