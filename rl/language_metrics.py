"""Per-language reward statistics for GRPO logging.

Each reward function is wrapped so that the scores it hands to the trainer are also recorded
under the row's language. At every logging step the callback drains the record into
`metrics.jsonl`: mean reward, accuracy, language consistency and completion length per language.
"""

from __future__ import annotations

from collections import defaultdict


class LanguageMetrics:
    def __init__(self, weights: dict[str, float]):
        self.weights = weights  # reward name -> weight, to combine the per-function means
        self._scores: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._lengths: dict[str, list[int]] = defaultdict(list)
        self.prompt_ids: list[str] = []  # every prompt scored, in order: the cursor a resume must continue

    def wrap(self, func, name: str, first: bool):
        """Return `func` recording its scores; the first function also records lengths and prompt ids."""

        def recorded(prompts, completions, **columns):
            scores = func(prompts, completions, **columns)
            for lang, score in zip(columns["lang"], scores):
                if score is not None:
                    self._scores[(name, lang)].append(float(score))
            if first:
                for lang, ids in zip(columns["lang"], columns.get("completion_ids") or []):
                    self._lengths[lang].append(len(ids))
                self.prompt_ids.extend(str(i) for i in columns.get("id", []))
            return scores

        recorded.__name__ = name
        return recorded

    def drain(self, step: int | None = None) -> dict[str, float]:
        """Means per language since the last drain, then forget them."""
        out: dict[str, float] = {}
        langs = sorted({lang for _, lang in self._scores} | set(self._lengths))
        for lang in langs:
            total = 0.0
            for name, weight in self.weights.items():
                values = self._scores.get((name, lang))
                if values:
                    mean = sum(values) / len(values)
                    total += weight * mean
                    if name == "math_accuracy":
                        out[f"accuracy/{lang}"] = round(mean, 6)
                    elif name == "language_consistency":
                        out[f"language_consistency/{lang}"] = round(mean, 6)
            out[f"reward/{lang}"] = round(total, 6)
            if self._lengths.get(lang):
                out[f"completion_length/{lang}"] = round(sum(self._lengths[lang]) / len(self._lengths[lang]), 3)
        self._scores.clear()
        self._lengths.clear()
        return out
