"""Options of the preference stage: where the pairs come from, and how they are optimised.

    pairs: on_policy   sample `samples_per_prompt` completions per prompt from the input
                       checkpoint, score them with `rewards`, pair the best with the worst
    pairs: offline     read prompt/chosen/rejected rows from `data.path`

    algorithm: dpo     TRL's DPOTrainer (any of its `loss_type`s, a reference model or
                       precomputed reference log-probs, full or LoRA)
    algorithm: simpo   reference-free SimPO through TRL's CPOTrainer (cpo_alpha = 0)
"""

from __future__ import annotations

from typing import Literal

from euro_post.rewards import RewardSpec
from pydantic import Field, field_validator, model_validator

from euro_post.pipeline.config import DataSpec, TrainConfig

# The loss types of TRL 1.16's DPOTrainer (trl/trainer/dpo_config.py); tests/test_preference.py
# checks this list against the installed TRL, so a TRL upgrade that changes it is noticed.
DPO_LOSS_TYPES = (
    "sigmoid",
    "hinge",
    "ipo",
    "exo_pair",
    "nca_pair",
    "robust",
    "bco_pair",
    "sppo_hard",
    "aot",
    "aot_unpaired",
    "apo_zero",
    "apo_down",
    "discopop",
    "sft",
    "sigmoid_norm",
)
DEFAULT_BETA = {"dpo": 0.1, "simpo": 2.0}


def _default_rewards() -> list[RewardSpec]:
    return [
        RewardSpec(name="math_accuracy", weight=1.0),
        RewardSpec(name="format", weight=0.2),
        RewardSpec(name="language_consistency", weight=0.5),
    ]


