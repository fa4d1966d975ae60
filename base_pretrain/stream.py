"""Packed training blocks streamed from the shards, mixed across languages, resumable exactly.

Each language has its own reader: its documents in source, file and row order, each tokenized
and ended by EOS, cut into blocks of `block_size` tokens, so a block holds one language (as the
in-memory corpus packs them). Block k's language is drawn by the mixing weights from a generator
seeded by (seed, k) alone. A language whose documents run out starts a new pass over them.

Where a language stands is a small tuple: (pass, (source, file) index, the row position of the
document being cut, its index among the language's documents, tokens of it already in blocks).
Reading starts again from such a tuple by a seek (sources.py), so the data position saved with
each trainer checkpoint is a few numbers per language, never tokens: a resumed run re-reads and
re-tokenizes the document it stopped inside, and yields exactly the blocks an uninterrupted one
would. The data loader reads ahead of training, so the dataset keeps the positions of its last
blocks and the save asks for the one training had reached (`position_at`).

What is held at once is bounded, whatever the corpus size: per language, one tokenization batch
(at most BATCH_DOCUMENTS documents or BATCH_CHARACTERS characters) and the document being cut.
"""

from __future__ import annotations

import json
import random
from collections import deque
from pathlib import Path

import torch
from euro_post.base_pretrain.scan import Corpus

from euro_post.data.rows import DataError

BATCH_DOCUMENTS = 64  # documents tokenized together (the Rust tokenizer batches in parallel)
BATCH_CHARACTERS = 1 << 18
POSITION_FILE = "data_position_rank{rank}.json"
POSITION_FORMAT = 1


class LanguageReader:
    """The documents of one language from a saved position: (position, text), forever (pass after pass).

    `holdout` decides from a document's index whether it is held out for validation; `validation`
    reads only the held-out ones (one pass), training only the others. `limit` caps the documents
    per pass (data.max_rows)."""

    def __init__(self, corpus: Corpus, lang: str, holdout, validation: bool = False, limit: int | None = None):
        self.corpus, self.lang, self.holdout, self.validation, self.limit = corpus, lang, holdout, validation, limit
        self.files = corpus.files_of(lang)

    def documents(self, start: tuple | None = None):
        """Yield ((pass, file, row position, index), text), beginning with the document at `start`."""
        passes, file_at, row_at, index = start if start else (0, 0, None, 0)
        while True:
            found = False
            for f in range(file_at, len(self.files)):
                if self.limit is not None and index >= self.limit:
                    break
                source_index, file_index = self.files[f]
                source = self.corpus.sources[source_index]
                for row in source.rows(file_index, row_at if f == file_at else None):
                    if row.problem is not None:  # a hub row (local shards were checked before any work)
                        raise DataError(f"{row.where}: {row.problem.message}")
                    if row.dropped is not None or row.lang != self.lang or not row.text.strip():
                        continue
                    if self.limit is not None and index >= self.limit:
                        break
                    if self.holdout(index) == self.validation:
                        found = True
                        yield (passes, f, row.position, index), row.text
                    index += 1
                row_at = None
            if self.validation:
                return
            if not found and passes > (start[0] if start else 0):
                raise DataError(f"no training documents for {self.lang} in {', '.join(s.label for s in self.corpus.sources)}")
            passes, file_at, row_at, index = passes + 1, 0, None, 0


def evenly_held_out(documents: int | None, fraction: float, seed: int, lang: str):
    """Which document indices are held out: `fraction` of them spread evenly (at least one when a
    language has two or more), or, where the count is unknown (a hub source), each with probability
    `fraction` by a seeded hash."""
    if not fraction:
        return lambda index: False
    if documents is not None:
        held = 0 if documents < 2 else max(1, round(fraction * documents))
        return lambda index: (index + 1) * held // documents != index * held // documents
    return lambda index: random.Random(f"{seed}-validation-{lang}-{index}").random() < fraction


