"""Scores of one checkpoint's completions, per language, with 95% confidence intervals.

Per problem we have one completion (greedy) or several (sampled). Each completion gets:
- correct: the rewards' `verify_answer` on the row's gold `answer` (the function the
  `math_accuracy` reward uses), so the eval measures what RL optimised;
- format: 1 when the rewards' `format` score is full (reasoning, then exactly one final
  answer line at the end), else 0;
- language: the rewards' `language_consistency` (1/0; None when the text has too few letters
  to judge, and then left out of that metric's count);
- worked-answer accuracy: `correct` among the *worked answers* only, the completions with full
  format (score 1: reasoning, then exactly one final answer line with the question language's
  marker) whose language consistency is not 0 (1, or None: too few letters to judge, and the
  marker already says the question's language). Every other completion is left out of its
  count, so it separates "reasons well" from "answers in the asked form" (`is_worked_answer`);
- tokens: completion length in tokens;
- rewards: the score of every other reward the run trained with (a plug-in, arithmetic,
  length, ...: `reward/<name>` columns of the report), None where it could not judge.

The rewards are the recipe's own, with the recipe's options (eval/scoring.py), so the eval
measures what training optimised.

Per language each metric is a `Stat` (value, 95% interval, sample count). A problem counts
once: its value is the mean over its completions. When every problem's value is 0 or 1 (always
the case for greedy decoding) the interval is Wilson's score interval for a proportion, else a
Student-t interval for the mean over problems, which respects that samples of one problem
are correlated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Sequence

CONFIDENCE = 0.95
Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)  # 1.959963984540054

# Metric names in report order, with how they read in tables.
METRICS = {
    "accuracy": "accuracy",
    "worked_accuracy": "worked-answer accuracy",
    "format": "format compliance",
    "language_consistency": "language consistency",
    "length": "mean length (tokens)",
}
PROPORTIONS = ("accuracy", "worked_accuracy", "format", "language_consistency")
# Columns of the other rewards: "reward/arithmetic", "reward/my_lab.rewards:cites_a_source".
REWARD_PREFIX = "reward/"


def reward_metric(name: str) -> str:
    """The report column of reward `name`."""
    return REWARD_PREFIX + name


def is_reward_metric(metric: str) -> bool:
    return metric.startswith(REWARD_PREFIX)


def metric_title(metric: str) -> str:
    """How a metric reads in tables: `format compliance`, `reward arithmetic`, `pass@4`."""
    if is_reward_metric(metric):
        return f"reward {metric[len(REWARD_PREFIX):]}"
    return METRICS.get(metric, metric)


@dataclass(frozen=True)
class Stat:
    value: float | None  # None when there were no samples to measure
    low: float | None
    high: float | None
    n: int  # problems that entered the value
    interval: str  # "wilson", "t" or "none"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SampleScore:
    correct: bool
    format: float  # the format reward's score (0, 0.5 or 1)
    language: float | None  # 1/0, None when it cannot be judged
    tokens: int
    unverified: bool = False  # the verifier erred or timed out; counted as not correct
    rewards: dict[str, float | None] = field(default_factory=dict)  # report column -> score, None: not judged


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion: well behaved at 0/n and n/n."""
    if n <= 0:
        raise ValueError("wilson_interval needs n >= 1")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, {n}], got {successes}")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0/n and n/n the bound is exactly 0 or 1; rounding would leave 1e-17 behind.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def t_quantile(df: float, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student-t critical value (normal when scipy is missing or df is large)."""
    try:
        from scipy.stats import t
    except ImportError:  # pragma: no cover - scipy comes with lm-eval's dependencies
        return NormalDist().inv_cdf(0.5 + confidence / 2)
    return float(t.ppf(0.5 + confidence / 2, df))


