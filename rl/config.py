"""Options of the rl stage: GRPO and its variants (Dr. GRPO, DAPO, GSPO) on TRL's GRPOTrainer."""

from __future__ import annotations

from typing import Literal

from euro_post.rewards import RewardSpec
from pydantic import Field, model_validator

from euro_post.pipeline.config import DataSpec, TrainConfig


def _default_rewards() -> list[RewardSpec]:
    return [
        RewardSpec(name="math_accuracy", weight=1.0),
        RewardSpec(name="format", weight=0.2),
        RewardSpec(name="language_consistency", weight=0.2),
    ]


class RLConfig(TrainConfig):
    """`per_device_batch_size` counts completions, not prompts: each optimizer step sees
    per_device_batch_size x gradient_accumulation_steps completions, num_generations per prompt."""

    learning_rate: float = Field(1e-5, gt=0, description="Peak learning rate.")
    lr_scheduler: Literal["cosine", "linear", "constant", "warmup_stable_decay"] = Field(
        "constant", description="Learning-rate schedule after warmup."
    )
    warmup_ratio: float = Field(0.0, ge=0, le=1, description="Fraction of max_steps spent warming up.")
    data: DataSpec = Field(default_factory=DataSpec, description="Prompts with the columns the rewards need. A row whose `answer` (where math_accuracy scores) is "
        "missing, null, empty or not a finite number is refused, not dropped: the run stops before training, naming its line.")
    rewards: list[RewardSpec] = Field(
        default_factory=_default_rewards, min_length=1, description="Reward functions and their weights."
    )
    num_generations: int = Field(8, ge=2, description="Completions sampled per prompt (the GRPO group size).")
    max_completion_length: int = Field(256, ge=1, description="Most tokens a completion may have.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of the rollouts.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling of the rollouts.")
    beta: float = Field(
        0.0, ge=0, description="KL coefficient against the reference model; 0 loads no reference model at all."
    )
    epsilon: float = Field(0.2, gt=0, description="Lower clipping range of the importance ratio.")
    epsilon_high: float | None = Field(
        None, gt=0, description='Upper clipping range ("clip-higher", DAPO uses 0.28); default: epsilon.'
    )
    loss_type: Literal["grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo"] = Field(
        "dapo",
        description="Loss aggregation: grpo (per-sequence mean), dr_grpo (global constant), dapo (per-token over "
        "the batch), bnpo, cispo, sapo, luspo. GSPO is importance_sampling_level=sequence.",
    )
    importance_sampling_level: Literal["token", "sequence"] = Field(
        "token", description='"sequence" gives GSPO\'s sequence-level importance ratios.'
    )
    scale_rewards: Literal["group", "batch", "none"] = Field(
        "group", description='Advantage scaling; Dr. GRPO recommends "none".'
    )
    zero_variance_groups: Literal["keep", "filter"] = Field(
        "filter",
        description='"filter" drops completions with zero advantage (groups whose rewards are all equal) from the '
        "loss and its token count, so they do not dilute the update; \"keep\" leaves them in (zero gradient, "
        "but counted in the normaliser).",
    )
    mask_truncated_completions: bool = Field(
        False, description="Leave completions cut at max_completion_length out of the loss (DAPO)."
    )
    num_iterations: int = Field(1, ge=1, description="Optimisation passes over each generated batch (mu).")
    use_vllm: bool = Field(False, description="Generate with vLLM colocated on the GPU (needs vllm installed).")
    vllm_gpu_memory_utilization: float = Field(0.3, gt=0, le=1, description="vLLM's share of GPU memory.")

    @model_validator(mode="after")
    def _groups_fit_the_batch(self):
        completions = self.per_device_batch_size * self.gradient_accumulation_steps
        if completions % self.num_generations:
            raise ValueError(
                f"per_device_batch_size x gradient_accumulation_steps ({completions} completions per step) must be "
                f"a multiple of num_generations ({self.num_generations})"
            )
        if self.loss_type == "luspo" and self.importance_sampling_level != "sequence":
            raise ValueError('loss_type "luspo" needs importance_sampling_level: sequence')
        return self
