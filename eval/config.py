"""Options of the eval stage (and of `euro-post eval` on any checkpoint)."""

from __future__ import annotations

from typing import Literal

from euro_post.rewards.registry import RewardSpec
from pydantic import Field, model_validator

from euro_post.pipeline.config import ALLOW_PICKLE_WEIGHTS, TRUST_REMOTE_CODE, Config, DataSpec, Precision


class SampledPass(Config):
    """A second, sampled pass over the same problems beside the greedy one, for pass@k."""

    num_samples: int = Field(8, ge=1, description="Completions per problem.")
    temperature: float = Field(0.5, gt=0, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling mass.")
    k: list[int] | None = Field(None, description="k values of pass@k (each <= num_samples); None: 1 and num_samples.")

    @model_validator(mode="after")
    def _k_within_samples(self):
        for k in self.k or []:
            if not 1 <= k <= self.num_samples:
                raise ValueError(f"k: every k must be between 1 and num_samples ({self.num_samples}), got {k}")
        return self


class EvalConfig(Config):
    """Per-language evaluation of every stage's checkpoint, then the run report.

    Every checkpoint answers the same held-out problems; each completion is scored with the
    rewards the run trained with, with their options (`scoring_rewards`), so the report measures
    exactly what training optimised.
    """

    data: DataSpec = Field(default_factory=DataSpec, description="Held-out problems (`prompt`, `answer`, `lang`); a row whose "
        "`answer` is missing, null, empty or not a finite number is refused: the run stops before training, naming its line.")
    checkpoints: dict[str, str] = Field(
        default_factory=dict,
        description="Extra checkpoints to evaluate, label -> path or hub id, beside the run's own stages.",
    )
    evaluate_start: bool = Field(
        True,
        description="Also evaluate the checkpoint the first training stage started from (label `start`) when "
        "it is not a stage of this run, so the report shows what training changed.",
    )
    problems_per_language: int | None = Field(
        None, ge=1, description="Evaluate at most this many problems per language (None: all held-out problems)."
    )
    max_new_tokens: int = Field(256, ge=1, description="Longest completion, in tokens.")
    batch_size: int = Field(32, ge=1, description="Sequences generated at once.")
    mode: Literal["greedy", "sampled"] = Field(
        "greedy",
        description='"greedy": one deterministic completion per problem. "sampled": `num_samples` completions '
        "at `temperature`, with pass@k.",
    )
    num_samples: int = Field(1, ge=1, description="Completions per problem in sampled mode.")
    temperature: float = Field(0.7, gt=0, description="Sampling temperature in sampled mode.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling mass in sampled mode.")
    pass_k: list[int] | None = Field(
        None,
        description="k values of pass@k in sampled mode (each <= num_samples); None: 1 and num_samples.",
    )
    pass_at_k: SampledPass | None = Field(
        None,
        description="With mode: greedy, also run a sampled pass per checkpoint (e.g. {num_samples: 8, "
        "temperature: 0.5, k: [1, 8]}) and report its pass@k beside the greedy metrics. Off by default: it "
        "generates num_samples times as much as the greedy pass.",
    )
    precision: Precision = Field("auto", description='Weights dtype for evaluation; "auto": bf16 on a GPU that has it.')
    trust_remote_code: bool = Field(False, description=TRUST_REMOTE_CODE)
    allow_pickle_weights: bool = Field(False, description=ALLOW_PICKLE_WEIGHTS)
    lm_eval_tasks: list[str] = Field(
        default_factory=list,
        description='lm-eval tasks to run as well: "euro_post_world" (the held-out problems as offline '
        "lm-eval tasks, one per language) and any task your lm-eval installation has data for, e.g. "
        "mgsm_native_cot_de, belebele_deu_Latn, global_mmlu_de.",
    )
    lm_eval_limit: int | None = Field(
        50, ge=1, description="Documents per lm-eval task (None: all). Keeps CPU runs short."
    )
    lm_eval_chat_template: bool = Field(
        True, description="Render lm-eval prompts with the checkpoint's chat template, as the model was trained."
    )
    rewards: list[RewardSpec] = Field(
        default_factory=list,
        description="Rewards to score completions with, as in the rl stage (weights are not used). Empty: the rl "
        "stage's rewards, or the preference stage's when the recipe has no rl stage (it pairs on-policy), else "
        "the defaults. accuracy, format and language consistency come from math_accuracy, format and "
        "language_consistency with these options; every other reward is a report column of its own, "
        "`reward/<name>`.",
    )
    save_completions: bool = Field(
        True, description="Write every completion with its scores to eval/completions/<label>.jsonl."
    )

    @model_validator(mode="after")
    def _coherent(self):
        if self.mode == "greedy" and self.num_samples != 1:
            raise ValueError(
                f"num_samples is {self.num_samples} but greedy decoding gives one completion per problem; "
                "set mode: sampled to draw several"
            )
        for k in self.pass_k or []:
            if not 1 <= k <= self.num_samples:
                raise ValueError(f"pass_k: every k must be between 1 and num_samples ({self.num_samples}), got {k}")
        if self.pass_k and self.mode == "greedy":
            raise ValueError("pass_k applies to mode: sampled")
        if self.pass_at_k is not None and self.mode == "sampled":
            raise ValueError(
                "pass_at_k adds a sampled pass to greedy decoding; with mode: sampled, pass@k comes from "
                "num_samples and pass_k already"
            )
        if "start" in self.checkpoints:
            raise ValueError('checkpoints: the label "start" is reserved for the first stage\'s starting checkpoint')
        return self

    def scoring_rewards(self, recipe=None) -> list[RewardSpec]:
        """The rewards the eval scores with: its own, else the training stage's of `recipe` that
        optimised rewards (rl, else on-policy preference); empty: the fixed columns' defaults."""
        if self.rewards:
            return self.rewards
        stages = getattr(recipe, "stages", None)
        rl, preference = getattr(stages, "rl", None), getattr(stages, "preference", None)
        if rl is not None:
            return rl.rewards
        if preference is not None and preference.pairs == "on_policy":
            return preference.rewards
        return []

    def sampled_pass(self) -> EvalConfig | None:
        """The config of the extra sampled pass (`pass_at_k`), None without one: this config in
        mode: sampled, so that the pass goes through the same evaluation as any sampled eval."""
        if self.pass_at_k is None:
            return None
        extra = self.pass_at_k
        return self.model_copy(update={
            "mode": "sampled", "num_samples": extra.num_samples, "temperature": extra.temperature,
            "top_p": extra.top_p, "pass_k": extra.k, "pass_at_k": None, "lm_eval_tasks": [],
        })

    def resolved_pass_k(self) -> list[int]:
        if self.mode == "greedy":
            return []
        return sorted(set(self.pass_k or [1, self.num_samples]))
