"""Full generation batches across languages: the eval fills each batch with every language's
problems, with the same completions and metrics as generating language by language; the
preallocated KV cache gives the tokens of transformers' own cache."""

from __future__ import annotations

import io

import pytest
import torch
from euro_post.eval import evaluate as evaluate_module
from euro_post.eval.config import EvalConfig
from euro_post.eval.evaluate import evaluate_model

from euro_post.models import generation
from euro_post.models.generation import encode_prompts, generate_completions
from euro_post.models.preallocated_cache import PreallocatedLayer, preallocated_cache
from euro_post.pipeline.progress import Progress

QUESTIONS = {
    "de": ["Anna hat 12 Äpfel und kauft noch 5 dazu.", "Jonas hat 3 Bälle."],
    "fr": ["Léa a 12 pommes et en achète 5 de plus.", "Paul a 7 livres."],
    "pl": ["Ania ma 12 jabłek i kupuje jeszcze 5.", "Jan ma 4 koty i dostaje 2 psy."],
}


def rows():
    return [
        {"id": f"{lang}-{i}", "lang": lang, "prompt": [{"role": "user", "content": q}], "answer": "17"}
        for lang, questions in QUESTIONS.items()
        for i, q in enumerate(questions)
    ]


@pytest.fixture(scope="module")
def model(tiny_tokenizer):
    """A random tiny LLaMA with large weights: varied greedy text, so a wrong pairing shows."""
    from euro_post.models.presets import new_model

    return new_model("tiny", tiny_tokenizer, seed=1, initializer_range=0.5, tie_word_embeddings=False).eval()


@pytest.fixture
def batches(monkeypatch):
    """The sizes of the batches generation decodes, in order."""
    sizes: list[int] = []
    decode = generation._decode_batch

    def counting(model, prompts, *args):
        sizes.append(len(prompts))
        return decode(model, prompts, *args)

    monkeypatch.setattr(generation, "_decode_batch", counting)
    return sizes


def evaluate_by_language(model, tokenizer, config, seed):
    """What the eval gave when it generated one language at a time."""
    languages, records = {}, []
    for lang in QUESTIONS:
        outcome = evaluate_model(model, tokenizer, [r for r in rows() if r["lang"] == lang], config, seed=seed)
        languages.update(outcome["languages"])
        records += outcome["records"]
    return languages, records


@pytest.mark.parametrize("mode", ["greedy", "sampled"])
def test_eval_fills_batches_across_languages_with_unchanged_results(model, tiny_tokenizer, batches, monkeypatch, mode):
    samples = 3 if mode == "sampled" else 1
    extra = {"mode": "sampled", "num_samples": samples, "temperature": 1.0} if mode == "sampled" else {}
    config = EvalConfig(batch_size=4, max_new_tokens=12, **extra)
    lines = io.StringIO()
    monkeypatch.setattr(
        evaluate_module, "Progress", lambda *a, **k: Progress(*a, **{**k, "stream": lines, "interval": 0})
    )
    together = evaluate_model(model, tiny_tokenizer, rows(), config, seed=5)
    jobs = 6 * samples
    # Six problems of three languages: full batches of 4, not a part-filled batch per language.
    assert batches == [4] * (jobs // 4) + ([jobs % 4] if jobs % 4 else [])
    progress = [line.split()[1] for line in lines.getvalue().splitlines()]
    assert progress[-1] == f"{jobs}/{jobs}" and len(progress) == len(batches)
    alone_languages, alone_records = evaluate_by_language(model, tiny_tokenizer, config, seed=5)
    per_language = [2, 2, 2] if mode == "greedy" else [4, 2, 4, 2, 4, 2]
    assert batches[-len(per_language) :] == per_language  # the per-language path: part-filled batches
    # Each language's completions and metrics are those it got on its own.
    assert together["records"] == alone_records
    assert together["languages"] == alone_languages
    assert len({r["completion"] for r in together["records"]}) > 3  # the texts differ: a mix-up would show


def test_seed_indices_give_each_prompt_the_samples_it_had_alone(model, tiny_tokenizer):
    prompts = [[{"role": "user", "content": q}] for qs in QUESTIONS.values() for q in qs]
    kwargs = {"max_new_tokens": 8, "temperature": 1.0, "num_samples": 2, "seed": 3, "batch_size": 8}
    joined = generation.generate(model, tiny_tokenizer, prompts, seed_indices=[0, 1] * 3, **kwargs)
    for start in (0, 2, 4):
        assert joined[start : start + 2] == generation.generate(model, tiny_tokenizer, prompts[start : start + 2], **kwargs)
    with pytest.raises(ValueError, match="seed_indices has 2 entries for 6 prompts"):
        generation.generate(model, tiny_tokenizer, prompts, seed_indices=[0, 1], **kwargs)


def test_preallocated_cache_matches_transformers_cache(model, tiny_tokenizer):
    prompts = [[{"role": "user", "content": q}] for qs in QUESTIONS.values() for q in qs]
    cache = preallocated_cache(model, 16)
    assert cache is not None and all(isinstance(layer, PreallocatedLayer) for layer in cache.layers)
    results = generate_completions(model, tiny_tokenizer, prompts, max_new_tokens=20, batch_size=6)
    for ids, (completion,) in zip(encode_prompts(tiny_tokenizer, prompts), results):
        reference = model.generate(torch.tensor([ids]), max_new_tokens=20, do_sample=False)[0, len(ids) :].tolist()
        assert completion.token_ids == reference
    # The buffers are written in place; more than they hold is an error, not a silent overwrite.
    layer = PreallocatedLayer(3)
    keys = torch.arange(2 * 1 * 2 * 4, dtype=torch.float32).reshape(2, 1, 2, 4)
    out_keys, _ = layer.update(keys, keys + 1)
    assert torch.equal(out_keys, keys) and layer.get_seq_length() == 2
    layer.batch_select_indices(torch.tensor([1]))
    assert torch.equal(layer.keys, keys[1:]) and torch.equal(layer.values, keys[1:] + 1)
    with pytest.raises(RuntimeError, match="holds 3 tokens; 4 were written"):
        layer.update(keys[1:], keys[1:])


@pytest.mark.parametrize(("batch", "samples", "prompts"), [(64, 4, 64), (16, 2, 32), (16, 3, 16), (64, 7, 64), (16, 6, 8), (4, 32, 1)])
def test_preference_chunks_fill_whole_batches(batch, samples, prompts):
    from euro_post.preference.sampling import prompts_per_call

    assert prompts_per_call(batch, samples) == prompts
    assert prompts * samples % batch == 0 or prompts == 1  # every batch of a chunk is full
    # Where the samples of four batches' worth of prompts already filled whole batches, the chunks are
    # as before (same seeds, same pairs): 4 * batch // samples prompts.
    if 4 * batch % samples == 0:
        assert prompts == max(1, 4 * batch // samples)
