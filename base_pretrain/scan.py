"""One pass over the local pretraining shards before any work: every row checked, documents and
characters counted per language and file.

The pass reads row by row (flat memory) and stops at the first row that cannot be used, naming
its file, line and field, as `euro-post run` does for every stage. What it counts drives the
stream: which shards hold which language (a language's reader opens only those), how many
documents each language has (the held-out slice and `max_rows`), and its size for temperature
mixing. Hub datasets are not scanned (that would download them): their rows are checked as they
stream, and a corpus with a hub source needs `language_weights` unless it has one language.

The counts are cached in the stage folder, keyed by each shard's path, size and modification
time, so a resumed stage does not read the corpus twice.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from euro_post.base_pretrain.sources import Source

from euro_post.data.rows import DataError
from euro_post.pipeline.checkpoint_io import atomic_write_text
from euro_post.pipeline.config import DataSpec

CACHE = "corpus_scan.json"
CACHE_FORMAT = 1
_MAX_CODES = 50  # distinct unmappable codes kept for the message and the summary


@dataclass
class Corpus:
    """The sources and, for local shards, what each file holds per language."""

    sources: list[Source]
    # (source, file) -> {lang: [documents, characters]}; absent for hub sources
    files: dict[tuple[int, int], dict[str, list[int]]] = field(default_factory=dict)
    dropped: Counter = field(default_factory=Counter)  # unmappable code -> rows left out
    other_languages: Counter = field(default_factory=Counter)  # one of the 24 the recipe does not train
    empty: int = 0  # rows whose text is blank
    fingerprint: list = field(default_factory=list)  # (path, size, mtime) of every shard

    @property
    def streams_hub(self) -> bool:
        return any(source.files is None for source in self.sources)

    def documents(self, lang: str) -> int | None:
        """Usable documents of `lang` (None when a hub source may hold some)."""
        if any(source.files is None and source.language in (None, lang) for source in self.sources):
            return None
        return sum(counts.get(lang, [0, 0])[0] for counts in self.files.values())

    def characters(self) -> dict[str, int]:
        totals: Counter = Counter()
        for counts in self.files.values():
            for lang, (_, chars) in counts.items():
                totals[lang] += chars
        return dict(sorted(totals.items()))

    def files_of(self, lang: str) -> list[tuple[int, int]]:
        """The (source, file) pairs a reader of `lang` opens, in source and file order."""
        keys = []
        for source in self.sources:
            if source.files is None:
                if source.language in (None, lang):  # unscanned: a hub source holds its own language, or any
                    keys.append((source.index, 0))
                continue
            keys += [(source.index, i) for i in range(len(source.files)) if lang in self.files.get((source.index, i), {})]
        return keys


def scan(spec: DataSpec, languages: list[str], cache_dir: Path | None = None) -> Corpus:
    """Check and count every local row for `languages`; a DataError for the first unusable row, an
    empty folder, or a corpus with no document in any of `languages`."""
    sources = [Source(s, i) for i, s in enumerate(spec.source_list())]
    for index, source in enumerate(sources):
        if spec.is_mixture and (source.spec.weight is not None or source.spec.max_rows is not None):
            raise DataError(f"stages.base_pretrain.data[{index}] ({source.spec.path}): base_pretrain mixes by language "
                            "(language_weights or language_temperature); a source's weight or max_rows is not read")
    corpus = Corpus(sources)
    cached = _read_cache(cache_dir, languages)
    for source in sources:
        for i, path in enumerate(source.files or []):
            stat = path.stat()
            key = [str(path.resolve()), stat.st_size, stat.st_mtime_ns, source.index, json.dumps(source.spec.model_dump(mode="json"), sort_keys=True)]
            corpus.fingerprint.append(key[:3])
            hit = cached.get(json.dumps(key))
            if hit is None:
                hit = _scan_file(source, i, languages)
                cached[json.dumps(key)] = hit
            corpus.files[(source.index, i)] = {lang: list(v) for lang, v in hit["langs"].items()}
            corpus.dropped.update(hit["dropped"])
            corpus.other_languages.update(hit["other"])
            corpus.empty += hit["empty"]
    _write_cache(cache_dir, languages, cached, corpus)
    if not corpus.streams_hub and not any(corpus.files.values()):
        raise DataError(_nothing_usable(spec, corpus, languages))
    return corpus


def _scan_file(source: Source, file_index: int, languages: list[str]) -> dict:
    langs: dict[str, list[int]] = {}
    dropped, other, empty = Counter(), Counter(), 0
    for row in source.rows(file_index):
        if row.problem is not None:
            raise DataError(f"{row.where}: {row.problem.message}")
        if row.dropped is not None:
            if row.dropped in dropped or len(dropped) < _MAX_CODES:
                dropped[row.dropped] += 1
            continue
        if row.lang not in languages:
            other[row.lang] += 1
        elif not row.text.strip():
            empty += 1
        else:
            counts = langs.setdefault(row.lang, [0, 0])
            counts[0] += 1
            counts[1] += len(row.text)
    return {"langs": langs, "dropped": dict(dropped), "other": dict(other), "empty": empty}


def _nothing_usable(spec: DataSpec, corpus: Corpus, languages: list[str]) -> str:
    label = spec.label
    if corpus.dropped:
        codes = ", ".join(f"{code!r} ({n} rows)" for code, n in corpus.dropped.most_common(5))
        return (f"{label}: no document in any of the 24 EU languages: every row's language code names none of them "
                f"({codes}); codes such as de, de-DE, deu_Latn are read")
    if corpus.other_languages:
        found = ", ".join(sorted(corpus.other_languages))
        return f"{label}: no documents for languages {', '.join(languages)} (the corpus has {found})"
    return f"{label}: no documents (the corpus is empty{' or every text is blank' if corpus.empty else ''})"


def _read_cache(cache_dir: Path | None, languages: list[str]) -> dict:
    if cache_dir is None:
        return {}
    try:
        saved = json.loads((Path(cache_dir) / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if saved.get("format") != CACHE_FORMAT or saved.get("languages") != languages:
        return {}
    return saved.get("files", {})


def _write_cache(cache_dir: Path | None, languages: list[str], files: dict, corpus: Corpus) -> None:
    if cache_dir is None or not corpus.files:
        return
    os.makedirs(cache_dir, exist_ok=True)
    atomic_write_text(Path(cache_dir) / CACHE, json.dumps({"format": CACHE_FORMAT, "languages": languages, "files": files}))
