"""A stage's rows from one source or a weighted mixture of sources, with what each contributed.

One source (a mapping in the recipe) is read as it always was: its rows in the recipe's
languages, in file order, `max_rows` taken in turn from each language. A list of sources is
mixed:

- a source with `max_rows` gives that many of its rows (fewer when it has fewer), whatever the
  weights;
- the other sources share the rest by `weight` (1 when not given). When no source gives a weight
  each gives all its rows; when one does, the weighted sources together give as many rows as they
  hold, source i `weight_i / sum of weights` of them: a small source with a large weight is
  repeated (whole passes, then part of one), a large one with a small weight is sampled down;
- which rows a source gives, and the order of the mixture, are drawn from the recipe's seed: the
  same seed gives the same rows in the same order, another seed another draw. A source's rows are
  shuffled within each language and then taken in turn from each language, so that sampling it
  down keeps its languages' shares.

Every source's rows are counted, kept and left out, by language and reason (`unknown_language`,
`language_not_identified`, `other_language` for one of the 24 the recipe does not train,
`max_rows`, `not_sampled`), and kept repeats as `repeated`: `LoadedData.record` is what the stage
writes to its manifest and the training summary (euro_post/provenance/data_sources.py).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from euro_post.data.rows import (
    WORLD_SPLIT,
    DataError,
    RowCheck,
    checked_rows,
    interleave_languages,
    scored_columns,
)
from euro_post.pipeline.config import DataSpec, SourceSpec

OTHER_LANGUAGE = "other_language"  # one of the 24 that the recipe does not train


@dataclass
class SourceCount:
    """What one source gave: rows read, kept and left out (by reason), per language."""

    source: str
    read: int = 0
    kept: Counter = field(default_factory=Counter)  # language -> rows in the stage's data
    usable: Counter = field(default_factory=Counter)  # language -> distinct rows before weighting
    dropped: dict[str, Counter] = field(default_factory=dict)  # reason -> language -> rows

    def drop(self, reason: str, language: str, n: int = 1) -> None:
        self.dropped.setdefault(reason, Counter())[language] += n

    def as_dict(self, spec: SourceSpec) -> dict:
        kept = sum(self.kept.values())
        usable = sum(self.usable.values())
        return {
            "source": self.source,
            "name": spec.name,
            "split": spec.split,
            "weight": spec.weight,
            "max_rows": spec.max_rows,
            "read": self.read,
            "usable": usable,
            "kept": kept,
            "repeated": max(kept - usable, 0),
            "kept_per_language": dict(sorted(self.kept.items())),
            "dropped": {reason: sum(by_lang.values()) for reason, by_lang in sorted(self.dropped.items())},
            "dropped_per_language": {reason: dict(sorted(by_lang.items())) for reason, by_lang in sorted(self.dropped.items())},
        }


@dataclass
class LoadedData:
    rows: list[dict]
    record: dict | None  # per-source counts; None for the embedded world alone (nothing to account for)


def load_data(spec: DataSpec, kind: str, languages: list[str], world=None, rewards: Iterable[str] = (),
              seed: int = 0) -> LoadedData:
    """The stage's rows and the record of where they came from; a DataError, naming the source,
    row and field, for anything the stage cannot use."""
    sources = spec.source_list()
    # The sources of a mixture form one table: a column keeps one type across all of them.
    check = RowCheck(kind, scored_columns(kind, rewards))
    read = [_read_source(source, kind, languages, world, rewards, check) for source in sources]
    if not spec.is_mixture:
        rows, count = read[0]
        if spec.max_rows:
            capped = interleave_languages(rows)[: spec.max_rows]
            _count_left_out(count, rows, capped, "max_rows")
            rows = capped
        count.kept.update(row["lang"] for row in rows)
        record = None if spec.path == "world" else _record(spec, [(spec, count)], rows, seed)
        return LoadedData(rows, record)
    chosen = draw(sources, [rows for rows, _ in read], [count for _, count in read], seed)
    if not chosen:
        raise DataError(f"{spec.label}: the weights give no rows (every source with rows has weight 0)")
    if kind == "prompts":
        _same_columns(chosen)
    return LoadedData(chosen, _record(spec, list(zip(sources, [count for _, count in read])), chosen, seed))


def draw(sources: list[SourceSpec], rows: list[list[dict]], counts: list[SourceCount], seed: int) -> list[dict]:
    """The mixture's rows, in the order of the seed (see the module docstring)."""
    weighted = any(source.weight is not None for source in sources)
    takes: list[int] = [0] * len(sources)
    shares: dict[int, float] = {}
    for index, (source, own) in enumerate(zip(sources, rows)):
        if source.max_rows is not None:
            takes[index] = min(source.max_rows, len(own))
        elif weighted:
            shares[index] = 1.0 if source.weight is None else source.weight
        else:
            takes[index] = len(own)
    total_share = sum(shares.values())
    if shares and total_share > 0:
        pool = sum(len(rows[i]) for i in shares)
        for index, n in largest_remainder(pool, {i: w / total_share for i, w in shares.items()}).items():
            takes[index] = n if rows[index] else 0
    mixed = []
    for index, (own, take) in enumerate(zip(rows, takes)):
        order = interleave_languages(_shuffled(own, f"{seed}:source:{index}"))
        picked = [order[i % len(order)] for i in range(take)] if order else []
        counts[index].kept.update(row["lang"] for row in picked)
        if take < len(order):
            _count_left_out(counts[index], order, picked, "max_rows" if sources[index].max_rows is not None else "not_sampled")
        mixed += [dict(row) for row in picked]  # a repeated row is its own row: the stages may change it
    return _shuffled(mixed, f"{seed}:mixture")


