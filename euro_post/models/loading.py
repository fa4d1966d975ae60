"""Loading any causal LM checkpoint and its tokenizer, ready to train or generate: a local folder or a hub id.

`load_policy` is the one way every stage and the evaluation load a model:

- the tokenizer can chat: a pad token, the project's ChatML template where the checkpoint has
  none, and (with that template) <|im_end|> as its EOS, where every turn ends;
- the embeddings cover the tokenizer (resized once, said in the log) and the model's config
  and generation config carry the tokenizer's pad and EOS ids;
- training: full fine-tuning keeps fp32 master weights (bf16 runs under autocast); a frozen
  LoRA base sits in the training precision; QLoRA loads it in 4 bits on the GPU, prepared for
  k-bit training; the LoRA config comes with the model;
- a checkpoint that cannot be loaded as given is a one-line `ModelLoadError` naming it
  (euro_post/models/model_folder.py); custom code and pickle weights only when the stage allows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from euro_post.models.chat_template import CHAT_TEMPLATE, EOS, PAD, SPECIAL_TOKENS
from euro_post.models.model_folder import ModelLoadError, check_model_source, custom_code_error

__all__ = ["ModelLoadError", "Policy", "load_model", "load_policy", "load_tokenizer", "policy_options", "resize_embeddings", "train_dtype"]


def train_dtype(precision: str) -> torch.dtype:
    """Weights dtype for a precision setting: bf16 on a GPU that has it when "auto"."""
    if precision == "bf16" or (precision == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float32


@dataclass
class Policy:
    """A loaded checkpoint: the model, its tokenizer, and how it trains."""

    model: Any
    tokenizer: Any
    peft_config: Any = None  # a peft LoraConfig for the trainer; None for full fine-tuning and generation
    quantized: bool = False  # QLoRA: the base is in 4 bits
    added_tokens: int = 0  # embedding rows added for the tokenizer's extra tokens


def load_policy(
    checkpoint: str,
    precision: str = "auto",
    *,
    lora=None,
    for_training: bool = True,
    log: Callable[[str], None] | None = None,
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    tokenizer=None,
    fp32_master_weights: bool = True,
    eos_at_turn_end: bool = True,
    gradient_checkpointing: bool = False,
) -> Policy:
    """Model and tokenizer of `checkpoint`, ready to train (`for_training`) or to generate.

    `lora` is the stage's LoraSpec (None: full fine-tuning). `tokenizer`: one already loaded with
    `load_tokenizer` (a stage that reads its data before the weights). `fp32_master_weights=False`
    keeps a fully trained model in `precision` (GRPO trains its policy in bf16 on a GPU).
    `eos_at_turn_end=False` keeps the checkpoint's own EOS (pretraining separates documents with it).
    """
    from euro_post.training.trainer_setup import lora_config, quantization_config

    quantization = quantization_config(lora) if for_training else None  # refuses QLoRA where it cannot run
    if tokenizer is None:
        tokenizer = load_tokenizer(checkpoint, log, trust_remote_code=trust_remote_code, eos_at_turn_end=eos_at_turn_end)
    kwargs = {}
    if quantization is not None:
        kwargs = {"quantization_config": quantization, "device_map": {"": torch.cuda.current_device()}}
    fp32 = for_training and lora is None and fp32_master_weights
    model = load_model(checkpoint, "fp32" if fp32 else precision, trust_remote_code=trust_remote_code,
                       allow_pickle=allow_pickle, **kwargs)
    rows = model.get_input_embeddings().num_embeddings
    added = max(len(tokenizer) - rows, 0)
    if added:
        resize_embeddings(model, len(tokenizer))
        if log:
            log(f"resized the embeddings from {rows} to {len(tokenizer)} rows for the chat template's special tokens")
    set_special_ids(model, tokenizer)

    peft_config = lora_config(lora) if for_training else None
    if peft_config is not None and added and log:
        # peft's trainable-token wrapper would hide the LM head's weight from the fused losses: rows stay frozen.
        log(f"LoRA keeps the {added} new token embeddings at their initial values (the mean of the others); "
            "full fine-tuning trains them")
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    return Policy(model, tokenizer, peft_config, quantization is not None, added)


def policy_options(cfg) -> dict:
    """`load_policy`'s options from a stage's config (a TrainConfig, or the eval config)."""
    return {
        "precision": cfg.precision,
        "lora": getattr(cfg, "lora", None),
        "trust_remote_code": cfg.trust_remote_code,
        "allow_pickle": cfg.allow_pickle_weights,
        "gradient_checkpointing": getattr(cfg, "gradient_checkpointing", False),
    }


def load_model(checkpoint: str, precision: str = "auto", *, trust_remote_code: bool = False,
               allow_pickle: bool = False, **kwargs):
    """The causal LM of a checkpoint, as saved (no resizing): a local folder, checked first, or a hub id."""
    from transformers import AutoModelForCausalLM

    check_model_source(checkpoint, trust_remote_code=trust_remote_code, allow_pickle=allow_pickle)
    return _from_pretrained(
        AutoModelForCausalLM, checkpoint, "the model", trust_remote_code,
        dtype=train_dtype(precision),
        use_safetensors=None if allow_pickle else True,  # None: safetensors first, pickle only where allowed
        **kwargs,
    )


def load_tokenizer(checkpoint: str, log=None, *, trust_remote_code: bool = False, eos_at_turn_end: bool = True):
    """Load a tokenizer and make sure it can chat: a pad token and a chat template.

    A base checkpoint without a chat template gets the project's template (said in the log).
    With that template its EOS becomes <|im_end|>, where every turn ends and generation must stop
    (unless `eos_at_turn_end` is False).
    """
    from transformers import AutoTokenizer

    check_model_source(checkpoint, trust_remote_code=trust_remote_code, weights=False)
    tokenizer = _from_pretrained(AutoTokenizer, checkpoint, "the tokenizer", trust_remote_code)
    if tokenizer.chat_template is None:
        missing = [t for t in SPECIAL_TOKENS if t not in tokenizer.get_vocab()]
        if missing:
            tokenizer.add_special_tokens({"additional_special_tokens": missing})
        tokenizer.chat_template = CHAT_TEMPLATE
        if log:
            log(f"{checkpoint} has no chat template: using euro-post's ChatML template")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = PAD if PAD in tokenizer.get_vocab() else tokenizer.eos_token
    if eos_at_turn_end and tokenizer.chat_template == CHAT_TEMPLATE and tokenizer.eos_token != EOS:
        tokenizer.eos_token = EOS
    return tokenizer


def resize_embeddings(model, rows: int) -> None:
    """Give the model `rows` embedding rows (new ones start at the mean of the others)."""
    if model.get_input_embeddings().num_embeddings != rows:
        model.resize_token_embeddings(rows)


def set_special_ids(model, tokenizer) -> None:
    """The tokenizer's pad and EOS ids into the model's config and generation config: the chat
    template ends turns with the tokenizer's EOS, so generation must stop there and pad with its pad."""
    model.config.pad_token_id = model.generation_config.pad_token_id = tokenizer.pad_token_id
    eos = model.generation_config.eos_token_id
    eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    if tokenizer.eos_token_id not in eos:
        model.generation_config.eos_token_id = [tokenizer.eos_token_id, *eos]
        model.config.eos_token_id = tokenizer.eos_token_id


def _from_pretrained(auto_class, checkpoint: str, what: str, trust_remote_code: bool, **kwargs):
    """`auto_class.from_pretrained` with `trust_remote_code` always explicit (never a question on the
    terminal), its loading errors as one ModelLoadError naming the checkpoint."""
    from safetensors import SafetensorError

    try:
        return auto_class.from_pretrained(checkpoint, trust_remote_code=trust_remote_code, **kwargs)
    except (OSError, ValueError, SafetensorError) as err:
        message = " ".join(str(err).split())
        if not trust_remote_code and "trust_remote_code" in message:
            raise custom_code_error(checkpoint) from err
        raise ModelLoadError(f"{checkpoint}: cannot load {what}: {message}") from err
