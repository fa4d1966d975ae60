"""The stage contract.

Each stage package has `config.py` (its typed options) and `stage.py` with

    def run(config, ctx: StageContext) -> StageResult

The runner hands a stage its validated config and this context; the stage trains or
evaluates, saves its Hugging Face checkpoint through `ctx.save_checkpoint` (atomic), logs to
`ctx.metrics`, and returns what it produced. Skipping, resuming and `stage.json` are the
runner's job, not the stage's.
"""

from __future__ import annotations

import functools
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from euro_post.pipeline.checkpoint_io import latest_trainer_checkpoint, save_pretrained_atomic
from euro_post.pipeline.progress import MetricsWriter, say

if TYPE_CHECKING:
    from euro_post.data.world import World
    from euro_post.pipeline.recipe import Recipe


@dataclass
class StageResult:
    checkpoint: Path | None  # the HF checkpoint folder handed to the next stage (None for eval)
    tokens_processed: int = 0  # tokens the stage trained or generated on, for stage.json
    summary: dict[str, Any] = field(default_factory=dict)  # stage-specific facts for stage.json


@dataclass
class StageContext:
    name: str
    recipe: "Recipe"
    run_dir: Path
    input_checkpoint: str | None  # path or hub id to start from; None for a from-scratch stage
    checkpoints: dict[str, str] = field(default_factory=dict)  # earlier stages' checkpoints, in order
    _world: "World | None" = field(default=None, repr=False)

    @property
    def stage_dir(self) -> Path:
        return self.run_dir / self.name

    @property
    def checkpoint_dir(self) -> Path:
        return self.stage_dir / "checkpoint"

    @property
    def trainer_dir(self) -> Path:
        """Where a trainer keeps its resumable `checkpoint-<step>` folders."""
        return self.stage_dir / "trainer"

    @property
    def seed(self) -> int:
        return self.recipe.seed

    @property
    def languages(self) -> list[str]:
        return list(self.recipe.languages)

    @property
    def fused_loss(self) -> str:
        return self.recipe.fused_loss

    @functools.cached_property
    def metrics(self) -> MetricsWriter:
        return MetricsWriter(self.stage_dir / "metrics.jsonl")

    def resume_from(self) -> Path | None:
        """The newest complete trainer checkpoint of an interrupted earlier attempt, if any."""
        return latest_trainer_checkpoint(self.trainer_dir)

    def world(self) -> "World":
        """The embedded world for the recipe's settings and languages (built once, on first use)."""
        if self._world is None:
            from euro_post.data.world import World

            self._world = World(self.recipe.world, languages=self.languages)
        return self._world

    def save_checkpoint(self, model, tokenizer, extra_files: dict[str, str] | None = None) -> Path:
        return save_pretrained_atomic(model, tokenizer, self.checkpoint_dir, extra_files)

    def log(self, text: str) -> None:
        say(self.name, text)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch; make CPU kernels pick deterministic algorithms."""
    import numpy as np
    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
