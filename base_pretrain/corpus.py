"""The pretraining corpus: documents per language, a held-out slice, packed blocks, language mixing.

Documents are tokenized, each ended by EOS, and concatenated per language into one stream
that is cut into fixed-length blocks, so every block holds a single language. Training draws
blocks across languages by mixing weights (temperature over token counts, or explicit);
validation keeps a few blocks of each language's held-out documents.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch

from euro_post.data.languages import LANGUAGES
from euro_post.data.rows import DataError, load_rows, rows_by_language
from euro_post.pipeline.config import DataSpec


# -- documents ------------------------------------------------------------------------------
def load_documents(spec: DataSpec, languages: list[str], world=None) -> dict[str, list[str]]:
    """Texts per language, from the world, a .txt file (or folder of them), or rows with `text`."""
    path = Path(spec.path)
    is_text = spec.path != "world" and (path.suffix == ".txt" or (path.is_dir() and _only_text_files(path)))
    rows = _read_text_documents(spec) if is_text else load_rows(spec, "pretrain", languages, world=world)
    if is_text:
        rows = [row for row in rows if row["lang"] in languages]
        if spec.max_rows:
            rows = rows[: spec.max_rows]
        if not rows:
            raise DataError(f"{spec.path}: no documents for languages {', '.join(languages)}")
    docs: dict[str, list[str]] = {}
    for lang, lang_rows in rows_by_language(rows).items():
        for index, row in enumerate(lang_rows, start=1):
            text = row["text"]
            if not isinstance(text, str):
                raise DataError(f"{spec.path}: pretrain row {row.get('id', index)} ({lang}): `text` must be a string, got {type(text).__name__}")
            if text.strip():
                docs.setdefault(lang, []).append(text)
    return docs


def _only_text_files(folder: Path) -> bool:
    names = [p.suffix for p in folder.iterdir() if p.is_file()]
    return ".txt" in names and not {".jsonl", ".json", ".parquet"} & set(names)


def _read_text_documents(spec: DataSpec) -> list[dict]:
    """Plain text: one document per blank-line-separated paragraph, all in `data.lang`."""
    path = Path(spec.path)
    if spec.lang is None:
        raise DataError(f"{path}: plain-text corpora carry no language; set data.lang to its language code")
    if spec.lang not in LANGUAGES:
        raise DataError(f"data.lang: {spec.lang!r} is not one of the 24 EU language codes")
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    if not path.exists():
        raise DataError(f"{path}: data file not found")
    rows = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise DataError(f"{file}: not UTF-8 text ({err.reason} at byte {err.start})") from None
        paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
        rows += [{"id": f"{file.name}:{i}", "lang": spec.lang, "text": p} for i, p in enumerate(paragraphs) if p]
    return rows


def split_validation(
    docs: dict[str, list[str]], fraction: float, seed: int
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Hold out `fraction` of each language's documents (at least one when it has two or more)."""
    train, valid = {}, {}
    for lang, texts in docs.items():
        order = list(range(len(texts)))
        random.Random(f"{seed}-validation-{lang}").shuffle(order)
        count = 0 if len(texts) < 2 or fraction == 0 else max(1, round(fraction * len(texts)))
        valid[lang] = [texts[i] for i in order[:count]]
        train[lang] = [texts[i] for i in order[count:]]
    return train, {lang: texts for lang, texts in valid.items() if texts}


# -- packing --------------------------------------------------------------------------------
@dataclass
class Blocks:
    """Fixed-length token blocks of one language; `lengths[i]` tokens of block i are real, the rest padding."""

    input_ids: torch.Tensor  # [n, block_size] int32
    lengths: torch.Tensor  # [n] int32
    documents: torch.Tensor | None = None  # [n] int32: documents whose first token is in block i

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    @property
    def num_tokens(self) -> int:
        return int(self.lengths.sum())


