"""Pretraining sources read row by row from a remembered position, never whole.

A source is one entry of `data` (a file, a folder of shards, or a hub dataset read with
`datasets.load_dataset(..., streaming=True)`). Each row comes with its position, a small tuple,
and reading can start again at any position a row was found at:

- JSON Lines: (byte offset of the line, line number): a seek, then line by line;
- Parquet: (row number,): the row group that holds it, then record batches of the needed columns;
- plain text (.txt, one document per blank-line-separated paragraph): (byte offset, line number);
- a JSON array (.json) is one document and is read whole: fine for small files, use JSON Lines
  or Parquet for shards;
- a hub dataset: (row number,), through `IterableDataset.skip`.

Every row is mapped (columns, language; euro_post/data/mapping.py) and judged (RowCheck) by the
rules `euro-post validate` applies, so a row refused here is refused there, with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from euro_post.data.language_codes import to_language
from euro_post.data.mapping import Mapped, RowMapper
from euro_post.data.rows import (
    FILE_SUFFIXES,
    DataError,
    Problem,
    RowCheck,
    data_files,
    file_rows,
)
from euro_post.pipeline.config import LangSpec, SourceSpec

_BOM = "\ufeff"
_PARQUET_BATCH = 1024  # rows per record batch: memory per Parquet reader stays a batch, whatever the shard


@dataclass(frozen=True)
class Row:
    """One usable or refused row: where it is (for messages), its position (to read again from it)
    and its mapped text and language; `problem` says why it cannot be used, `dropped` why it is left out."""

    where: str
    position: tuple
    text: str | None = None
    lang: str | None = None
    problem: Problem | None = None
    dropped: str | None = None  # the code of a language none of the 24 (counted, not an error)


class Source:
    """One source of pretraining text: its files (None for a hub dataset) and its row rules."""

    def __init__(self, spec: SourceSpec, index: int):
        self.spec = spec
        self.index = index
        self.files = source_files(spec)
        self.text_plain = self.files is not None and all(f.suffix == ".txt" for f in self.files)
        if self.files is not None and any(f.suffix == ".txt" for f in self.files) and not self.text_plain:
            raise DataError(f"{spec.path}: mixes .txt files with row files; give them as two sources")
        if self.text_plain and not isinstance(spec.lang, str):
            raise DataError(f"{spec.path}: plain-text corpora carry no language; set data.lang to its language code")
        # The one language of every row, when the recipe says it (a constant, or the hub configuration name).
        config_lang = isinstance(spec.lang, LangSpec) and spec.lang.from_ == "config"
        self.language = spec.lang if isinstance(spec.lang, str) else to_language(spec.name) if config_lang else None

    @property
    def label(self) -> str:
        return self.spec.path if self.files is not None else f"hub dataset {self.spec.path}"

    def file_label(self, file_index: int) -> str:
        return str(self.files[file_index]) if self.files is not None else self.label

    def rows(self, file_index: int, start: tuple | None = None) -> Iterator[Row]:
        """The rows of one file (the only 'file' of a hub dataset is 0) from position `start`."""
        mapper, check = RowMapper(self.spec, "pretrain"), RowCheck("pretrain")
        if self.files is None:
            raw = _hub_rows(self.spec, start)
        else:
            path = self.files[file_index]
            raw = {".jsonl": _jsonl_rows, ".parquet": _parquet_rows, ".txt": _text_rows}.get(path.suffix, _json_rows)(path, start)
        for where, position, row, problem in raw:
            if problem is None and self.text_plain:
                row["lang"] = self.spec.lang
            yield judge(where, position, row, problem, mapper, check)


def judge(where: str, position: tuple, row, problem: Problem | None, mapper: RowMapper, check: RowCheck) -> Row:
    """Map and check one row as euro_post/data/rows.py does."""
    if problem is None and isinstance(row, dict):
        try:
            mapper.apply(row)
        except Mapped as mapped:
            if mapped.drop:
                return Row(where, position, dropped=mapped.language or "unknown")
            problem = Problem(mapped.reason, mapped.message)
    if problem is None:
        problem = check.problem(row, where)
    if problem is not None:
        return Row(where, position, problem=problem)
    return Row(where, position, text=row["text"], lang=row["lang"])


def source_files(spec: SourceSpec) -> list[Path] | None:
    """The shards `spec.path` names, as `euro-post validate` lists them (euro_post/data/rows.py
    data_files: a file, or the files of a folder whose names contain the split), or a .txt file or a
    folder of only .txt files. None for a hub dataset id."""
    path = Path(spec.path)
    suffixes = {p.suffix for p in path.iterdir() if p.is_file()} if path.is_dir() else set()
    if path.suffix == ".txt" or (".txt" in suffixes and not suffixes & set(FILE_SUFFIXES)):
        if not path.exists():
            raise DataError(f"{path}: data file not found")
        return sorted(path.glob("*.txt")) if path.is_dir() else [path]
    return data_files(spec)


# -- readers: (where, position, row, problem) from a position ----------------------------------------
def _jsonl_rows(path: Path, start: tuple | None):
    offset, number = start if start else (0, 0)
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed by the `with` below; opening is what may fail)
    except OSError as err:
        yield str(path), (0, 0), None, Problem("unreadable_file", f"cannot be read ({err.strerror or err})")
        return
    with f:
        f.seek(offset)
        while True:
            line_start = f.tell()
            data = f.readline()
            if not data:
                return
            number += 1
            where, position = f"{path}, line {number}", (line_start, number - 1)
            try:
                line = data.decode("utf-8").removeprefix(_BOM)
            except UnicodeDecodeError as err:
                yield where, position, None, Problem(
                    "unreadable_file", f"not UTF-8 text (byte 0x{data[err.start]:02x}); expected JSON Lines: one JSON object per line")
                continue
            if not line.strip():
                continue
            if number == 1 and line.lstrip().startswith("["):
                yield str(path), position, None, Problem(
                    "unreadable_file", "a JSON array, not JSON Lines: write one object per line, or name the file .json")
                return
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                last = not data.endswith(b"\n")
                reason = "truncated_line" if last and line.lstrip().startswith("{") else "invalid_json"
                detail = "the file may be truncated" if reason == "truncated_line" else "expected one JSON object per line"
                yield where, position, None, Problem(reason, f"not valid JSON ({err.msg}); {detail}")
                continue
            yield where, position, row, None


def _text_rows(path: Path, start: tuple | None):
    """One document per paragraph: lines up to a blank line. Position: the paragraph's first line."""
    offset, number = start if start else (0, 0)
    with open(path, "rb") as f:
        f.seek(offset)
        lines: list[str] = []
        first = None
        while True:
            line_start = f.tell()
            data = f.readline()
            number += 1 if data else 0
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as err:
                yield f"{path}, line {number}", (line_start, number - 1), None, Problem(
                    "unreadable_file", f"not UTF-8 text (byte 0x{data[err.start]:02x})")
                return
            if text.strip():
                if first is None:
                    first = (line_start, number - 1)
                lines.append(text.rstrip("\r\n").removeprefix(_BOM))
                continue
            if lines:
                yield f"{path}, line {first[1] + 1}", first, {"text": "\n".join(lines).strip()}, None
                lines, first = [], None
            if not data:
                return