class PreferenceConfig(TrainConfig):
    """`per_device_batch_size` counts pairs: each micro-batch holds that many chosen and as many rejected sequences."""

    learning_rate: float = Field(1e-6, gt=0, description="Peak learning rate (DPO wants a small one).")
    warmup_ratio: float = Field(0.1, ge=0, le=1, description="Fraction of max_steps spent warming up.")
    lr_scheduler: Literal["cosine", "linear", "constant", "warmup_stable_decay"] = Field(
        "linear", description="Learning-rate schedule after warmup."
    )
    data: DataSpec = Field(
        default_factory=DataSpec,
        description="on_policy: prompts with the columns the rewards need (the world's rl split by default; a row "
        "whose `answer` math_accuracy scores is missing, null, empty or not finite stops the run before training); "
        "offline: a file of prompt/chosen/rejected rows, each with `lang`.",
    )
    pairs: Literal["on_policy", "offline"] = Field(
        "on_policy",
        description='"on_policy": pairs from the input checkpoint\'s own samples, ranked by `rewards`; '
        '"offline": prompt/chosen/rejected rows from data.path.',
    )

    # On-policy pair building.
    rewards: list[RewardSpec] = Field(
        default_factory=_default_rewards,
        min_length=1,
        description="Rewards that rank the samples of a prompt; a sample's score is their weighted sum (see "
        "`unjudged` for a reward that cannot judge a sample). language_consistency makes a correct answer in "
        "the wrong language lose to one in the prompt's language.",
    )
    unjudged: Literal["no_credit", "skip"] = Field(
        "no_credit",
        description='A reward that cannot judge a sample (None: too few letters to identify the language, a '
        'failed verification). "no_credit": it adds nothing to that sample\'s score, as GRPO sums rewards, so '
        'a bare answer line loses to the same answer worked out; "skip": the sample leaves its group. A sample '
        "no weighted reward can judge, and a group with fewer than two scorable samples, are `unscorable`.",
    )
    samples_per_prompt: int = Field(4, ge=2, description="Completions sampled per prompt (k); the best and the worst form a pair.")
    temperature: float = Field(0.8, gt=0, description="Sampling temperature of the completions.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling of the completions.")
    max_completion_length: int = Field(256, ge=1, description="Most new tokens a sampled completion may have.")
    generation_batch_size: int = Field(
        16, ge=1, description="Sequences generated at once: bounds the memory of pair building."
    )
    margin: float = Field(
        0.1,
        ge=0,
        description="Least score difference between the best and the worst sample for a pair; groups whose "
        "best and worst are closer are skipped (as `tie` when equal, `below_margin` otherwise).",
    )
    pairing: Literal["best_worst", "all"] = Field(
        "best_worst",
        description='"best_worst": one pair per prompt, its best sample against its worst; "all": every two '
        "samples at least `margin` apart, widest gaps first, up to max_pairs_per_prompt.",
    )
    max_pairs_per_prompt: int = Field(4, ge=1, description='pairing "all": most pairs taken from one prompt.')
    use_vllm: bool = Field(
        False, description="Sample with vLLM (needs vllm installed and a CUDA GPU); else transformers, batched."
    )
    vllm_gpu_memory_utilization: float = Field(
        0.5, gt=0, le=1, description="vLLM's share of GPU memory while sampling; it is freed before training."
    )

    # Offline pairs.
    max_drop_fraction: float = Field(
        0.1,
        ge=0,
        le=1,
        description="offline: fail when more than this share of the rows is unusable (empty prompt, chosen or "
        "rejected, or chosen equal to rejected).",
    )

    # Optimisation.
    algorithm: Literal["dpo", "simpo"] = Field(
        "dpo", description='"dpo": DPO-family losses against a reference; "simpo": reference-free SimPO.'
    )
    loss_type: list[str] = Field(
        default_factory=lambda: ["sigmoid"],
        min_length=1,
        description=f"dpo: TRL's loss type(s), summed with loss_weights when several: {', '.join(DPO_LOSS_TYPES)}.",
    )
    loss_weights: list[float] | None = Field(
        None, description="dpo: weight of each loss_type (default 1.0 each); as many as loss_type."
    )
    beta: float | None = Field(
        None,
        gt=0,
        description="Strength of the preference term: DPO's deviation penalty (default 0.1), SimPO's reward "
        "scale (default 2.0).",
    )
    label_smoothing: float = Field(
        0.0,
        ge=0,
        lt=0.5,
        description="Probability that a preference label is flipped (robust DPO, typically 0.1; EXO needs > 0).",
    )
    simpo_gamma: float = Field(0.5, ge=0, description="simpo: target reward margin (gamma / beta in the paper's terms).")
    reference: str | None = Field(
        None,
        description="dpo: checkpoint of the reference policy (path or hub id); default: the stage's input "
        "checkpoint. With LoRA the reference is the base model with the adapter switched off.",
    )
    precompute_ref_log_probs: bool = Field(
        False,
        description="dpo: compute the reference log-probs of every pair once before training, so no reference "
        "model stays in memory while training.",
    )

    @field_validator("loss_type", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("loss_type")
    @classmethod
    def _known_loss_types(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in DPO_LOSS_TYPES]
        if unknown:
            raise ValueError(f"unknown loss type(s) {unknown}; TRL's DPO offers {', '.join(DPO_LOSS_TYPES)}")
        if len(set(value)) != len(value):
            raise ValueError(f"a loss type is listed twice: {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if self.loss_weights is not None and len(self.loss_weights) != len(self.loss_type):
            raise ValueError(
                f"loss_weights has {len(self.loss_weights)} weights for {len(self.loss_type)} loss types {self.loss_type}"
            )
        if "exo_pair" in self.loss_type and self.label_smoothing == 0:
            raise ValueError('loss_type "exo_pair" needs label_smoothing > 0 (the EXO paper uses 1e-3)')
        if self.algorithm == "simpo":
            if self.loss_type != ["sigmoid"] or self.loss_weights is not None:
                raise ValueError('loss_type and loss_weights choose among DPO losses; algorithm "simpo" has its own loss')
            if self.reference is not None or self.precompute_ref_log_probs:
                raise ValueError('algorithm "simpo" is reference-free: leave out reference and precompute_ref_log_probs')
        if self.pairs == "offline" and self.data.path == "world":
            raise ValueError(
                "pairs: offline reads prompt/chosen/rejected rows from a file; set data.path (the embedded world "
                "has prompts, not pairs: use pairs: on_policy for it)"
            )
        if self.pairs == "offline" and self.use_vllm:
            raise ValueError("use_vllm samples on-policy pairs; pairs: offline samples nothing")
        return self

    @property
    def resolved_beta(self) -> float:
        return self.beta if self.beta is not None else DEFAULT_BETA[self.algorithm]
