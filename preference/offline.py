"""Offline preference pairs from a user's file: prompt / chosen / rejected (+ lang) rows.

Each field is plain text or a conversation (a list of {role, content} messages), as in TRL.
When a file mixes the two, plain fields become one message (the prompt a user turn, the
completions an assistant turn), so that every pair goes through the chat template alike.

A row of the wrong shape is an error naming the file, the row and the field. Rows that are
well formed but cannot teach anything are dropped and counted: an empty prompt, chosen or
rejected (`empty_prompt`, `empty_chosen`, `empty_rejected`) and a chosen equal to its
rejected (`identical`). The stage fails when nothing is left or more than
`max_drop_fraction` of the rows were dropped.
"""

from __future__ import annotations

from collections import Counter

from euro_post.data.rows import DataError

FIELDS = ("prompt", "chosen", "rejected")
DROP_REASONS = ("empty_prompt", "empty_chosen", "empty_rejected", "identical")


class PairDataError(DataError):
    pass


def is_conversation(value) -> bool:
    return isinstance(value, list) and all(isinstance(m, dict) for m in value)


def check_pair_row(row: dict, number: int = 0, source: str = "") -> str | None:
    """Why the stage would drop this offline pair row (one of DROP_REASONS), or None to keep it.

    Raises PairDataError, naming `source`, row `number` and the field, when a field has the wrong
    shape. The stage and `euro-post validate` (euro_post/data/check.py) both judge rows with it."""
    for name in FIELDS:
        _check_shape(row[name], name, number, source)
    return _drop_reason(row)


def clean_offline_rows(rows: list[dict], max_drop_fraction: float, source: str) -> tuple[list[dict], dict]:
    """Usable pairs (prompt, chosen, rejected, lang, id) and the counts for the stage summary."""
    # Every row is judged before any is kept: a malformed row stops the stage, wherever it is.
    reasons = [check_pair_row(row, number, source) for number, row in enumerate(rows, start=1)]
    conversational = any(is_conversation(row[name]) for row in rows for name in FIELDS)

    kept, dropped, first = [], Counter(), {}
    for number, (row, reason) in enumerate(zip(rows, reasons), start=1):
        if reason:
            dropped[reason] += 1
            first.setdefault(reason, number)
            continue
        pair = {"id": str(row.get("id", f"row-{number}")), "lang": row["lang"]}
        for name in FIELDS:
            value = row[name]
            if conversational and isinstance(value, str):
                value = [{"role": "user" if name == "prompt" else "assistant", "content": value}]
            pair[name] = value
        kept.append(pair)

    total, lost = len(rows), sum(dropped.values())
    counts = ", ".join(f"{reason}: {n} (first: row {first[reason]})" for reason, n in sorted(dropped.items()))
    if not kept:
        raise PairDataError(f"{source}: none of the {total} preference rows can be trained on ({counts})")
    if lost / total > max_drop_fraction:
        raise PairDataError(
            f"{source}: {lost} of {total} preference rows ({lost / total:.1%}) cannot be trained on, more than "
            f"stages.preference.max_drop_fraction {max_drop_fraction} ({counts}). Fix the data, or raise "
            "max_drop_fraction to train on the rest."
        )
    per_language = Counter(pair["lang"] for pair in kept)
    stats = {
        "rows": total,
        "pairs": len(kept),
        "pairs_per_language": dict(sorted(per_language.items())),
        "dropped": {reason: dropped.get(reason, 0) for reason in DROP_REASONS},
        "format": "conversational" if conversational else "plain",
    }
    return kept, stats


def _check_shape(value, name: str, number: int, source: str) -> None:
    if isinstance(value, str):
        return
    if not is_conversation(value):
        raise PairDataError(
            f"{source}, row {number}: `{name}` must be a string or a list of {{role, content}} messages, "
            f"got {type(value).__name__}"
        )
    for index, message in enumerate(value):
        if not isinstance(message.get("role"), str) or not isinstance(message.get("content"), str):
            raise PairDataError(
                f"{source}, row {number}: `{name}` message {index} needs a string `role` and a string `content`, "
                f"got {sorted(message)}"
            )


def _text(value) -> str:
    if isinstance(value, str):
        return value.strip()
    return "\n".join(m["content"].strip() for m in value if m["content"].strip())


def _drop_reason(row: dict) -> str | None:
    for name in FIELDS:
        if not _text(row[name]):
            return f"empty_{name}"
    if _text(row["chosen"]) == _text(row["rejected"]):
        return "identical"
    return None
