"""A user's corpus for base_pretrain, streamed: scanned once, sampled for the tokenizer, held-out
blocks for validation, and the endless mixed training stream (stream.py).

What is read into memory is bounded by options, never by the corpus: the tokenizer's sample
(`tokenizer_sample_bytes` / `tokenizer_sample_rows` per language), the fertility documents and the
validation blocks (`validation_blocks` per language).
"""

from __future__ import annotations

import math

from euro_post.base_pretrain.corpus import Blocks, mixing_weights, pack, tokenize
from euro_post.base_pretrain.scan import scan
from euro_post.base_pretrain.stream import (
    LanguageReader,
    StreamingBlocks,
    evenly_held_out,
)

from euro_post.data.rows import DataError


class StreamingCorpus:
    """The stage's view of a streamed corpus (the in-memory world has the same methods: corpus.py)."""

    def __init__(self, cfg, languages: list[str], seed: int, cache_dir=None):
        self.cfg, self.seed = cfg, seed
        self.corpus = scan(cfg.data, languages, cache_dir=cache_dir)
        counts = {lang: self.corpus.documents(lang) for lang in languages}
        self.limits = max_rows_limits(counts, cfg.data.max_rows)
        weighted = cfg.language_weights or {}
        # A hub source read by a language column may hold any language: only the weighted ones are read
        # (an unweighted one would be searched for through the whole stream).
        self.languages = [lang for lang in languages
                          if (counts[lang] or 0) > 0 or (counts[lang] is None and (not weighted or weighted.get(lang, 0) > 0))]
        self.counts = {lang: counts[lang] for lang in self.languages}
        self.readers, self.validation_readers, self.holds_out = {}, {}, {}
        for lang in self.languages:
            known = self.counts[lang] if self.limits[lang] is None else min(self.counts[lang], self.limits[lang])
            holdout = evenly_held_out(known, cfg.validation_fraction, seed, lang)
            # Nothing held out: no reader goes looking for held-out documents through the whole corpus.
            self.holds_out[lang] = bool(cfg.validation_fraction) and (known is None or known >= 2)
            self.readers[lang] = LanguageReader(self.corpus, lang, holdout, limit=self.limits[lang])
            self.validation_readers[lang] = LanguageReader(self.corpus, lang, holdout, validation=True, limit=self.limits[lang])
        self._sample: dict[str, list[str]] | None = None
        self._fertility: dict[str, list[str]] | None = None

    def describe(self) -> str:
        dropped = sum(self.corpus.dropped.values())
        parts = [f"{len(self.corpus.fingerprint)} shard(s) scanned" if self.corpus.fingerprint else "streamed from the hub"]
        if dropped:
            codes = ", ".join(f"{code} {n}" for code, n in self.corpus.dropped.most_common(5))
            parts.append(f"{dropped:,} rows left out, their language none of the 24 ({codes})")
        return "; ".join(parts)

    # -- what the tokenizer and fertility read ------------------------------------------------------
    def tokenizer_texts(self) -> dict[str, list[str]]:
        """The first training documents of each language, up to the sample budget (one pass at most)."""
        if self._sample is None:
            self._sample = {lang: self._first(lang, self.cfg.tokenizer_sample_bytes, self.cfg.tokenizer_sample_rows)
                            for lang in self.languages}
        return self._sample

    def _first(self, lang: str, budget: int, rows: int | None) -> list[str]:
        texts, size = [], 0
        for (passes, *_), text in self.readers[lang].documents():
            if passes > 0 or size >= budget or (rows is not None and len(texts) >= rows):
                break
            texts.append(text)
            size += len(text.encode("utf-8"))
        return texts

    def validation_texts(self, lang: str, characters: int) -> list[str]:
        """Held-out documents of `lang`, in corpus order, until about `characters` characters."""
        texts, size = [], 0
        if not self.holds_out[lang]:
            return texts
        for _, text in self.validation_readers[lang].documents():
            texts.append(text)
            size += len(text)
            if size >= characters:
                break
        return texts

    def fertility_texts(self, limit: int = 200) -> dict[str, list[str]]:
        """Held-out documents first, then the first training ones: `limit` per language. They also give
        each language's tokens per character (token_estimates)."""
        if self._fertility is None:
            self._fertility = {}
            for lang in self.languages:
                held = self.validation_texts(lang, 20_000)[:limit]
                self._fertility[lang] = held + self._first(lang, 1 << 62, limit - len(held)) if len(held) < limit else held
        return self._fertility

    # -- training and validation blocks ---------------------------------------------------------------
    def validation_blocks(self, tokenizer, block_size: int, blocks: int) -> dict[str, Blocks]:
        eos_id = tokenizer.eos_token_id
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_id
        # Characters for `blocks` blocks at up to 8 characters per token: enough in any of the 24 languages.
        result = {}
        for lang in self.languages:
            texts = self.validation_texts(lang, block_size * blocks * 8)
            packed = pack(tokenize(tokenizer, texts), block_size, eos_id, pad_id, keep_tail=True)
            if len(packed):
                result[lang] = Blocks(packed.input_ids[:blocks], packed.lengths[:blocks])
        return result

    def token_estimates(self, tokenizer) -> dict[str, int]:
        """Tokens per language: its characters (scan) times the tokens per character of its sample."""
        characters = self.corpus.characters()
        estimates = {}
        for lang, texts in self.fertility_texts().items():
            chars = sum(len(t) for t in texts)
            ratio = sum(len(ids) + 1 for ids in tokenize(tokenizer, texts)) / chars if chars else 0.0
            total = characters.get(lang, 0)
            if self.limits[lang] is not None and self.counts[lang]:
                total = total * min(1.0, self.limits[lang] / self.counts[lang])
            estimates[lang] = int(total * ratio)
        return estimates

    def training_blocks(self, tokenizer, block_size: int) -> tuple[StreamingBlocks, dict[str, int], dict[str, float]]:
        """The stream, the tokens per language the mixing weights come from, and the weights."""
        if tokenizer.eos_token_id is None:
            raise ValueError(f"the tokenizer ({type(tokenizer).__name__}) has no EOS token to end documents with")
        explicit = self.cfg.language_weights
        if any(count is None for count in self.counts.values()) and explicit is None and len(self.languages) > 1:
            raise DataError(f"{self.cfg.data.label}: a hub dataset streamed in several languages has no size to mix them by "
                            "temperature; give language_weights (e.g. {de: 1, fr: 1})")
        tokens = self.token_estimates(tokenizer)
        if explicit is not None:  # a hub language's size is unknown: any size lets its weight count
            tokens = {lang: max(n, 1) if self.counts[lang] is None else n for lang, n in tokens.items()}
        weights = mixing_weights(tokens, self.cfg.language_temperature, explicit)
        dataset = StreamingBlocks(self.readers, weights, tokenizer, block_size, self.seed, self.corpus.fingerprint)
        return dataset, tokens, weights

    def summary(self) -> dict:
        return {
            "corpus_documents_per_language": {lang: n for lang, n in self.counts.items() if n is not None},
            "corpus_characters_per_language": self.corpus.characters(),
            "rows_left_out_language_codes": dict(self.corpus.dropped.most_common()),
            **({"tokenizer_sample_documents": {lang: len(t) for lang, t in self._sample.items()}} if self._sample else {}),
        }


def max_rows_limits(counts: dict[str, int | None], max_rows: int | None) -> dict[str, int | None]:
    """Documents per language under `data.max_rows`, taken in turn from each language as the rows
    of other stages are (euro_post/data/rows.py interleave_languages): a language with fewer keeps
    all of its own and leaves the rest to the others."""
    if max_rows is None:
        return {lang: None for lang in counts}
    if any(n is None for n in counts.values()):
        share = math.ceil(max_rows / max(len(counts), 1))
        return {lang: share for lang in counts}
    limits, left, open_ = {}, max_rows, sorted(counts, key=lambda lang: counts[lang])
    while open_:  # water-filling: the smallest languages first, each to its share of what is left
        share, extra = divmod(left, len(open_))
        lang = open_[0]
        if counts[lang] <= share:
            limits[lang] = counts[lang]
            left -= counts[lang]
            open_.pop(0)
            continue
        order = [lang for lang in counts if lang in open_]  # the remainder goes to the first languages
        for i, name in enumerate(order):
            limits[name] = share + (1 if i < extra else 0)
        break
    return {lang: limits[lang] for lang in counts}
