"""The pipeline's stages, in pipeline order: the one table the recipe, the runner and the data
checks read.

Each stage names its config class (the recipe's `stages.<name>` section), the function that
runs it and, where it has one, its own check of one row of its data file. Functions are
"module:function" strings imported on first use, so that reading a recipe imports no torch or
TRL. A recipe may leave any stage out; the rest run in this order.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from euro_post.base_pretrain.config import BasePretrainConfig
from euro_post.eval.config import EvalConfig
from euro_post.pipeline.config import Config
from euro_post.preference.config import PreferenceConfig
from euro_post.rl.config import RLConfig
from euro_post.sft.config import SFTConfig


@dataclass(frozen=True)
class Stage:
    name: str
    config: type[Config]
    description: str  # of the recipe's `stages.<name>` section
    run: str  # "module:function", run(config, ctx) -> StageResult
    row_check: str | None = None  # "module:function", (row) -> drop reason or None; raises DataError on a malformed row
    trains: bool = True  # trains a model and hands its checkpoint to the next stage

    def run_function(self) -> Callable:
        return resolve(self.run)

    def row_check_function(self) -> Callable | None:
        return resolve(self.row_check) if self.row_check else None


STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage("base_pretrain", BasePretrainConfig, "Tokenizer + pretraining, or continued pretraining.",
              "euro_post.base_pretrain.stage:run"),
        Stage("sft", SFTConfig, "Supervised fine-tuning on conversations.", "euro_post.sft.stage:run"),
        Stage("preference", PreferenceConfig, "On-policy or offline pairs, then DPO-family training.",
              "euro_post.preference.stage:run", row_check="euro_post.preference.offline:check_pair_row"),
        Stage("rl", RLConfig, "GRPO-family reasoning RL with verifiable rewards.", "euro_post.rl.stage:run"),
        Stage("eval", EvalConfig, "Per-language evaluation of every stage's checkpoint and the report.",
              "euro_post.eval.stage:run", trains=False),
    )
}
STAGE_ORDER = tuple(STAGES)
TRAINING_STAGES = tuple(name for name, stage in STAGES.items() if stage.trains)


def resolve(target: str) -> Callable:
    """The function a "module:function" string names, its module imported now."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
