"""Rows from the embedded world and from files: a cap on rows keeps every language; files and rows
are judged by one function for `euro-post validate` and the stages."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from euro_post.data.rows import load_rows
from euro_post.data.world import World, WorldConfig
from euro_post.pipeline.config import DataSpec


def test_max_rows_takes_rows_in_turn_from_every_language():
    langs = ["bg", "de", "mt"]
    world = World(WorldConfig(rl_per_language=10), langs)
    rows = load_rows(DataSpec(path="world", max_rows=7), "prompts", langs, world)
    assert [row["lang"] for row in rows] == ["bg", "de", "mt", "bg", "de", "mt", "bg"]
    # Each language's own order is kept: its first rows, in order.
    assert [row["id"] for row in rows if row["lang"] == "de"] == [row["id"] for row in world.rl_rows("de")[:2]]


def test_max_rows_on_a_file_keeps_languages_and_drops_the_others(tmp_path):
    path = tmp_path / "prompts.jsonl"
    lines = [{"prompt": f"p{i}", "lang": lang} for i, lang in enumerate(["fr"] * 6 + ["pl"] * 3 + ["sv"] * 2)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rows = load_rows(DataSpec(path=str(path), max_rows=6), "prompts", ["fr", "pl"], None)
    assert Counter(row["lang"] for row in rows) == {"fr": 3, "pl": 3}
    assert [row["prompt"] for row in rows if row["lang"] == "fr"] == ["p0", "p1", "p2"]


# -- one judge for validate and the stages -------------------------------------------------
GOOD = {"prompt": "2+3?", "lang": "de", "answer": "5"}


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_json_lines_end_at_newlines_only_and_byte_order_marks_are_accepted(tmp_path):
    from euro_post.data.rows import file_rows

    line = json.dumps({**GOOD, "prompt": "a\u2028b\u0085c"}, ensure_ascii=False)
    path = write(tmp_path / "p.jsonl", "\ufeff" + line + "\r\n\n" + "\ufeff" + json.dumps(GOOD) + "\n")
    assert [(where.rsplit(", ", 1)[1], row["prompt"], problem) for where, row, problem in file_rows(path)] == [
        ("line 1", "a\u2028b\u0085c", None), ("line 3", "2+3?", None)]


def test_json_documents_and_broken_lines(tmp_path):
    from euro_post.data.rows import file_rows

    pretty = write(tmp_path / "one.json", json.dumps(GOOD, indent=2))
    assert [row for _, row, _ in file_rows(pretty)] == [GOOD]
    broken = write(tmp_path / "p.jsonl", json.dumps(GOOD) + "\n{oops}\n" + json.dumps(GOOD)[:9])
    assert [(where.rsplit(", ", 1)[-1], problem and problem.reason) for where, _, problem in file_rows(broken)] == [
        ("line 1", None), ("line 2", "invalid_json"), ("line 3", "truncated_line")]


def test_numeric_answers_become_text_and_prompt_columns_keep_one_type(tmp_path):
    from euro_post.data.rows import DataError

    path = write(tmp_path / "p.jsonl", "".join(json.dumps(r) + "\n" for r in [GOOD, {**GOOD, "answer": 12.5}, {**GOOD, "answer": 3}]))
    rows = load_rows(DataSpec(path=str(path)), "prompts", ["de"], rewards=["math_accuracy"])
    assert [row["answer"] for row in rows] == ["5", "12.5", "3"]
    conversation = {**GOOD, "prompt": [{"role": "user", "content": "2+3?"}]}
    write(path, json.dumps(GOOD) + "\n" + json.dumps(conversation) + "\n")
    with pytest.raises(DataError, match=r"p.jsonl, line 2: `prompt` is a list here but a string at .*p.jsonl, line 1"):
        load_rows(DataSpec(path=str(path)), "prompts", ["de"])
    assert len(load_rows(DataSpec(path=str(path)), "eval", ["de"])) == 2  # eval rows never form one table


@pytest.mark.parametrize("content", [
    json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "answer": None}) + "\n",
    json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "lang": "xx"}) + "\n",
    json.dumps({**GOOD, "prompt": 3}) + "\n",
    "[" + json.dumps(GOOD) + "]",
    "",
    json.dumps(GOOD) + "\n{\"prompt\": ",
])
def test_validate_names_the_refusal_the_stage_raises(tmp_path, content):
    from euro_post.data.check import check_data
    from euro_post.data.rows import DataError
    from euro_post.rl.config import RLConfig

    config = RLConfig(init_from="m", data={"path": str(write(tmp_path / "p.jsonl", content))})
    with pytest.raises(DataError) as raised:
        load_rows(config.data, "prompts", ["de"], rewards=[spec.name for spec in config.rewards])
    report = check_data("rl", config.data, "prompts", config, ["de"])
    assert report.fails and report.refusal() == str(raised.value)
