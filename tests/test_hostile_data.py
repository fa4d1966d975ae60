"""Bad data as a careless or hostile user gives it: `euro-post validate` and `euro-post run` refuse it
alike, naming the file, the line and the field, before any stage trains, with no traceback.

Each case writes one data file for one stage, then checks that validate exits 1 and shows the
refusal, that run exits 1 with the very message the stage's own loading raises, and that run
left no stage folder behind."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from euro_post.cli import main
from euro_post.data.rows import DataError, load_rows
from euro_post.pipeline.recipe import load_recipe

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"prompt": "Wie viel ist 2 + 3?", "lang": "de", "answer": "5"}


def jsonl(*rows: dict | str) -> bytes:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows).encode()


def second(row: dict | str) -> bytes:
    """Two good rows around `row`, which is line 2."""
    return jsonl(GOOD, row, GOOD)


def no_answer(**extra) -> dict:
    return {key: value for key, value in {**GOOD, **extra}.items() if key != "answer"}


# case: (stage, file name, content (None: a folder), where in the file (None: the file itself), what the refusal says)
CASES = {
    "answer_missing": ("rl", "prompts.jsonl", second(no_answer()), "line 2", "`answer` is missing"),
    "answer_null": ("rl", "prompts.jsonl", second({**GOOD, "answer": None}), "line 2", "`answer` is null"),
    "answer_empty": ("rl", "prompts.jsonl", second({**GOOD, "answer": "  "}), "line 2", "`answer` is empty"),
    "answer_nan_text": ("rl", "prompts.jsonl", second({**GOOD, "answer": "NaN"}), "line 2", "`answer` is 'NaN', not a finite number"),
    "answer_json_nan": ("rl", "prompts.jsonl", second('{"prompt": "x", "lang": "de", "answer": NaN}'), "line 2",
                        "`answer` is nan, not a finite number"),
    "answer_infinity": ("rl", "prompts.jsonl", second({**GOOD, "answer": "-inf"}), "line 2", "`answer` is '-inf', not a finite number"),
    "column_type_changes": ("rl", "prompts.jsonl", jsonl({**GOOD, "id": "a"}, {**GOOD, "id": 2}), "line 2",
                            "`id` is a number here but a string at"),
    "preference_prompts": ("preference", "prompts.jsonl", second({**GOOD, "answer": None}), "line 2", "`answer` is null"),
    "eval_problems": ("eval", "eval.jsonl", second({**GOOD, "answer": "nan"}), "line 2", "`answer` is 'nan', not a finite number"),
    "binary_file": ("rl", "prompts.jsonl", bytes(range(256)) * 8, None, "not UTF-8 text (byte 0x80 at offset 128)"),
    "binary_json": ("rl", "prompts.json", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), None, "not UTF-8 text"),
    "not_parquet": ("rl", "prompts.parquet", jsonl(GOOD), None, "not a readable Parquet file"),
    "empty_file": ("rl", "prompts.jsonl", b"", None, "no prompts rows (the file is empty)"),
    "json_array_as_jsonl": ("rl", "prompts.jsonl", json.dumps([GOOD, GOOD], indent=2).encode(), None,
                            "a JSON array, not JSON Lines"),
    "broken_json_array": ("rl", "prompts.json", json.dumps([GOOD, GOOD], indent=2).encode()[:-3], None,
                          "a file that opens with [ must be one complete JSON array"),
    "folder_named_like_a_file": ("rl", "prompts.jsonl", None, None, "a folder, not a .jsonl file"),
}


def write_recipe(tmp_path: Path, checkpoint: str, stage: str, data: Path | None) -> Path:
    """A recipe whose `stage` reads `data`; an eval case trains rl on the world first."""
    rl = {"init_from": checkpoint, "max_steps": 1, "per_device_batch_size": 2, "num_generations": 2,
          "max_completion_length": 4, "rewards": [{"name": "math_accuracy"}, {"name": "format"}]}
    stages: dict = {"rl": rl}
    if stage == "rl":
        rl["data"] = {"path": str(data)}
    elif stage == "preference":
        stages = {"preference": {"init_from": checkpoint, "max_steps": 1, "samples_per_prompt": 2,
                                 "max_completion_length": 4, "rewards": [{"name": "math_accuracy"}],
                                 "data": {"path": str(data)}}}
    else:
        stages["eval"] = {"max_new_tokens": 4, "data": {"path": str(data)}}
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(json.dumps({"name": "hostile", "languages": ["de"], "world": {"rl_per_language": 4},
                                  "stages": stages}))
    return recipe


def write_data(tmp_path: Path, name: str, content: bytes | None) -> Path:
    path = tmp_path / "data" / name
    if content is None:
        path.mkdir(parents=True)
        (path / "train.jsonl").write_bytes(jsonl(GOOD))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return path


def stage_loading_error(recipe_path: Path, stage: str) -> str:
    """What the stage's own loading raises on this data."""
    recipe = load_recipe(str(recipe_path))
    config = recipe.stage_config(stage)
    if stage == "eval":
        from euro_post.eval.evaluate import eval_rows

        load = lambda: eval_rows(config, recipe.languages)  # noqa: E731
    else:
        rewards = [spec.name for spec in config.rewards]
        load = lambda: load_rows(config.data, "prompts", recipe.languages, rewards=rewards)  # noqa: E731
    with pytest.raises(DataError) as refused:
        load()
    return str(refused.value)


