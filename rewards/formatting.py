"""`format`: does the completion have the project's answer structure?

Expected: worked reasoning (at least one non-empty line), then exactly one final answer line,
which is the last non-empty line: "<the row language's answer marker>: <answer>" (e.g.
"Antwort: 12,5") or a line with `\\boxed{<answer>}`.

Scores:
- 1.0: reasoning + exactly one final answer line at the end.
- 0.5: a lone final answer line with no reasoning before it (the answer is well marked, the
  reasoning the structure asks for is missing: half credit, so a model is not pushed to drop
  the answer line while it learns to reason).
- 0.0: anything else: no answer line, text after it, more than one answer line (marker or
  boxed, in any language, anywhere in the text), another language's marker, or an answer with
  neither a digit nor LaTeX in it ("Antwort: keine Ahnung").

The marker is matched as in extraction: case-insensitive, Markdown bold and heading marks
allowed, a space before the colon allowed.
"""

from __future__ import annotations

import re

from euro_post.rewards.base import TextReward
from euro_post.rewards.extract import count_answer_lines, find_boxed, match_marker_line

from euro_post.data.languages import get_language

NO_REASONING_SCORE = 0.5
_HAS_MATH = re.compile(r"\d|\\[A-Za-z]")


def format_score(text: str, lang: str) -> float:
    """The format score of one completion text in language `lang`."""
    get_language(lang)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return 0.0
    last = lines[-1]
    marker = match_marker_line(last)
    if marker is not None:
        if not marker.is_marker_of(lang) or not _HAS_MATH.search(marker.answer):
            return 0.0
    else:
        boxed = find_boxed(last)
        if not boxed or not _HAS_MATH.search(boxed):
            return 0.0
    if count_answer_lines(lines, limit=2) != 1:
        return 0.0
    return 1.0 if len(lines) > 1 else NO_REASONING_SCORE


class FormatReward(TextReward):
    """Structure of the completion (needs the `lang` column); see the module docstring."""

    name = "format"

    def score_text(self, text: str, lang: str) -> float:
        return format_score(text, lang)


format_reward = FormatReward()
