"""Rows for a stage: from the embedded world, local files, or a hub dataset.

Formats follow TRL's conventions and every row carries `lang`:
- pretrain:   text
- sft:        messages (list of {role, content}) or prompt + completion
- preference: prompt + chosen + rejected (plain strings or conversations)
- prompts:    prompt (string or conversation) + the columns the rewards need (answer, ...)
A row that breaks the format is an error naming the file and the row, before any training.
"""

from __future__ import annotations

import json
from pathlib import Path

from euro_post.data.languages import LANGUAGES
from euro_post.pipeline.config import DataSpec

REQUIRED = {
    "pretrain": [("text",)],
    "sft": [("messages",), ("prompt", "completion")],
    "preference": [("prompt", "chosen", "rejected")],
    "prompts": [("prompt",)],
}
WORLD_SPLIT = {"pretrain": "pretrain_rows", "sft": "sft_rows", "prompts": "rl_rows", "eval": "eval_rows"}


class DataError(ValueError):
    pass


def load_rows(spec: DataSpec, kind: str, languages: list[str], world=None) -> list[dict]:
    """All rows of `kind` for `languages`, validated. `world` serves `path: world`."""
    if spec.path == "world":
        if world is None:
            raise DataError("data.path is 'world' but no world was given")
        split = "eval" if kind == "eval" else kind
        rows = [row for lang in languages for row in getattr(world, WORLD_SPLIT[split])(lang)]
        source = "the embedded world"
    else:
        rows, source = _read(spec)
        if spec.lang:
            for row in rows:
                row.setdefault("lang", spec.lang)
        _validate(rows, "prompts" if kind == "eval" else kind, source)
        rows = [row for row in rows if row["lang"] in languages]
    if spec.max_rows:
        rows = interleave_languages(rows)[: spec.max_rows]
    if not rows:
        raise DataError(f"{source}: no {kind} rows for languages {', '.join(languages)}")
    return rows


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


def _read(spec: DataSpec) -> tuple[list[dict], str]:
    path = Path(spec.path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".json", ".parquet") and spec.split in p.stem)
        if not files:
            raise DataError(f"{path}: no .jsonl/.json/.parquet file for split {spec.split!r} in this folder")
        rows: list[dict] = []
        for file in files:
            rows += _read_file(file)
        return rows, str(path)
    if path.exists():
        return _read_file(path), str(path)
    if path.suffix in (".jsonl", ".json", ".parquet") or spec.path.startswith((".", "/")):
        raise DataError(f"{path}: data file not found")
    return _read_hub(spec), f"hub dataset {spec.path}"


def _read_file(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json" and text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: not valid JSON: {err}") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}, line {number}: not valid JSON ({err.msg}); the file may be truncated") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}, line {number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows


def _read_hub(spec: DataSpec) -> list[dict]:
    from datasets import load_dataset

    dataset = load_dataset(spec.path, spec.name, split=spec.split, revision=spec.revision)
    return [dict(row) for row in dataset]


def _validate(rows: list[dict], kind: str, source: str) -> None:
    options = REQUIRED[kind]
    for index, row in enumerate(rows, start=1):
        if not any(all(col in row for col in option) for option in options):
            wanted = " or ".join("+".join(option) for option in options)
            raise DataError(f"{source}, row {index}: a {kind} row needs {wanted}; it has {sorted(row)}")
        lang = row.get("lang")
        if lang not in LANGUAGES:
            raise DataError(
                f"{source}, row {index}: `lang` must be one of the 24 EU language codes, got {lang!r} "
                "(set data.lang in the recipe to give every row one)"
            )
