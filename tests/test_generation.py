"""Batched generation: same tokens as transformers' own generate, stops at the end token,
reproducible sampling that does not depend on the batch, bounded batches."""

from __future__ import annotations

import pytest
import torch

from euro_post.models.generation import encode_prompts, end_token_ids, generate, generate_completions

QUESTIONS = [
    "Anna hat 12 Äpfel und kauft noch 5 dazu.",
    "Léa a 12 pommes et en achète 5 de plus.",
    "Η Μαρία έχει 12 μήλα.",
    "Ana ima 12 jabuka i kupuje još 5.",
    "Mette har 12 æbler og køber 5 mere. Hvor mange har hun?",
    "Jana má 12 jablek.",
    "Anna has 12 apples and buys 5 more. How many apples does she have now?",
]


@pytest.fixture(scope="module")
def lively_model(tiny_tokenizer):
    """A random tiny LLaMA with large weights (varied greedy text) whose end token wins often,
    so rows of one batch end at different steps."""
    from euro_post.models.presets import new_model

    model = new_model("tiny", tiny_tokenizer, seed=0, initializer_range=0.5, tie_word_embeddings=False)
    prompts = [[{"role": "user", "content": q}] for q in QUESTIONS]
    counts: dict[int, int] = {}
    for samples in generate_completions(model, tiny_tokenizer, prompts, max_new_tokens=24, batch_size=8):
        for token in samples[0].token_ids:
            counts[token] = counts.get(token, 0) + 1
    frequent = sorted(counts, key=counts.get, reverse=True)[2]
    eos = tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")
    with torch.no_grad():
        # Wherever the model would write `frequent`, it now ends the turn instead.
        model.lm_head.weight[eos] = model.lm_head.weight[frequent] * 1.01
    return model


def chats(questions=QUESTIONS):
    return [[{"role": "user", "content": q}] for q in questions]


def test_greedy_matches_transformers_generate_and_stops_at_the_end_token(lively_model, tiny_tokenizer):
    results = generate_completions(lively_model, tiny_tokenizer, chats(), max_new_tokens=24, batch_size=3)
    encoded = encode_prompts(tiny_tokenizer, chats())
    eos = tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")
    lengths = set()
    for ids, (completion,) in zip(encoded, results):
        reference = lively_model.generate(torch.tensor([ids]), max_new_tokens=24, do_sample=False)[0, len(ids):].tolist()
        assert completion.token_ids == reference
        assert completion.finished == (reference[-1] == eos)
        assert completion.text == tiny_tokenizer.decode([t for t in reference if t != eos], skip_special_tokens=True)
        lengths.add(len(reference))
    # The batch really mixed rows that ended early with rows that ran to the limit.
    assert len(lengths) > 2 and 24 in lengths and any(r[0].finished for r in results)


def test_batch_size_and_greedy_samples(lively_model, tiny_tokenizer):
    one = generate(lively_model, tiny_tokenizer, chats(), max_new_tokens=16, batch_size=1)
    many = generate(lively_model, tiny_tokenizer, chats(), max_new_tokens=16, batch_size=4, num_samples=3)
    assert [m[0] for m in many] == [o[0] for o in one]
    assert all(len(set(m)) == 1 and len(m) == 3 for m in many)  # greedy samples are identical


def test_sampling_is_reproducible_and_independent_of_the_batch(lively_model, tiny_tokenizer):
    kwargs = dict(max_new_tokens=8, temperature=1.0, num_samples=3, seed=7)
    a = generate(lively_model, tiny_tokenizer, chats(), batch_size=2, **kwargs)
    b = generate(lively_model, tiny_tokenizer, chats(), batch_size=2, **kwargs)
    c = generate(lively_model, tiny_tokenizer, chats(), batch_size=5, **kwargs)
    assert a == b == c
    assert any(len(set(samples)) > 1 for samples in a)  # samples of one prompt differ
    other_seed = generate(lively_model, tiny_tokenizer, chats(), batch_size=2, **{**kwargs, "seed": 8})
    assert other_seed != a
    # Prompt 0's samples do not depend on which prompts share the call.
    alone = generate(lively_model, tiny_tokenizer, chats()[:1], batch_size=1, **kwargs)
    assert alone[0] == a[0]


def test_tiny_top_p_keeps_only_the_most_likely_token(lively_model, tiny_tokenizer):
    greedy = generate(lively_model, tiny_tokenizer, chats(), max_new_tokens=10, batch_size=4)
    nucleus = generate(lively_model, tiny_tokenizer, chats(), max_new_tokens=10, batch_size=4, temperature=1.0, top_p=1e-6)
    assert nucleus == greedy


class Bigram(torch.nn.Module):
    """A cache-less model whose next token depends only on the last one: `table[last] -> next`."""

    def __init__(self, table: dict[int, int], vocab: int, eos: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.table, self.vocab = table, vocab
        self.generation_config = type("G", (), {"eos_token_id": eos})()
        self.config = type("C", (), {"max_position_embeddings": 64})()
        self.calls: list[int] = []

    def forward(self, input_ids, attention_mask=None, position_ids=None, past_key_values=None, use_cache=True):
        self.calls.append(input_ids.shape[0])
        last = input_ids[:, -1]
        logits = torch.zeros(input_ids.shape[0], 1, self.vocab)
        for row, token in enumerate(last.tolist()):
            logits[row, 0, self.table.get(token, 0)] = 1.0
        return type("Out", (), {"logits": logits, "past_key_values": None})()


def test_plain_prompts_end_tokens_and_limits_without_a_cache(tiny_tokenizer):
    tok = tiny_tokenizer
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    prompts = ["Anna", "Anna hat", "Anna hat 12"]
    a, b, c = (tok(p).input_ids[-1] for p in prompts)
    model = Bigram({a: b, b: c, c: eos}, len(tok), eos)
    # "...Anna" goes on with "hat", "12", then ends; "...12" ends at once.
    results = generate_completions(model, tok, prompts, max_new_tokens=5, batch_size=2)
    assert [r[0].token_ids for r in results] == [[b, c, eos], [c, eos], [eos]]
    assert [r[0].finished for r in results] == [True, True, True]
    assert results[0][0].text == tok.decode([b, c]) and results[2][0].text == ""
    assert max(model.calls) <= 2  # never more than batch_size sequences at once
    capped = generate_completions(model, tok, ["Anna"], max_new_tokens=2, batch_size=1)
    assert capped[0][0].token_ids == [b, c] and not capped[0][0].finished
    assert eos in end_token_ids(model, tok)


def test_restores_training_mode_and_rejects_bad_prompts(lively_model, tiny_tokenizer):
    lively_model.train()
    generate(lively_model, tiny_tokenizer, chats()[:1], max_new_tokens=2)
    assert lively_model.training
    lively_model.eval()
    with pytest.raises(ValueError, match="prompt 1"):
        generate(lively_model, tiny_tokenizer, ["ok", {"role": "user"}], max_new_tokens=2)
    with pytest.raises(ValueError, match="temperature"):
        generate(lively_model, tiny_tokenizer, ["ok"], max_new_tokens=2, temperature=-1)
    assert generate(lively_model, tiny_tokenizer, [], max_new_tokens=2) == []
