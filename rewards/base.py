"""What every reward function shares: the TRL calling convention and health accounting.

A reward is called as `reward(prompts, completions, **columns)` (TRL's GRPOTrainer passes
keywords, plus extras such as `completion_ids` and `trainer_state`, which are ignored here) and
returns one float or None per completion. Completions are plain strings or conversations
(lists of {"role", "content"} messages), in which case the last assistant message is scored.
Dataset columns arrive as lists aligned with the completions; a single string (e.g.
`lang="de"`) is broadcast to the whole batch for convenience.
"""

from __future__ import annotations

from typing import Any, Sequence

from euro_post.rewards.monitor import RewardMonitor
from euro_post.rewards.verify import Outcome, Unscorable

from euro_post.data.languages import get_language


def completion_text(completion: Any) -> str:
    """The text to score: the string itself, or the last assistant message of a conversation."""
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, (list, tuple)):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
                return _content_text(message.get("content"))
        return ""
    raise TypeError(f"a completion must be a string or a list of chat messages, got {type(completion).__name__}")


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal-style parts: [{"type": "text", "text": ...}]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type", "text") == "text")
    return str(content)


def column(columns: dict[str, Any], name: str, size: int, reward: str) -> list:
    """Column `name` as a list of `size` values, with a clear error when it is missing or misaligned."""
    if name not in columns or columns[name] is None:
        raise ValueError(
            f"reward {reward!r} needs a {name!r} column in the dataset (got columns: {sorted(columns) or 'none'})"
        )
    values = columns[name]
    if isinstance(values, str):
        return [values] * size
    values = list(values)
    if len(values) != size:
        raise ValueError(f"reward {reward!r}: column {name!r} has {len(values)} values for {size} completions")
    return values


class Reward:
    """Base class: subclasses implement `score(texts, columns) -> list[Outcome]`."""

    name = "reward"

    def __init__(self, *, max_error_rate: float = 0.5, min_calls: int = 32):
        self.__name__ = self.name  # TRL logs rewards under their __name__
        self.monitor = RewardMonitor(self.name, max_error_rate=max_error_rate, min_calls=min_calls)

    def score(self, texts: list[str], columns: dict[str, Any]) -> list[Outcome]:
        raise NotImplementedError

    def warm_up(self) -> None:
        """Load what the first call would load (models, worker processes); build_rewards calls it."""

    def __call__(self, prompts: Sequence | None = None, completions: Sequence | None = None, **columns) -> list:
        if completions is None:
            raise TypeError(f"reward {self.name!r} needs completions=[...]")
        texts = [completion_text(c) for c in completions]
        outcomes = self.score(texts, columns) if texts else []
        self.monitor.record(o.kind if isinstance(o, Unscorable) else "ok" for o in outcomes)
        for outcome in outcomes:
            if isinstance(outcome, Unscorable) and outcome.kind != "none":
                self.monitor.note_failure(f"{outcome.kind}: {outcome.detail}")
        self.monitor.check()
        return [None if isinstance(o, Unscorable) else float(o) for o in outcomes]

    def stats(self) -> dict[str, float]:
        return self.monitor.stats()

    def __repr__(self) -> str:
        return f"<reward {self.name}>"


class TextReward(Reward):
    """A reward of each completion's text and its row's language alone (needs the `lang` column)."""

    def score_text(self, text: str, lang: str) -> float:
        raise NotImplementedError

    def score(self, texts: list[str], columns: dict[str, Any]) -> list[Outcome]:
        langs = column(columns, "lang", len(texts), self.name)
        for lang in set(langs):
            get_language(lang)  # an unknown code fails the whole call, naming it
        return [self.score_text(text, lang) for text, lang in zip(texts, langs)]
