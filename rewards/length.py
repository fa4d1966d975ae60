"""`length`: DAPO's soft overlong penalty (Yu et al., 2025, "DAPO", section 3.4).

With L the completion length, M = `max_length` and C = `cache`:

    0                      if L <= M - C
    (M - C - L) / C        if M - C < L <= M     (linear from 0 down to -1)
    -1                     if L > M

Length is counted in tokens of `tokenizer` when one is given (the completion text is
re-tokenized without special tokens, so training and evaluation, which only has the text,
count the same way), else in whitespace-separated words (`unit="words"`) or characters
(`unit="chars"`). TRL's `completion_ids` are deliberately not used, for the same reason.
`cache=0` gives a hard cut: 0 up to M, -1 beyond.

Tokenizing takes seconds for a megabyte, so a text longer than `MAX_CHARS_PER_TOKEN` characters
per allowed token scores -1 without being tokenized: text averages 3 to 5 characters a token,
and 64 leaves room for the runs of spaces or dashes some vocabularies hold as one token.
"""

from __future__ import annotations

from typing import Any

from euro_post.rewards.base import Reward
from euro_post.rewards.verify import Outcome

UNITS = ("tokens", "words", "chars")
MAX_CHARS_PER_TOKEN = 64


def soft_overlong_penalty(length: int, max_length: int, cache: int) -> float:
    """The penalty for a completion of `length` units."""
    if length > max_length:
        return -1.0
    if cache == 0 or length <= max_length - cache:
        return 0.0
    return (max_length - cache - length) / cache


class LengthPenalty(Reward):
    """Soft overlong penalty; see the module docstring. Needs no dataset column."""

    name = "length"

    def __init__(
        self,
        max_length: int,
        cache: int,
        tokenizer: Any = None,
        *,
        unit: str | None = None,
        max_error_rate: float = 0.5,
        min_calls: int = 32,
    ):
        if max_length < 1:
            raise ValueError(f"length: max_length must be >= 1, got {max_length}")
        if not 0 <= cache <= max_length:
            raise ValueError(f"length: cache must be in [0, max_length={max_length}], got {cache}")
        unit = unit or ("tokens" if tokenizer is not None else "words")
        if unit not in UNITS:
            raise ValueError(f"length: unit must be one of {UNITS}, got {unit!r}")
        if unit == "tokens" and tokenizer is None:
            raise ValueError("length: unit='tokens' needs a tokenizer")
        super().__init__(max_error_rate=max_error_rate, min_calls=min_calls)
        self.max_length, self.cache, self.tokenizer, self.unit = max_length, cache, tokenizer, unit

    def lengths(self, texts: list[str]) -> list[int]:
        """Each text's length in `unit`; in tokens, one too long for max_length tokens counts as
        max_length + 1 without being tokenized (see MAX_CHARS_PER_TOKEN)."""
        if self.unit == "tokens":
            bound = self.max_length * MAX_CHARS_PER_TOKEN
            short = [text for text in texts if len(text) <= bound]
            counts = iter(self.tokenizer(short, add_special_tokens=False)["input_ids"] if short else [])
            return [len(next(counts)) if len(text) <= bound else self.max_length + 1 for text in texts]
        if self.unit == "words":
            return [len(text.split()) for text in texts]
        return [len(text) for text in texts]

    def score(self, texts: list[str], columns: dict[str, Any]) -> list[Outcome]:
        return [soft_overlong_penalty(n, self.max_length, self.cache) for n in self.lengths(texts)]


def length_penalty(
    max_length: int,
    cache: int,
    tokenizer: Any = None,
    *,
    unit: str | None = None,
    max_error_rate: float = 0.5,
    min_calls: int = 32,
) -> LengthPenalty:
    """The `length` reward: 0 up to `max_length - cache`, linear to -1 at `max_length`, -1 beyond.

    `unit`: "tokens" (needs `tokenizer`; the default when one is given), "words" (the default
    otherwise) or "chars".
    """
    return LengthPenalty(max_length, cache, tokenizer, unit=unit, max_error_rate=max_error_rate, min_calls=min_calls)
