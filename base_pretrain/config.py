"""Options of the base_pretrain stage: tokenizer, model size, corpus mixing and validation.

The stage trains from scratch when `init_from` is "scratch" (a new tokenizer and a new
model of `preset` size), and continues pretraining a checkpoint otherwise. Defaults fit the
embedded world on a CPU; recipes for GPUs raise the preset, block size and steps.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from euro_post.pipeline.config import (
    DataSpec,
    LrScheduler,
    TrainConfig,
    check_language_weights,
)

# Model dimensions a recipe may set beside (or instead of) a preset's. The first group are the
# preset's own fields; the second are LlamaConfig options that keep the architecture standard.
MODEL_OVERRIDE_TYPES: dict[str, type] = {
    "hidden_size": int,
    "num_hidden_layers": int,
    "num_attention_heads": int,
    "num_key_value_heads": int,
    "intermediate_size": int,
    "max_position_embeddings": int,
    "tie_word_embeddings": bool,
    "head_dim": int,
    "rope_theta": float,
    "rms_norm_eps": float,
}


class BasePretrainConfig(TrainConfig):
    init_from: str = Field(
        "scratch",
        description='"scratch" trains a tokenizer and a new model from `preset`; a checkpoint path or hub id '
        "continues pretraining it (language adaptation) with its own tokenizer.",
    )
    # Measured on the world with cpu-small (docs/benchmarks.md): 350 steps of 8 x 256 tokens at 2e-3 with
    # warmup-stable-decay reach the validation loss that cosine needs 500 steps for.
    max_steps: int = Field(350, ge=1, description="Optimizer steps.")
    learning_rate: float = Field(2e-3, gt=0, description="Peak learning rate.")
    lr_scheduler: LrScheduler = Field(
        "warmup_stable_decay", description="Learning-rate schedule after warmup: the peak rate holds until the last decay_ratio of steps."
    )
    weight_decay: float = Field(0.1, ge=0, description="AdamW weight decay.")
    # Pretraining at a high learning rate wants the second moment to follow the gradients closely
    # (nanoGPT, Llama): 0.95 rather than 0.999.
    adam_beta2: float = Field(0.95, ge=0, lt=1, description="AdamW beta2 (second-moment decay).")

    preset: str = Field("cpu-small", description="Model size preset (euro_post.models.presets.PRESETS) for a model trained from scratch.")
    model_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Explicit model dimensions that replace the preset's, e.g. {hidden_size: 384, "
        f"num_hidden_layers: 6}}. Keys: {', '.join(MODEL_OVERRIDE_TYPES)}.",
    )
    data: DataSpec = Field(
        default_factory=DataSpec,
        description="Pretraining corpus: the world (read in memory), or streamed shards: a .jsonl/.json/.parquet file, "
        "a folder of them (the files whose names contain the split), or a hub dataset (streaming), rows with `text` and a language; or .txt files (one "
        "document per blank-line-separated paragraph; needs data.lang). See docs/data.md, Pretraining corpora.",
    )

    max_length: int = Field(256, ge=16, description="Tokens per packed training block when block_size is not given.")
    block_size: int | None = Field(
        None, ge=16, description="Tokens per packed training block (documents are concatenated, each ended by EOS); "
        "None uses max_length."
    )
    language_temperature: float = Field(
        3.0, gt=0, description="Mixing of languages in training: p(lang) ~ tokens(lang) ** (1 / T); 1 keeps the "
        "corpus proportions, larger values lift the small languages."
    )
    language_weights: dict[str, float] | None = Field(
        None,
        description="Explicit mixing weights per language code (normalised; replaces language_temperature). "
        "Languages left out are not trained on.",
    )

    vocab_size: int = Field(
        4096, ge=300, description="Tokenizer vocabulary size, special tokens included (scratch only). 4096 keeps the "
        "worst/best fertility ratio of the world's 24 languages near 1.2 while the LM head stays cheap on a CPU."
    )
    tokenizer_temperature: float = Field(
        3.0, gt=0, description="Temperature of the per-language sampling of tokenizer training text (scratch only)."
    )
    tokenizer_sample_size: int = Field(
        5000, ge=100, description="Documents drawn (with replacement, by temperature) to train the tokenizer on."
    )
    tokenizer_sample_bytes: int = Field(
        2_000_000, ge=1000, description="A streamed corpus (any data but the world): the tokenizer trains on the first "
        "documents of each language up to this many UTF-8 bytes (its draws of tokenizer_sample_size come from them)."
    )
    tokenizer_sample_rows: int | None = Field(
        None, ge=1, description="A streamed corpus: at most this many documents of each language in the tokenizer's sample."
    )
    split_digits: bool = Field(True, description="Give every digit its own token, which helps small models do arithmetic.")

    eval_steps: int = Field(50, ge=1, description="Compute the per-language validation loss every this many steps (and at the end).")
    validation_fraction: float = Field(
        0.02, ge=0, lt=0.5, description="Share of each language's documents held out for validation (at least one when a language has two or more)."
    )
    validation_blocks: int = Field(4, ge=1, description="Most held-out blocks per language scored at each validation.")

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        from euro_post.models.presets import PRESETS

        if value not in PRESETS:
            raise ValueError(f"unknown model preset {value!r}; expected one of {', '.join(PRESETS)}")
        return value

    @field_validator("model_overrides")
    @classmethod
    def _known_dims(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, given in value.items():
            if key not in MODEL_OVERRIDE_TYPES:
                raise ValueError(f"model_overrides.{key}: unknown model dimension; expected one of {', '.join(MODEL_OVERRIDE_TYPES)}")
            kind = MODEL_OVERRIDE_TYPES[key]
            if kind is bool:
                if not isinstance(given, bool):
                    raise ValueError(f"model_overrides.{key}: expected true or false, got {given!r}")
                continue
            number = (int, float) if kind is float else int
            if isinstance(given, bool) or not isinstance(given, number) or given <= 0:
                raise ValueError(f"model_overrides.{key}: expected a positive {kind.__name__}, got {given!r}")
        return value

    @field_validator("language_weights")
    @classmethod
    def _known_languages(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return check_language_weights(value)

    @model_validator(mode="after")
    def _consistent(self):
        if self.init_from == "scratch":
            if self.lora is not None:
                raise ValueError("lora: a model trained from scratch has no base to adapt; drop `lora` or set init_from to a checkpoint")
            dims = self.model_dimensions()
            heads, kv = dims["num_attention_heads"], dims["num_key_value_heads"]
            if "head_dim" not in dims and dims["hidden_size"] % heads:
                raise ValueError(f"model_overrides: hidden_size {dims['hidden_size']} is not divisible by num_attention_heads {heads}")
            if heads % kv:
                raise ValueError(f"model_overrides: num_attention_heads {heads} is not divisible by num_key_value_heads {kv}")
            if self.sequence_length > dims["max_position_embeddings"]:
                raise ValueError(
                    f"block_size {self.sequence_length} exceeds the model's max_position_embeddings "
                    f"{dims['max_position_embeddings']}; lower block_size or raise model_overrides.max_position_embeddings"
                )
        if self.lora is not None and self.lora.quantize_4bit:
            raise ValueError("lora.quantize_4bit: QLoRA is not supported for pretraining; use plain LoRA or full weights")
        return self

    @property
    def sequence_length(self) -> int:
        """Tokens per packed block: block_size, else max_length."""
        return self.block_size or self.max_length

    def model_dimensions(self) -> dict[str, Any]:
        """The preset's dimensions with `model_overrides` applied."""
        from euro_post.models.presets import PRESETS

        return {**PRESETS[self.preset].__dict__, **self.model_overrides}
