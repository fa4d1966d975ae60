"""Statistics of the eval: Wilson and t intervals, unbiased pass@k, per-language aggregation."""

from __future__ import annotations

import itertools
import math

import pytest
from euro_post.eval.metrics import (
    SampleScore,
    Stat,
    difference_interval,
    language_metrics,
    mean_interval,
    paired_change_over_seeds,
    paired_macro_difference,
    pass_at_k,
    summarize,
    wilson_interval,
)


def test_wilson_interval_reference_values():
    # 0 of 10: the upper bound is z^2 / (n + z^2) (the "rule of three" region), 0.2775.
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.27753, abs=1e-5)
    # 5 of 10 (Newcombe 1998, table I): 0.2366 to 0.7634.
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    # Symmetry: k of n mirrors n-k of n.
    a, b = wilson_interval(3, 17), wilson_interval(14, 17)
    assert a[0] == pytest.approx(1 - b[1]) and a[1] == pytest.approx(1 - b[0])
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_mean_interval_uses_student_t():
    from scipy import stats

    values = [3.0, 7.0, 8.0, 10.0, 12.0]
    mean, low, high = mean_interval(values)
    ref = stats.t.interval(0.95, len(values) - 1, loc=sum(values) / 5, scale=stats.sem(values))
    assert mean == 8.0 and (low, high) == pytest.approx(ref)
    assert mean_interval([4.0]) == (4.0, 4.0, 4.0)


@pytest.mark.parametrize("n,c,k", [(5, 2, 1), (5, 2, 2), (6, 3, 4), (4, 0, 2), (4, 4, 3), (8, 1, 8)])
def test_pass_at_k_is_the_subset_average(n, c, k):
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(outcomes, k))
    brute = sum(any(s) for s in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(brute)


def test_pass_at_1_is_the_correct_fraction():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)


def sample(correct, fmt=1.0, lang=1.0, tokens=10):
    return SampleScore(correct=correct, format=fmt, language=lang, tokens=tokens)


def test_greedy_language_metrics_exact():
    problems = [
        [sample(True, 1.0, 1.0, 12)],
        [sample(False, 0.5, None, 20)],  # half format credit is not compliance; language unjudged
        [sample(True, 1.0, 0.0, 7)],
        [sample(False, 0.0, 1.0, 41)],
    ]
    stats = language_metrics(problems)
    assert stats["accuracy"] == Stat(0.5, *wilson_interval(2, 4), 4, "wilson")
    assert stats["format"] == Stat(0.5, *wilson_interval(2, 4), 4, "wilson")
    assert stats["language_consistency"] == Stat(2 / 3, *wilson_interval(2, 3), 3, "wilson")
    mean, low, high = mean_interval([12.0, 20.0, 7.0, 41.0])
    assert stats["length"] == Stat(20.0, max(0.0, low), high, 4, "t") and mean == 20.0  # lengths are >= 0
    assert not any(k.startswith("pass@") for k in stats)


def test_sampled_language_metrics_average_per_problem_then_over_problems():
    problems = [
        [sample(True), sample(True), sample(False), sample(False)],
        [sample(False), sample(False), sample(False), sample(False)],
        [sample(True), sample(True), sample(True), sample(True)],
    ]
    stats = language_metrics(problems, pass_k=[1, 2, 4])
    per_problem = [0.5, 0.0, 1.0]
    mean, low, high = mean_interval(per_problem)
    assert stats["accuracy"].value == pytest.approx(0.5) and stats["accuracy"].interval == "t"
    assert (stats["accuracy"].low, stats["accuracy"].high) == (max(0.0, low), min(1.0, high))
    assert stats["pass@1"].value == pytest.approx(0.5)
    assert stats["pass@2"].value == pytest.approx((5 / 6 + 0 + 1) / 3)
    assert stats["pass@4"] == Stat(2 / 3, *wilson_interval(2, 3), 3, "wilson")  # 0/1 per problem
    assert stats["accuracy"].n == 3


def test_empty_and_difference():
    assert summarize([]) == Stat(None, None, None, 0, "none")
    before = Stat(0.2, *wilson_interval(20, 100), 100, "wilson")
    after = Stat(0.6, *wilson_interval(60, 100), 100, "wilson")
    delta, low, high = difference_interval(before, after)
    assert delta == pytest.approx(0.4) and 0 < low < 0.4 < high
    # Newcombe's interval for 60/100 - 20/100 (method 10): lower = d - sqrt((p2-l2)^2 + (u1-p1)^2).
    l2, u1 = wilson_interval(60, 100)[0], wilson_interval(20, 100)[1]
    assert low == pytest.approx(0.4 - math.hypot(0.6 - l2, u1 - 0.2))
    same = difference_interval(before, before)
    assert same[1] < 0 < same[2]
    assert difference_interval(summarize([]), after) is None


