"""Options of the preference stage."""

from __future__ import annotations

from pydantic import Field

from euro_post.config import DataSpec, TrainConfig


class PreferenceConfig(TrainConfig):
    data: DataSpec = Field(default_factory=DataSpec, description="Prompts for on-policy pairs, or prompt/chosen/rejected rows.")
