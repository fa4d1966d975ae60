"""Rows to training examples: render with the chat template, mark the tokens that carry the loss.

An example is `{"lang", "input_ids", "labels"}` with `labels` = -100 wherever no loss is taken.
With `loss_on="assistant"` the loss falls exactly on what the assistant writes, as the chat
template's {% generation %} markers delimit it: for the project's ChatML that is the answer and
its `<|im_end|>`, never the `<|im_start|>assistant\\n` header or any other turn.

Rows that cannot be trained on are dropped and counted by reason, so that a stage can report
them and refuse data that is mostly broken.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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
    {% generation %} markers of a known family's template) and builds their labels."""

    tokenizer: object
    max_length: int
    loss_on: str = "assistant"
    chat_template: str | None = None
    assistant_markers: bool = True  # whether the template can mark the assistant's tokens

    def encode(self, row: dict) -> tuple[dict, bool]:
        """One row -> ({"lang","input_ids","labels"}, truncated). Raises DroppedRow for an unusable row."""
        where = f"row {row.get('id', '?')}"
        if "messages" in row:
            check_messages(row["messages"], where)
            if self.loss_on == "assistant" and not self.assistant_markers:
                raise ValueError("loss_on='assistant' on conversations needs a chat template with {% generation %} markers")
            input_ids, mask = self._render(row["messages"])
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

    def _render(self, messages: list[dict], add_generation_prompt: bool = False) -> tuple[list[int], list[int]]:
        """Token ids of a conversation and its loss mask (1 = trained)."""
        marked = self.loss_on == "assistant" and self.assistant_markers and not add_generation_prompt
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

    def _prompt_completion(self, prompt, completion, where: str) -> tuple[list[int], list[int]]:
        """TRL's prompt/completion rows: the loss falls on the completion only (everywhere with loss_on="all")."""
        if isinstance(prompt, list) and isinstance(completion, list):
            check_messages(prompt + completion, where)
            if not any(m["role"] == "assistant" for m in completion):
                raise DroppedRow("empty_assistant", f"{where}: the completion has no assistant turn")
            full_ids, mask = self._render(prompt + completion)
            prompt_ids, _ = self._render(prompt, add_generation_prompt=True)
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
