"""Options of the base_pretrain stage."""

from __future__ import annotations

from pydantic import Field

from euro_post.config import DataSpec, TrainConfig


class BasePretrainConfig(TrainConfig):
    init_from: str = Field(
        "scratch",
        description='"scratch" trains a tokenizer and a new model from `preset`; a checkpoint path or hub id '
        "continues pretraining it (language adaptation).",
    )
    preset: str = Field("tiny", description="Model size preset for a model trained from scratch.")
    data: DataSpec = Field(default_factory=DataSpec, description="Pretraining corpus (rows with `text` and `lang`).")