def largest_remainder(total: int, fractions: dict[int, float]) -> dict[int, int]:
    """`total` split by `fractions` (summing to 1) into whole numbers that sum to `total`."""
    exact = {key: total * share for key, share in fractions.items()}
    whole = {key: int(value) for key, value in exact.items()}
    left = total - sum(whole.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - whole[k]), k))[:left]:
        whole[key] += 1
    return whole


def _shuffled(rows: list[dict], seed: str) -> list[dict]:
    order = list(rows)
    random.Random(seed).shuffle(order)
    return order


def _read_source(source: SourceSpec, kind: str, languages: list[str], world, rewards, check: RowCheck):
    """(rows in the recipe's languages, their count) of one source; a DataError on a refused row."""
    label = "the embedded world" if source.path == "world" else source.path
    count = SourceCount(label)
    if source.path == "world":
        if world is None or kind not in WORLD_SPLIT:
            raise DataError(f"data.path is 'world' but the embedded world has no {kind} rows here")
        split = WORLD_SPLIT["eval" if kind == "eval" else kind]
        rows = [row for lang in languages for row in getattr(world, split)(lang)]
        count.read = len(rows)
    else:
        rows = []
        for where, row, problem in checked_rows(source, kind, rewards, check):
            count.read += 1
            if problem is not None and problem.drop:
                count.drop(problem.reason, problem.language or "unknown")
            elif problem is not None:
                raise DataError(f"{where}: {problem.message}")
            elif row["lang"] not in languages:
                count.drop(OTHER_LANGUAGE, row["lang"])
            else:
                rows.append(row)
        if not rows:
            raise DataError(_empty(source, kind, languages, count))
    if not rows:
        raise DataError(f"{label}: no {kind} rows for languages {', '.join(languages)}")
    count.usable.update(row["lang"] for row in rows)
    return rows, count


def _empty(source: SourceSpec, kind: str, languages: list[str], count: SourceCount) -> str:
    where = source.path if Path(source.path).exists() else f"hub dataset {source.path}"
    if count.read == 0:
        return f"{where}: no {kind} rows ({'the file is' if Path(source.path).is_file() else 'it is'} empty)"
    left_out = "; ".join(f"{reason} {sum(by_lang.values())} ({', '.join(f'{lang} {n}' for lang, n in by_lang.most_common(5))})"
                         for reason, by_lang in sorted(count.dropped.items()))
    return f"{where}: no {kind} rows for languages {', '.join(languages)} (of {count.read} rows, left out: {left_out})"


def _count_left_out(count: SourceCount, before: list[dict], after: list[dict], reason: str) -> None:
    left = Counter(row["lang"] for row in before)
    left.subtract(row["lang"] for row in after)
    for lang, n in left.items():
        if n > 0:
            count.drop(reason, lang, n)


def _same_columns(rows: list[dict]) -> None:
    """Give every row every column (None where a source has none): the training dataset takes its
    columns from the first row, and a mixture's sources need not share their extra columns."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for row in rows:
        for column in columns:
            row.setdefault(column, None)


def _record(spec: DataSpec, counted: list[tuple[SourceSpec, SourceCount]], rows: list[dict], seed: int) -> dict:
    per_language = Counter(row["lang"] for row in rows)
    return {
        "mixture": spec.is_mixture,
        "seed": seed if spec.is_mixture else None,
        "rows": len(rows),
        "rows_per_language": dict(sorted(per_language.items())),
        "sources": [count.as_dict(source) for source, count in counted],
    }

