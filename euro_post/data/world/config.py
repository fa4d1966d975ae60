"""Settings of the embedded world: how hard the problems are and how many each split holds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from euro_post.data.languages import LANGUAGE_CODES


class WorldConfig(BaseModel):
    """Difficulty knobs and split sizes of the arithmetic word-problem world.

    The same config (and languages) always gives the same rows; changing `seed` changes them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(0, description="Seed of every random choice; same seed, same rows.")
    min_operations: int = Field(2, ge=2, le=4, description="Fewest arithmetic steps in a problem (2..4).")
    max_operations: int = Field(4, ge=2, le=4, description="Most arithmetic steps in a problem (2..4).")
    max_operand: int = Field(
        100, ge=5, le=100_000,
        description="Largest opening quantity, amount per group and amount added or taken away (whole units).",
    )
    max_multiplier: int = Field(
        12, ge=2, le=1000,
        description="Largest count of groups (boxes, hours, stages) and largest divisor when sharing.",
    )
    decimals: float = Field(
        0.25, ge=0.0, le=1.0,
        description="Fraction of problems whose money or distances have decimals (e.g. 12,50 €, 7,5 km).",
    )
    percentages: float = Field(0.2, ge=0.0, le=1.0, description="Fraction of problems with a percentage step.")
    division: float = Field(
        0.2, ge=0.0, le=1.0,
        description="Fraction of the problems without a percentage step that end by sharing equally (a division).",
    )
    eval_bucket_fraction: float = Field(
        0.0625, gt=0.0, lt=0.5,
        description="Share of the problem space (by hash of the language-independent key) reserved for eval; "
        "training splits never draw from it.",
    )
    eval_same_across_languages: bool = Field(
        True,
        description="Draw the eval problems (numbers and story) once for all languages, so per-language "
        "scores compare the same problems; training splits always draw per language.",
    )
    sft_answer_only: float | dict[str, float] = Field(
        0.0,
        description="Share of SFT conversations whose assistant turn is the final answer line alone, as "
        "in instruction data that gives bare answers: one share for every language, or a share per "
        "language ({ga: 0.8, mt: 0.8}; a language not named gets 0), as when some languages' data came "
        "from an answer-only source. The SFT model then imitates both styles, and the preference and RL "
        "stages have a choice to learn: working a problem out step by step pays.",
    )
    sft_english_replies: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Share of SFT replies to non-English questions written in English (the same solution), "
        "as in instruction data translated on the question side only. The SFT model then drifts into "
        "English on some prompts, and the language reward of the later stages has drift to correct.",
    )
    pretrain_documents_per_language: int = Field(2000, ge=0, description="Pretraining documents per language.")
    sft_per_language: int = Field(1000, ge=0, description="SFT conversations per language.")
    rl_per_language: int = Field(500, ge=0, description="RL prompts (with gold answers) per language.")
    eval_per_language: int = Field(100, ge=0, description="Held-out eval problems per language.")

    def answer_only_share(self, lang: str) -> float:
        """The `sft_answer_only` share of language `lang`."""
        if isinstance(self.sft_answer_only, dict):
            return self.sft_answer_only.get(lang, 0.0)
        return self.sft_answer_only

    @model_validator(mode="after")
    def _check_ranges(self) -> "WorldConfig":
        shares = self.sft_answer_only if isinstance(self.sft_answer_only, dict) else {"": self.sft_answer_only}
        for lang, share in shares.items():
            where = f"sft_answer_only.{lang}" if lang else "sft_answer_only"
            if lang and lang not in LANGUAGE_CODES:
                raise ValueError(f"{where}: unknown language {lang!r}; expected one of {', '.join(LANGUAGE_CODES)}")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{where} is {share}; expected a share from 0 to 1")
        if self.min_operations > self.max_operations:
            raise ValueError(
                f"min_operations ({self.min_operations}) must be <= max_operations ({self.max_operations})"
            )
        return self
