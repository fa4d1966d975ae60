"""Per-language held-out slices and the language mix of the training set, deterministic by seed."""

from __future__ import annotations

import math
import random


def split_holdout(by_lang: dict[str, list], rows_per_language: int, seed: int) -> tuple[dict[str, list], dict[str, list]]:
    """(train, held_out) per language: at most `rows_per_language` and a tenth of each language's rows held out."""
    train, held_out = {}, {}
    for lang in sorted(by_lang):
        rows = list(by_lang[lang])
        random.Random(f"sft-holdout-{seed}-{lang}").shuffle(rows)
        k = min(rows_per_language, len(rows) // 10)
        held_out[lang], train[lang] = rows[:k], rows[k:]
    return train, {lang: rows for lang, rows in held_out.items() if rows}


def mixing_weights(sizes: dict[str, int], temperature: float, explicit: dict[str, float] | None = None) -> dict[str, float]:
    """p(lang): explicit weights (normalised; left-out languages get 0), else rows ** (1 / temperature)."""
    if explicit is not None:
        missing = sorted(lang for lang, weight in explicit.items() if weight > 0 and not sizes.get(lang))
        if missing:
            raise ValueError(f"language_weights gives weight to {', '.join(missing)}, but the data has no rows for it")
        raw = {lang: float(explicit.get(lang, 0.0)) for lang in sizes}
    else:
        raw = {lang: n ** (1.0 / temperature) if n > 0 else 0.0 for lang, n in sizes.items()}
    total = sum(raw.values())
    if total <= 0:
        raise ValueError("no language has both rows and a weight > 0")
    return {lang: value / total for lang, value in raw.items()}


def apportion(weights: dict[str, float], total: int) -> dict[str, int]:
    """Integer counts summing to `total`, proportional to `weights` (largest remainder)."""
    exact = {lang: weights[lang] * total for lang in sorted(weights)}
    counts = {lang: math.floor(value) for lang, value in exact.items()}
    by_remainder = sorted(exact, key=lambda lang: (-(exact[lang] - counts[lang]), lang))
    for lang in by_remainder[: total - sum(counts.values())]:
        counts[lang] += 1
    return counts


def mix_languages(
    by_lang: dict[str, list], temperature: float, explicit: dict[str, float] | None, seed: int
) -> tuple[list, dict[str, int]]:
    """Draw as many rows as the trained languages hold, split between languages by the mixing weights.

    A language drawn more often than it has rows repeats them (each pass in a fresh order); one
    drawn less often gets a random subset. Returns the shuffled rows and the count per language.
    """
    sizes = {lang: len(rows) for lang, rows in by_lang.items()}
    weights = mixing_weights(sizes, temperature, explicit)
    total = sum(sizes[lang] for lang, weight in weights.items() if weight > 0)
    counts = apportion(weights, total)
    rng = random.Random(f"sft-mix-{seed}")
    mixed: list = []
    for lang in sorted(counts):
        rows, wanted = by_lang[lang], counts[lang]
        while wanted > 0:
            batch = list(rows)
            rng.shuffle(batch)
            mixed += batch[:wanted]
            wanted -= len(batch[:wanted])
    rng.shuffle(mixed)
    return mixed, {lang: n for lang, n in counts.items() if n > 0}