def tokenize(tokenizer, texts: list[str], batch: int = 1000) -> list[list[int]]:
    """Token ids of each text, without special tokens (a literal "<|im_end|>" in text is not a control token)."""
    ids: list[list[int]] = []
    for start in range(0, len(texts), batch):
        encoded = tokenizer(texts[start : start + batch], add_special_tokens=False, split_special_tokens=True)
        ids += encoded["input_ids"]
    return ids


def pack(token_lists: list[list[int]], block_size: int, eos_id: int, pad_id: int, keep_tail: bool = False) -> Blocks:
    """Concatenate documents (each ended by EOS) and cut the stream into blocks.

    The last partial block is dropped, unless `keep_tail` or the whole stream is shorter than a
    block: then it is kept, padded (its padding is never a training target).
    """
    stream = [t for ids in token_lists for t in (*ids, eos_id)]
    full = len(stream) // block_size
    rows, lengths = [], []
    for i in range(full):
        rows.append(stream[i * block_size : (i + 1) * block_size])
        lengths.append(block_size)
    tail = stream[full * block_size :]
    if tail and (keep_tail or full == 0):
        rows.append(tail + [pad_id] * (block_size - len(tail)))
        lengths.append(len(tail))
    if not rows:
        empty = torch.empty(0, dtype=torch.int32)
        return Blocks(torch.empty(0, block_size, dtype=torch.int32), empty, empty.clone())
    # Each document counts with the block that holds its first token (see euro_post/training/consumption.py).
    documents, start = [0] * len(rows), 0
    for ids in token_lists:
        if start // block_size < len(rows):
            documents[start // block_size] += 1
        start += len(ids) + 1
    return Blocks(
        torch.tensor(rows, dtype=torch.int32),
        torch.tensor(lengths, dtype=torch.int32),
        torch.tensor(documents, dtype=torch.int32),
    )


def pack_languages(tokenizer, docs: dict[str, list[str]], block_size: int, seed: int, keep_tail: bool = False) -> dict[str, Blocks]:
    """Blocks per language; documents are shuffled (seeded) before packing so blocks mix sources."""
    eos_id, pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    if eos_id is None:
        raise ValueError(f"the tokenizer ({type(tokenizer).__name__}) has no EOS token to end documents with")
    if pad_id is None:
        pad_id = eos_id
    packed = {}
    for lang in sorted(docs):
        texts = list(docs[lang])
        random.Random(f"{seed}-pack-{lang}").shuffle(texts)
        blocks = pack(tokenize(tokenizer, texts), block_size, eos_id, pad_id, keep_tail=keep_tail)
        if len(blocks):
            packed[lang] = blocks
    return packed


# -- mixing ---------------------------------------------------------------------------------
def mixing_weights(
    token_counts: dict[str, int], temperature: float = 1.0, explicit: dict[str, float] | None = None
) -> dict[str, float]:
    """p(lang) ~ tokens ** (1 / T), or the normalised explicit weights; languages without tokens get 0."""
    if explicit is not None:
        unknown = sorted(lang for lang, w in explicit.items() if w > 0 and token_counts.get(lang, 0) == 0)
        if unknown:
            raise DataError(
                f"language_weights names {', '.join(unknown)}, but the corpus has no training text in "
                f"{'that language' if len(unknown) == 1 else 'those languages'}"
            )
        raw = {lang: float(explicit.get(lang, 0.0)) for lang in token_counts}
    else:
        raw = {lang: float(n) ** (1.0 / temperature) if n > 0 else 0.0 for lang, n in token_counts.items()}
    total = sum(raw.values())
    if total <= 0:
        raise DataError("no language has both training text and a mixing weight above 0")
    return {lang: w / total for lang, w in sorted(raw.items())}


CONSUMPTION_FIELDS = ("block_language", "block_documents")


class MixedBlocks(torch.utils.data.Dataset):
    """`num_samples` training blocks drawn across languages by `weights`.

    Each draw picks a language by weight, then that language's next block in a seeded random
    order (reshuffled after every pass), so a language repeats only once its blocks run out.
    The plan is a pure function of (blocks, weights, num_samples, seed): a resumed run sees
    the same blocks in the same order.
    """

    def __init__(self, blocks: dict[str, Blocks], weights: dict[str, float], num_samples: int, seed: int):
        self.blocks = blocks
        self.languages = [lang for lang in sorted(blocks) if weights.get(lang, 0) > 0]
        rng = random.Random(f"{seed}-mix")
        picks = rng.choices(range(len(self.languages)), weights=[weights[lang] for lang in self.languages], k=num_samples)
        orders = {i: [] for i in range(len(self.languages))}
        plan = []
        for li in picks:
            if not orders[li]:
                order = list(range(len(blocks[self.languages[li]])))
                rng.shuffle(order)
                orders[li] = order[::-1]  # popped from the end
            plan.append((li, orders[li].pop()))
        self.plan = plan

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, index: int) -> dict:
        """The block's `input_ids` and `labels`, and what it holds for consumption counting
        (CONSUMPTION_FIELDS: its language and the documents that start in it), which the
        training collator takes out before the model sees the batch."""
        li, bi = self.plan[index]
        lang = self.languages[li]
        blocks = self.blocks[lang]
        input_ids = blocks.input_ids[bi].long()
        labels = input_ids.clone()
        labels[int(blocks.lengths[bi]) :] = -100
        documents = int(blocks.documents[bi]) if blocks.documents is not None else 0
        return {"input_ids": input_ids, "labels": labels, "block_language": lang, "block_documents": documents}

    @staticmethod
    def consumed(examples: list[dict], batch) -> list[tuple[str, int, int]]:
        """(language, tokens, documents) of each block in a training batch: tokens that are not padding."""
        return [(ex["block_language"], int((ex["labels"] != -100).sum()), ex["block_documents"]) for ex in examples]

    def language_counts(self) -> dict[str, int]:
        """How many of the planned blocks each language gets."""
        counts = {lang: 0 for lang in self.languages}
        for li, _ in self.plan:
            counts[self.languages[li]] += 1
        return counts


