"""Verifiable, multilingual rewards for preference pairs, GRPO and evaluation.

Every reward is a TRL-compatible callable `f(prompts, completions, **columns) -> list[float | None]`
so that the score a model is trained on and the score it is reported with are the same function:

- `math_accuracy`: the final answer equals the gold `answer` (locale-aware numbers, math-verify).
- `format_reward` (name "format"): reasoning lines, then exactly one final answer line.
- `language_consistency`: the completion is written in the row's `lang`.
- `length_penalty(max_length, cache, tokenizer=None)` (name "length"): DAPO soft overlong penalty.
- `ArithmeticReward` (name "arithmetic"): the share of the written calculations that hold.

Recipes pick them by name: `RewardSpec`, `build_rewards`, `get_reward`, `REWARDS`; or name your own
TRL-style reward function by import path, `package.module:function` (plugins.py: `build_plugin`).

Names are imported on first access (PEP 562), so that the verifier worker processes, which
import `euro_post.rewards.worker`, do not pay for pydantic and the rest at every start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ArithmeticReward": "arithmetic",
    "arithmetic_score": "arithmetic",
    "MathAccuracy": "accuracy",
    "math_accuracy": "accuracy",
    "Reward": "base",
    "completion_text": "base",
    "extract_answer": "extract",
    "FormatReward": "formatting",
    "format_reward": "formatting",
    "format_score": "formatting",
    "LanguageConsistency": "language_id",
    "identify_language": "language_id",
    "language_consistency": "language_id",
    "LengthPenalty": "length",
    "length_penalty": "length",
    "soft_overlong_penalty": "length",
    "RewardHealthError": "monitor",
    "RewardMonitor": "monitor",
    "reward_stats": "monitor",
    "canonical_number": "numbers",
    "parse_number": "numbers",
    "PluginReward": "plugins",
    "build_plugin": "plugins",
    "VerifierPool": "pool",
    "get_pool": "pool",
    "REWARDS": "registry",
    "RewardSpec": "registry",
    "build_rewards": "registry",
    "get_reward": "registry",
    "Unscorable": "verify",
    "VerificationError": "verify",
    "verify_answer": "verify",
    "verify_batch": "verify",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'euro_post.rewards' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"euro_post.rewards.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from euro_post.rewards.accuracy import MathAccuracy, math_accuracy
    from euro_post.rewards.arithmetic import ArithmeticReward, arithmetic_score
    from euro_post.rewards.base import Reward, completion_text
    from euro_post.rewards.extract import extract_answer
    from euro_post.rewards.formatting import FormatReward, format_reward, format_score
    from euro_post.rewards.language_id import LanguageConsistency, identify_language, language_consistency
    from euro_post.rewards.length import LengthPenalty, length_penalty, soft_overlong_penalty
    from euro_post.rewards.monitor import RewardHealthError, RewardMonitor, reward_stats
    from euro_post.rewards.numbers import canonical_number, parse_number
    from euro_post.rewards.plugins import PluginReward, build_plugin
    from euro_post.rewards.pool import VerifierPool, get_pool
    from euro_post.rewards.registry import REWARDS, RewardSpec, build_rewards, get_reward
    from euro_post.rewards.verify import Unscorable, VerificationError, verify_answer, verify_batch
