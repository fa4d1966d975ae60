"""Batched text generation for evaluation and on-policy sampling.

    completions = generate(model, tokenizer, prompts, max_new_tokens=256, batch_size=16, seed=0)
    completions[i][j]  # the j-th sample for prompt i

Prompts are conversations (rendered with the tokenizer's chat template and the assistant turn
opened) or plain strings. Generation runs `batch_size` sequences at a time with left padding,
sorted by prompt length so that a batch holds prompts of similar length, and stops each
sequence at an end token (`<|im_end|>`, the tokenizer's and the model's EOS).

Sampling is reproducible per sequence: sample j of prompt i draws from its own random
generator seeded with (seed, i, j), so its text does not depend on the batch size or on
which other prompts share the call (up to floating-point differences of padded matmuls).

Each batch's KV cache is allocated once for its final length (preallocated_cache.py), and the
per-token bookkeeping is plain Python on one transfer of the chosen tokens: on a CPU a decoding
step is then the model's matmuls and little else (docs/benchmarks.md, Generation).
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from typing import Callable

import torch

from euro_post.models.preallocated_cache import preallocated_cache

CHAT_END = "<|im_end|>"


@dataclass(frozen=True)
class Completion:
    text: str  # decoded, without the end token and special tokens
    token_ids: list[int]  # generated ids, the end token included when `finished`
    finished: bool  # True: ended with an end token; False: stopped at max_new_tokens


def generate(
    model,
    tokenizer,
    prompts: list[list[dict]] | list[str],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    num_samples: int = 1,
    batch_size: int = 16,
    seed: int = 0,
    on_batch: Callable[[int], None] | None = None,
    seed_indices: list[int] | None = None,
) -> list[list[str]]:
    """Completion texts, `num_samples` per prompt; temperature 0 is greedy decoding."""
    results = generate_completions(
        model,
        tokenizer,
        prompts,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        num_samples=num_samples,
        batch_size=batch_size,
        seed=seed,
        on_batch=on_batch,
        seed_indices=seed_indices,
    )
    return [[c.text for c in samples] for samples in results]


def generate_completions(
    model,
    tokenizer,
    prompts: list[list[dict]] | list[str],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    num_samples: int = 1,
    batch_size: int = 16,
    seed: int = 0,
    on_batch: Callable[[int], None] | None = None,
    seed_indices: list[int] | None = None,
) -> list[list[Completion]]:
    """Like `generate`, with the generated token ids and whether each sequence ended by itself.

    `on_batch(n)` is called after each batch with the number of completions it finished (every
    sample of a prompt counts, greedy ones too), e.g. to move a progress line on. `seed_indices[i]`
    stands for prompt i in the seeds of its samples (default: i), so that a caller that joins
    several lists of prompts into one call can keep the samples each list got on its own."""
    if max_new_tokens < 1 or batch_size < 1 or num_samples < 1:
        raise ValueError(
            f"max_new_tokens, batch_size and num_samples must be >= 1, got {max_new_tokens}, {batch_size}, {num_samples}"
        )
    if temperature < 0 or not 0 < top_p <= 1:
        raise ValueError(f"temperature must be >= 0 and top_p in (0, 1], got {temperature} and {top_p}")
    if not prompts:
        return []
    if seed_indices is None:
        seed_indices = list(range(len(prompts)))
    elif len(seed_indices) != len(prompts):
        raise ValueError(f"seed_indices has {len(seed_indices)} entries for {len(prompts)} prompts")
    encoded = encode_prompts(tokenizer, prompts)
    greedy = temperature == 0.0
    # Greedy decoding gives every sample of a prompt the same text: decode each prompt once.
    jobs = [(i, j) for i in range(len(prompts)) for j in range(1 if greedy else num_samples)]
    jobs.sort(key=lambda job: (-len(encoded[job[0]]), job))  # longest first: memory errors show at once
    stop_ids = end_token_ids(model, tokenizer)
    pad_id = _pad_id(tokenizer, stop_ids)
    device = next(model.parameters()).device
    budget = _new_token_budget(model, max(len(ids) for ids in encoded), max_new_tokens)

    was_training = model.training
    model.eval()
    out: dict[tuple[int, int], Completion] = {}
    try:
        with torch.inference_mode():
            for start in range(0, len(jobs), batch_size):
                batch = jobs[start : start + batch_size]
                generators = None
                if not greedy:
                    generators = [_generator(device, seed, seed_indices[i], j) for i, j in batch]
                token_lists, finished = _decode_batch(
                    model, [encoded[i] for i, _ in batch], budget, stop_ids, pad_id, device,
                    temperature, top_p, generators,
                )
                for job, ids, done in zip(batch, token_lists, finished):
                    text_ids = ids[:-1] if done else ids
                    text = tokenizer.decode(text_ids, skip_special_tokens=True)
                    out[job] = Completion(text=text, token_ids=ids, finished=done)
                if on_batch is not None:
                    on_batch(len(batch) * (num_samples if greedy else 1))
    finally:
        model.train(was_training)
    if greedy:
        return [[out[(i, 0)]] * num_samples for i in range(len(prompts))]
    return [[out[(i, j)] for j in range(num_samples)] for i in range(len(prompts))]


def encode_prompts(tokenizer, prompts: list[list[dict]] | list[str]) -> list[list[int]]:
    """Token ids of each prompt: conversations through the chat template with the assistant turn opened."""
    encoded = []
    for index, prompt in enumerate(prompts):
        if isinstance(prompt, str):
            ids = tokenizer(prompt).input_ids
        elif isinstance(prompt, list) and all(isinstance(m, dict) and "role" in m and "content" in m for m in prompt):
            if getattr(tokenizer, "chat_template", None) is None:
                raise ValueError(
                    "the tokenizer has no chat template; load it with euro_post.models.loading.load_tokenizer"
                )
            text = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
            # The template writes every special token itself; the tokenizer must not add more.
            ids = tokenizer(text, add_special_tokens=False).input_ids
        else:
            raise ValueError(
                f"prompt {index}: expected a string or a list of {{role, content}} messages, got {type(prompt).__name__}"
            )
        if not ids:
            raise ValueError(f"prompt {index} is empty after tokenization")
        encoded.append(list(ids))
    return encoded


def end_token_ids(model, tokenizer) -> set[int]:
    """Ids that end a completion: the chat turn end, the tokenizer's EOS and the model's EOS."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    if CHAT_END in tokenizer.get_vocab():
        ids.add(int(tokenizer.convert_tokens_to_ids(CHAT_END)))
    config = getattr(model, "generation_config", None)
    model_eos = getattr(config, "eos_token_id", None)
    if model_eos is not None:
        ids.update(int(i) for i in (model_eos if isinstance(model_eos, (list, tuple)) else [model_eos]))
    if not ids:
        raise ValueError("neither the tokenizer nor the model names an end-of-sequence token")
    return ids