def _parquet_rows(path: Path, start: tuple | None):
    import pyarrow.parquet as pq

    skip = start[0] if start else 0
    try:
        parquet = pq.ParquetFile(path)
        meta = parquet.metadata
        groups, first_row = [], 0
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            if first_row + rows > skip:
                groups.append(g)
            elif not groups:
                first_row += rows
        batches = parquet.iter_batches(batch_size=_PARQUET_BATCH, row_groups=groups) if groups else iter(())
        index = first_row
        for batch in batches:
            for row in batch.to_pylist():
                index += 1
                if index > skip:
                    yield f"{path}, row {index}", (index - 1,), row, None
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        yield str(path), (skip,), None, Problem("unreadable_file", f"not a readable Parquet file ({detail})")


def _json_rows(path: Path, start: tuple | None):
    skip = start[0] if start else 0
    for index, (where, row, problem) in enumerate(file_rows(path)):
        if index >= skip:
            yield where, (index,), row, problem


def _hub_rows(spec: SourceSpec, start: tuple | None):
    from datasets import load_dataset

    skip = start[0] if start else 0
    dataset = load_dataset(spec.path, spec.name, split=spec.split, revision=spec.revision, streaming=True)
    if skip:
        dataset = dataset.skip(skip)
    for index, row in enumerate(dataset, start=skip):
        yield f"hub dataset {spec.path}, row {index + 1}", (index,), dict(row), None
