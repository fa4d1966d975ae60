"""The data half of `euro-post validate`: for every stage that reads a file, how many rows it
has, how many the stage can use, and how many it would drop or refuse, counted by reason.

Nothing is tokenized, no model is loaded. Every row is checked (where the stage itself stops at
the first bad one):

- invalid (the run would stop on them): whatever euro_post.data.rows.checked_rows refuses, the
  same judge the stages load their rows with (`unreadable_file`, `invalid_json`, a
  `truncated_line` at the end of a cut-off file, `not_an_object`, `missing_columns`, `bad_lang`,
  `bad_text`, `bad_prompt`, `mixed_types`, `missing_answer` / `bad_answer` when math_accuracy or
  evaluation scores the rows), and preference's `bad_shape`;
- dropped (the stage skips and counts them): the stage's own row checks, e.g. sft's
  `empty_conversation`, `missing_role`, `unknown_role`, `bad_content`, `empty_assistant`, and
  preference's `empty_prompt`, `empty_chosen`, `empty_rejected`, `identical`;
- other languages: rows in languages the recipe does not train on (left out, not an error),
  with those whose code names none of the 24 (`unknown_language`) or whose text the identifier
  could not place (`language_not_identified`) counted by reason.

A mixture (a list of sources) gets one report per source, each refused on its own: a mapped
column the source lacks, a language code refused by `strict: true`, a source with no usable row
after filtering. The weights (negative, all zero, or beside max_rows) are refused with the recipe.

Checks that need the tokenizer (sft's `no_trainable_tokens`, pairs whose prompt fills
max_length) happen when the stage runs. `euro-post run` refuses, before any stage trains, data
that cannot be loaded (`refuse_bad_data`: anything invalid above, or no usable row), with the first
refusal in one line; a stage's `max_drop_fraction` the stage applies itself, with its own counts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from euro_post.data.languages import LANGUAGES
from euro_post.data.rows import (
    FILE_SUFFIXES,
    DataError,
    RowCheck,
    checked_rows,
    data_files,
    scored_columns,
)


@dataclass
class DataReport:
    stage: str
    source: str
    kind: str = ""  # of rows: pretrain, sft, preference, prompts or eval
    rows: int = 0
    usable: int = 0
    invalid: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)  # reason -> where it first happened
    other_languages: int = 0
    left_out: Counter = field(default_factory=Counter)  # reason -> rows left out for their language
    max_drop_fraction: float | None = None
    error: str | None = None  # the data cannot be read at all
    note: str | None = None  # not checked here, and why
    first_refusal: str | None = None  # the first invalid file, line or row, as the stage would raise it

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
        """The stage refuses this data as it loads it, before any training: what checked_rows
        refuses (the judge of euro_post.data.rows.load_rows too), or no usable row at all."""
        if self.note:
            return False
        return self.error is not None or bool(self.invalid) or self.usable == 0

    def refusal(self) -> str | None:
        """Why the stage would refuse this data, in one line (what it raises first), or None."""
        if not self.fails:
            return None
        if self.error or self.first_refusal:
            return self.error or self.first_refusal
        dropped = sum(self.dropped.values())
        counts = ", ".join(f"{reason} {n} (first at {self.first[reason]})" for reason, n in sorted(self.dropped.items()))
        if self.rows == 0:
            return f"{self.source}: no {self.kind} rows (the file is empty)"
        if self.usable == 0:
            left = ", ".join(f"{reason} {n}" for reason, n in sorted(self.left_out.items()))
            left = f"; left out for their language: {left}" if left else ""
            return f"{self.source}: no usable rows in the recipe's languages" + (f" ({counts})" if counts else "") + left
        return (f"{self.source}: {dropped} of {self.usable + dropped} rows cannot be trained on ({counts}), more than "
                f"max_drop_fraction {self.max_drop_fraction}")

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
            out += [f"        {reason}: {n} (first at {self.first[reason]})" for reason, n in sorted(self.left_out.items())]
        for title, counts in (("invalid (the run would stop)", self.invalid), ("would be dropped", self.dropped)):
            if counts:
                out.append(f"      {title}: " + ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())))
                out += [f"        {reason}: first at {self.first[reason]}" for reason in sorted(counts)]
        if self.fails and not self.invalid:
            limit = f" (max_drop_fraction {self.max_drop_fraction})" if self.max_drop_fraction is not None else ""
            reason = self.refusal() if self.usable == 0 else f"too few usable rows{limit}"
            out.append(f"      the stage would refuse this data: {reason}")
        return out


def refuse_bad_data(recipe, run_dir) -> None:
    """Raise DataError, in one line, when the data of a stage still to run (not complete in
    `run_dir`) cannot be loaded: called before any stage trains, so that bad data costs nothing."""
    for name in recipe.enabled_stages():
        if _complete(Path(run_dir) / name):
            continue  # skipped, or checked by refuse_unloadable before it is run again
        for report in check_recipe_data(recipe, only=name):
            if report.stops_loading:  # a stage's drop limit is the stage's to apply, with its own counts
                raise DataError(f"stages.{name}.data: {report.refusal()}; nothing was trained "
                                "(`euro-post validate` lists every bad row)")


def _complete(stage_dir: Path) -> bool:
    try:
        return json.loads((stage_dir / "stage.json").read_text()).get("status") == "complete"
    except (OSError, ValueError, AttributeError):
        return False


def refuse_unloadable(recipe, name: str) -> None:
    """Raise DataError when stage `name`'s data cannot be loaded at all: called before a stage's
    earlier results are discarded for a fresh run, so that a run that cannot start deletes nothing."""
    for report in check_recipe_data(recipe, only=name):
        if report.stops_loading:
            raise DataError(
                f"stages.{name}.data cannot be loaded; the stage's earlier results are kept:\n" + "\n".join(report.lines())
            )


def check_recipe_data(recipe, only: str | None = None) -> list[DataReport]:
    """One report per source of every enabled stage that reads data (a mixture has several)."""
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
        sources = spec.source_list()
        # A mixture's sources form one table, as the stage loads them (euro_post/data/mixture.py).
        check = RowCheck(kind, scored_columns(kind, [reward.name for reward in getattr(config, "rewards", [])]))
        for index, source in enumerate(sources, start=1):
            share = f", weight {source.weight:g}" if source.weight is not None else (
                f", max_rows {source.max_rows}" if source.max_rows is not None else "")
            label = f"{source.path} (source {index} of {len(sources)}{share})" if spec.is_mixture else None
            reports.append(check_data(name, source, kind, config, recipe.languages, check=check, label=label))
    return reports


def check_data(stage: str, spec, kind: str, config, languages: list[str], check: RowCheck | None = None,
               label: str | None = None) -> DataReport:
    """The report of one source (`spec`, a SourceSpec); `check` is shared by a mixture's sources."""
    report = DataReport(stage, label or spec.path, kind, max_drop_fraction=getattr(config, "max_drop_fraction", None))
    if spec.path == "world":
        report.note = "the embedded world (generated, always well formed)"
        return report
    path = Path(spec.path)
    if kind == "pretrain" and _is_text_corpus(path):
        if not path.exists():
            report.error = f"{path}: data file not found"
            return report
        for file in sorted(path.glob("*.txt")) if path.is_dir() else [path]:
            _check_text(report, file, spec, languages)
        return report
    try:
        if data_files(spec) is None:
            report.note = "a hub dataset (checked when the run downloads it)"
            return report
    except DataError as err:
        report.error = str(err)
        return report
    rewards = [reward.name for reward in getattr(config, "rewards", [])]
    for where, row, problem in checked_rows(spec, kind, rewards, check):
        report.rows += 1
        if problem is not None and problem.drop:
            report.other_languages += 1
            _count(report, report.left_out, problem.reason, where, problem.message)
            continue
        if problem is not None:
            _count(report, report.invalid, problem.reason, where, problem.message)
            continue
        reason, bucket = _check_row(row, kind)
        if reason:
            _count(report, report.invalid if bucket == "invalid" else report.dropped, reason, where)
        elif row["lang"] not in languages:
            report.other_languages += 1
        else:
            report.usable += 1
    return report