def test_paired_macro_difference_is_the_stratified_paired_interval():
    # de: 4 problems, two newly correct (differences 0, 1, 1, 0); fr: 2 problems, one lost (0, -1).
    # Problems are matched by id, whatever their order; a problem only one side has is left out.
    before = {"de": {"ids": ["a", "b", "c", "d"], "accuracy": [1, 0, 0, 0]},
              "fr": {"ids": ["x", "y"], "accuracy": [1, 1]}}
    after = {"de": {"ids": ["d", "c", "b", "a", "e"], "accuracy": [0, 1, 1, 1, 1]},
             "fr": {"ids": ["y", "x"], "accuracy": [0, 1]},
             "pl": {"ids": ["p"], "accuracy": [1]}}
    change = paired_macro_difference(before, after, "accuracy")
    de_mean, fr_mean = 0.5, -0.5
    de_var = ((0.5**2) * 4 / 3) / 4  # sample variance of (0, 1, 1, 0) over n
    fr_var = ((0.5**2) * 2 / 1) / 2  # sample variance of (0, -1) over n
    half = 1.959963984540054 * math.sqrt(de_var + fr_var) / 2
    assert change["delta"] == pytest.approx((de_mean + fr_mean) / 2)
    assert (change["low"], change["high"]) == pytest.approx((-half, half))
    assert (change["languages"], change["problems"]) == (2, 6)
    # Every problem improving by the same amount leaves no spread: the interval is the point.
    flat = paired_macro_difference({"de": {"ids": ["a", "b"], "accuracy": [0, 0]}},
                                   {"de": {"ids": ["a", "b"], "accuracy": [1, 1]}}, "accuracy")
    assert flat["low"] == flat["high"] == flat["delta"] == 1.0
    assert paired_macro_difference(before, {"sv": after["de"]}, "accuracy") is None

    # Weighed by paired problems: de's 4 count twice fr's 2, so the change is the pooled mean
    # (2 - 1) / 6 and each language's variance of its mean enters with weight n_l / 6, squared.
    pooled = paired_macro_difference(before, after, "accuracy", weigh="problem")
    assert pooled["delta"] == pytest.approx(1 / 6)
    half = 1.959963984540054 * math.sqrt((4 / 6) ** 2 * de_var + (2 / 6) ** 2 * fr_var)
    assert (pooled["low"], pooled["high"]) == pytest.approx((1 / 6 - half, 1 / 6 + half))
    assert (pooled["languages"], pooled["problems"], pooled["weigh"]) == (2, 6, "problem")
    with pytest.raises(ValueError, match="weigh must be"):
        paired_macro_difference(before, after, "accuracy", weigh="lang")


def test_worked_answers_weighed_by_problem_two_problems_in_one_language_do_not_swing_the_change():
    # hr: only 2 problems worked out by both, both turned right; de: 30, none changed.
    before = {"hr": {"ids": ["h1", "h2"], "worked_accuracy": [0, 0]},
              "de": {"ids": [f"d{i}" for i in range(30)], "worked_accuracy": [1] * 24 + [0] * 6}}
    after = {"hr": {"ids": ["h1", "h2"], "worked_accuracy": [1, 1]}, "de": before["de"]}
    by_language = paired_macro_difference(before, after, "worked_accuracy")
    by_problem = paired_macro_difference(before, after, "worked_accuracy", weigh="problem")
    assert by_language["delta"] == pytest.approx(0.5)  # half the figure from two problems
    assert by_problem["delta"] == pytest.approx(2 / 32)


def test_paired_change_over_seeds_counts_each_shared_problem_once():
    before = {"de": {"ids": ["a", "b", "c", "d"], "accuracy": [1, 0, 0, 0]},
              "fr": {"ids": ["x", "y"], "accuracy": [1, 1]}}
    after = {"de": {"ids": ["a", "b", "c", "d"], "accuracy": [1, 1, 1, 0]},
             "fr": {"ids": ["x", "y"], "accuracy": [1, 0]}}
    one = paired_macro_difference(before, after, "accuracy")
    # Two seeds that changed every problem alike are one seed's evidence, not twice it: the same
    # interval (treating the seeds as independent would narrow it by sqrt(2)).
    twice = paired_change_over_seeds([(before, after), (before, after)], "accuracy")
    assert (twice["delta"], twice["low"], twice["high"]) == pytest.approx((one["delta"], one["low"], one["high"]))
    assert (twice["seeds"], twice["problems"]) == (2, 12) and "seeds" not in one

    # Seeds that disagree problem by problem: the mean of their changes, and each problem's change
    # averaged over the seeds is one draw. Seed 2 gains on d instead of c and keeps fr's y.
    other = {"de": {"ids": ["a", "b", "c", "d"], "accuracy": [1, 1, 0, 1]}, "fr": before["fr"]}
    mixed = paired_change_over_seeds([(before, after), (before, other)], "accuracy")
    second = paired_macro_difference(before, other, "accuracy")
    assert mixed["delta"] == pytest.approx((one["delta"] + second["delta"]) / 2)
    # Each problem's difference averaged over the seeds, times its weight: de (1/2 of the mean over
    # two languages, shared by 4 problems) 1/8, fr 1/4.
    de = [0, (1 + 1) / 2 / 8, (1 + 0) / 2 / 8, (0 + 1) / 2 / 8]
    fr = [0, (-1 + 0) / 2 / 4]
    variance = sum(len(v) / (len(v) - 1) * sum((x - sum(v) / len(v)) ** 2 for x in v) for v in (de, fr))
    assert mixed["high"] - mixed["delta"] == pytest.approx(1.959963984540054 * math.sqrt(variance))
    assert paired_change_over_seeds([({"de": before["de"]}, {"sv": after["de"]})], "accuracy") is None
