"""Options of the sft stage."""

from __future__ import annotations

from pydantic import Field

from euro_post.config import DataSpec, TrainConfig


class SFTConfig(TrainConfig):
    data: DataSpec = Field(default_factory=DataSpec, description="Conversations (`messages`) or prompt/completion rows.")