class Packer:
    """Cuts one language's documents into blocks; `state()` is where it stands."""

    def __init__(self, reader: LanguageReader, tokenize, eos_id: int, start: tuple | None = None):
        self.reader, self.tokenize, self.eos_id = reader, tokenize, eos_id
        self.start = start  # (document position, offset) to resume from, or None
        self.documents = None
        self.pending: deque = deque()  # (position, token ids) tokenized but not begun
        self.current: tuple | None = None  # (position, token ids) being cut
        self.offset = 0

    def held_tokens(self) -> int:
        return sum(len(ids) for _, ids in self.pending) + (len(self.current[1]) if self.current else 0)

    def state(self) -> tuple | None:
        return None if self.current is None else (self.current[0], self.offset)

    def _next(self) -> None:
        if self.documents is None:
            self.documents = self.reader.documents(self.start[0] if self.start else None)
        if not self.pending:
            batch, chars = [], 0
            while len(batch) < BATCH_DOCUMENTS and chars < BATCH_CHARACTERS:
                position, text = next(self.documents)
                batch.append((position, text))
                chars += len(text)
            ids = self.tokenize([text for _, text in batch])
            self.pending.extend((position, [*tokens, self.eos_id]) for (position, _), tokens in zip(batch, ids))
        self.current, self.offset = self.pending.popleft(), 0
        if self.start is not None:  # the document a saved position stopped inside: skip what was trained on
            self.offset, self.start = self.start[1], None

    def take(self, size: int) -> tuple[list[int], int]:
        """The next `size` tokens, and how many documents begin in them."""
        out: list[int] = []
        begun = 0
        while len(out) < size:
            if self.current is None or self.offset >= len(self.current[1]):
                self._next()
                if self.offset >= len(self.current[1]):
                    continue
            if self.offset == 0:
                begun += 1
            ids = self.current[1]
            n = min(size - len(out), len(ids) - self.offset)
            out += ids[self.offset : self.offset + n]
            self.offset += n
        return out, begun


class StreamingBlocks(torch.utils.data.IterableDataset):
    """Endless training blocks, mixed across languages by `weights` (see the module docstring)."""

    def __init__(self, readers: dict[str, LanguageReader], weights: dict[str, float], tokenizer, block_size: int,
                 seed: int, fingerprint: list, keep: int = 256):
        self.readers = readers
        self.languages = [lang for lang in sorted(weights) if weights[lang] > 0 and lang in readers]
        self.weights = [weights[lang] for lang in self.languages]
        self.block_size, self.seed, self.fingerprint = block_size, seed, fingerprint
        self.eos_id = tokenizer.eos_token_id
        self._tokenizer = tokenizer
        self.start: tuple[int, dict] = (0, {})  # (blocks done, {lang: packer state}) to begin at
        self.recent: deque = deque(maxlen=keep)  # (blocks done, states) after each block yielded
        self.peak_held_tokens = 0

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        return self._tokenizer(texts, add_special_tokens=False, split_special_tokens=True)["input_ids"]

    def language_of(self, block: int) -> str:
        return random.Random(f"{self.seed}-mix-{block}").choices(self.languages, weights=self.weights)[0]

    def __iter__(self):
        done, states = self.start[0], dict(self.start[1])
        packers = {lang: Packer(self.readers[lang], self.tokenize, self.eos_id, states.get(lang)) for lang in self.languages}
        self.recent.clear()
        self.recent.append((done, dict(states)))
        while True:
            lang = self.language_of(done)
            packer = packers[lang]
            tokens, begun = packer.take(self.block_size)
            done += 1
            states[lang] = packer.state()
            self.recent.append((done, dict(states)))
            self.peak_held_tokens = max(self.peak_held_tokens, sum(p.held_tokens() for p in packers.values()))
            input_ids = torch.tensor(tokens, dtype=torch.long)
            yield {"input_ids": input_ids, "labels": input_ids.clone(), "block_language": lang, "block_documents": begun}

    # -- the data position in trainer checkpoints ------------------------------------------------------
    def position_at(self, blocks: int) -> dict:
        """The position after `blocks` blocks (the ones training has taken, not those read ahead)."""
        for done, states in reversed(self.recent):
            if done == blocks:
                return {"format": POSITION_FORMAT, "blocks": blocks, "languages": states, "corpus": self.fingerprint}
        if blocks == self.start[0]:
            return {"format": POSITION_FORMAT, "blocks": blocks, "languages": self.start[1], "corpus": self.fingerprint}
        kept = f"{self.recent[0][0]}..{self.recent[-1][0]}" if self.recent else "none"
        raise RuntimeError(f"the data position after block {blocks} is no longer known (kept: blocks {kept})")

    def save_position(self, folder: Path, blocks: int, rank: int = 0) -> Path:
        path = Path(folder) / POSITION_FILE.format(rank=rank)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.position_at(blocks)), encoding="utf-8")
        return path

    def load_position(self, folder: Path, rank: int = 0) -> None:
        path = Path(folder) / POSITION_FILE.format(rank=rank)
        if not path.exists():
            raise DataError(f"{folder}: no {path.name}; this checkpoint was not written by a streaming run, so the data "
                            "position is unknown; pass --restart-stage base_pretrain to train the stage again")
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("corpus") != json.loads(json.dumps(self.fingerprint)):
            raise DataError(f"{folder}: the corpus changed since this checkpoint was saved (a shard was added, removed "
                            "or rewritten), so its data position does not apply; restore the shards or pass "
                            "--restart-stage base_pretrain")
        self.start = (int(saved["blocks"]), {lang: _tuples(state) for lang, state in saved["languages"].items()})


def _tuples(value):
    """JSON lists back into the tuples positions are made of."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
