"""The final answer of a reference solution, in the formats public datasets write it.

Reasoning datasets rarely store a bare gold answer: GSM8K ends its worked solution with
`#### 18`, MATH and most distilled sets put it in `\\boxed{18}`, others end with "The answer is
18". The rewards and the evaluation score against a bare `answer`, so a source's answer text is
split here into the final answer and the worked solution before it:

    split_answer("She pays 6 * 3 = <<6*3=18>>18.\\n#### 18") -> Answer("18", "She pays 6 * 3 = 18.")
    split_answer("so $x = \\\\boxed{\\\\frac{1}{2}}$.")          -> Answer("\\\\frac{1}{2}", "so $x = \\\\boxed{\\\\frac{1}{2}}$.")
    split_answer("The answer is 18.")                          -> Answer("18", "")
    split_answer("18")                                         -> None (already bare)

After `####` an English-grouped number loses its commas ("#### 1,000" -> "1000"): GSM8K writes
numbers the English way, and the rewards read the answer column in the row's language.

GSM8K's calculator annotations (`<<6*3=18>>`) are removed from the worked solution: they are an
artefact of how the set was written, not reasoning a model should imitate. A `\\boxed{}` answer
keeps its solution whole (the box is part of how that solution is written).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from euro_post.rewards.extract import find_boxed

# "#### 18" on the last line that has it (GSM8K and its translations, e.g. MGSM's training sets).
_HASHES = re.compile(r"^[ \t]*####[ \t]*(?P<answer>.+?)[ \t]*$", re.MULTILINE)
# "The answer is 18", "The final answer is: $18$", at the end of the text.
_ANSWER_IS = re.compile(
    r"(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*(?P<answer>[^\n]+?)\s*\.?\s*$", re.IGNORECASE
)
_CALCULATOR = re.compile(r"<<[^<>\n]*>>")
# GSM8K writes its answers the English way; "1,000" after #### is a thousand, not 1.0 as a
# German reader of the answer column would take it.
_GROUPED = re.compile(r"^-?\d{1,3}(?:,\d{3})+$")
_WRAP = " \t$*`"


class Answer(NamedTuple):
    final: str  # the bare answer, e.g. "18"
    solution: str  # the worked solution before it ("" when there is none)


def split_answer(text: object) -> Answer | None:
    """The final answer and worked solution in `text`, or None when `text` gives no answer in a
    known format (a bare answer such as "18", or not a string)."""
    if not isinstance(text, str):
        return None
    hashes = list(_HASHES.finditer(text))
    if hashes:
        last = hashes[-1]
        final = _clean(last.group("answer"))
        final = final.replace(",", "") if _GROUPED.match(final) else final
        solution = _CALCULATOR.sub("", text[: last.start()]).strip()
        return Answer(final, solution) if final else None
    boxed = find_boxed(text)
    if boxed is not None and boxed.strip():
        return Answer(boxed.strip(), text.strip())
    said = _ANSWER_IS.search(text)
    if said is not None:
        final = _clean(said.group("answer"))
        if final:
            return Answer(final, text[: said.start()].strip())
    return None


def final_answer(text: object) -> object:
    """`text`'s final answer when it is written in a known format, else `text` unchanged."""
    found = split_answer(text)
    return text if found is None else found.final


def _clean(answer: str) -> str:
    answer = answer.strip().strip(_WRAP).rstrip(".").strip(_WRAP)
    boxed = find_boxed(answer)
    return boxed.strip() if boxed else answer
