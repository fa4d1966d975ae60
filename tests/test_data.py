"""Rows from the embedded world and from files: a cap on rows keeps every language."""

from __future__ import annotations

import json
from collections import Counter

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
