"""Scoring eval completions with the rewards the run trained with.

`EvalScorer(specs, tokenizer)` builds the recipe's reward specs (eval/config.py says which:
the eval stage's own `rewards`, else the rl stage's, else the preference stage's) the way the
training stages do, each behind the reward guard (`build_guarded_rewards`), and scores every
completion with all of them in one call per reward:

- the report's fixed columns come from fixed rewards, with the recipe's options for them:
  accuracy from `math_accuracy` (None, a verifier error or timeout, counts as not correct and
  as `unverified`), format from `format` (compliant only at full score), language consistency
  from `language_consistency`; a spec list without one of these scores it with its defaults.
  Length is the completion's length in tokens;
- every other reward of the list (a plug-in, `arithmetic`, `length`, ...) is a column of its
  own, `reward/<name>`: its mean score.

Rewards are called as the training stages call them: prompts, completions in the prompts'
format (an assistant message when the prompt is a conversation), every row column as a list,
and `completion_ids` (the completion's tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from euro_post.eval.metrics import SampleScore, reward_metric

# The reward behind each fixed column of the report (length is counted in tokens, not scored).
FIXED = {"math_accuracy": "accuracy", "format": "format", "language_consistency": "language_consistency"}


def scoring_specs(specs: Iterable[Any] | None) -> list:
    """The fixed columns' rewards (the recipe's spec where it has one, else the default), then
    every other reward of `specs`, in their order."""
    from euro_post.rewards import RewardSpec

    specs = [s if isinstance(s, RewardSpec) else RewardSpec.model_validate(s) for s in specs or []]
    named = {spec.name: spec for spec in specs}
    fixed = [named.get(name) or RewardSpec(name=name) for name in FIXED]
    return fixed + [spec for spec in specs if spec.name not in FIXED]


class EvalScorer:
    """The guarded reward functions of a spec list, scoring completions into SampleScores."""

    def __init__(self, specs: Iterable[Any] | None, tokenizer):
        from euro_post.rewards.guard import build_guarded_rewards

        self.specs = scoring_specs(specs)
        self.tokenizer = tokenizer
        funcs, _, names = build_guarded_rewards(self.specs, tokenizer=tokenizer)
        self.funcs = dict(zip(names, funcs))
        self.extra = [name for name in names if name not in FIXED]

    def score(self, rows: list[dict], completions: list[list[str]]) -> list[list[SampleScore]]:
        """`completions[i]` answers rows[i]; one SampleScore per completion, grouped by problem."""
        from euro_post.preference.pairs import as_completion

        if len(rows) != len(completions):
            raise ValueError(f"{len(completions)} completion lists for {len(rows)} problems")
        pairs = [(row, text) for row, samples in zip(rows, completions) for text in samples]
        texts = [text for _, text in pairs]
        ids = self.tokenizer(texts, add_special_tokens=False).input_ids if texts else []
        keys = sorted({key for row in rows for key in row if key != "prompt"})
        columns = {key: [row.get(key) for row, _ in pairs] for key in keys}
        call = dict(
            prompts=[row["prompt"] for row, _ in pairs],
            completions=[as_completion(row["prompt"], text) for row, text in pairs],
            completion_ids=[list(i) for i in ids],
            **columns,
        )
        scores = {name: list(func(**call)) if texts else [] for name, func in self.funcs.items()}

        out, flat = [], 0
        for samples in completions:
            problem = []
            for _ in samples:
                correct = scores["math_accuracy"][flat]
                problem.append(
                    SampleScore(
                        correct=correct == 1.0,
                        format=float(scores["format"][flat] or 0.0),
                        language=scores["language_consistency"][flat],
                        tokens=len(ids[flat]),
                        unverified=correct is None,
                        rewards={reward_metric(name): scores[name][flat] for name in self.extra},
                    )
                )
                flat += 1
            out.append(problem)
        return out
