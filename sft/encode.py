"""Rows to training examples: render with the chat template, mark the tokens that carry the loss.

An example is `{"lang", "input_ids", "labels"}` with `labels` = -100 wherever no loss is taken.
With `loss_on="assistant"` the loss falls exactly on what the assistant writes: for the project's
ChatML that is the answer and its `<|im_end|>`, never the `<|im_start|>assistant\\n` header or any
other turn. The chat template's {% generation %} markers delimit it where the template has them;
other templates are rendered turn by turn (turns.py). `loss_on="last_assistant"` keeps the last
answer of each conversation only (turn by turn, so any template that renders the conversation
before it unchanged will do); `loss_on="all"` trains on every token.

Rows that cannot be trained on are dropped and counted by reason, so that a stage can report
them and refuse data that is mostly broken.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

from euro_post.sft.turns import special_ids, turn_mask

IGNORE = -100
KNOWN_ROLES = ("system", "user", "assistant", "tool")


class DroppedRow(ValueError):
    """A row that cannot be trained on; `reason` is its counter key."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class EncodedRows:
    examples: list[dict]
    dropped: Counter = field(default_factory=Counter)
    dropped_examples: dict[str, str] = field(default_factory=dict)  # reason -> first row that had it
    truncated: int = 0
    total: int = 0

    @property
    def drop_fraction(self) -> float:
        return sum(self.dropped.values()) / max(self.total, 1)


def check_messages(messages, where: str) -> None:
    """Raise DroppedRow for a conversation the template cannot render into something trainable."""
    if not isinstance(messages, list) or not messages:
        raise DroppedRow("empty_conversation", f"{where}: `messages` must be a non-empty list of turns")
    for turn_number, message in enumerate(messages, start=1):
        turn = f"{where}, turn {turn_number}"
        if not isinstance(message, dict) or not message.get("role"):
            raise DroppedRow("missing_role", f"{turn}: a turn needs a `role`")
        role = message["role"]
        if role not in KNOWN_ROLES:
            raise DroppedRow("unknown_role", f"{turn}: role {role!r} is not one of {', '.join(KNOWN_ROLES)}")
        content = message.get("content")
        if not isinstance(content, str):
            raise DroppedRow("bad_content", f"{turn}: `content` must be a string, got {type(content).__name__}")
        if role == "assistant" and not content.strip():
            raise DroppedRow("empty_assistant", f"{turn}: the assistant turn is empty")


@dataclass
class Encoder:
    """Renders rows with `tokenizer`'s chat template (or `chat_template`, a training version with
    {% generation %} markers of a known family's template) and builds their labels.

    `masking` is how the assistant's tokens are found with loss_on="assistant": "markers" (the
    template's {% generation %} markers), "turns" (rendering turn by turn), or None: markers where
    the template has them, else turns.
    """

    tokenizer: object
    max_length: int
    loss_on: str = "assistant"
    chat_template: str | None = None
    masking: str | None = None

    def encode(self, row: dict) -> tuple[dict, bool]:
        """One row -> ({"lang","input_ids","labels"}, truncated). Raises DroppedRow for an unusable row."""
        where = f"row {row.get('id', '?')}"
        if "messages" in row:
            check_messages(row["messages"], where)
            input_ids, mask = self._render(row["messages"], where=where)
        elif "prompt" in row and "completion" in row:
            input_ids, mask = self._prompt_completion(row["prompt"], row["completion"], where)
        else:
            raise DroppedRow("bad_content", f"{where}: needs `messages` or `prompt` + `completion`")

        truncated = len(input_ids) > self.max_length
        input_ids, mask = input_ids[: self.max_length], mask[: self.max_length]
        labels = [token if keep else IGNORE for token, keep in zip(input_ids, mask)]
        # The first position is never a target (nothing precedes it), so it does not count.
        if all(label == IGNORE for label in labels[1:]):
            within = f" within max_length {self.max_length}" if truncated else ""
            raise DroppedRow("no_trainable_tokens", f"{where}: no token left to train on{within}")
        return {"lang": row["lang"], "input_ids": input_ids, "labels": labels}, truncated

    def encode_all(self, rows: list[dict]) -> EncodedRows:
        result = EncodedRows(examples=[], total=len(rows))
        for row in rows:
            try:
                example, truncated = self.encode(row)
            except DroppedRow as drop:
                result.dropped[drop.reason] += 1
                result.dropped_examples.setdefault(drop.reason, str(drop))
                continue
            result.truncated += truncated
            result.examples.append(example)
        return result

    def _render(self, messages: list[dict], add_generation_prompt: bool = False, where: str = "row") -> tuple[list[int], list[int]]:
        """Token ids of a conversation and its loss mask (1 = trained)."""
        if not add_generation_prompt and (self.loss_on == "last_assistant" or (self.loss_on == "assistant" and self._turns)):
            return turn_mask(self.tokenizer, messages, self.chat_template, last_only=self.loss_on == "last_assistant",
                             where=where, stop_ids=self._stop_ids)
        marked = self.loss_on == "assistant" and not add_generation_prompt
        out = self.tokenizer.apply_chat_template(
            messages,
            tokenize=True,
            return_dict=True,
            add_generation_prompt=add_generation_prompt,
            return_assistant_tokens_mask=marked,
            chat_template=self.chat_template,
        )
        input_ids = list(out["input_ids"])
        return input_ids, list(out["assistant_masks"]) if marked else [1] * len(input_ids)

    @functools.cached_property
    def _turns(self) -> bool:
        """Whether the assistant's tokens are found turn by turn rather than by {% generation %} markers."""
        if self.masking is not None:
            return self.masking == "turns"
        from trl.chat_template_utils import has_generation_markers

        return not has_generation_markers(self.chat_template or self.tokenizer.chat_template or "")

    @functools.cached_property
    def _stop_ids(self) -> frozenset[int]:
        return special_ids(self.tokenizer)

    def _prompt_completion(self, prompt, completion, where: str) -> tuple[list[int], list[int]]:
        """TRL's prompt/completion rows: the loss falls on the completion only (everywhere with loss_on="all")."""
        if isinstance(prompt, list) and isinstance(completion, list):
            check_messages(prompt + completion, where)
            if not any(m["role"] == "assistant" for m in completion):
                raise DroppedRow("empty_assistant", f"{where}: the completion has no assistant turn")
            full_ids, mask = self._render(prompt + completion, where=where)
            prompt_ids, _ = self._render(prompt, add_generation_prompt=True, where=where)
        elif isinstance(prompt, str) and isinstance(completion, str):
            if not completion.strip():
                raise DroppedRow("empty_assistant", f"{where}: the completion is empty")
            text, eos = prompt + completion, self.tokenizer.eos_token or ""
            if eos and not text.endswith(eos):
                text += eos  # the model must learn where a completion stops
            full_ids = list(self.tokenizer(text)["input_ids"])
            prompt_ids = list(self.tokenizer(prompt)["input_ids"])
            mask = [1] * len(full_ids)
        else:
            raise DroppedRow("bad_content", f"{where}: `prompt` and `completion` must both be strings or both lists of turns")
        if self.loss_on == "all":
            return full_ids, [1] * len(full_ids)
        # The completion starts where the prompt alone and the whole row stop agreeing.
        start = 0
        for a, b in zip(prompt_ids, full_ids):
            if a != b:
                break
            start += 1
        return full_ids, [int(i >= start and bool(keep)) for i, keep in enumerate(mask)]
