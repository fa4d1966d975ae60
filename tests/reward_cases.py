"""The table of math_accuracy cases: (id, lang, completion, gold answer, expected reward).

Per-language rows are written from each language's facts (answer marker, step word, decimal
and group separator, percent pattern) so that every one of the 24 languages is checked on
every number format; the rows after them are written out by hand (ambiguity rules, LaTeX,
fractions, adversarial input). Expected None means "unscorable" (verifier timeout or error).
"""

from __future__ import annotations

from typing import NamedTuple

from euro_post.data.languages import LANGUAGES, NBSP, NNBSP

MINUS = "\u2212"
EN_DASH = "\u2013"
SPACE_GROUPS = (" ", NBSP, NNBSP)


class Case(NamedTuple):
    id: str
    lang: str
    completion: str
    gold: str
    expected: float | None


def _language_cases(code: str) -> list[Case]:
    info = LANGUAGES[code]
    m, step, d, g = info.answer_marker, info.step_word, info.decimal, info.group
    other_marker = "Answer" if code != "en" else "Antwort"
    euro = f"€12{d}50" if code in ("en", "ga", "mt") else f"12{d}50 €"
    reasoning = f"{step} 1: 7 + 5 = 12\n{step} 2: 12 + 0{d}5 = 12{d}5\n"
    rows = [
        ("int", f"{step} 1: 7 + 5 = 12\n{m}: 12", "12", 1.0),
        ("int-wrong", f"{step} 1: 7 + 5 = 12\n{m}: 13", "12", 0.0),
        ("decimal", reasoning + f"{m}: 12{d}5", "12.5", 1.0),
        ("decimal-wrong", reasoning + f"{m}: 12{d}4", "12.5", 0.0),
        ("grouped", f"{m}: 1{g}234{d}5", "1234.5", 1.0),
        ("millions", f"{m}: 12{g}345{g}678", "12345678", 1.0),
        ("millions-wrong", f"{m}: 12{g}345{g}679", "12345678", 0.0),
        ("ungrouped-4-digits", f"{m}: 1234", "1234", 1.0),
        ("unicode-minus", f"{m}: {MINUS}7", "-7", 1.0),
        ("en-dash-minus", f"{m}: {EN_DASH}7{d}25", "-7.25", 1.0),
        ("minus-wrong-sign", f"{m}: 7", "-7", 0.0),
        ("percent", f"{m}: " + info.percent.format(n=f"12{d}5"), "12.5", 1.0),
        ("currency", f"{m}: {euro}", "12.5", 1.0),
        ("bold-upper-marker", f"{step} 1: 6 · 7 = 42\n**{m.upper()}:** 42", "42", 1.0),
        ("boxed-fraction", f"{step} 1: 25 : 2 = 12{d}5\n\\boxed{{\\frac{{25}}{{2}}}}", "12.5", 1.0),
        ("other-marker", f"{step} 1: 6 · 7 = 42\n{other_marker}: 42", "42", 1.0),
        ("last-number", f"{step} 1: 7 + 5 = 12", "12", 1.0),
        ("no-answer", f"{step} 1: ?", "12", 0.0),
        ("foreign-thousands", f"{m}: 1{',' if d == ',' else '.'}000", "1000", 0.0),
    ]
    if g == ".":
        rows.append(("point-thousands", f"{m}: 1.000", "1000", 1.0))
    if g in SPACE_GROUPS:
        rows += [
            (f"space-group-{ord(sep):04x}", f"{m}: 1{sep}000{sep}000{d}25", "1000000.25", 1.0) for sep in SPACE_GROUPS
        ]
    return [Case(f"{code}-{name}", code, text, gold, expected) for name, text, gold, expected in rows]


DEEP_LATEX = "\\frac{" * 10_000 + "1" + "}{2}" * 10_000

