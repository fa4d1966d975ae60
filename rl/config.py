"""Options of the rl stage."""

from __future__ import annotations

from pydantic import Field

from euro_post.config import DataSpec, TrainConfig


class RLConfig(TrainConfig):
    data: DataSpec = Field(default_factory=DataSpec, description="Prompts with the columns the rewards need.")
    num_generations: int = Field(8, ge=2, description="Completions sampled per prompt (the GRPO group size).")