def mean_interval(values: Sequence[float], bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """Mean with a Student-t 95% interval (a single value has no spread: the interval is the point)."""
    n = len(values)
    if n == 0:
        raise ValueError("mean_interval needs at least one value")
    mean = sum(values) / n
    if n == 1:
        return mean, mean, mean
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_quantile(n - 1) * math.sqrt(variance / n)
    low, high = mean - half, mean + half
    if bounds:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return mean, low, high


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    # Product form of the binomial ratio: no huge factorials.
    value = 1.0
    for i in range(n - c + 1, n + 1):
        value *= 1.0 - k / i
    return 1.0 - value


def summarize(values: Sequence[float], proportion: bool = True) -> Stat:
    """One metric over problems: Wilson for 0/1 values of a proportion, Student-t for anything else."""
    n = len(values)
    if n == 0:
        return Stat(None, None, None, 0, "none")
    if proportion and all(v in (0.0, 1.0) for v in values):
        successes = int(sum(values))
        low, high = wilson_interval(successes, n)
        return Stat(successes / n, low, high, n, "wilson")
    mean, low, high = mean_interval(values, (0.0, 1.0) if proportion else (0.0, math.inf))
    return Stat(mean, low, high, n, "t")


def is_worked_answer(sample: SampleScore) -> bool:
    """Full format (reasoning, then one final answer line with the question language's marker)
    and not identified as another language (None, too short to judge, passes: the format
    reward has already required the question language's answer marker)."""
    return sample.format >= 1.0 and sample.language != 0.0


# What each metric reads from one scored completion (None: cannot be judged, left out).
SAMPLE_VALUES = {
    "accuracy": lambda s: float(s.correct),
    "worked_accuracy": lambda s: float(s.correct) if is_worked_answer(s) else None,
    "format": lambda s: 1.0 if s.format >= 1.0 else 0.0,
    "language_consistency": lambda s: s.language,
    "length": lambda s: float(s.tokens),
}


def summarize_scores(values: Sequence[float]) -> Stat:
    """A reward column over problems: Wilson when every value is 0 or 1, else an unbounded
    Student-t interval (a reward may be negative, e.g. the length penalty)."""
    if not values or all(v in (0.0, 1.0) for v in values):
        return summarize(values)
    mean, low, high = mean_interval(values)
    return Stat(mean, low, high, len(values), "t")


def sample_value(sample: SampleScore, metric: str) -> float | None:
    """What `metric` reads from one scored completion (None: cannot be judged, left out)."""
    if is_reward_metric(metric):
        return sample.rewards.get(metric)
    return SAMPLE_VALUES[metric](sample)


def problem_mean(samples: Sequence[SampleScore], metric: str) -> float | None:
    """A problem's score on `metric`: the mean over its judged samples, None if none was judged."""
    judged = [v for v in (sample_value(s, metric) for s in samples) if v is not None]
    return sum(judged) / len(judged) if judged else None


def language_metrics(problems: Sequence[Sequence[SampleScore]], pass_k: Sequence[int] = ()) -> dict[str, Stat]:
    """Metrics of one language: `problems[i]` holds the scored completions of problem i."""

    def per_problem(metric: str) -> list[float]:
        return [v for v in (problem_mean(samples, metric) for samples in problems) if v is not None]

    stats = {metric: summarize(per_problem(metric), proportion=metric != "length") for metric in SAMPLE_VALUES}
    rewards = dict.fromkeys(metric for samples in problems for s in samples for metric in s.rewards)
    for metric in rewards:
        stats[metric] = summarize_scores(per_problem(metric))
    for k in pass_k:
        values = [pass_at_k(len(s), sum(x.correct for x in s), k) for s in problems if len(s) >= k]
        stats[f"pass@{k}"] = summarize(values)
    return stats


def difference_interval(before: Stat, after: Stat) -> tuple[float, float, float] | None:
    """after - before with a 95% interval by recovering variances from each interval (MOVER,
    Newcombe's method for proportions). Treats the two as independent, which is conservative
    when both answered the same problems."""
    if before.value is None or after.value is None:
        return None
    delta = after.value - before.value
    low = delta - math.hypot(after.value - after.low, before.high - before.value)
    high = delta + math.hypot(after.high - after.value, before.value - before.low)
    return delta, low, high


def paired_macro_difference(before: dict, after: dict, metric: str, weigh: str = "language") -> dict | None:
    """Change of `metric`'s mean over languages between two checkpoints scored on the same problems.

    `before` and `after` map a language to its per-problem scores ({"ids": [...], metric: [...]},
    as the eval stage stores them). Each language's change is the mean of its per-problem
    differences; the overall change is the mean of those over languages (each language weighs the
    same, like the headline numbers) and its 95% interval adds the languages' variances s²/n
    (a stratified paired interval: far tighter than comparing two independent intervals, because
    most problems get the same score from both checkpoints). None when no language has both.

    `weigh="problem"` weighs each language by its number of paired problems instead (the pooled
    mean, same stratified interval). For a metric scored only on some problems, such as
    worked-answer accuracy, the paired set can be 2 problems in one language and 30 in another;
    weighing those alike lets two problems swing the whole figure.
    """
    change = paired_change_over_seeds([(before, after)], metric, weigh)
    if change is not None:
        del change["seeds"]  # one pair: one run's comparison, as report.json records it
    return change


def paired_change_over_seeds(pairs: Sequence[tuple[dict, dict]], metric: str, weigh: str = "language") -> dict | None:
    """The mean over seeds of each seed's paired change (`paired_macro_difference`), with a 95%
    interval from the problems drawn, for runs evaluated on the same problems.

    `pairs` holds one (before, after) per seed. The seeds' changes are not independent: they are
    measured on the same problems, and a problem one checkpoint finds hard tends to be hard for every
    seed. So the interval treats each problem as one draw: the mean over seeds is a sum of per-problem
    contributions (each seed's difference on that problem, times that seed's weight for it, averaged
    over seeds), and its variance is the stratified variance of those sums within each language.
    With one seed this is exactly the stratified paired interval above. It answers "is the change,
    for these seeds, more than the luck of the problems drawn"; the Student-t interval over seeds
    (`seed_spread`) answers what other seeds would give.
    """
    if weigh not in ("language", "problem"):
        raise ValueError(f'weigh must be "language" or "problem", not {weigh!r}')
    contributions: dict[str, dict[str, float]] = {}  # language -> problem id -> summed contribution
    seeds, problems, languages = 0, 0, set()
    for before, after in pairs:
        diffs_by_language = {}
        for lang in sorted(set(before) & set(after)):
            a, b = before[lang], after[lang]
            if metric not in a or metric not in b:
                continue
            old = dict(zip(a["ids"], a[metric]))
            diffs = {i: new - old[i] for i, new in zip(b["ids"], b[metric]) if old.get(i) is not None and new is not None}
            if diffs:
                diffs_by_language[lang] = diffs
        if not diffs_by_language:
            continue
        seeds += 1
        total = sum(len(d) for d in diffs_by_language.values()) if weigh == "problem" else len(diffs_by_language)
        for lang, diffs in diffs_by_language.items():
            # This seed's weight for each problem of the language: the language's weight in the
            # overall mean, shared by its paired problems.
            per_problem = (len(diffs) if weigh == "problem" else 1) / total / len(diffs)
            bucket = contributions.setdefault(lang, {})
            for i, d in diffs.items():
                bucket[i] = bucket.get(i, 0.0) + d * per_problem
            problems += len(diffs)
            languages.add(lang)
    if not seeds:
        return None
    delta, variance = 0.0, 0.0
    for bucket in contributions.values():
        values = [v / seeds for v in bucket.values()]
        m = len(values)
        delta += sum(values)
        if m > 1:
            mean = sum(values) / m
            variance += m / (m - 1) * sum((v - mean) ** 2 for v in values)
    half = Z95 * math.sqrt(variance)
    return {"metric": metric, "delta": delta, "low": delta - half, "high": delta + half, "languages": len(languages),
            "problems": problems, "weigh": weigh, "seeds": seeds}


def macro_mean(stats: Sequence[Stat]) -> float | None:
    """Mean over languages, each language weighing the same."""
    values = [s.value for s in stats if s.value is not None]
    return sum(values) / len(values) if values else None


def stat_from_dict(data: dict) -> Stat:
    return Stat(data.get("value"), data.get("low"), data.get("high"), int(data.get("n", 0)), data.get("interval", "none"))


def seed_spread(values: Sequence[float], bounds: tuple[float, float] | None = None) -> dict | None:
    """One number measured once per seed: its mean, a Student-t 95% interval over seeds (where the
    mean over many seeds would lie; the point alone for one seed), min and max. None when no seed
    measured it. `bounds` clips the interval to the values the number can take ((0, 1) for a
    proportion), as the eval's own t intervals are clipped."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return None
    mean, low, high = mean_interval(values, bounds)
    return {"mean": mean, "low": low, "high": high, "min": min(values), "max": max(values), "n": len(values)}


def welch_difference(a: Sequence[float], b: Sequence[float]) -> dict | None:
    """mean(b) - mean(a) over two independent groups of seeds, with Welch's 95% t interval
    (unequal variances, Welch-Satterthwaite degrees of freedom). None unless each group has at
    least two seeds: one seed says nothing about the spread between seeds."""
    a, b = [float(v) for v in a if v is not None], [float(v) for v in b if v is not None]
    if len(a) < 2 or len(b) < 2:
        return None
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    va = sum((v - mean_a) ** 2 for v in a) / (len(a) - 1) / len(a)
    vb = sum((v - mean_b) ** 2 for v in b) / (len(b) - 1) / len(b)
    delta = mean_b - mean_a
    if va + vb == 0:
        return {"delta": delta, "low": delta, "high": delta, "df": float(len(a) + len(b) - 2)}
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = t_quantile(df) * math.sqrt(va + vb)
    return {"delta": delta, "low": delta - half, "high": delta + half, "df": df}
