"""A source's rows turned into ours: its columns renamed, its language read, its answers split.

A lab's data comes in the shape its authors chose: GSM8K has `question` and an `answer` that ends
in `#### 18`, a translated set names its language `de-DE` in a column, a FineWeb-style corpus
writes `deu_Latn`. Each row of a source passes through these steps, in order, before the one
row check of euro_post/data/rows.py judges it:

1. `columns: {question: prompt}` renames source columns to ours; a mapped column the row lacks is
   an error naming it ("column 'question' (mapped to 'prompt') is missing").
2. The language: a constant (`lang: de`, for rows without a `lang` column), a column
   (`lang: {column: language}`), the hub configuration name (`lang: {from: config}`), each code
   read by euro_post/data/language_codes.py; a row whose code names none of the 24 languages is
   left out and counted (`unknown_language`), or refused with `strict: true`. A `lang` column read
   as it is must name one of the 24 (in any spelling language_codes reads), or the row is refused.
3. The row's shape: a plain `question` string becomes the `prompt` (a one-turn conversation, as
   the world writes prompts); prompt and eval rows get the bare final answer out of an answer
   written as GSM8K, `\\boxed{}` or "The answer is" writes it
   (euro_post/data/answers.py), the worked solution kept as `solution`; an sft row with a prompt
   and an answer but no reply becomes prompt + completion, the worked solution followed by the
   language's answer line ("Antwort: 18"), as the format reward wants it.
4. `lang: detect` identifies the language of the row's text (rewards/language_id.py) and leaves
   out rows identified with less than `min_confidence` (`language_not_identified`).
"""

from __future__ import annotations

from euro_post.data.answers import split_answer
from euro_post.data.language_codes import to_language
from euro_post.data.languages import LANGUAGES, answer_line
from euro_post.pipeline.config import LangSpec, SourceSpec

# Why a row is left out rather than refused; counted per source and language.
UNKNOWN_LANGUAGE = "unknown_language"
NOT_IDENTIFIED = "language_not_identified"


class Mapped(Exception):
    """Raised by RowMapper.apply: the row is refused (`drop` False) or left out (`drop` True)."""

    def __init__(self, reason: str, message: str, drop: bool = False, language: str | None = None):
        super().__init__(message)
        self.reason, self.message, self.drop, self.language = reason, message, drop, language


class RowMapper:
    """Applies one source's columns, lang and shape rules to each of its rows, in place."""

    def __init__(self, spec: SourceSpec, kind: str):
        self.spec = spec
        self.kind = kind
        self.columns = dict(spec.columns or {})
        lang = spec.lang
        self.lang_column = lang.column if isinstance(lang, LangSpec) else None
        self.config_lang = to_language(spec.name) if isinstance(lang, LangSpec) and lang.from_ == "config" else None
        self.detect = lang.min_confidence if isinstance(lang, LangSpec) and lang.detect else None
        self.constant = lang if isinstance(lang, str) else None

    def apply(self, row: dict) -> None:
        """Map `row` (a dict) in place; raise Mapped when it is refused or left out."""
        self._rename(row)
        self._language(row)
        self._shape(row)
        if self.detect is not None:
            self._identify(row)

    def _rename(self, row: dict) -> None:
        missing = [source for source in self.columns if source not in row]
        if missing:
            source = missing[0]
            raise Mapped("missing_columns", f"column {source!r} (mapped to {self.columns[source]!r}) is missing; "
                                            f"the row has {sorted(row)}")
        values = {ours: row.pop(source) for source, ours in self.columns.items()}
        row.update(values)

    def _language(self, row: dict) -> None:
        if self.lang_column is not None:
            if self.lang_column not in row:
                raise Mapped("missing_columns", f"column {self.lang_column!r} (the row's language, lang.column) is "
                                                f"missing; the row has {sorted(row)}")
            self._read_code(row, row[self.lang_column], f"column {self.lang_column!r}")
        elif self.config_lang is not None:
            row["lang"] = self.config_lang
        else:
            if self.constant is not None:
                row.setdefault("lang", self.constant)
            code = row.get("lang")
            if isinstance(code, str) and code not in LANGUAGES and to_language(code) is not None:
                row["lang"] = to_language(code)  # `de-DE`, `deu_Latn`: one of ours, written another way

    def _read_code(self, row: dict, value, field: str) -> None:
        code = to_language(value)
        if code is None:
            message = (f"{field}: {value!r} names none of the 24 EU languages (codes such as de, de-DE, deu_Latn "
                       "are read)")
            if self.spec.strict:
                raise Mapped("bad_lang", message + "; strict: true refuses it")
            raise Mapped(UNKNOWN_LANGUAGE, message, drop=True, language=str(value))
        row["lang"] = code

    def _shape(self, row: dict) -> None:
        if "prompt" not in row and "messages" not in row and isinstance(row.get("question"), str):
            # A conversation, as the world's prompts are: the trainers then apply the chat template.
            row["prompt"] = [{"role": "user", "content": row.pop("question")}]
        if self.kind in ("prompts", "eval"):
            found = split_answer(row.get("answer"))
            if found is not None:
                row["answer"] = found.final
                if found.solution and "solution" not in row:
                    row["solution"] = found.solution
        elif self.kind == "sft" and "messages" not in row and "completion" not in row:
            self._completion(row)

    def _completion(self, row: dict) -> None:
        answer, lang = row.get("answer"), row.get("lang")
        if "prompt" not in row or lang not in LANGUAGES or isinstance(answer, bool) or not isinstance(answer, (str, int, float)):
            return  # the row check names what is missing
        found = split_answer(answer) if isinstance(answer, str) else None
        if found is None:
            row["completion"] = answer_line(lang, str(answer).strip())
        else:
            line = answer_line(lang, found.final)
            row["completion"] = f"{found.solution}\n{line}" if found.solution else line
        if isinstance(row["prompt"], list):  # a conversation prompt takes a conversation completion
            row["completion"] = [{"role": "assistant", "content": row["completion"]}]

    def _identify(self, row: dict) -> None:
        from euro_post.rewards.language_id import language_probabilities

        probabilities = language_probabilities(row_text(row)) or {}
        best = max(probabilities, key=probabilities.get, default=None)
        if best is None or probabilities[best] < self.detect:
            found = f"{best} at {probabilities[best]:.2f}" if best else "too little text"
            raise Mapped(NOT_IDENTIFIED, f"language not identified ({found}, min_confidence {self.detect})",
                         drop=True, language="unidentified")
        row["lang"] = best


def row_text(row: dict) -> str:
    """The words of a row that say its language: its conversation, prompt and reply, or text."""
    parts = []
    for key in ("messages", "prompt", "completion", "text"):
        value = row.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts += [m["content"] for m in value if isinstance(m, dict) and isinstance(m.get("content"), str)]
    return "\n".join(parts)
