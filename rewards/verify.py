"""Is a completion's final answer right? Locale-aware reading in front of math-verify.

For each completion: extract the final answer (extract.py), read it as a number in the row's
language (numbers.py), and decide:

1. No answer -> wrong. An answer longer than `MAX_ANSWER_CHARS` -> wrong (a kilobyte-long
   "final answer" is not an answer; this also keeps megabyte inputs away from sympy).
2. Gold and prediction both plain numbers (the common case) -> decided in-process, no
   math-verify call: equal -> right; further apart than 1e-6 -> wrong (math-verify compares
   floats rounded to 6 decimals, so it could not call them equal either). Only a difference
   within 1e-6 is left to math-verify and its rounding rules.
3. Otherwise (LaTeX, fractions, expressions, equations) math-verify decides, on the
   canonical number (when the prediction reads as one) or on the expression with its numbers
   rewritten in canonical form. It runs in the verifier pool (pool.py) with a hard deadline,
   because sympy can hang or blow up on adversarial input. An expression nesting brackets
   more than `MAX_ANSWER_DEPTH` deep is wrong without it: no final answer nests that deep, and
   sympy's parsers take time exponential in the depth (12 nested \\frac: 4 s).

Outcomes are 1.0, 0.0, or `Unscorable` (error or timeout), which the rewards turn into None.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable, Sequence

from euro_post.rewards.extract import extract_answer
from euro_post.rewards.numbers import canonical_number, localize_expression, parse_number
from euro_post.rewards.pool import get_pool
from euro_post.rewards.worker import math_verify_engine

from euro_post.data.languages import get_language

MAX_ANSWER_CHARS = 1000
MAX_GOLD_CHARS = 1000
MAX_ANSWER_DEPTH = 8
NUMERIC_TOLERANCE = Decimal("1e-6")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
_LATEX_DELIMITED = ("$", "\\(", "\\[", "\\boxed")


@dataclass(frozen=True)
class Unscorable:
    """A completion the reward could not score: kind is "error", "timeout" or "none"."""

    kind: str
    detail: str = ""


Outcome = float | Unscorable


class VerificationError(RuntimeError):
    """verify_answer could not decide (the verifier raised or ran out of time)."""


@dataclass(frozen=True)
class VerifierSettings:
    """How math-verify calls are run; see `MathAccuracy` for the meaning of each field."""

    item_timeout_s: float = 5.0
    batch_timeout_s: float | None = 120.0
    workers: int | None = None
    memory_limit_mb: int | None = 4096
    engine: Callable[[str, str], bool] = math_verify_engine


def gold_number(gold: str) -> Decimal | None:
    """The gold answer as a Decimal when it is a canonical plain number ("12.5", "-3", "1e5")."""
    text = gold.strip()
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def as_math_verify_input(text: str) -> str:
    """Wrap an expression in $...$ unless it is delimited already: math-verify's LaTeX extraction
    then finds "\\sqrt{2}" or "x + 1", which its bare-text extraction misses."""
    if any(d in text for d in _LATEX_DELIMITED):
        return text
    return f"${text}$"


def read_prediction(answer: str, lang: str) -> Decimal | None:
    """The answer as a number in `lang`; "x = 5" reads as 5."""
    value = parse_number(answer, lang)
    if value is None and "=" in answer:
        value = parse_number(answer.rsplit("=", 1)[1], lang)
    return value


def plan(text: str, gold: str, lang: str) -> Outcome | tuple[str, str]:
    """Decide in-process, or return the (gold, prediction) pair math-verify must judge."""
    gold = gold.strip()
    if not gold or len(gold) > MAX_GOLD_CHARS:  # bad data: counted, so that it cannot go unnoticed
        return Unscorable("error", f"gold answer is empty or longer than {MAX_GOLD_CHARS} characters")
    answer = extract_answer(text, lang)
    if answer is None or len(answer) > MAX_ANSWER_CHARS:
        return 0.0
    gold_value = gold_number(gold)
    predicted = read_prediction(answer, lang)
    if gold_value is not None and predicted is not None:
        if predicted == gold_value:
            return 1.0
        if abs(predicted - gold_value) > NUMERIC_TOLERANCE:
            return 0.0
    gold_input = canonical_number(gold_value) if gold_value is not None else as_math_verify_input(gold)
    if predicted is not None:
        return gold_input, canonical_number(predicted)
    if bracket_depth(answer) > MAX_ANSWER_DEPTH:
        return 0.0
    return gold_input, as_math_verify_input(localize_expression(answer, lang))


def bracket_depth(text: str) -> int:
    """How deep (), [] and {} nest in `text` (a closing bracket with none open is ignored)."""
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}" and depth:
            depth -= 1
    return deepest


class _ResultCache:
    """Verdicts of finished math-verify calls, so a repeated (gold, prediction) pair costs nothing."""

    def __init__(self, size: int = 8192):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key, value: float) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)


_CACHE = _ResultCache()


def verify_batch(
    texts: Sequence[str], golds: Sequence[str], langs: Sequence[str], settings: VerifierSettings | None = None
) -> list[Outcome]:
    """1.0 / 0.0 / Unscorable for each (completion text, gold answer, language)."""
    settings = settings or VerifierSettings()
    outcomes: list[Outcome | None] = [None] * len(texts)
    calls: dict[tuple[str, str], list[int]] = {}
    for lang in set(langs):
        get_language(lang)  # an unknown code is a data error: say so instead of scoring 0
    for i, (text, gold, lang) in enumerate(zip(texts, golds, langs, strict=True)):
        try:
            decided = plan(text, gold, lang)
        except Exception as err:  # noqa: BLE001 - one odd completion must not stop the batch
            decided = Unscorable("error", f"{type(err).__name__}: {err}")
        if isinstance(decided, tuple):
            cached = _CACHE.get((settings.engine, *decided))
            if cached is not None:
                outcomes[i] = cached
            else:
                calls.setdefault(decided, []).append(i)
        else:
            outcomes[i] = decided
    if calls:
        pairs = list(calls)
        pool = get_pool(settings.workers, settings.memory_limit_mb)
        results = pool.run(
            settings.engine, pairs, item_timeout=settings.item_timeout_s, batch_timeout=settings.batch_timeout_s
        )
        for pair, result in zip(pairs, results):
            if result.status == "ok":
                outcome: Outcome = 1.0 if result.value else 0.0
                _CACHE.put((settings.engine, *pair), outcome)
            else:
                outcome = Unscorable(result.status, str(result.value))
            for i in calls[pair]:
                outcomes[i] = outcome
    return outcomes  # type: ignore[return-value]


def verify_answer(text: str, gold: str, lang: str, settings: VerifierSettings | None = None) -> bool:
    """True when the final answer in `text` (a completion) equals `gold`, read in `lang`.

    Raises VerificationError when the verifier errs or runs out of time (math_accuracy scores
    such completions None), ValueError for an unknown language.
    """
    (outcome,) = verify_batch([text], [gold], [lang], settings)
    if isinstance(outcome, Unscorable):
        raise VerificationError(f"could not verify the answer ({outcome.kind}): {outcome.detail}")
    return outcome == 1.0