def _pad_id(tokenizer, stop_ids: set[int]) -> int:
    return int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else min(stop_ids)


def _new_token_budget(model, longest_prompt: int, max_new_tokens: int) -> int:
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if limit is None:
        return max_new_tokens
    room = int(limit) - longest_prompt
    if room < 1:
        raise ValueError(
            f"a prompt of {longest_prompt} tokens leaves no room to generate: the model takes at most {limit} positions"
        )
    return min(max_new_tokens, room)


def _generator(device: torch.device, seed: int, prompt_index: int, sample: int) -> torch.Generator:
    digest = hashlib.sha256(f"euro-post-generate:{seed}:{prompt_index}:{sample}".encode()).digest()
    generator = torch.Generator(device=device)
    generator.manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
    return generator


def _accepts(model, name: str) -> bool:
    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def _cache_field(outputs) -> str:
    """The name transformers gives the KV cache, in the model's output and as its argument: `cache`
    since transformers 5.x (where `past_key_values` is deprecated), `past_key_values` before."""
    return "cache" if hasattr(outputs, "cache") else "past_key_values"


def _decode_batch(model, prompts, budget, stop_ids, pad_id, device, temperature, top_p, generators):
    """Generate for one batch of prompts; return each row's new token ids and whether it ended."""
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(prompts), width + budget), dtype=torch.long)
    for row, ids in enumerate(prompts):
        input_ids[row, width - len(ids) :] = torch.tensor(ids)
        attention[row, width - len(ids) :] = 1  # the new tokens' columns are 1 ahead of their use
    input_ids, attention = input_ids.to(device), attention.to(device)
    positions = (attention[:, :width].cumsum(-1) - 1).clamp(min=0)
    extra = {"logits_to_keep": 1} if _accepts(model, "logits_to_keep") else {}
    cache_name = "cache" if _accepts(model, "cache") else "past_key_values"
    cache = preallocated_cache(model, width + budget) if _accepts(model, cache_name) else None
    extra_cache = {} if cache is None else {cache_name: cache}  # None: the model builds its own

    outputs = model(
        input_ids=input_ids, attention_mask=attention[:, :width], position_ids=positions, use_cache=True,
        **extra_cache, **extra,
    )
    cache_name = _cache_field(outputs)
    cache = getattr(outputs, cache_name)
    generated: list[list[int]] = [[] for _ in prompts]
    finished = [False] * len(prompts)
    active = list(range(len(prompts)))  # rows still in the batch, in cache order
    prune = hasattr(cache, "batch_select_indices")
    next_position = positions[:, -1:] + 1
    for step in range(budget):
        logits = outputs.logits[:, -1, :].float()
        tokens = _choose(logits, temperature, top_p, [generators[r] for r in active] if generators else None)
        # One transfer per step; the bookkeeping below is plain Python, cheaper than a few tensor ops.
        ended = []
        for slot, (row, token) in enumerate(zip(active, tokens.tolist())):
            if finished[row]:
                continue  # only without pruning: a finished row rides along until the batch ends
            generated[row].append(token)
            if token in stop_ids:
                finished[row] = True
                ended.append(slot)
        if step == budget - 1 or all(finished[row] for row in active):
            break
        if prune and ended:
            # Drop finished rows so the rest of the batch stops paying for them.
            keep = [slot for slot, row in enumerate(active) if not finished[row]]
            index = torch.tensor(keep, device=device)
            cache.batch_select_indices(index)
            active = [active[slot] for slot in keep]
            tokens, attention, next_position = tokens[index], attention[index], next_position[index]
        elif not prune:
            # A cache that cannot drop rows keeps finished ones: they are fed the padding token.
            done = [slot for slot, row in enumerate(active) if finished[row]]
            if done:
                tokens[torch.tensor(done, device=device)] = pad_id
        outputs = model(
            input_ids=tokens[:, None],
            attention_mask=attention[:, : width + step + 1],
            position_ids=next_position,
            use_cache=True,
            **{cache_name: cache},
            **extra,
        )
        cache = getattr(outputs, cache_name)
        next_position = next_position + 1
    return generated, finished


def _choose(logits: torch.Tensor, temperature: float, top_p: float, generators) -> torch.Tensor:
    if generators is None:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        # Keep the smallest set of most likely tokens whose mass reaches top_p (at least one).
        drop = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        sorted_probs = sorted_probs.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return torch.stack(
        [torch.multinomial(probs[row], 1, generator=gen)[0] for row, gen in enumerate(generators)]
    )
