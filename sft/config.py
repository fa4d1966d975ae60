"""Options of the sft stage: data, which tokens carry the loss, packing, language mixing, validation.

Defaults fit the embedded world on a CPU (a small model learns the chat format and the
worked solutions in a few hundred steps); recipes for GPUs raise the batch, length and steps.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from euro_post.pipeline.config import DataSpec, TrainConfig, check_language_weights


class SFTConfig(TrainConfig):
    data: DataSpec = Field(
        default_factory=DataSpec,
        description="Conversations (`messages`) or prompt/completion rows, each with `lang`; the world by default.",
    )
    max_length: int = Field(
        512, ge=16, description="Tokens per training sequence; longer conversations are cut at the end."
    )
    loss_on: Literal["assistant", "last_assistant", "all"] = Field(
        "assistant",
        description='"assistant": loss only on what the assistant writes (its answers and their end-of-turn '
        "tokens), found by the chat template's {% generation %} markers or, without them, by rendering each "
        'conversation turn by turn; "last_assistant": only on the last answer of each conversation (for '
        "templates that re-render earlier turns, e.g. dropping their reasoning); \"all\": on every token.",
    )
    packing: bool = Field(
        True,
        description="Pack several conversations into each max_length sequence (best-fit decreasing); packed "
        "conversations never attend to each other.",
    )
    language_temperature: float = Field(
        3.0,
        gt=0,
        description="Mixing of languages in training: p(lang) ~ rows(lang) ** (1 / T); 1 keeps the data's "
        "proportions, larger values lift the languages with fewer rows.",
    )
    language_weights: dict[str, float] | None = Field(
        None,
        description="Explicit mixing weights per language code (normalised; replaces language_temperature). "
        "Languages left out are not trained on, but still validated.",
    )
    eval_rows_per_language: int = Field(
        32,
        ge=0,
        description="Rows held out of training per language to measure the validation loss (never more than a "
        "tenth of a language's rows; 0 turns validation off).",
    )
    eval_steps: int | None = Field(
        None, ge=1, description="Compute the per-language validation loss every this many steps; None: only at the end."
    )
    max_drop_fraction: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Fail when more than this share of the rows is unusable (a message without a role, an unknown "
        "role, an empty assistant turn, nothing left to train on after truncation).",
    )

    @field_validator("language_weights")
    @classmethod
    def _known_languages(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return check_language_weights(value)
