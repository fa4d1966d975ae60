"""The data half of `euro-post validate`: for every stage that reads a file, how many rows it
has, how many the stage can use, and how many it would drop or refuse, counted by reason.

Nothing is tokenized, no model is loaded. Every row is checked (where the stage itself stops at
the first bad one):

- invalid (the run would stop on them): unreadable lines (`invalid_json`, a `truncated_line` at
  the end of a cut-off file), `not_an_object`, `missing_columns` (the schema of euro_post.data.rows),
  `bad_lang`, stage shapes (`bad_prompt`, `bad_shape`, `missing_answer` when math_accuracy
  scores the rows);
- dropped (the stage skips and counts them): the stage's own row checks, e.g. sft's
  `empty_conversation`, `missing_role`, `unknown_role`, `bad_content`, `empty_assistant`, and
  preference's `empty_prompt`, `empty_chosen`, `empty_rejected`, `identical`;
- other languages: rows in languages the recipe does not train on (left out, not an error).

Checks that need the tokenizer (sft's `no_trainable_tokens`, pairs whose prompt fills
max_length) happen when the stage runs.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from euro_post.data.languages import LANGUAGES
from euro_post.data.rows import REQUIRED, DataError, _read_file

FILE_SUFFIXES = (".jsonl", ".json", ".parquet")
# Reasons for which euro_post.data.rows.load_rows raises, naming the file and row.
LOAD_ERRORS = frozenset({"unreadable_file", "invalid_json", "truncated_line", "not_an_object", "missing_columns", "bad_lang"})


@dataclass
class DataReport:
    stage: str
    source: str
    rows: int = 0
    usable: int = 0
    invalid: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)  # reason -> where it first happened
    other_languages: int = 0
    max_drop_fraction: float | None = None
    error: str | None = None  # the data cannot be read at all
    note: str | None = None  # not checked here, and why

    @property
    def fails(self) -> bool:
        if self.error or self.invalid:
            return True
        if self.note:
            return False
        if self.usable == 0:
            return True
        limit = self.max_drop_fraction
        considered = self.usable + sum(self.dropped.values())
        return limit is not None and sum(self.dropped.values()) / max(considered, 1) > limit

    @property
    def stops_loading(self) -> bool:
        """What euro_post.data.rows itself refuses (the stage stops before any training on it)."""
        if self.note:
            return False
        return self.error is not None or self.usable == 0 or any(reason in LOAD_ERRORS for reason in self.invalid)

    def lines(self) -> list[str]:
        head = f"  data {self.stage:<12} {self.source}"
        if self.note:
            return [f"{head}: {self.note}"]
        if self.error:
            return [f"{head}: UNREADABLE: {self.error}"]
        out = [f"{head}: {self.rows} rows, {self.usable} usable"]
        if self.other_languages:
            plural = "s" if self.other_languages != 1 else ""
            out.append(f"      {self.other_languages} row{plural} in languages outside the recipe (left out)")
        for title, counts in (("invalid (the run would stop)", self.invalid), ("would be dropped", self.dropped)):
            if counts:
                out.append(f"      {title}: " + ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())))
                out += [f"        {reason}: first at {self.first[reason]}" for reason in sorted(counts)]
        if self.fails and not self.invalid:
            limit = f" (max_drop_fraction {self.max_drop_fraction})" if self.max_drop_fraction is not None else ""
            out.append(f"      the stage would refuse this data: too few usable rows{limit}")
        return out


def refuse_unloadable(recipe, name: str) -> None:
    """Raise DataError when stage `name`'s data cannot be loaded at all: called before a stage's
    earlier results are discarded for a fresh run, so that a run that cannot start deletes nothing."""
    for report in check_recipe_data(recipe, only=name):
        if report.stops_loading:
            raise DataError(
                f"stages.{name}.data cannot be loaded; the stage's earlier results are kept:\n" + "\n".join(report.lines())
            )


def check_recipe_data(recipe, only: str | None = None) -> list[DataReport]:
    """One report per enabled stage that reads data."""
    reports = []
    for name in recipe.enabled_stages():
        if only is not None and name != only:
            continue
        config = recipe.stage_config(name)
        spec = getattr(config, "data", None)
        if spec is None:
            continue
        kind = _kind(name, config)
        if kind is None:
            continue
        reports.append(check_data(name, spec, kind, config, recipe.languages))
    return reports


def check_data(stage: str, spec, kind: str, config, languages: list[str]) -> DataReport:
    report = DataReport(stage, spec.path, max_drop_fraction=getattr(config, "max_drop_fraction", None))
    if spec.path == "world":
        report.note = "the embedded world (generated, always well formed)"
        return report
    path = Path(spec.path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in FILE_SUFFIXES + (".txt",) and (spec.split in p.stem or p.suffix == ".txt"))
    elif path.exists():
        files = [path]
    elif path.suffix in FILE_SUFFIXES + (".txt",) or spec.path.startswith((".", "/")):
        report.error = f"{path}: data file not found"
        return report
    else:
        report.note = "a hub dataset (checked when the run downloads it)"
        return report
    if not files:
        report.error = f"{path}: no .jsonl/.json/.parquet file for split {spec.split!r} in this folder"
        return report
    needs_answer = kind in ("prompts", "eval") and "math_accuracy" in _reward_names(config, kind)
    for file in files:
        if file.suffix == ".txt":
            _check_text(report, file, spec, languages)
            continue
        for where, row, problem in _rows(file):
            report.rows += 1
            if problem:
                _count(report, report.invalid, problem, where)
                continue
            if spec.lang:
                row.setdefault("lang", spec.lang)
            reason, bucket = _check_row(row, kind, needs_answer)
            if reason:
                _count(report, report.invalid if bucket == "invalid" else report.dropped, reason, where)
            elif row["lang"] not in languages:
                report.other_languages += 1
            else:
                report.usable += 1
    return report


def _kind(name: str, config) -> str | None:
    if name == "base_pretrain":
        return "pretrain"
    if name == "sft":
        return "sft"
    if name == "preference":
        return "preference" if getattr(config, "pairs", "on_policy") == "offline" else "prompts"
    if name == "rl":
        return "prompts"
    if name == "eval":
        return "eval"
    return None


def _reward_names(config, kind: str) -> set[str]:
    if kind == "eval":
        return {"math_accuracy"}  # evaluation always scores answers
    return {spec.name for spec in getattr(config, "rewards", [])}


def _rows(file: Path):
    """(where, row, problem) for every row; problem names why a line is not a row."""
    if file.suffix != ".jsonl" and not (file.suffix == ".json" and not file.read_text(encoding="utf-8").lstrip().startswith("[")):
        try:
            rows = _read_file(file)
        except (DataError, OSError, ValueError) as err:  # pyarrow's errors are ValueErrors
            yield f"{file}", None, f"unreadable_file: {err}"
            return
        for index, row in enumerate(rows, start=1):
            yield f"{file}, row {index}", row, None if isinstance(row, dict) else "not_an_object"
        return
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    last = max((i for i, line in enumerate(lines, start=1) if line.strip()), default=0)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{file}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            yield where, None, "truncated_line" if number == last and line.lstrip().startswith("{") else "invalid_json"
            continue
        yield where, row, None if isinstance(row, dict) else "not_an_object"


def _check_row(row: dict, kind: str, needs_answer: bool) -> tuple[str | None, str]:
    """(reason, "invalid" | "dropped") for a row the stage cannot use, else (None, "")."""
    options = REQUIRED["prompts" if kind == "eval" else kind]
    if not any(all(col in row for col in option) for option in options):
        return "missing_columns", "invalid"
    if row.get("lang") not in LANGUAGES:
        return "bad_lang", "invalid"
    if kind == "pretrain":
        if not isinstance(row["text"], str):
            return "bad_text", "invalid"
        return ("empty_text", "dropped") if not row["text"].strip() else (None, "")
    if kind == "sft":
        return _sft_drop(row)
    if kind == "preference":
        return _pair_drop(row)
    prompt = row["prompt"]
    if not (isinstance(prompt, str) or (isinstance(prompt, list) and all(isinstance(m, dict) and "role" in m and "content" in m for m in prompt))):
        return "bad_prompt", "invalid"
    if needs_answer and row.get("answer") in (None, ""):
        return "missing_answer", "invalid"
    return None, ""


def _sft_drop(row: dict) -> tuple[str | None, str]:
    from euro_post.sft.encode import DroppedRow, check_messages

    try:
        if "messages" in row:
            check_messages(row["messages"], "row")
        elif isinstance(row["prompt"], list) and isinstance(row["completion"], list):
            check_messages(row["prompt"] + row["completion"], "row")
            if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in row["completion"]):
                return "empty_assistant", "dropped"
        elif isinstance(row["prompt"], str) and isinstance(row["completion"], str):
            if not row["completion"].strip():
                return "empty_assistant", "dropped"
        else:
            return "bad_content", "dropped"
    except DroppedRow as drop:
        return drop.reason, "dropped"
    return None, ""


def _pair_drop(row: dict) -> tuple[str | None, str]:
    from euro_post.preference.offline import FIELDS, PairDataError, _check_shape, _drop_reason

    try:
        for name in FIELDS:
            _check_shape(row[name], name, 0, "")
    except PairDataError:
        return "bad_shape", "invalid"
    reason = _drop_reason(row)
    return (reason, "dropped") if reason else (None, "")


def _check_text(report: DataReport, file: Path, spec, languages: list[str]) -> None:
    if spec.lang is None or spec.lang not in LANGUAGES:
        report.error = f"{file}: plain-text corpora carry no language; set data.lang to an EU language code"
        return
    for number, paragraph in enumerate(file.read_text(encoding="utf-8", errors="replace").split("\n\n"), start=1):
        report.rows += 1
        if not paragraph.strip():
            _count(report, report.dropped, "empty_text", f"{file}, paragraph {number}")
        elif spec.lang not in languages:
            report.other_languages += 1
        else:
            report.usable += 1


def _count(report: DataReport, counter: Counter, reason: str, where: str) -> None:
    key, _, detail = reason.partition(": ")
    counter[key] += 1
    report.first.setdefault(key, where + (f" ({detail})" if detail else ""))
