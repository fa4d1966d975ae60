"""Reading numbers the way each of the 24 languages writes them.

`parse_number("1 234,5 €", "fr") == Decimal("1234.5")`. The language facts (decimal separator,
group separator, minimum grouping digits) come from `euro_post.data.languages`; this module only
knows how to read them back.

Reading rules, in order:

1. The text must hold exactly one run of digits (digits joined by single separators). Text
   around it is allowed when it is a unit, a currency or a percent sign ("12,50 €", "€12.50",
   "12,5 %", "12 Äpfel"), but not when it makes an expression ("√5", "2^5", "1/2": those
   go to math-verify instead). A percentage reads as its number: "12,5 %" = 12.5.
2. A minus is "-", U+2212 (minus sign) or U+2013 (en dash) just before the number or before a
   currency sign in front of it ("-€5", "€ -5", "−5").
3. The run is read with the row language's own convention first: its decimal separator and
   its group separator. Languages whose group separator is a space accept any space for it
   (plain space, U+00A0, U+202F, U+2009, U+2007), because writers and models mix them.
   Groups are valid only as "d{1,3}(sep ddd)+" and never start with 0.
4. When the run is not valid in the own convention, it is read with the first foreign
   convention that accepts it, in this order: decimal point with comma groups (English),
   decimal point with space groups, decimal comma with point groups, decimal comma with space
   groups.

What this means for the ambiguous cases:

- "1.000" in de is 1000 (valid grouping); in en it is 1 (decimal point).
- "3.5" in de is not a valid grouping, so it is read as 3.5 (an English-style decimal).
- "3,5" in en is not a valid grouping, so it is read as 3.5 (a decimal comma).
- "1,000" in de is 1.0 (decimal comma), "1,000.5" in de is 1000.5 (only English fits).
- "0.500" in de is 0.5: a group never starts with 0.
- Minimum grouping (CLDR) only governs how numbers are written ("1000" in es, pl, pt, ...):
  an ungrouped number always reads, and a grouped four-digit number ("1.234" in es) is still
  accepted as 1234 because writers group them anyway.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from euro_post.data.languages import get_language

SPACE_SEPARATORS = " \u00a0\u202f\u2009\u2007"  # space, no-break, narrow no-break, thin, figure
MINUS_SIGNS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash
CURRENCY_SIGNS = "€$£"
# Answers longer than this are not read as numbers (and are never correct, see verify.py).
MAX_NUMBER_TEXT = 1000
# Text allowed around the number ("Anna hat 12 Äpfel."), in characters on each side.
MAX_AFFIX_CHARS = 60

# A run of digits joined by single separators. A space joins only when exactly three digits
# follow, so "Schritt 3 12" stays two numbers while "1 234" is one. Linear time: separators
# are not digits, so the pattern has one way to match.
NUMBER_RUN = re.compile(r"\d+(?:(?:[.,]|[ \u00a0\u202f\u2009\u2007](?=\d{3}(?!\d)))\d+)*")

# Characters that turn the text around a number into an expression rather than a unit.
_EXPRESSION_CHARS = set("√^_\\/!*×·÷⋅<>+") | set(MINUS_SIGNS)
_LATEX_WRAPPERS = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname|boxed)\s*\{([^{}]*)\}")
_LATEX_REPLACEMENTS = (
    ("{,}", ","), ("{.}", "."), ("\\%", "%"), ("\\$", "$"), ("\\euro", "€"),
    ("\\,", " "), ("\\;", " "), ("\\ ", " "), ("\\!", ""), ("~", " "),
    ("\\left", ""), ("\\right", ""), ("\\(", ""), ("\\)", ""), ("\\[", ""), ("\\]", ""),
)

_FOREIGN_CONVENTIONS = ((".", ","), (".", SPACE_SEPARATORS), (",", "."), (",", SPACE_SEPARATORS))


def _own_convention(lang: str) -> tuple[str, str]:
    info = get_language(lang)
    group = SPACE_SEPARATORS if info.group in SPACE_SEPARATORS else info.group
    return info.decimal, group


@functools.cache  # one tuple per language: every number of a completion reads with it
def _conventions(lang: str) -> tuple[tuple[str, str], ...]:
    own = _own_convention(lang)
    return (own, *(c for c in _FOREIGN_CONVENTIONS if c != own))


def read_digits(run: str, decimal: str, groups: str) -> Decimal | None:
    """Read an unsigned digit run with one convention; None when the run is not valid in it."""
    int_part, sep, frac = run.partition(decimal)
    if sep and (not frac.isdigit() or decimal in frac):
        return None
    if not int_part.isdigit():
        separators = {ch for ch in int_part if not ch.isdigit()}
        if len(separators) != 1 or not separators <= set(groups):
            return None
        chunks = int_part.split(separators.pop())
        if not (1 <= len(chunks[0]) <= 3) or chunks[0].startswith("0"):
            return None
        if any(len(c) != 3 or not c.isdigit() for c in chunks[1:]) or not chunks[0].isdigit():
            return None
        int_part = "".join(chunks)
    try:
        return Decimal(int_part + ("." + frac if sep else ""))
    except InvalidOperation:  # pragma: no cover - guarded by the checks above
        return None


def read_run(run: str, lang: str, *, own_only: bool = False) -> Decimal | None:
    """Read one digit run (no sign) in `lang`, falling back to foreign conventions."""
    conventions = _conventions(lang)
    for decimal, groups in conventions[:1] if own_only else conventions:
        value = read_digits(run, decimal, groups)
        if value is not None:
            return value
    return None


def strip_markup(text: str) -> str:
    """Remove the Markdown and LaTeX wrapping a model puts around a number."""
    if "\\" in text:
        for _ in range(3):  # \text{\textbf{..}} nests a little; more is not a number anyway
            text = _LATEX_WRAPPERS.sub(r"\1", text)
    if "\\" in text or "{" in text or "~" in text:
        for old, new in _LATEX_REPLACEMENTS:
            text = text.replace(old, new)
    return text.replace("**", "").replace("__", "").replace("`", "").replace("$", "").strip()


def _sign_of(prefix: str) -> tuple[int, str] | None:
    """(sign, rest of prefix) from the text before the digits; None if it reads as an expression.

    "-€5", "€ -5", "x = -5" are signs; "x-5" or "a + 5" are expressions.
    """
    rest = prefix.rstrip(CURRENCY_SIGNS + SPACE_SEPARATORS + "\t")
    if rest and rest[-1] in MINUS_SIGNS + "+":
        if rest[:-1].rstrip()[-1:].isalnum():
            return None
        return (-1 if rest[-1] in MINUS_SIGNS else 1), rest[:-1]
    return 1, rest


def parse_number(text: str, lang: str) -> Decimal | None:
    """The single number written in `text`, read in `lang`; None if there is not exactly one.

    See the module docstring for the rules. Raises ValueError for an unknown language.
    """
    get_language(lang)
    if not text or len(text) > MAX_NUMBER_TEXT:
        return None
    text = strip_markup(text)
    runs = list(NUMBER_RUN.finditer(text))
    if len(runs) != 1:
        return None
    run = runs[0]
    prefix, suffix = text[: run.start()], text[run.end():]
    digits = run.group()
    # ".5" / ",5": a leading separator glued to the digits is a decimal separator.
    if prefix[-1:] in (".", ",") and "." not in digits and "," not in digits:
        digits, prefix = "0" + prefix[-1] + digits, prefix[:-1]
    if len(prefix) > MAX_AFFIX_CHARS or len(suffix) > MAX_AFFIX_CHARS:
        return None
    signed = _sign_of(prefix)
    if signed is None:
        return None
    sign, prefix = signed
    if _EXPRESSION_CHARS & set(prefix) or _EXPRESSION_CHARS & set(suffix.rstrip(".")):
        return None
    value = read_run(digits, lang)
    if value is None:
        return None
    return -value if sign < 0 else value


def canonical_number(value: Decimal) -> str:
    """Plain canonical text of a number: "12.5", "42", "-3" (no exponent, no trailing zeros)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def localize_expression(text: str, lang: str) -> str:
    """Rewrite the numbers inside an expression in canonical form ("3,5/2" in de -> "3.5/2").

    Only runs that are valid in the language's own convention and contain a separator are
    rewritten, so list commas such as "(1, 2)" or "(1,2)" in English stay as they are.
    """
    text = text.replace("{,}", ",")

    def rewrite(match: re.Match) -> str:
        run = match.group()
        if run.isdigit():
            return run
        value = read_run(run, lang, own_only=True)
        return canonical_number(value) if value is not None else run

    return NUMBER_RUN.sub(rewrite, text).replace("\u2212", "-")
