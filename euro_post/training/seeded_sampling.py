"""Sampling seeded per (seed, step, prompt, sample), for rollouts that a resumed run repeats exactly.

transformers' `generate` draws every row from the one global random generator, so what a row
samples depends on everything that consumed random numbers before it and on the batch around
it. Here each row gets its own generator, seeded from a key (`sample_keys`: the run's seed, the
optimizer step, a digest of the prompt's tokens and the sample's number among the rows with
that prompt), so a run resumed at step k draws, at step k, the same completions as a run that
was never interrupted.

How: a logits processor, appended after the ones `generate` builds, applies the sampling
warpers `generate` would (temperature, top-k, top-p, min-p), draws each row's token by inverse
CDF with a uniform number from that row's generator, and returns scores with all the mass on
that token; `generate` itself then runs greedy, so it takes that token without warping or
drawing again. The global generator is forked around generation, so
training's own random numbers do not depend on how many tokens were generated. The uniforms come
from CPU generators, so the same key draws the same numbers on every device.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib

import torch
from transformers import LogitsProcessor, LogitsProcessorList
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)


def sample_keys(seed: int, step: int, prompt_ids: list[list[int]], process: int | None = None) -> list[str]:
    """One key per row: (seed, step, prompt digest, n-th row with this prompt[, process])."""
    seen: dict[str, int] = {}
    keys = []
    for ids in prompt_ids:
        digest = hashlib.sha256(",".join(str(int(t)) for t in ids).encode()).hexdigest()[:16]
        occurrence = seen.get(digest, 0)
        seen[digest] = occurrence + 1
        where = "" if process is None else f":process{process}"
        keys.append(f"{seed}:{step}:{digest}:{occurrence}{where}")
    return keys


def row_generator(key: str) -> torch.Generator:
    digest = hashlib.sha256(f"euro-post-sample:{key}".encode()).digest()
    generator = torch.Generator(device="cpu")
    generator.manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
    return generator


class SeededSampler(LogitsProcessor):
    """Samples each row's next token from its own generator (see the module docstring)."""

    def __init__(self, keys: list[str]):
        self.keys = list(keys)
        self.generators = [row_generator(key) for key in self.keys]
        self.warpers = LogitsProcessorList()
        self.calls = 0

    def configure(self, generation_config) -> None:
        """The warpers of `generation_config`, in the order `generate` applies them."""
        self.warpers = LogitsProcessorList()
        config = generation_config
        if config is None or not config.do_sample:
            raise ValueError("seeded sampling needs a generation config with do_sample=True")
        for name in ("typical_p", "epsilon_cutoff", "eta_cutoff", "top_h"):
            value = getattr(config, name, None)
            if value not in (None, 0.0, 1.0):
                raise ValueError(f"seeded sampling does not implement the {name} warper (got {value})")
        if config.temperature is not None and config.temperature != 1.0:
            self.warpers.append(TemperatureLogitsWarper(config.temperature))
        if config.top_k:
            self.warpers.append(TopKLogitsWarper(top_k=config.top_k, min_tokens_to_keep=1))
        if config.top_p is not None and config.top_p < 1.0:
            self.warpers.append(TopPLogitsWarper(top_p=config.top_p, min_tokens_to_keep=1))
        if config.min_p is not None:
            self.warpers.append(MinPLogitsWarper(min_p=config.min_p, min_tokens_to_keep=1))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if scores.shape[0] != len(self.generators):
            raise ValueError(f"seeded sampling: {scores.shape[0]} rows to sample, {len(self.generators)} keys")
        self.calls += 1
        probs = torch.softmax(self.warpers(input_ids, scores).float(), dim=-1)
        uniforms = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in self.generators])
        cdf = probs.double().cumsum(dim=-1)
        targets = uniforms.to(cdf.device).unsqueeze(-1) * cdf[:, -1:]
        tokens = torch.searchsorted(cdf, targets, right=True).squeeze(-1).clamp(max=probs.shape[-1] - 1)
        # Rounding can land past the last token with mass; take the likeliest then.
        lost = probs.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) <= 0
        tokens = torch.where(lost, probs.argmax(dim=-1), tokens)
        chosen = torch.full_like(scores, float("-inf"))
        chosen.scatter_(-1, tokens.unsqueeze(-1), 0.0)
        return chosen

    def require_used(self) -> None:
        if self.calls == 0:
            raise RuntimeError(
                "seeded sampling was not applied: generate() never called its logits processor "
                "(has the trainer's generation path changed?)"
            )


def _take_the_sampled_token(config):
    """`config` with greedy decoding: the sampler has already drawn the token and left it the only
    one with mass, so `generate` need not warp, softmax and draw again (a few % of a CPU step)."""
    greedy = copy.deepcopy(config)
    greedy.do_sample = False
    greedy.temperature = greedy.top_p = greedy.top_k = greedy.min_p = None
    return greedy


@contextlib.contextmanager
def seeded_generation(model, keys: list[str]):
    """While inside, `model.generate` samples with a `SeededSampler` for `keys` (one per row)."""
    sampler = SeededSampler(keys)
    had_own = "generate" in vars(model)
    original = model.generate

    def generate(*args, **kwargs):
        config = kwargs.get("generation_config") or model.generation_config
        sampler.configure(config)
        processors = LogitsProcessorList(kwargs.pop("logits_processor", None) or [])
        processors.append(sampler)
        kwargs["generation_config"] = _take_the_sampled_token(config)
        return original(*args, logits_processor=processors, **kwargs)

    model.generate = generate
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=devices):
            yield sampler
    finally:
        if had_own:
            model.generate = original
        else:
            del model.generate
