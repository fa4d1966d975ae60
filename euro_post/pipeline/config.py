"""Typed configuration pieces shared by every stage.

Every config is a pydantic model that forbids unknown keys, so a typo in a recipe fails
before any work starts. Stage configs (`<stage>/config.py`) build on `TrainConfig`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from euro_post.pipeline.trackers import check_report_to


class Config(BaseModel):
    """Base of every recipe section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class DataSpec(Config):
    """Where a stage's rows come from."""

    path: str = Field(
        "world",
        description='"world" for the embedded 24-language world; else a local .jsonl/.json/.parquet '
        "file or folder, or a Hugging Face hub dataset id.",
    )
    name: str | None = Field(None, description="Hub dataset configuration name.")
    split: str = Field("train", description="Split to read from a hub dataset or a folder of splits.")
    revision: str | None = Field(None, description="Hub dataset revision (commit, tag or branch).")
    lang: str | None = Field(
        None, description="Language code to give rows that carry no `lang` column (all rows must have one)."
    )
    max_rows: int | None = Field(
        None, ge=1, description="Read at most this many rows (after filtering by language), taken in turn from "
        "each language so that every language keeps its share."
    )


class LoraSpec(Config):
    """Low-rank adapters through peft. The stage hands on a merged checkpoint and keeps the adapter."""

    r: int = Field(16, ge=1, description="Adapter rank.")
    alpha: int = Field(32, ge=1, description="Scaling numerator: the update is scaled by alpha / r.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout on the adapter input.")
    target_modules: str | list[str] = Field(
        "all-linear", description='Module names to adapt, or "all-linear" for every linear layer but the head.'
    )
    quantize_4bit: bool = Field(
        False, description="QLoRA: load the frozen base in 4-bit NF4 through bitsandbytes (CUDA only)."
    )


# What a stage (or the eval) may run from a checkpoint it loads (euro_post/models/model_folder.py).
TRUST_REMOTE_CODE = (
    "Run the Python code a checkpoint ships (`auto_map` in its config.json); only for checkpoints whose code you have read."
)
ALLOW_PICKLE_WEIGHTS = (
    "Load pickle weights (pytorch_model.bin), which run code when loaded; safetensors is the supported format."
)

LrScheduler = Literal["cosine", "linear", "constant", "warmup_stable_decay"]
Precision = Literal["auto", "fp32", "bf16"]


class TrainConfig(Config):
    """Options every training stage shares. Defaults suit small models on a CPU; recipes for GPUs raise them."""

    init_from: str = Field(
        "previous",
        description='"previous" starts from the checkpoint of the stage before; else a local checkpoint '
        "path or a hub model id.",
    )
    max_steps: int = Field(100, ge=1, description="Optimizer steps.")
    learning_rate: float = Field(1e-4, gt=0, description="Peak learning rate.")
    lr_scheduler: LrScheduler = Field("cosine", description="Learning-rate schedule after warmup.")
    warmup_ratio: float = Field(0.05, ge=0, le=1, description="Fraction of max_steps spent warming up.")
    decay_ratio: float = Field(
        0.2, ge=0, le=1, description="warmup_stable_decay only: fraction of max_steps spent decaying."
    )
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    adam_beta1: float = Field(0.9, ge=0, lt=1, description="AdamW beta1 (momentum).")
    adam_beta2: float = Field(0.999, ge=0, lt=1, description="AdamW beta2 (second-moment decay).")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm.")
    per_device_batch_size: int = Field(8, ge=1, description="Sequences per device per micro-batch.")
    gradient_accumulation_steps: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    max_length: int = Field(512, ge=16, description="Maximum tokens per training sequence.")
    logging_steps: int = Field(5, ge=1, description="Log metrics every this many optimizer steps.")
    save_steps: int = Field(50, ge=1, description="Write a resumable trainer checkpoint every this many steps.")
    save_total_limit: int = Field(2, ge=1, description="Keep at most this many trainer checkpoints.")
    precision: Precision = Field("auto", description='"auto": bf16 on a GPU that supports it, fp32 elsewhere.')
    gradient_checkpointing: bool = Field(False, description="Recompute activations in backward to save memory.")
    lora: LoraSpec | None = Field(None, description="Train low-rank adapters instead of all weights.")
    trust_remote_code: bool = Field(False, description=TRUST_REMOTE_CODE)
    allow_pickle_weights: bool = Field(False, description=ALLOW_PICKLE_WEIGHTS)
    report_to: list[str] | None = Field(
        None,
        description="Experiment trackers for this stage's metrics, overriding the recipe's report_to "
        "([] sends this stage to none); default: the recipe's.",
    )

    @field_validator("report_to", mode="before")
    @classmethod
    def _known_trackers(cls, value):
        return check_report_to(value)

    @model_validator(mode="after")
    def _warmup_fits(self):
        if self.lr_scheduler == "warmup_stable_decay" and self.warmup_ratio + self.decay_ratio > 1:
            raise ValueError(
                f"warmup_ratio + decay_ratio must be <= 1, got {self.warmup_ratio} + {self.decay_ratio}"
            )
        return self


def check_language_weights(value: dict[str, float] | None) -> dict[str, float] | None:
    """Explicit per-language mixing weights: known codes, non-negative, not all zero."""
    from euro_post.data.languages import LANGUAGES

    if value is None:
        return None
    for lang, weight in value.items():
        if lang not in LANGUAGES:
            raise ValueError(f"language_weights.{lang}: not one of the 24 EU language codes")
        if weight < 0:
            raise ValueError(f"language_weights.{lang}: weights must be >= 0, got {weight}")
    if not any(w > 0 for w in value.values()):
        raise ValueError("language_weights: at least one weight must be > 0")
    return value