def _is_text_corpus(path: Path) -> bool:
    """Plain text, as base_pretrain reads it: a .txt file, or a folder of .txt files and no other data."""
    if path.suffix == ".txt":
        return True
    suffixes = {p.suffix for p in path.iterdir() if p.is_file()} if path.is_dir() else set()
    return ".txt" in suffixes and not set(FILE_SUFFIXES) & suffixes


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


def _check_row(row: dict, kind: str) -> tuple[str | None, str]:
    """(reason, "invalid" | "dropped") for a row checked_rows accepted that the stage's own rules
    refuse or skip, else (None, "")."""
    if kind == "pretrain":
        return ("empty_text", "dropped") if not row["text"].strip() else (None, "")
    if kind == "sft":
        return _sft_drop(row)
    if kind == "preference":
        return _pair_drop(row)
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
    from euro_post.pipeline.stages import STAGES

    check = STAGES["preference"].row_check_function()  # the stage's own rule, so that both agree
    try:
        reason = check(row)
    except DataError:
        return "bad_shape", "invalid"
    return (reason, "dropped") if reason else (None, "")


def _check_text(report: DataReport, file: Path, spec, languages: list[str]) -> None:
    if not isinstance(spec.lang, str) or spec.lang not in LANGUAGES:
        report.error = f"{file}: plain-text corpora carry no language; set data.lang to an EU language code"
        return
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:  # as base_pretrain.corpus says it
        report.error = f"{file}: not UTF-8 text ({err.reason} at byte {err.start})"
        return
    for number, paragraph in enumerate(text.split("\n\n"), start=1):
        report.rows += 1
        if not paragraph.strip():
            _count(report, report.dropped, "empty_text", f"{file}, paragraph {number}")
        elif spec.lang not in languages:
            report.other_languages += 1
        else:
            report.usable += 1


def _count(report: DataReport, counter: Counter, reason: str, where: str, message: str | None = None) -> None:
    counter[reason] += 1
    report.first.setdefault(reason, where + (f" ({message})" if message else ""))
    if counter is report.invalid and report.first_refusal is None:
        report.first_refusal = f"{where}: {message or reason}"