def lines_with(text: str, *parts: str) -> list[str]:
    return [line for line in text.splitlines() if all(part in line for part in parts)]


@pytest.mark.parametrize("case", CASES)
def test_validate_and_run_refuse_alike_and_nothing_trains(case, tmp_path, tiny_checkpoint, capsys):
    stage, name, content, line, says = CASES[case]
    data = write_data(tmp_path, name, content)
    recipe = write_recipe(tmp_path, tiny_checkpoint, stage, data)
    where = f"{data}, {line}" if line else str(data)
    expected = stage_loading_error(recipe, stage)
    assert expected.startswith(f"{where}: ") and says in expected

    assert main(["validate", str(recipe)]) == 1
    out = capsys.readouterr()
    assert lines_with(out.out, where, says), out.out
    assert "would stop the run" in out.err

    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--run-dir", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    refusal = err.strip().splitlines()[-1]
    assert refusal == f"euro-post: error: stages.{stage}.data: {expected}; nothing was trained " \
                      "(`euro-post validate` lists every bad row)"
    assert not any((run_dir / name).exists() for name in ("rl", "preference", "eval"))


def test_a_byte_order_mark_is_accepted(tmp_path, tiny_checkpoint, capsys):
    data = write_data(tmp_path, "prompts.jsonl", b"\xef\xbb\xbf" + jsonl(GOOD, {**GOOD, "answer": 7}) + b"\xef\xbb\xbf" + jsonl(GOOD))
    recipe = write_recipe(tmp_path, tiny_checkpoint, "rl", data)
    assert main(["validate", str(recipe)]) == 0
    assert "3 rows, 3 usable" in capsys.readouterr().out
    rows = load_rows(load_recipe(str(recipe)).stage_config("rl").data, "prompts", ["de"], rewards=["math_accuracy"])
    assert [row["answer"] for row in rows] == ["5", "7", "5"]  # numbers read as text, as the rewards read them


def test_validate_counts_every_bad_answer_and_names_the_first(tmp_path, tiny_checkpoint, capsys):
    rows = [GOOD, no_answer(), {**GOOD, "answer": None}, {**GOOD, "answer": ""}, {**GOOD, "answer": "NaN"},
            {**GOOD, "answer": math.inf}, {**GOOD, "answer": [5]}, GOOD]
    data = write_data(tmp_path, "prompts.jsonl", jsonl(*rows))
    recipe = write_recipe(tmp_path, tiny_checkpoint, "rl", data)
    assert main(["validate", str(recipe)]) == 1
    out = capsys.readouterr().out
    assert "8 rows, 2 usable" in out
    assert "invalid (the run would stop): bad_answer 3, missing_answer 3" in out
    assert f"missing_answer: first at {data}, line 2 (`answer` is missing" in out
    assert f"bad_answer: first at {data}, line 5 (`answer` is 'NaN'" in out


def test_without_math_accuracy_an_answer_is_not_needed(tmp_path, tiny_checkpoint, capsys):
    data = write_data(tmp_path, "prompts.jsonl", second(no_answer()))
    recipe = write_recipe(tmp_path, tiny_checkpoint, "rl", data)
    assert main(["validate", str(recipe), "--set", 'stages.rl.rewards=[{"name": "format"}]']) == 0
    assert "3 rows, 3 usable" in capsys.readouterr().out


@pytest.mark.slow  # two fresh interpreters that import torch: 10-40 s on 2 cores, by load
def test_the_command_line_prints_one_line_and_no_traceback(tmp_path, tiny_checkpoint):
    stage, name, content, line, says = CASES["answer_json_nan"]
    data = write_data(tmp_path, name, content)
    recipe = write_recipe(tmp_path, tiny_checkpoint, stage, data)
    for command in (["validate", str(recipe)], ["run", str(recipe), "--run-dir", str(tmp_path / "run")]):
        result = subprocess.run([sys.executable, "-m", "euro_post.cli", *command], capture_output=True, text=True,
                                cwd=ROOT, timeout=300)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert lines_with(result.stdout + result.stderr, f"{data}, {line}", says)
    assert not (tmp_path / "run" / "rl").exists()
