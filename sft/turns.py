"""The assistant's tokens of a conversation, found by rendering it turn by turn.

Most published chat templates (ChatML variants, Llama 3.1, Mistral, Gemma, Phi-4, EuroLLM,
Salamandra, ...) carry no {% generation %} markers, so the template cannot say which tokens the
assistant wrote. Rendering can: for each assistant turn i,

    render(messages[:i], add_generation_prompt=True)    the prompt, with the assistant's turn opened
    render(messages[:i + 1])                            the same, with the turn written and closed

and the tokens the second adds to the first are the assistant's. That holds only while every
rendering is a token prefix of the next one (and of the whole conversation); templates that
re-render earlier turns (Qwen3 drops the <think> of earlier answers, Mistral moves the system
prompt into the last user turn) break it, and are refused here, naming the turn, instead of
being trained on the wrong tokens.
"""

from __future__ import annotations

from jinja2 import TemplateError


class ChatTemplateError(ValueError):
    pass


def turn_mask(tokenizer, messages: list[dict], chat_template: str | None = None, last_only: bool = False,
              where: str = "conversation", stop_ids: frozenset[int] | None = None) -> tuple[list[int], list[int]]:
    """Token ids of `messages` (as apply_chat_template renders them) and the mask of the assistant
    turns' tokens (1 = trained): every assistant turn, or the last one only with `last_only`.

    Each turn's mask covers what the assistant writes and its end-of-turn token (<|im_end|>,
    <|eot_id|>, </s>, <end_of_turn>, ...). Whitespace the template writes after that token (the
    newline between ChatML turns) is not trained: generation stops at the end-of-turn token, so
    the model never produces what follows it, and the project's own template masks it the same way.
    Raises ChatTemplateError where the renderings are not token prefixes of each other.
    """
    stop_ids = special_ids(tokenizer) if stop_ids is None else stop_ids
    turns = [i for i, message in enumerate(messages) if message.get("role") == "assistant"]
    if last_only:
        turns = turns[-1:]

    def render(upto: int, opened: bool) -> list[int]:
        try:
            out = tokenizer.apply_chat_template(messages[:upto], tokenize=True, return_dict=True,
                                                add_generation_prompt=opened, chat_template=chat_template)
        except (TemplateError, ValueError, TypeError) as err:  # including the template's own raise_exception()
            raise ChatTemplateError(f"{where}: the chat template cannot render the first {upto} turn(s): {err}") from err
        return list(out["input_ids"])

    full = render(len(messages), False)
    mask = [0] * len(full)
    earlier = None  # (the previous assistant turn, the rendering through it)
    for i in turns:
        turn = f"{where}, turn {i + 1} (assistant)"
        opened = render(i, True)
        if earlier is not None:
            _require_prefix(tokenizer, earlier[1], opened, earlier[0], "the conversation through this turn",
                            f"the prompt of turn {i + 1}", later=True)
        closed = full if i + 1 == len(messages) else render(i + 1, False)
        _require_prefix(tokenizer, opened, closed, turn, "the prompt of this turn", "the conversation through this turn", later=False)
        end = _trained_end(tokenizer, closed, len(opened), stop_ids)
        if end == len(opened):
            raise ChatTemplateError(f"{turn}: the chat template renders nothing for the assistant's answer")
        mask[len(opened):end] = [1] * (end - len(opened))
        earlier = (turn, closed)
    if earlier is not None:
        _require_prefix(tokenizer, earlier[1], full, earlier[0], "the conversation through this turn", "the whole conversation", later=True)
    return full, mask


def special_ids(tokenizer) -> frozenset[int]:
    """Ids of the tokenizer's special and added tokens: end-of-turn tokens are among them."""
    return frozenset(tokenizer.all_special_ids) | frozenset(tokenizer.get_added_vocab().values())


def _trained_end(tokenizer, closed: list[int], start: int, stop_ids: frozenset[int]) -> int:
    """Where the turn's trained tokens end: before any whitespace after its last special token."""
    end = len(closed)
    last_special = max((j for j in range(start, end) if closed[j] in stop_ids), default=None)
    if last_special is None:
        return end  # no end-of-turn token: the separator that follows the answer is what ends it
    while end > last_special + 1 and not tokenizer.decode(closed[end - 1 : end]).strip():
        end -= 1
    return end


def _require_prefix(tokenizer, shorter: list[int], longer: list[int], turn: str, short_what: str, long_what: str,
                    later: bool) -> None:
    """Raise ChatTemplateError unless `shorter` is a token prefix of `longer`; `later`: `longer` renders
    later turns (so training on the last answer alone can still work), else it closes this turn."""
    if longer[: len(shorter)] == shorter:
        return
    at = next((k for k, (a, b) in enumerate(zip(shorter, longer)) if a != b), min(len(shorter), len(longer)))
    seen = tokenizer.decode(shorter[at : at + 12])
    then = tokenizer.decode(longer[at : at + 12])
    head = f"{turn}: the chat template is not prefix-preserving: {short_what} renders {seen!r} at token {at} where {long_what} renders {then!r}"
    markers = "or give the checkpoint a chat template with {% generation %} markers"
    if later:
        raise ChatTemplateError(
            f"{head}; later turns change how this answer renders (as templates that drop earlier answers' reasoning do), "
            "so its tokens cannot be found by rendering the conversation turn by turn. Set stages.sft.loss_on: "
            f"last_assistant to train on the last answer of each conversation only, or all to train on every token; {markers}."
        )
    raise ChatTemplateError(
        f"{head}; writing the answer changes the prompt before it (as templates that put the system prompt into the "
        "last user turn only do), so the answer's tokens cannot be found by rendering the conversation turn by turn, "
        f"in this turn or the last. Set stages.sft.loss_on: all to train on every token, {markers}."
    )