HAND_WRITTEN = [
    # Ambiguity rules of numbers.py
    Case("de-point-decimal", "de", "Antwort: 3.5", "3.5", 1.0),
    Case("en-point-is-decimal", "en", "Answer: 1.000", "1", 1.0),
    Case("en-point-not-thousands", "en", "Answer: 1.000", "1000", 0.0),
    Case("de-comma-is-decimal", "de", "Antwort: 1,000", "1", 1.0),
    Case("de-english-full", "de", "Antwort: 1,000.5", "1000.5", 1.0),
    Case("de-leading-zero-group", "de", "Antwort: 0.500", "0.5", 1.0),
    Case("en-comma-decimal", "en", "Answer: 3,5", "3.5", 1.0),
    Case("en-comma-thousands", "en", "Answer: 1,000", "1000", 1.0),
    Case("es-min-grouping", "es", "Paso 1: 500 · 2 = 1000\nRespuesta: 1000", "1000", 1.0),
    Case("es-grouped-5-digits", "es", "Respuesta: 12.345", "12345", 1.0),
    Case("pl-min-grouping", "pl", "Odpowiedź: 2500", "2500", 1.0),
    Case("fr-narrow-nbsp", "fr", f"Réponse : 1{NNBSP}234,5", "1234.5", 1.0),
    Case("fr-point-decimal", "fr", "Réponse : 2.5", "2.5", 1.0),
    Case("fr-percent-nnbsp", "fr", f"Réponse : 12,5{NNBSP}%", "12.5", 1.0),
    Case("de-percent-wrong", "de", "Antwort: 12,5 %", "0.125", 0.0),
    Case("en-trailing-period", "en", "Answer: 12.", "12", 1.0),
    Case("en-leading-point", "en", "Answer: .5", "0.5", 1.0),
    Case("de-equation", "de", "Antwort: x = 12,5", "12.5", 1.0),
    Case("de-chain", "de", "Antwort: 3 · 4 = 12", "12", 1.0),
    Case("de-units", "de", "Antwort: 12 Äpfel.", "12", 1.0),
    Case("de-latex-comma", "de", "Antwort: $12{,}5$", "12.5", 1.0),
    Case("en-dollar-negative", "en", "Answer: -$12.50", "-12.5", 1.0),
    Case("en-euro-space-negative", "en", "Answer: € -12.50", "-12.5", 1.0),
    Case("pl-minus-grouped", "pl", f"Odpowiedź: {MINUS}1{NBSP}234,5", "-1234.5", 1.0),
    Case("el-markdown-heading", "el", "### Απάντηση: 7,5", "7.5", 1.0),
    Case("bg-lowercase", "bg", "отговор: 8", "8", 1.0),
    Case("hu-fullwidth-colon", "hu", "Válasz：9", "9", 1.0),
    Case("lt-next-line", "lt", "Atsakymas:\n\n15", "15", 1.0),
    Case("mt-marker", "mt", "Pass 1: 2 + 2 = 4\nTweġiba: 4", "4", 1.0),
    # Which marker wins
    Case("own-marker-wins", "de", "Answer: 5\nAntwort: 6", "6", 1.0),
    Case("own-marker-wins-early", "de", "Antwort: 6\nAnswer: 5", "6", 1.0),
    Case("own-marker-not-other", "de", "Antwort: 6\nAnswer: 5", "5", 0.0),
    Case("boxed-beats-marker", "en", "\\boxed{7}\nAnswer: 8", "7", 1.0),
    Case("foreign-marker-foreign-format", "de", "Answer: 1,000", "1000", 0.0),
    Case("foreign-marker-de-format", "de", "Answer: 1.000", "1000", 1.0),
    # LaTeX and fractions (math-verify decides)
    Case("frac-gold-decimal", "en", "Answer: 0.5", "\\frac{1}{2}", 1.0),
    Case("frac-gold-comma", "de", "Antwort: 0,5", "\\frac{1}{2}", 1.0),
    Case("frac-gold-slash", "de", "Antwort: 1/2", "\\frac{1}{2}", 1.0),
    Case("frac-gold-boxed-equivalent", "en", "\\boxed{\\frac{2}{4}}", "\\frac{1}{2}", 1.0),
    Case("frac-gold-dfrac", "fr", "Donc \\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}", 1.0),
    Case("frac-gold-wrong", "en", "Answer: 0.6", "\\frac{1}{2}", 0.0),
    Case("frac-third-rounded", "en", "Answer: 0.333333", "\\frac{1}{3}", 1.0),
    Case("frac-third-too-short", "de", "Antwort: 0,33", "\\frac{1}{3}", 0.0),
    Case("sqrt", "en", "\\boxed{\\sqrt{2}}", "\\sqrt{2}", 1.0),
    Case("sqrt-wrong", "en", "\\boxed{\\sqrt{3}}", "\\sqrt{2}", 0.0),
    Case("symbolic", "en", "Answer: $1 + x$", "x + 1", 1.0),
    Case("latex-pred-number-gold", "de", "Antwort: $\\frac{25}{2}$", "12.5", 1.0),
    Case("latex-pred-wrong", "de", "Antwort: $\\frac{26}{2}$", "12.5", 0.0),
    Case("close-decimal-rounding", "en", "Answer: 0.1234567", "0.123457", 1.0),
    Case("close-decimal-differs", "en", "Answer: 0.1234", "0.123457", 0.0),
    # Adversarial input
    Case("empty", "de", "", "12", 0.0),
    Case("whitespace-only", "de", " \n\t \u00a0 \n", "12", 0.0),
    Case("huge-number", "en", "Answer: 1" + "0" * 5000, "1", 0.0),
    Case("huge-number-equal", "en", "Answer: 1" + "0" * 900, "1" + "0" * 900, 1.0),
    Case("deep-latex-boxed", "en", "\\boxed{" + DEEP_LATEX + "}", "1", 0.0),
    Case("deep-latex-marker", "en", "Answer: $" + DEEP_LATEX + "$", "1", 0.0),
    Case("megabyte-then-answer", "en", "x" * 1_000_000 + "\nAnswer: 5", "5", 1.0),
    Case("megabyte-digits", "en", "1" * 1_000_000, "5", 0.0),
    Case("megabyte-separators", "de", "1." * 500_000, "5", 0.0),
    Case("megabyte-whitespace", "en", " " * 1_000_000, "5", 0.0),
    Case("many-marker-lines", "de", "Antwort: 4\n" * 50_000 + "Antwort: 5", "5", 1.0),
    Case("power-tower", "en", "Answer: $10^{10^{10^{10}}}$", "\\frac{1}{2}", None),
    Case("unclosed-boxed", "en", "\\boxed{\\frac{1}{2}", "0.5", 0.0),
    Case("answer-wrong-language", "de", "Answer: 1,5", "1.5", 1.0),
    Case("answer-wrong-language-en-row", "en", "Antwort: 1,5", "1.5", 1.0),
]


def all_cases() -> list[Case]:
    cases = [c for code in LANGUAGES for c in _language_cases(code)] + HAND_WRITTEN
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
