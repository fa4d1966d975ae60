"""Typed configuration pieces shared by every stage.

Every config is a pydantic model that forbids unknown keys, so a typo in a recipe fails
before any work starts. Stage configs (`<stage>/config.py`) build on `TrainConfig`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from euro_post.pipeline.trackers import check_report_to


class Config(BaseModel):
    """Base of every recipe section: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class LangSpec(Config):
    """Where a source's rows get their language when it is not one constant code: a column, the hub
    configuration name, or identification of the text. Codes are read as datasets write them
    (`de`, `de-DE`, `deu_Latn`, `German`; euro_post/data/language_codes.py)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    column: str | None = Field(None, description="The column that holds each row's language code.")
    from_: Literal["config"] | None = Field(
        None, alias="from", description='"config": the hub configuration name (`name`) is the language code.'
    )
    detect: bool = Field(False, description="Identify each row's language from its text (rewards/language_id.py).")
    min_confidence: float = Field(
        0.5, ge=0, le=1, description="detect only: the identifier's probability below which a row is dropped."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value):
        return {"detect": True} if value == "detect" else value

    @model_validator(mode="after")
    def _one_way(self):
        ways = [way for way, given in (("column", self.column), ("from", self.from_), ("detect", self.detect)) if given]
        if len(ways) != 1:
            raise ValueError("give exactly one of {column: NAME}, {from: config} or detect" +
                             (f", not {' and '.join(ways)}" if ways else ""))
        return self

    @model_serializer(mode="plain")
    def _as_written(self):
        if self.column:
            return {"column": self.column}
        if self.from_:
            return {"from": self.from_}
        return {"detect": True, "min_confidence": self.min_confidence}


class SourceSpec(Config):
    """One source of rows: the embedded world, a local file or folder, or a hub dataset."""

    path: str = Field(
        "world",
        description='"world" for the embedded 24-language world; else a local .jsonl/.json/.parquet '
        "file or folder, or a Hugging Face hub dataset id.",
    )
    name: str | None = Field(None, description="Hub dataset configuration name.")
    split: str = Field("train", description="Split to read from a hub dataset or a folder of splits.")
    revision: str | None = Field(None, description="Hub dataset revision (commit, tag or branch).")
    lang: str | LangSpec | None = Field(
        None, description="A language code for rows that carry no `lang` column; or {column: NAME}, "
        "{from: config}, or detect (see LangSpec). Rows whose language is none of the recipe's are left out."
    )
    max_rows: int | None = Field(
        None, ge=1, description="Read at most this many rows (after filtering by language), taken in turn from "
        "each language so that every language keeps its share."
    )
    weight: float | None = Field(
        None, ge=0, description="In a list of sources: this source's share of the mixture, relative to the other "
        "sources' weights (a source without weight or max_rows counts 1)."
    )
    columns: dict[str, str] | None = Field(
        None, description="Source column -> our column, e.g. {question: prompt, final: answer}."
    )
    strict: bool = Field(
        False, description="Refuse a row whose language names none of the 24 EU languages instead of leaving it out."
    )

    @field_validator("lang", mode="before")
    @classmethod
    def _known_language(cls, value):
        from euro_post.data.language_codes import to_language

        if value == "detect":
            return LangSpec(detect=True)
        if isinstance(value, str):
            code = to_language(value)
            if code is None:
                raise ValueError(f"{value!r} names none of the 24 EU languages; give a code such as de, de-DE or "
                                 "deu_Latn, or {column: NAME} to read each row's language from a column")
            return code
        return value

    @field_validator("columns")
    @classmethod
    def _distinct_targets(cls, value):
        if value is not None:
            for source, ours in value.items():
                if not source or not ours:
                    raise ValueError("column names must not be empty")
            seen = [ours for ours in value.values()]
            twice = sorted({ours for ours in seen if seen.count(ours) > 1})
            if twice:
                raise ValueError(f"two source columns are mapped to {twice[0]!r}")
        return value

    @model_validator(mode="after")
    def _fits_the_path(self):
        if self.path == "world" and (self.columns or self.lang is not None or self.strict):
            raise ValueError("the embedded world's rows need no columns, lang or strict")
        if isinstance(self.lang, LangSpec) and self.lang.from_ == "config" and not self.name:
            raise ValueError("lang: {from: config} needs the hub configuration `name`")
        if isinstance(self.lang, LangSpec) and self.lang.from_ == "config":
            from euro_post.data.language_codes import to_language

            if to_language(self.name) is None:
                raise ValueError(f"lang: {{from: config}}: the configuration name {self.name!r} names none of the 24 EU languages")
        return self


class DataSpec(SourceSpec):
    """Where a stage's rows come from: one source (a mapping), or a mixture (a list of sources).

    A list is kept in `sources`; it is written back as the list it was given, so that a recipe of
    one source hashes and resolves exactly as it did before mixtures existed."""

    sources: list[SourceSpec] | None = Field(
        None, description="A mixture: the sources, each with its own path, weight or max_rows, lang and columns."
    )

    @model_validator(mode="before")
    @classmethod
    def _list_is_a_mixture(cls, value):
        if isinstance(value, list):
            return {"path": "mixture", "sources": value}
        return value

    @model_validator(mode="after")
    def _mixture_is_sound(self):
        if self.sources is None:
            if self.weight is not None:
                raise ValueError("weight: only a source in a list of sources has a weight")
            return self
        if not self.sources:
            raise ValueError("an empty list of sources; give at least one")
        for index, source in enumerate(self.sources):
            if source.weight is not None and source.max_rows is not None:
                raise ValueError(f"sources[{index}] ({source.path}): give weight or max_rows, not both (max_rows takes "
                                 "that many rows whatever the weights; weight shares the rest)")
        weights = [source.weight for source in self.sources if source.weight is not None]
        if weights and not any(w > 0 for w in weights):
            raise ValueError("the weights of the sources sum to zero; give at least one a weight > 0")
        return self

    @model_serializer(mode="wrap")
    def _as_written(self, handler):
        if self.sources is not None:
            return [{"path": source.path, **source.model_dump(mode="json", exclude_defaults=True, by_alias=True)}
                    for source in self.sources]
        data = handler(self)
        # Only what was set beyond the original six fields: a one-source recipe hashes as before.
        for key in ("weight", "columns", "strict", "sources"):
            if data.get(key) in (None, False):
                data.pop(key, None)
        return data

    def source_list(self) -> list[SourceSpec]:
        """The sources, in order: this spec itself when it is one source."""
        return list(self.sources) if self.sources is not None else [self]

    @property
    def is_mixture(self) -> bool:
        return self.sources is not None

    @property
    def uses_world(self) -> bool:
        return any(source.path == "world" for source in self.source_list())

    @property
    def label(self) -> str:
        """The source as messages name it."""
        if self.sources is None:
            return "the embedded world" if self.path == "world" else self.path
        return "the mixture of " + ", ".join(source.path for source in self.sources)


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
