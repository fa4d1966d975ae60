"""Rewards by name, for recipes: `RewardSpec` (validated config) and `build_rewards`.

    rewards:
      - {name: math_accuracy, weight: 1.0}
      - {name: format, weight: 0.2}
      - {name: language_consistency, weight: 0.2}
      - {name: length, weight: 0.1, options: {max_length: 512, cache: 128}}

Options are the keyword arguments of the reward's factory (`MathAccuracy`, `FormatReward`,
`LanguageConsistency`, `length_penalty`, `ArithmeticReward`) and are checked when the recipe is
validated, before any stage runs. The `tokenizer` of `length` is not a recipe option: the stage passes its model's
tokenizer to `build_rewards`.

A name with a colon is your own reward function's import path, `package.module:function`
(rewards/plugins.py: what it may point at, how options apply, how it is called). It is imported,
and checked to take TRL's reward call, when the recipe is validated.
"""

from __future__ import annotations

import difflib
import inspect
import math
from typing import Any, Callable, Iterable

from euro_post.rewards.accuracy import MathAccuracy
from euro_post.rewards.arithmetic import ArithmeticReward
from euro_post.rewards.formatting import FormatReward
from euro_post.rewards.language_id import LanguageConsistency
from euro_post.rewards.length import length_penalty
from euro_post.rewards.plugins import PluginError, build_plugin, is_plugin, load_object
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

_FACTORIES: dict[str, Callable[..., Any]] = {
    "math_accuracy": MathAccuracy,
    "format": FormatReward,
    "language_consistency": LanguageConsistency,
    "length": length_penalty,
    "arithmetic": ArithmeticReward,
}
REWARDS: list[str] = list(_FACTORIES)
# Options that only code can give (objects, not YAML values).
_CODE_ONLY_OPTIONS = {"engine", "tokenizer"}
_TOKENIZER_STAND_IN = object()


def _check_name(name: str) -> str:
    if name in _FACTORIES:
        return name
    if is_plugin(name):
        load_object(name)  # imports it: a wrong path fails when the recipe is validated
        return name
    nearest = difflib.get_close_matches(name, REWARDS, n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
    raise ValueError(
        f"unknown reward {name!r}: valid names are {', '.join(REWARDS)}, or your own function's import path "
        f"'package.module:function'{hint}"
    )


def _parameters(name: str) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(_FACTORIES[name]).parameters)


def _check_options(name: str, options: dict[str, Any]) -> None:
    params = _parameters(name)
    unknown = [key for key in options if key not in params]
    if unknown:
        valid = sorted(k for k in params if k not in _CODE_ONLY_OPTIONS)
        raise ValueError(f"reward {name!r}: unknown option(s) {unknown}; valid options: {', '.join(valid) or 'none'}")
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in options]
    if missing:
        raise ValueError(f"reward {name!r}: missing required option(s) {missing}")


def get_reward(name: str, **options: Any) -> Callable[..., list]:
    """A new reward function `name` built with `options`; a clear error for unknown names/options."""
    _check_name(name)
    if is_plugin(name):
        return build_plugin(name, options)
    _check_options(name, options)
    return _FACTORIES[name](**options)


class RewardSpec(BaseModel):
    """One reward of a stage: which function, its weight in the sum, and its options."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        description=f"Reward function, one of: {', '.join(REWARDS)}; or your own, by import path "
        "'package.module:function' (imported when the recipe is validated; see rewards/plugins.py)."
    )
    weight: float = Field(1.0, description="Weight of this reward in the weighted sum the trainer optimizes.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword options of the reward, e.g. {max_length: 512, cache: 128} for 'length'.",
    )

    @field_validator("name")
    @classmethod
    def _known_name(cls, name: str) -> str:
        return _check_name(name)

    @field_validator("weight")
    @classmethod
    def _finite_weight(cls, weight: float) -> float:
        if not math.isfinite(weight):
            raise ValueError(f"reward weight must be a finite number, got {weight}")
        return weight

    @model_validator(mode="after")
    def _valid_options(self) -> "RewardSpec":
        if is_plugin(self.name):
            try:
                build_plugin(self.name, self.options)
            except PluginError as err:
                if err.field is None:
                    raise
                raise _error_at(err.field, str(err), getattr(self, err.field)) from None
            return self
        code_only = sorted(_CODE_ONLY_OPTIONS & set(self.options))
        if code_only:
            raise ValueError(f"reward {self.name!r}: option(s) {code_only} cannot be set in a recipe")
        _check_options(self.name, self.options)
        # Value errors (cache > max_length, ...) surface at validation time. The stage gives the
        # tokenizer later; a stand-in lets `unit: tokens` validate now.
        self.build(tokenizer=_TOKENIZER_STAND_IN)
        return self

    def build(self, tokenizer: Any = None) -> Callable[..., list]:
        """The reward function this spec describes (`tokenizer` goes to rewards that take one)."""
        if is_plugin(self.name):
            return build_plugin(self.name, self.options)
        options = dict(self.options)
        if tokenizer is not None and "tokenizer" in _parameters(self.name):
            options["tokenizer"] = tokenizer
        return get_reward(self.name, **options)


def _error_at(field: str, message: str, value: Any) -> ValidationError:
    """A validation error located at `field` of the spec (a recipe error then names
    `stages.rl.rewards[1].name`, not just the list entry)."""
    error = InitErrorDetails(type=PydanticCustomError("value_error", "{error}", {"error": message}), loc=(field,), input=value)
    return ValidationError.from_exception_data("RewardSpec", [error])


def build_rewards(
    specs: Iterable[RewardSpec | dict[str, Any]], tokenizer: Any = None
) -> tuple[list[Callable[..., list]], list[float]]:
    """(reward functions, weights) for TRL's `reward_funcs` and `reward_weights`; warms them up.

    `specs` may be RewardSpec objects or plain dicts (validated here). A name listed twice is
    an error: TRL logs rewards by name, and two "length" columns could not be told apart.
    """
    specs = [s if isinstance(s, RewardSpec) else RewardSpec.model_validate(s) for s in specs]
    if not specs:
        raise ValueError(f"no rewards given: list at least one of {', '.join(REWARDS)}")
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"reward(s) listed twice: {twice}")
    funcs = [s.build(tokenizer) for s in specs]
    for func in funcs:
        func.warm_up()  # verifier workers start now, in the background
    return funcs, [s.weight for s in specs]
