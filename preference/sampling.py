"""Sampling the completions that on-policy pairs are made of.

A sampler is a callable `sampler(prompts) -> list[list[Sample]]`: `samples_per_prompt` samples
for each prompt, in order. Two are offered:

- transformers (default): `euro_post.models.generation`, `generation_batch_size` sequences at a time,
  so memory stays bounded however many prompts there are; sample j of prompt i is seeded by
  (seed, i, j), so it does not depend on the batch size.
- vLLM (`use_vllm: true`, CUDA only): much faster on a GPU; the engine is built from the
  input checkpoint and torn down before training starts.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass
from typing import Callable

import torch
from euro_post.preference.config import PreferenceConfig

from euro_post.models.generation import encode_prompts, end_token_ids, generate_completions


@dataclass(frozen=True)
class Sample:
    text: str  # the completion, without the end token
    num_tokens: int  # tokens generated (the end token included when it ended by itself)


Sampler = Callable[[list], list[list[Sample]]]


def make_sampler(cfg: PreferenceConfig, model, tokenizer, checkpoint: str, seed: int) -> Sampler:
    """The sampler the config asks for. `seed` offsets per call, so chunks of prompts differ."""
    if cfg.use_vllm:
        return VLLMSampler(cfg, tokenizer, checkpoint, model, seed)
    return TransformersSampler(cfg, model, tokenizer, seed)


def prompts_per_call(batch_size: int, samples_per_prompt: int) -> int:
    """About four generation batches of prompts per call, so that the texts and scores of one call stay
    small in memory, and a number whose samples fill whole batches: the prompts of a chunk (of
    any languages) share full batches, and only the run's last chunk can end in a part-filled one."""
    whole = batch_size // math.gcd(batch_size, samples_per_prompt)  # fewest prompts that fill whole batches
    return whole * max(1, 4 * batch_size // samples_per_prompt // whole)


class TransformersSampler:
    def __init__(self, cfg: PreferenceConfig, model, tokenizer, seed: int):
        self.cfg, self.model, self.tokenizer, self.seed = cfg, model, tokenizer, seed
        self.calls = 0
        self.prompts_per_call = prompts_per_call(cfg.generation_batch_size, cfg.samples_per_prompt)

    def __call__(self, prompts: list) -> list[list[Sample]]:
        if torch.cuda.is_available() and next(self.model.parameters()).device.type != "cuda":
            self.model.to("cuda")
        results = generate_completions(
            self.model,
            self.tokenizer,
            prompts,
            max_new_tokens=self.cfg.max_completion_length,
            temperature=self.cfg.temperature,
            top_p=self.cfg.top_p,
            num_samples=self.cfg.samples_per_prompt,
            batch_size=self.cfg.generation_batch_size,
            # Each chunk of prompts draws from its own seeds: prompt i of chunk c must not repeat
            # the samples of prompt i of chunk 0.
            seed=self.seed + 1_000_003 * self.calls,
        )
        self.calls += 1
        return [[Sample(c.text, len(c.token_ids)) for c in samples] for samples in results]

    def close(self) -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


class VLLMSampler:
    """Samples with vllm.LLM on the GPU; refuses clearly where vLLM cannot run."""

    def __init__(self, cfg: PreferenceConfig, tokenizer, checkpoint: str, model, seed: int):
        try:
            import vllm
        except ImportError:
            raise RuntimeError(
                "stages.preference.use_vllm: vllm is not installed; install it (pip install vllm) or set "
                "use_vllm: false to sample with transformers"
            ) from None
        if not torch.cuda.is_available():
            raise RuntimeError("stages.preference.use_vllm: vLLM needs a CUDA GPU; set use_vllm: false on this machine")
        vocabulary = model.get_input_embeddings().num_embeddings
        if len(tokenizer) > vocabulary:
            raise RuntimeError(
                f"stages.preference.use_vllm: the tokenizer has {len(tokenizer)} tokens but {checkpoint} has "
                f"{vocabulary} embeddings (special tokens were added for the chat template); vLLM samples from the "
                "checkpoint as saved. Run sft first, or set use_vllm: false"
            )
        self.cfg, self.tokenizer, self.seed = cfg, tokenizer, seed
        self.prompts_per_call = 1024  # vLLM schedules its own batches: give it many prompts at once
        self.stop_ids = sorted(end_token_ids(model, tokenizer))
        self.calls = 0
        self.llm = vllm.LLM(
            model=checkpoint,
            tokenizer=checkpoint,
            gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
            seed=seed,
            dtype="bfloat16" if torch.cuda.is_bf16_supported() else "float16",
            enable_prefix_caching=True,  # the k samples of a prompt share its prefix
        )
        self._vllm = vllm

    def __call__(self, prompts: list) -> list[list[Sample]]:
        params = self._vllm.SamplingParams(
            n=self.cfg.samples_per_prompt,
            temperature=self.cfg.temperature,
            top_p=self.cfg.top_p,
            max_tokens=self.cfg.max_completion_length,
            stop_token_ids=self.stop_ids,
            seed=self.seed + 1_000_003 * self.calls,
        )
        self.calls += 1
        inputs = [{"prompt_token_ids": ids} for ids in encode_prompts(self.tokenizer, prompts)]
        outputs = self.llm.generate(inputs, params, use_tqdm=False)
        samples = []
        for output in outputs:
            group = []
            for completion in output.outputs:
                ids = list(completion.token_ids)
                text_ids = ids[:-1] if ids and ids[-1] in self.stop_ids else ids
                group.append(Sample(self.tokenizer.decode(text_ids, skip_special_tokens=True), len(ids)))
            samples.append(group)
        return samples

    def close(self) -> None:
        """Give the GPU memory back to training."""
        engine = getattr(self, "llm", None)
        self.llm = None
        del engine
        try:
            from vllm.distributed.parallel_state import cleanup_dist_env_and_memory

            cleanup_dist_env_and_memory()
        except ImportError:
            pass
        gc.collect()
        torch.cuda.empty_cache()
