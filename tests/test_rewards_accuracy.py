"""math_accuracy: the case table across all 24 languages, number reading, extraction, API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from euro_post.rewards import (
    MathAccuracy,
    VerificationError,
    canonical_number,
    extract_answer,
    math_accuracy,
    parse_number,
    verify_answer,
)
from euro_post.rewards.pool import get_pool
from euro_post.rewards.verify import NUMERIC_TOLERANCE, gold_number, plan
from euro_post.rewards.worker import math_verify_engine
from reward_cases import all_cases

from euro_post.data.languages import LANGUAGE_CODES, NBSP, NNBSP, format_number, format_percent

CASES = all_cases()


def test_case_table_covers_every_language_and_is_large():
    assert len(CASES) >= 300
    assert {c.lang for c in CASES} == set(LANGUAGE_CODES)
    assert {c.expected for c in CASES} == {0.0, 1.0, None}


def test_case_table_in_one_batch():
    # The power tower must hit the deadline; the limit leaves room for a loaded machine (CI).
    reward = MathAccuracy(item_timeout_s=4.0)
    scores = reward(
        prompts=[""] * len(CASES),
        completions=[c.completion for c in CASES],
        answer=[c.gold for c in CASES],
        lang=[c.lang for c in CASES],
    )
    wrong = [
        f"{c.id}: expected {c.expected}, got {s} (completion {c.completion[:60]!r}, gold {c.gold[:30]!r})"
        for c, s in zip(CASES, scores)
        if s != c.expected
    ]
    assert not wrong, "\n".join(wrong)
    stats = reward.stats()
    unscorable = sum(c.expected is None for c in CASES)
    assert stats["calls"] == len(CASES)
    assert stats["errors"] + stats["timeouts"] == unscorable


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("12,5", "de", "12.5"),
        ("1.000", "de", "1000"),
        ("1.000", "en", "1"),
        ("3.5", "de", "3.5"),
        ("3,5", "en", "3.5"),
        ("1,000", "en", "1000"),
        (f"1{NNBSP}234,5", "fr", "1234.5"),
        (f"1{NBSP}234,5", "pl", "1234.5"),
        ("1 234,5", "sv", "1234.5"),
        ("1000", "es", "1000"),
        ("12.345", "es", "12345"),
        ("\u22125", "de", "-5"),
        ("\u20135", "cs", "-5"),
        ("12,5 %", "de", "12.5"),
        ("12,50 €", "de", "12.5"),
        ("€12.50", "en", "12.5"),
        ("-€12.50", "en", "-12.5"),
        ("0.500", "de", "0.5"),
        ("1,000.5", "de", "1000.5"),
        ("x = -5", "en", "-5"),
        ("12 Äpfel.", "de", "12"),
        ("**12**", "de", "12"),
    ],
)
def test_parse_number(text, lang, expected):
    assert parse_number(text, lang) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1/2", "√5", "2^5", "x-5", "1.2.3", "3 und 4", "1 2"])
def test_parse_number_refuses_non_numbers(text):
    assert parse_number(text, "de") is None


def test_parse_number_reads_what_languages_py_writes():
    # The world writes numbers with format_number/format_percent; every language reads them back.
    values = [Decimal("0.5"), Decimal("12.5"), Decimal("1234.5"), Decimal("-98765.25"), Decimal("1000000"), Decimal("7")]
    for lang in LANGUAGE_CODES:
        for value in values:
            assert parse_number(format_number(value, lang), lang) == value, (lang, format_number(value, lang))
            assert parse_number(format_percent(value, lang), lang) == value, (lang, format_percent(value, lang))


def test_parse_number_unknown_language():
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        parse_number("1", "xx")


def test_canonical_number():
    assert canonical_number(Decimal("12.50")) == "12.5"
    assert canonical_number(Decimal("1E+3")) == "1000"
    assert canonical_number(Decimal("-0.0")) == "0"


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("Schritt 1: 3 + 4 = 7\nAntwort: 7", "de", "7"),
        ("**Antwort:** 12,5", "de", "12,5"),
        (f"### Réponse : 1{NNBSP}234,5 €", "fr", f"1{NNBSP}234,5 €"),
        ("Answer: 5\nAntwort: 6", "de", "6"),
        ("Antwort: 6\nAnswer: 5", "en", "5"),
        ("x \\boxed{\\frac{1}{2}} y\nAnswer: 3", "en", "\\frac{1}{2}"),
        ("Es sind -12 Grad", "de", "-12"),
        ("Antwort:\n\n 12", "de", "12"),
        ("", "de", None),
        ("keine Zahl", "de", None),
    ],
)
def test_extract_answer(text, lang, expected):
    assert extract_answer(text, lang) == expected


def test_fast_path_agrees_with_math_verify():
    # Plain numbers are decided without math-verify; on these pairs math-verify agrees.
    pairs = [("12.5", "12.5"), ("12.5", "12.50"), ("12.5", "12.4"), ("1000", "1000"), ("1000", "1"), ("-3", "3"),
             ("0.1", "0.1000011"), ("0.123457", "0.1234"), ("7", "7.0"), ("1234.5", "1234.5"), ("0", "-0")]
    verdicts = get_pool().run(math_verify_engine, pairs, item_timeout=30)
    for (gold, prediction), verdict in zip(pairs, verdicts):
        g, p = gold_number(gold), gold_number(prediction)
        fast = p == g if (p == g or abs(p - g) > NUMERIC_TOLERANCE) else None
        assert fast is not None, (gold, prediction)
        assert verdict.status == "ok" and fast == verdict.value, (gold, prediction, verdict)
    # Within the tolerance the fast path does not decide: math-verify's rounding does.
    assert plan("Answer: 0.1000001", "0.1", "en") == ("0.1", "0.1000001")


def test_verify_answer_api():
    assert verify_answer("Schritt 1: 1.000 · 2 = 2.000\nAntwort: 2.000", "2000", "de") is True
    assert verify_answer("Answer: 2.000", "2000", "en") is False
    assert verify_answer("Réponse : 2\u202f000", "2000", "fr") is True


def test_verify_answer_raises_when_it_cannot_decide():
    with pytest.raises(VerificationError, match="error"):
        verify_answer("Antwort: 5", "", "de")


def test_conversational_and_plain_completions_score_the_same():
    plain = ["Schritt 1: 7 + 5 = 12\nAntwort: 12", "Antwort: 13"]
    chat = [[{"role": "user", "content": "Wie viel? Antwort: 13"}, {"role": "assistant", "content": t}] for t in plain]
    columns = {"answer": ["12", "12"], "lang": ["de", "de"]}
    assert math_accuracy(prompts=None, completions=plain, **columns) == [1.0, 0.0]
    assert math_accuracy(prompts=None, completions=chat, **columns) == [1.0, 0.0]


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="needs a 'answer' column"):
        math_accuracy(prompts=None, completions=["Antwort: 1"], lang=["de"])
    with pytest.raises(ValueError, match="'lang' has 1 values for 2 completions"):
        math_accuracy(prompts=None, completions=["a", "b"], answer=["1", "2"], lang=["de"])
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        math_accuracy(prompts=None, completions=["Antwort: 1"], answer=["1"], lang=["xx"])
