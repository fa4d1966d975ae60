"""Loading any causal LM checkpoint and its tokenizer: a local folder or a hub id."""

from __future__ import annotations

import torch

from euro_post.models.chat_template import CHAT_TEMPLATE, PAD, SPECIAL_TOKENS


def train_dtype(precision: str) -> torch.dtype:
    """Weights dtype for a precision setting: bf16 on a GPU that has it when "auto"."""
    if precision == "bf16" or (precision == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float32


def load_model(checkpoint: str, precision: str = "auto", **kwargs):
    """Load any causal LM checkpoint: a local folder or a hub id (hub ids download only outside tests)."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(checkpoint, dtype=train_dtype(precision), **kwargs)


def load_tokenizer(checkpoint: str, log=None):
    """Load a tokenizer and make sure it can chat: a pad token and a chat template.

    A base checkpoint without a chat template gets the project's template (said in the log).
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    if tokenizer.chat_template is None:
        missing = [t for t in SPECIAL_TOKENS if t not in tokenizer.get_vocab()]
        if missing:
            tokenizer.add_special_tokens({"additional_special_tokens": missing})
        tokenizer.chat_template = CHAT_TEMPLATE
        if log:
            log(f"{checkpoint} has no chat template: using euro-post's ChatML template")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = PAD if PAD in tokenizer.get_vocab() else tokenizer.eos_token
    return tokenizer
