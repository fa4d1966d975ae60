"""Per-language reward statistics for GRPO logging.

Each reward function is wrapped so that the scores it hands to the trainer are also recorded
under the row's language. At every logging step every process drains its record (the rl
stage's `DrainOnEveryProcess` callback); the sums and counts are combined over processes, so
the means in `metrics.jsonl` (mean reward, accuracy, language consistency and completion length
per language) cover every process's completions, and the main process writes them.
"""

from __future__ import annotations

from collections import defaultdict

from euro_post.training import distributed


class LanguageMetrics:
    def __init__(self, weights: dict[str, float]):
        self.weights = weights  # reward name -> weight, to combine the per-function means
        self._scores: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._lengths: dict[str, list[int]] = defaultdict(list)
        self.prompt_ids: list[str] = []  # every prompt scored, in order: the cursor a resume must continue
        self.latest: dict[str, float] = {}  # the last drain's means, until taken

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
        """Means per language since the last drain, over every process, then forget them.

        Under many processes this gathers: every process calls it at the same logging steps."""
        local = {("score", name, lang): (sum(values), len(values)) for (name, lang), values in self._scores.items() if values}
        local.update({("length", "", lang): (sum(values), len(values)) for lang, values in self._lengths.items() if values})
        self._scores.clear()
        self._lengths.clear()
        totals: dict[tuple[str, str, str], list] = {}
        for part in distributed.gather(local):
            for key, (total, count) in part.items():
                entry = totals.setdefault(key, [0, 0])
                entry[0] += total
                entry[1] += count
        means = {key: total / count for key, (total, count) in totals.items()}

        out: dict[str, float] = {}
        for lang in sorted({lang for _, _, lang in means}):
            total = 0.0
            for name, weight in self.weights.items():
                mean = means.get(("score", name, lang))
                if mean is not None:
                    total += weight * mean
                    if name == "math_accuracy":
                        out[f"accuracy/{lang}"] = round(mean, 6)
                    elif name == "language_consistency":
                        out[f"language_consistency/{lang}"] = round(mean, 6)
            out[f"reward/{lang}"] = round(total, 6)
            if ("length", "", lang) in means:
                out[f"completion_length/{lang}"] = round(means[("length", "", lang)], 3)
        return out

    def take_latest(self, step: int | None = None) -> dict[str, float]:
        """The means of the last drain (for the main process's metrics line), once."""
        latest, self.latest = self.latest, {}
        return latest
