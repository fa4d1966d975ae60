"""Which chat template marks the assistant's tokens, and how; refusing one that cannot.

Training on the wrong tokens (the prompt, or every turn) is the most common SFT bug and it
hides well: the loss still falls. So the assistant's tokens are found, in this order of choice:

1. the template's own {% generation %} markers (the project's ChatML has them);
2. rendering each conversation turn by turn with the checkpoint's own template (turns.py), which
   works for any template that renders earlier turns the same whatever follows them, and keeps
   exactly what the assistant writes (never the header that opens its turn);
3. where the rows show that the template re-renders earlier turns (Qwen3 drops earlier answers'
   reasoning), TRL's training version of that exact template if TRL ships one: it renders
   earlier turns unchanged and marks the assistant, while the checkpoint keeps its own template
   for inference.

Otherwise the template is refused (ChatTemplateError, naming the row and turn), unless the
recipe asks for loss_on: last_assistant or all. `check_template` makes the choice on a few rows,
so that `euro-post validate` and the start of the sft stage refuse the same templates before any
training.
"""

from __future__ import annotations

from dataclasses import dataclass

from euro_post.sft.encode import DroppedRow, Encoder
from euro_post.sft.turns import ChatTemplateError, special_ids, turn_mask

__all__ = ["ChatTemplateError", "TemplateChoice", "check_template", "choose_template", "sample_rows"]

MARKERS, TURNS = "markers", "turns"


@dataclass(frozen=True)
class TemplateChoice:
    chat_template: str | None  # a template to render with instead of the tokenizer's own (None: its own)
    masking: str  # MARKERS ({% generation %} markers) or TURNS (rendering turn by turn)

    @property
    def assistant_markers(self) -> bool:
        return self.masking == MARKERS

    def describe(self) -> str:
        if self.masking == TURNS:
            return "the assistant's tokens found by rendering each conversation turn by turn"
        if self.chat_template is not None:
            return "the assistant's tokens marked by TRL's training version of the chat template"
        return "the assistant's tokens marked by the chat template's {% generation %} markers"


def choose_template(tokenizer, checkpoint: str, loss_on: str, conversational: bool, log=None) -> TemplateChoice:
    """Markers where the template has them, else turn by turn; a ChatTemplateError without a chat template."""
    from trl.chat_template_utils import has_generation_markers

    if tokenizer.chat_template is None:
        raise ChatTemplateError(f"{checkpoint}: the tokenizer has no chat template")
    if loss_on == "last_assistant":
        return TemplateChoice(None, TURNS)  # the last answer is found turn by turn, markers or not
    if has_generation_markers(tokenizer.chat_template):
        return TemplateChoice(None, MARKERS)
    if log and loss_on == "assistant" and conversational:
        log(f"{checkpoint}: its chat template has no {{% generation %}} markers; the assistant's tokens are found by "
            "rendering each conversation turn by turn")
    return TemplateChoice(None, TURNS)


def check_template(tokenizer, checkpoint: str, loss_on: str, rows: list[dict], log=None) -> TemplateChoice:
    """choose_template, then the masking run on a sample of `rows` (sample_rows): TRL's training
    version where turn by turn fails and TRL ships one, else a ChatTemplateError naming the
    checkpoint, row and turn where the template cannot mark what the stage trains."""
    conversational = any("messages" in row or isinstance(row.get("prompt"), list) for row in rows)
    choice = choose_template(tokenizer, checkpoint, loss_on, conversational, log)
    if loss_on == "all" or not conversational:
        return choice
    sample = sample_rows(rows)
    try:
        _encode(tokenizer, loss_on, choice, sample)
    except ChatTemplateError as err:
        patched = _training_version(tokenizer) if choice.masking == TURNS and loss_on == "assistant" else None
        if patched is None:
            raise ChatTemplateError(f"{checkpoint}: {err}") from None
        if log:
            where = str(err).split(": the chat template")[0]
            log(f"{checkpoint}: its chat template re-renders earlier turns ({where}); rendering training rows with "
                "TRL's training version of the same template, which keeps them as they were")
        choice = TemplateChoice(patched, MARKERS)
        _encode(tokenizer, loss_on, choice, sample)
    if log and loss_on == "assistant" and not _stop_token_trained(tokenizer, choice):
        log("warning: the chat template leaves the assistant's end-of-turn token out of the loss; the model may "
            "not learn to stop")
    return choice


def sample_rows(rows: list[dict], first: int = 8) -> list[dict]:
    """The first `first` rows, and the first row with a system turn and the first with several
    assistant turns (where templates that re-render earlier turns show it), if not among them."""
    picked = list(rows[:first])

    def turns(row: dict) -> list:
        messages = row.get("messages") or []
        if isinstance(row.get("prompt"), list) and isinstance(row.get("completion"), list):
            messages = row["prompt"] + row["completion"]
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    for wanted in (lambda ms: any(m.get("role") == "system" for m in ms),
                   lambda ms: sum(m.get("role") == "assistant" for m in ms) > 1):
        if not any(wanted(turns(row)) for row in picked):
            picked += [row for row in rows[first:] if wanted(turns(row))][:1]
    return picked


def _encode(tokenizer, loss_on: str, choice: TemplateChoice, rows: list[dict]) -> None:
    encoder = Encoder(tokenizer, 1 << 30, loss_on, choice.chat_template, choice.masking)
    for row in rows:
        try:
            encoder.encode(row)
        except DroppedRow:
            continue  # a data problem, counted when the stage encodes every row


def _training_version(tokenizer) -> str | None:
    """TRL's training version of the tokenizer's exact template, with {% generation %} markers, if TRL ships one."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    try:
        patched = get_training_chat_template(tokenizer)
    except (ValueError, TypeError):
        return None
    return patched if patched is not None and has_generation_markers(patched) else None


def _stop_token_trained(tokenizer, choice: TemplateChoice) -> bool:
    """Whether an answer followed by another turn has its end-of-turn token (one of the tokenizer's
    special or added tokens) as the last trained token."""
    if choice.masking == MARKERS:
        from trl.chat_template_utils import is_chat_template_stop_token_trained

        return is_chat_template_stop_token_trained(tokenizer, chat_template=choice.chat_template)
    probe = [{"role": "user", "content": "2 + 3"}, {"role": "assistant", "content": "5"}, {"role": "user", "content": "4 + 4"}]
    try:
        ids, mask = turn_mask(tokenizer, probe)
    except ChatTemplateError:
        return True  # the rows themselves say what is wrong
    trained = [token for token, keep in zip(ids, mask) if keep]
    return bool(trained) and trained[-1] in special_ids(tokenizer)
