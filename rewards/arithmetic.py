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

Time is bounded by the text length and capped: only the first `MAX_TEXT_CHARS` characters are
read (about 12 000 tokens; the shipped recipes generate at most 1024), each run of terms in
them once, and an equation longer than `MAX_EQUATION_CHARS` counts as one that does not hold,
without being computed (a step of a worked solution is a few dozen characters; a megabyte
"1+1+...+1" is not a step).
"""

from __future__ import annotations

import re
from decimal import Decimal, DivisionByZero, InvalidOperation

from euro_post.rewards.base import TextReward
from euro_post.rewards.numbers import MINUS_SIGNS, NUMBER_RUN, read_run

from euro_post.data.languages import get_language

_NUMBER = NUMBER_RUN.pattern
# The calculations read are those in the first MAX_TEXT_CHARS characters; longer equations
# (expression and result) count as not holding, unread.
MAX_TEXT_CHARS = 50_000
MAX_EQUATION_CHARS = 1000
# ":" divides only between spaces ("24 : 2"), so that "Step 1: 3 + 8" is not read as 1 : 3 + 8.
_MINUS = re.escape(MINUS_SIGNS)
_OPERATOR = rf"(?:[+×x*·/÷{_MINUS}]|(?<=\s):(?=\s))"
_TERM = rf"{_NUMBER}(?:\s*+%)?"
# A run of terms joined by operators, as long as it goes; the lookbehind keeps it from starting
# inside a number ("12" of "112 + 3"). Whitespace is matched possessively (no operator, "=" or
# digit is whitespace), so no run of spaces is ever read twice.
_CHAIN = re.compile(rf"(?<![\d.,]){_TERM}(?P<more>(?:\s*+{_OPERATOR}\s*+{_TERM})*)")
# What makes a run of at least two terms an equation: "=" and a result with an optional minus sign.
_RESULT = re.compile(rf"\s*+=\s*+(?P<sign>[{_MINUS}])?\s*+(?P<result>{_NUMBER})")
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


def equations(text: str):
    """(expression, negative result, result) for every equation in `text`, left to right.

    One pass: where a run of terms is not followed by "=" and a number, no equation starts inside
    it either (a shorter run inside it is followed by an operator, or ends where it ends)."""
    pos = 0
    while (chain := _CHAIN.search(text, pos)) is not None:
        pos = chain.end()
        tail = _RESULT.match(text, pos)
        if tail is None or not chain.group("more"):
            continue
        pos = tail.end()
        yield chain.group(), bool(tail.group("sign")), tail.group("result")


def arithmetic_score(text: str, lang: str) -> float:
    """The share of the equations in `text` that hold (0.0 when there is none)."""
    get_language(lang)
    holds: dict[tuple[str, bool, str], bool] = {}  # a calculation written twice is computed once
    checked = right = 0
    for equation in equations(text[:MAX_TEXT_CHARS]):
        checked += 1
        if equation not in holds:
            holds[equation] = _equation_holds(*equation, lang)
        right += holds[equation]
    return right / checked if checked else 0.0


def _equation_holds(expression: str, negative: bool, result: str, lang: str) -> bool:
    if len(expression) + len(result) > MAX_EQUATION_CHARS:
        return False
    value = _evaluate(expression, lang)
    return value is not None and _holds(value, result, negative, lang)


class ArithmeticReward(TextReward):
    """Share of the written calculations that hold (needs the `lang` column); see the module docstring."""

    name = "arithmetic"

    def score_text(self, text: str, lang: str) -> float:
        return arithmetic_score(text, lang)
