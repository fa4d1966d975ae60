"""Rows for a stage: from the embedded world, local files, or a hub dataset.

Formats follow TRL's conventions and every row carries `lang`:
- pretrain:   text
- sft:        messages (list of {role, content}) or prompt + completion
- preference: prompt + chosen + rejected (plain strings or conversations)
- prompts:    prompt (string or conversation) + the columns the rewards need (answer, ...)

A stage's data is one source or a mixture of several (euro_post/data/mixture.py); each source's
rows are first mapped to these columns and the 24 language codes (euro_post/data/mapping.py).
A file or row that cannot be used is an error naming the file, the line (or row) and the field,
before any training. `checked_rows` is the one judge: `load_rows` stops at its first refusal, and
`euro-post validate` (euro_post/data/check.py) counts every refusal from it, so that the two
cannot disagree. What is refused:
- files: not UTF-8, not Parquet, a JSON array named .jsonl, a folder named like a file; a byte-order
  mark at the start of the file or of a line is accepted;
- lines: not valid JSON (`invalid_json`; `truncated_line` for a cut-off last line), not an object;
- rows: `missing_columns` (also a column named in `columns` or `lang.column`), `bad_lang`, a `text` or `prompt` of the wrong shape, a column whose
  type changes between prompt rows (the training dataset holds one type per column), and a
  scored column (`answer` where math_accuracy or evaluation scores against it) that is missing,
  null, empty or not a finite number ("NaN", "inf", NaN).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from euro_post.data.languages import LANGUAGES
from euro_post.pipeline.config import DataSpec, SourceSpec

REQUIRED = {
    "pretrain": [("text",)],
    "sft": [("messages",), ("prompt", "completion")],
    "preference": [("prompt", "chosen", "rejected")],
    "prompts": [("prompt",)],
}
WORLD_SPLIT = {"pretrain": "pretrain_rows", "sft": "sft_rows", "prompts": "rl_rows", "eval": "eval_rows"}
FILE_SUFFIXES = (".jsonl", ".json", ".parquet")
# The columns a reward scores each row against: a row without a usable value would be trained
# on a reward of 0 whatever the model writes.
REWARD_COLUMNS = {"math_accuracy": ("answer",)}
_NUMBERS = (int, float, Decimal)  # Parquet decimal columns read as Decimal
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_BOM = "\ufeff"


class DataError(ValueError):
    pass


class Problem(NamedTuple):
    """Why a file, line or row cannot be used: a reason to count by and a message for the user.
    A `drop` problem leaves the row out and is counted (a language none of ours, in `language`)."""

    reason: str
    message: str
    drop: bool = False
    language: str | None = None


def load_rows(spec: DataSpec, kind: str, languages: list[str], world=None, rewards: Iterable[str] = (),
              seed: int = 0) -> list[dict]:
    """All rows of `kind` for `languages`, validated. `world` serves `path: world`; `rewards` names
    the rewards that score the rows (their columns must hold a usable value in every row); `seed`
    draws a mixture of sources (euro_post/data/mixture.py), one source is read in its own order."""
    from euro_post.data.mixture import load_data

    return load_data(spec, kind, languages, world=world, rewards=rewards, seed=seed).rows


def interleave_languages(rows: list[dict]) -> list[dict]:
    """The rows taken in turn from each language (in order of first appearance), each language's
    own order kept: a cap on the number of rows then leaves every language its share."""
    groups = list(rows_by_language(rows).values())
    return [group[i] for i in range(max(map(len, groups), default=0)) for group in groups if i < len(group)]


def rows_by_language(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["lang"], []).append(row)
    return grouped


def scored_columns(kind: str, rewards: Iterable[str] = ()) -> dict[str, str]:
    """{column: what scores against it} for the columns every row of `kind` needs a usable value in."""
    if kind == "eval":
        return {"answer": "evaluation"}
    if kind != "prompts":
        return {}
    return {column: name for name in rewards for column in REWARD_COLUMNS.get(name, ())}


def checked_rows(spec: SourceSpec, kind: str, rewards: Iterable[str] = (),
                 check: RowCheck | None = None) -> Iterator[tuple[str, object, Problem | None]]:
    """(where, row, problem) for every row of a file or hub source, in order, each row mapped to our
    columns and language (euro_post/data/mapping.py) and judged by one RowCheck (`check`, shared by
    the sources of a mixture, which form one table); problem is None for a usable row. A file that
    cannot be read gives one (file, None, problem)."""
    from euro_post.data.mapping import Mapped, RowMapper

    check = check or RowCheck(kind, scored_columns(kind, rewards))
    mapper = RowMapper(spec, kind)
    files = data_files(spec)
    if files is None:
        items = ((f"hub dataset {spec.path}, row {i}", row, None) for i, row in enumerate(_read_hub(spec), start=1))
    else:
        items = (item for file in files for item in file_rows(file))
    for where, row, problem in items:
        if problem is None and isinstance(row, dict):
            try:
                mapper.apply(row)
            except Mapped as mapped:
                problem = Problem(mapped.reason, mapped.message, mapped.drop, mapped.language)
        if problem is None:
            problem = check.problem(row, where)
        yield where, row, problem


def data_files(spec: SourceSpec) -> list[Path] | None:
    """The local files `spec` names (None for a hub dataset); a DataError when there are none."""
    path = Path(spec.path)
    if path.is_dir():
        if path.suffix in FILE_SUFFIXES:
            raise DataError(f"{path}: a folder, not a {path.suffix} file; give the file itself, or a folder of "
                            f".jsonl/.json/.parquet files whose names contain the split ({spec.split!r})")
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in FILE_SUFFIXES and spec.split in p.stem)
        if not files:
            raise DataError(f"{path}: no .jsonl/.json/.parquet file for split {spec.split!r} in this folder")
        return files
    if path.exists():
        return [path]
    if path.suffix in FILE_SUFFIXES or spec.path.startswith((".", "/")):
        raise DataError(f"{path}: data file not found")
    return None


def file_rows(path: Path) -> Iterator[tuple[str, object, Problem | None]]:
    """(where, row, problem) for every row of one file: lines of JSON Lines, items of a JSON array,
    rows of Parquet. A file that cannot be read at all gives a single (file, None, problem)."""
    if path.suffix == ".parquet":
        yield from _parquet_rows(path)
        return
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as err:
        yield str(path), None, Problem("unreadable_file", f"cannot be read ({err.strerror or err})")
        return
    except UnicodeDecodeError as err:
        yield str(path), None, Problem(
            "unreadable_file", f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "expected JSON Lines: one JSON object per line"
        )
        return
    text = text.removeprefix(_BOM)
    start = text.lstrip()[:1]
    if start == "[" or (start == "{" and "\n" in text.strip()):
        # A JSON array, or one object written over several lines: read as one document.
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            if start == "[":
                yield str(path), None, Problem(
                    "invalid_json", f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); "
                    "a file that opens with [ must be one complete JSON array"
                )
                return
        else:
            yield from _json_document_rows(path, document)
            return
    lines = text.split("\n")  # JSON Lines end at "\n" only: a string may hold U+2028 and the like
    last = max((i for i, line in enumerate(lines, start=1) if line.strip()), default=0)
    for number, line in enumerate(lines, start=1):
        line = line.removeprefix(_BOM)  # files joined with `cat` keep each one's mark
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            if number == last and line.lstrip().startswith("{"):
                yield where, None, Problem("truncated_line", f"not valid JSON ({err.msg}); the file may be truncated")
            else:
                yield where, None, Problem("invalid_json", f"not valid JSON ({err.msg}); expected one JSON object per line")
            continue
        yield where, row, None


def _json_document_rows(path: Path, document) -> Iterator[tuple[str, object, Problem | None]]:
    if path.suffix == ".jsonl" and isinstance(document, list):
        yield str(path), None, Problem(
            "unreadable_file", "a JSON array, not JSON Lines: write one object per line, or name the file .json"
        )
        return
    for index, row in enumerate(document if isinstance(document, list) else [document], start=1):
        yield f"{path}, row {index}", row, None


def _parquet_rows(path: Path) -> Iterator[tuple[str, object, Problem | None]]:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        yield str(path), None, Problem("unreadable_file", f"not a readable Parquet file ({detail})")
        return
    for index, row in enumerate(rows, start=1):
        yield f"{path}, row {index}", row, None


class RowCheck:
    """Whether each row of `kind` can be used, in file order: the one rule behind load_rows and
    `euro-post validate`. `scored` maps the columns a reward or evaluation scores against to its
    name. Prompt rows get their numeric answers as text (the training dataset holds one type per
    column, and the rewards read answers as text)."""

    def __init__(self, kind: str, scored: dict[str, str] | None = None):
        self.kind = "prompts" if kind == "eval" else kind
        self.label = kind
        self.scored = scored or {}
        self.types: dict[str, tuple[str, str]] = {}  # column -> (JSON type, where it was first seen)

    def problem(self, row, where: str) -> Problem | None:
        """Why `row`, found at `where`, cannot be used; None when it can."""
        if not isinstance(row, dict):
            return Problem("not_an_object", f"expected a JSON object, got {_json_type(row)}")
        options = REQUIRED[self.kind]
        if not any(all(col in row for col in option) for option in options):
            wanted = " or ".join("+".join(option) for option in options)
            article = "an" if self.label[0] in "aeiou" else "a"
            return Problem("missing_columns", f"{article} {self.label} row needs {wanted}; it has {sorted(row)}")
        lang = row.get("lang")
        if lang not in LANGUAGES:
            return Problem("bad_lang", f"`lang` must be one of the 24 EU language codes, got {lang!r} "
                                       "(set data.lang in the recipe to give every row one)")
        if self.kind == "pretrain" and not isinstance(row["text"], str):
            return Problem("bad_text", f"`text` must be a string, got {_json_type(row['text'])}")
        if self.kind != "prompts":
            return None
        if not _is_prompt(row["prompt"]):
            return Problem("bad_prompt", "`prompt` must be a string or a list of {role, content} messages with string "
                                         f"values, got {_json_type(row['prompt'])}")
        for column, scorer in self.scored.items():
            problem = _scored_problem(row, column, scorer)
            if problem is not None:
                return problem
        if isinstance(row.get("answer"), _NUMBERS) and not isinstance(row["answer"], bool):
            row["answer"] = str(row["answer"])
        return self._type_change(row, where) if self.label == "prompts" else None

    def _type_change(self, row: dict, where: str) -> Problem | None:
        for column, value in row.items():
            if value is None:
                continue
            kind = _json_type(value)
            seen = self.types.setdefault(column, (kind, where))
            if seen[0] != kind:
                return Problem("mixed_types", f"`{column}` is {kind} here but {seen[0]} at {seen[1]}; "
                                              "a column holds one type in every row")
        return None


def _is_prompt(prompt) -> bool:
    if isinstance(prompt, str):
        return True
    return isinstance(prompt, list) and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in prompt
    )


def _scored_problem(row: dict, column: str, scorer: str) -> Problem | None:
    expected = f"{scorer} scores every row against it; expected a number or a non-empty string"
    if column not in row or row[column] is None:
        state = "missing" if column not in row else "null"
        return Problem(f"missing_{column}", f"`{column}` is {state}: {expected}")
    value = row[column]
    if isinstance(value, str):
        if not value.strip():
            return Problem(f"missing_{column}", f"`{column}` is empty: {expected}")
        if value.strip().lower() in _NOT_FINITE:
            return Problem(f"bad_{column}", f"`{column}` is {value!r}, not a finite number: {expected}")
        return None
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        return Problem(f"bad_{column}", f"`{column}` is {_json_type(value)}: {expected}")
    if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
        return Problem(f"bad_{column}", f"`{column}` is {value}, not a finite number: {expected}")
    return None


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, _NUMBERS):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _read_hub(spec: SourceSpec) -> list[dict]:
    from datasets import load_dataset

    dataset = load_dataset(spec.path, spec.name, split=spec.split, revision=spec.revision)
    return [dict(row) for row in dataset]
