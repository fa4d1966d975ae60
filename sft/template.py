"""Which chat template marks the assistant's tokens, and refusing one that cannot.

Training on the wrong tokens (the prompt, or every turn) is the most common SFT bug and it
hides well: the loss still falls. So a template without {% generation %} markers is refused
when the loss should fall on the assistant's tokens only, unless TRL ships a training version
of that exact template (Qwen, Llama 3, Gemma, ... families), which is then used for masking
while the checkpoint keeps its own template for inference.
"""

from __future__ import annotations

from dataclasses import dataclass


class ChatTemplateError(ValueError):
    pass


@dataclass(frozen=True)
class TemplateChoice:
    chat_template: str | None  # a template to render with instead of the tokenizer's own (None: its own)
    assistant_markers: bool  # whether rendering can mark the assistant's tokens


def choose_template(tokenizer, checkpoint: str, loss_on: str, conversational: bool, log=None) -> TemplateChoice:
    """The template to render training rows with, or a ChatTemplateError when it cannot mark the assistant."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers, is_chat_template_stop_token_trained

    template = tokenizer.chat_template
    if template is None:
        raise ChatTemplateError(f"{checkpoint}: the tokenizer has no chat template")
    if has_generation_markers(template):
        choice = TemplateChoice(None, True)
    else:
        try:
            patched = get_training_chat_template(tokenizer)
        except (ValueError, TypeError):
            patched = None
        if patched is not None and has_generation_markers(patched):
            if log:
                log(f"{checkpoint}: its chat template has no {{% generation %}} markers; rendering training rows "
                    "with TRL's training version of the same template")
            choice = TemplateChoice(patched, True)
        elif loss_on == "all" or not conversational:
            choice = TemplateChoice(None, False)
        else:
            raise ChatTemplateError(
                f"{checkpoint}: its chat template has no {{% generation %}} ... {{% endgeneration %}} markers, so the "
                "assistant's tokens cannot be told apart from the rest of the conversation, and loss_on: assistant "
                "would train on the wrong tokens. Use a checkpoint whose template marks the assistant turn (a "
                "checkpoint without any chat template gets euro-post's ChatML template, which does), or set "
                "stages.sft.loss_on: all to train on whole conversations."
            )
    if choice.assistant_markers and loss_on == "assistant" and log:
        if not is_chat_template_stop_token_trained(tokenizer, chat_template=choice.chat_template):
            log("warning: the chat template leaves the assistant's end-of-turn token out of the loss; the model may "
                "not learn to stop")
    return choice
