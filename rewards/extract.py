"""Finding the final answer in a completion.

Priority: the last `\\boxed{...}`, else the answer marker line ("Antwort: 12,5"), else the last
number in the text. Marker lines are matched case-insensitively, with optional Markdown around
the marker ("**Antwort:** 12", "### Réponse : 3"), a space before the colon (French style) and
a full-width colon. The row language's own marker wins; any other language's marker is the
fallback (a de row answering "Answer: 12" is still read; `language_consistency` is what scores
the wrong language).

Everything here is linear in the text length: a megabyte completion costs one `rfind` and a
scan of its last `SCAN_CHARS` characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from euro_post.rewards.numbers import MINUS_SIGNS, NUMBER_RUN

from euro_post.data.languages import LANGUAGES, get_language

# Only the tail is searched for marker lines and the last number: the answer ends the text.
SCAN_CHARS = 20_000
# A \boxed{...} whose braces do not close within this many characters is cut there; the
# result is longer than any answer verify.py accepts, so it scores as wrong. One that never
# closes because the text ends is ignored.
MAX_BOXED_CHARS = 1000

MARKERS: tuple[str, ...] = tuple(sorted({lang.answer_marker for lang in LANGUAGES.values()}, key=len, reverse=True))
_MARKER = r"(?P<marker>" + "|".join(re.escape(m) for m in MARKERS) + r")[ \t\u00a0\u202f*_]*[:：]"
_MARKER_START = re.compile(_MARKER + r"(?P<answer>.*)", re.IGNORECASE)
_LINE_LEAD = " \t\u00a0#>*_-"  # Markdown that may open an answer line: headings, quotes, bullets, bold
_ANSWER_WRAP = " \t\u00a0\u202f*_`"
# A line that gives an answer: a marker line (as match_marker_line reads it) or a line with
# \boxed / \fbox anywhere, found in lines joined by "\n".
_ANSWER_LINE = re.compile(
    rf"^[{re.escape(_LINE_LEAD)}]*(?i:{_MARKER})|\\boxed|\\fbox",
    re.MULTILINE,
)


@dataclass(frozen=True)
class MarkerLine:
    """A line of the form "<marker>: <answer>"; `index` counts lines from the start of the scanned text."""

    marker: str  # as written in the text
    answer: str  # the text after the colon, Markdown stripped; may be ""
    index: int

    def is_marker_of(self, lang: str) -> bool:
        return self.marker.casefold() == get_language(lang).answer_marker.casefold()


def match_marker_line(line: str, index: int = 0) -> MarkerLine | None:
    """The marker line `line` is, or None."""
    match = _MARKER_START.match(line.lstrip(_LINE_LEAD))
    if match is None:
        return None
    answer = match.group("answer").strip(_ANSWER_WRAP)
    return MarkerLine(match.group("marker"), answer, index)


def find_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced; None if absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    pos = start + (6 if text.startswith("\\boxed", start) else 5)
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos >= len(text) or text[pos] != "{":
        return None
    depth, begin = 0, pos + 1
    end = min(len(text), begin + MAX_BOXED_CHARS + 1)
    for i in range(pos, end):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[begin:i].strip()
    if end == len(text):
        return None  # never closed: not a boxed answer
    return text[begin:end]  # still open after MAX_BOXED_CHARS: an over-long answer, never correct


def count_answer_lines(lines: list[str], limit: int) -> int:
    """How many of `lines` give an answer (marker line, \\boxed or \\fbox), counted up to `limit`.

    One regex scan of the joined lines that moves to the next line after each hit: linear in
    the text, however many answer lines or markers a line holds."""
    text = "\n".join(lines)
    count = pos = 0
    while count < limit and (match := _ANSWER_LINE.search(text, pos)) is not None:
        count += 1
        pos = text.find("\n", match.end()) + 1
        if pos == 0:
            break
    return count


def marker_lines(text: str) -> list[MarkerLine]:
    """Every marker line in the scanned tail of `text`, in order."""
    lines = text[-SCAN_CHARS:].splitlines()
    found = []
    for i, line in enumerate(lines):
        marker = match_marker_line(line, i)
        if marker is not None:
            if not marker.answer:  # "Antwort:" with the number on the next line
                following = next((line.strip(_ANSWER_WRAP) for line in lines[i + 1:] if line.strip()), "")
                marker = MarkerLine(marker.marker, following, i)
            found.append(marker)
    return found


def find_marker_answer(text: str, lang: str) -> str | None:
    """The answer of the last own-language marker line, else of the last marker line of any language."""
    lines = marker_lines(text)
    own = [m for m in lines if m.is_marker_of(lang)]
    chosen = own[-1] if own else (lines[-1] if lines else None)
    return chosen.answer if chosen is not None and chosen.answer else None


def find_last_number(text: str) -> str | None:
    """The last number written in the tail of `text`, with a minus sign glued to it."""
    tail = text[-SCAN_CHARS:]
    last = None
    for last in NUMBER_RUN.finditer(tail):
        pass
    if last is None:
        return None
    start = last.start()
    if start > 0 and tail[start - 1] in MINUS_SIGNS and not tail[start - 2: start - 1].isalnum():
        start -= 1
    return tail[start: last.end()]


def extract_answer(text: str, lang: str) -> str | None:
    """The final answer of a completion as written (e.g. "12,5 €"), or None if there is none.

    `\\boxed{}` first, then the answer marker line (own language, then any), then the last number.
    Raises ValueError for an unknown language.
    """
    get_language(lang)
    if not text or text.isspace():
        return None
    boxed = find_boxed(text)
    if boxed:
        return boxed
    marked = find_marker_answer(text, lang)
    if marked:
        return marked
    return find_last_number(text)
