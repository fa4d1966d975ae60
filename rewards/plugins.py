"""Your own reward functions, named in a recipe by import path.

    rewards:
      - {name: math_accuracy, weight: 1.0}
      - {name: "my_lab.rewards:cites_a_source", weight: 0.3}
      - {name: "my_lab.rewards:KeywordReward", weight: 0.2, options: {word: "therefore"}}

A name with a colon is `module:attribute` (the attribute may be dotted: `module:Class.factory`).
The module is imported when the recipe is validated: it is your own code, run by
`euro-post validate` as by `euro-post run`, so that a wrong path fails before any training.

What the name points at, and what `options` do:
- a class: called with the options as keyword arguments (none: no arguments); its instance
  is the reward function;
- a function, with options: a factory; every option must be one of its named keyword
  parameters, and what it returns is the reward function;
- a function, without options: the reward function itself.

A reward function has TRL's signature, so a reward written for TRL or open-r1 plugs in unchanged:
`func(prompts, completions, completion_ids=None, **columns) -> list[float | None]`, one score per
completion (None: cannot judge; that reward then gives the completion no credit). It is called
with keywords only: `prompts`, `completions` (strings, or lists of chat messages when the prompts
are conversations), and every dataset column as a list aligned with the completions (`lang`,
`answer`, `id`, ...). GRPO passes what TRL passes (also `completion_ids`, `trainer_state`,
`log_metric`, `log_extra`); preference pairing passes prompts, completions and columns; the eval
stage also passes `completion_ids`. So the function must take `**kwargs`.

Every call goes through the same guard as the built-in rewards (rewards/guard.py): a raise, a
call past the deadline, None instead of a list, NaN or infinite scores leave the completions
unscored and are counted; too many of them stop the run.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

SEPARATOR = ":"
_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class PluginError(ValueError):
    """A reward import path that cannot give a usable reward function; `field` is the recipe
    field at fault ("name" for the path and the function's signature, None for the options)."""

    def __init__(self, message: str, field: str | None = "name"):
        super().__init__(message)
        self.field = field


def is_plugin(name: str) -> bool:
    """True for a `module:attribute` import path, False for a built-in reward's name."""
    return SEPARATOR in name


def load_object(path: str) -> Any:
    """The object at `module:attribute`, importing the module; PluginError says why it cannot."""
    module_name, _, attribute = path.partition(SEPARATOR)
    if not module_name.strip() or not attribute.strip():
        raise PluginError(f"cannot import {path!r}: write a reward import path as 'package.module:function'")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as err:  # noqa: BLE001 - ImportError, or the module's own code failing as it runs
        raise PluginError(f"cannot import {path!r} ({_reason(err)})") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise PluginError(f"cannot import {path!r} ({_describe(target)} has no attribute {part!r})") from None
    if not callable(target):
        raise PluginError(f"{path!r} is {_article(type(target).__name__)}, not a reward function or a class that makes one")
    return target


def is_factory(obj: Callable, options: dict[str, Any]) -> bool:
    """Whether `obj` makes the reward function (called with `options`) rather than being it."""
    return inspect.isclass(obj) or bool(options)


def check_options(path: str, obj: Callable, options: dict[str, Any]) -> None:
    """Every option must be a named keyword parameter of the factory `obj`."""
    params = _parameters(obj)
    if params is None:
        return  # a builtin without a readable signature: its own call will say what is wrong
    named = [name for name, p in params.items() if p.kind in _KEYWORD_KINDS]
    unknown = [key for key in options if key not in named]
    if unknown:
        what = "its keyword parameters" if named else "it takes no keyword parameters"
        valid = f" ({', '.join(named)})" if named else ""
        raise PluginError(
            f"reward {path!r}: unknown option(s) {unknown}; options are keyword arguments of the factory, "
            f"{what}{valid}",
            field=None,
        )


def check_reward_signature(path: str, func: Callable) -> None:
    """`func` must take TRL's call: keywords `prompts`, `completions`, and any dataset column."""
    params = _parameters(func)
    if params is None:
        return
    kinds = {p.kind for p in params.values()}
    expected = "a reward must take (prompts, completions, **kwargs), as TRL calls it"
    positional_only = [n for n, p in params.items() if p.kind is inspect.Parameter.POSITIONAL_ONLY and p.default is p.empty]
    if positional_only:
        raise PluginError(f"reward {path!r} has positional-only parameter(s) {positional_only}: {expected}")
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        missing = [n for n in ("prompts", "completions") if n not in params]
        if missing:
            detail = f"it has no {' or '.join(map(repr, missing))} parameter and no **kwargs"
            if "completions" in missing:
                detail += " (a function is a factory only when the recipe gives it options)"
        else:
            detail = "it has no **kwargs for the dataset columns"
        raise PluginError(f"reward {path!r} cannot take (prompts, completions, **columns): {detail}; {expected}")


def build_plugin(path: str, options: dict[str, Any] | None = None) -> PluginReward:
    """The reward function at `path`, made with `options` by the rule in this module's docstring."""
    options = dict(options or {})
    obj = load_object(path)
    if is_factory(obj, options):
        check_options(path, obj, options)
        try:
            func = obj(**options)
        except Exception as err:  # noqa: BLE001 - whatever the user's factory raises, said in one line
            shown = f" with options {options}" if options else ""
            raise PluginError(f"reward {path!r}: making it{shown} raised {type(err).__name__}: {err}", field=None) from None
        if not callable(func):
            raise PluginError(f"reward {path!r}: the factory returned {_article(type(func).__name__)}, not a function")
    else:
        func = obj
    check_reward_signature(path, func)
    return PluginReward(path, func)


class PluginReward:
    """A user reward function, called as TRL calls it (keywords only) and logged under its import path."""

    def __init__(self, name: str, func: Callable):
        self.name = name
        self.__name__ = name  # TRL logs rewards under their __name__: rewards/<import path>/mean
        self.func = func

    def warm_up(self) -> None:
        """What `build_rewards` calls on every reward; a plug-in may define its own."""
        warm_up = getattr(self.func, "warm_up", None)
        if callable(warm_up):
            warm_up()

    def __call__(self, prompts=None, completions=None, **columns) -> list:
        return self.func(prompts=prompts, completions=completions, **columns)

    def __repr__(self) -> str:
        return f"<reward {self.name}>"


def _parameters(obj: Callable) -> dict[str, inspect.Parameter] | None:
    try:
        return dict(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return None


def _reason(err: Exception) -> str:
    if isinstance(err, ModuleNotFoundError):
        return str(err)
    return f"importing it raised {type(err).__name__}: {err}"


def _describe(target: Any) -> str:
    if inspect.ismodule(target):
        return f"module {target.__name__!r}"
    return f"{getattr(target, '__name__', type(target).__name__)!r}"


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
