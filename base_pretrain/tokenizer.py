"""A byte-level BPE tokenizer for the 24 languages.

Byte-level BPE has byte fallback by construction: every byte is in the base alphabet, so any
text round-trips exactly (Greek, Cyrillic, Maltese ħ ġ ż, Irish fada). Training text is drawn
from each language with temperature sampling, so the small languages are not starved.
"""

from __future__ import annotations

import random
import re

from euro_post.models.chat_template import BOS, CHAT_TEMPLATE, EOS, PAD, SPECIAL_TOKENS

_WORD = re.compile(r"\w+", re.UNICODE)


def language_sample_weights(sizes: dict[str, int], temperature: float) -> dict[str, float]:
    """p(lang) proportional to size ** (1 / temperature): T=1 keeps proportions, larger T flattens."""
    scaled = {lang: max(n, 1) ** (1.0 / temperature) for lang, n in sizes.items()}
    total = sum(scaled.values())
    return {lang: s / total for lang, s in scaled.items()}


def sample_texts(texts_by_lang: dict[str, list[str]], total: int, temperature: float, seed: int) -> list[str]:
    """Draw `total` texts across languages by the temperature-sampled weights (with replacement)."""
    rng = random.Random(seed)
    sizes = {lang: sum(len(t) for t in texts) for lang, texts in texts_by_lang.items() if texts}
    weights = language_sample_weights(sizes, temperature)
    langs = sorted(weights)
    picks = rng.choices(langs, weights=[weights[lang] for lang in langs], k=total)
    return [rng.choice(texts_by_lang[lang]) for lang in picks]


def train_tokenizer(
    texts_by_lang: dict[str, list[str]],
    vocab_size: int = 4096,
    temperature: float = 3.0,
    sample_size: int = 20000,
    seed: int = 0,
    max_length: int = 1024,
    split_digits: bool = True,
    min_frequency: int = 2,
):
    """Train byte-level BPE on a temperature-sampled mix; return a chat-ready PreTrainedTokenizerFast.

    `split_digits` gives every digit its own token (as LLaMA does), so numbers are spelled the
    same way in every language and a small model can learn digit-wise arithmetic.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if not any(texts_by_lang.values()):
        raise ValueError("train_tokenizer: no training text in any language")
    tokenizer = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if split_digits:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
    else:
        tokenizer.pre_tokenizer = byte_level
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=min_frequency,
        show_progress=False,
    )
    corpus = sample_texts(texts_by_lang, sample_size, temperature, seed)
    tokenizer.train_from_iterator(corpus, trainer=trainer, length=len(corpus))
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=["<|im_start|>"],
        model_max_length=max_length,
        clean_up_tokenization_spaces=False,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def fertility(tokenizer, texts_by_lang: dict[str, list[str]]) -> dict[str, float]:
    """Tokens per word for each language: how fairly the vocabulary serves it."""
    result = {}
    for lang, texts in texts_by_lang.items():
        words = sum(len(_WORD.findall(t)) for t in texts)
        tokens = sum(len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]) if texts else 0
        result[lang] = round(tokens / max(words, 1), 4)
    return result
