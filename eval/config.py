"""Options of the eval stage."""

from __future__ import annotations

from pydantic import Field

from euro_post.config import Config, DataSpec


class EvalConfig(Config):
    data: DataSpec = Field(default_factory=DataSpec, description="Held-out problems (`prompt`, `answer`, `lang`).")
    checkpoints: dict[str, str] = Field(
        default_factory=dict,
        description="Extra checkpoints to evaluate, label -> path or hub id, beside the run's own stages.",
    )
