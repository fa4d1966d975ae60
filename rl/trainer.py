"""TRL's GRPOTrainer with what the rl stage adds: zero-advantage groups left out of the loss,
per-language consumption counts, and per-completion seeded sampling that a resumed run repeats."""

from __future__ import annotations

from trl import GRPOTrainer

from euro_post.training.consumption import ConsumptionCounter
from euro_post.training.seeded_sampling import sample_keys, seeded_generation
from euro_post.training.trainer import EuroTrainerMixin


class EuroGRPOTrainer(EuroTrainerMixin, GRPOTrainer):
    """GRPOTrainer that can leave zero-advantage completions out of the loss entirely, and counts
    the prompt and completion tokens of every completion it generates for training, per language
    (`consumption`). EuroTrainerMixin: what every euro-post trainer adds (euro_post/training/trainer.py)."""

    def __init__(self, *args, filter_zero_variance: bool = True, consumption: ConsumptionCounter | None = None, **kwargs):
        self.filter_zero_variance = filter_zero_variance
        self._generating_for: list[str] = []  # the languages of the rows being generated for
        super().__init__(*args, **kwargs)
        if consumption is not None:
            self.count_consumption(consumption)  # counts every training completion, per language (_generate)

    def _generate_and_score_completions(self, inputs):
        self._generating_for = [row["lang"] for row in inputs]
        batch = super()._generate_and_score_completions(inputs)
        if self.filter_zero_variance:
            # A group whose rewards are all equal has zero advantage everywhere: no signal, only
            # tokens that would dilute the per-token normaliser of the informative groups.
            keep = (batch["advantages"] != 0).to(batch["completion_mask"].dtype)
            batch["completion_mask"] = batch["completion_mask"] * keep.unsqueeze(1)
            batch["num_items_in_batch"] = self.accelerator.gather(batch["completion_mask"].sum()).sum()
        return batch

    def _generate(self, prompts):
        generated = super()._generate(prompts)
        if self.consumption is not None and self.model.training:
            # What TRL counts in num_input_tokens_seen: prompt and completion tokens of every completion.
            prompt_ids, completion_ids, tool_mask = generated[:3]
            completion_lengths = [sum(m) for m in tool_mask] if tool_mask is not None else [len(c) for c in completion_ids]
            for lang, prompt, completion in zip(self._generating_for, prompt_ids, completion_lengths, strict=True):
                self.consumption.add(lang, len(prompt) + int(completion))
        return generated

    def _generate_single_turn(self, prompt_ids, *args, **kwargs):
        if self.use_vllm or self.use_transformers_continuous_batching:
            return super()._generate_single_turn(prompt_ids, *args, **kwargs)
        # Each completion draws from its own generator, seeded by (seed, step, prompt, sample): a resumed
        # run samples what an uninterrupted one samples.
        process = self.accelerator.process_index if self.accelerator.num_processes > 1 else None
        keys = sample_keys(self.args.seed, self.state.global_step, prompt_ids, process)
        with seeded_generation(self.accelerator.unwrap_model(self.model_wrapped), keys) as sampler:
            completions = super()._generate_single_turn(prompt_ids, *args, **kwargs)
        sampler.require_used()
        return completions