class InMemoryCorpus:
    """The embedded world (or a corpus mixed with it), read whole: small by construction. Same
    methods as the streamed corpus (stream_setup.StreamingCorpus), which every user file goes through."""

    def __init__(self, cfg, languages: list[str], seed: int, world=None):
        self.cfg, self.seed = cfg, seed
        docs = load_documents(cfg.data, languages, world=world)
        self.train_docs, self.valid_docs = split_validation(docs, cfg.validation_fraction, seed)
        self.languages = [lang for lang in languages if lang in docs]

    def describe(self) -> str:
        return f"{sum(map(len, self.train_docs.values())):,} training documents in memory"

    def tokenizer_texts(self) -> dict[str, list[str]]:
        return self.train_docs

    def fertility_texts(self, limit: int) -> dict[str, list[str]]:
        return {lang: (self.valid_docs.get(lang, []) + self.train_docs[lang])[:limit] for lang in self.train_docs}

    def validation_blocks(self, tokenizer, block_size: int, blocks: int) -> dict[str, Blocks]:
        packed = pack_languages(tokenizer, self.valid_docs, block_size, self.seed, keep_tail=True)
        return {lang: Blocks(b.input_ids[:blocks], b.lengths[:blocks]) for lang, b in packed.items()}

    def training_blocks(self, tokenizer, block_size: int, samples: int):
        """The planned blocks, the tokens per language the mixing weights come from, and the weights."""
        train_blocks = pack_languages(tokenizer, self.train_docs, block_size, self.seed)
        token_counts = {lang: b.num_tokens for lang, b in train_blocks.items()}
        weights = mixing_weights(token_counts, self.cfg.language_temperature, self.cfg.language_weights)
        return MixedBlocks(train_blocks, weights, samples, self.seed), token_counts, weights

    def summary(self) -> dict:
        return {}
