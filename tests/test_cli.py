"""The `euro-post` command as a user types it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from euro_post.cli import main

ROOT = Path(__file__).resolve().parent.parent


def euro_post(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "euro_post.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_help_lists_the_commands():
    result = euro_post("--help")
    assert result.returncode == 0
    for command in ("run", "validate", "world", "eval", "report"):
        assert command in result.stdout
    run_help = euro_post("run", "--help")
    assert "--set" in run_help.stdout and "--run-dir" in run_help.stdout


def test_validate_prints_the_plan(capsys):
    assert main(["validate", str(ROOT / "recipes" / "smoke.yaml"), "--set", "seed=3"]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "base_pretrain" in out and "de fr pl" in out


def test_validate_reports_errors_with_their_path(tmp_path, capsys):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("name: bad\nstages:\n  sft:\n    init_from: m\n    max_steps: 0\n")
    assert main(["validate", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert "stages.sft.max_steps: must be >= 1, got 0" in err


def test_world_writes_every_split_as_jsonl(tmp_path, capsys):
    recipe = ROOT / "recipes" / "smoke.yaml"
    assert main(["world", "--out", str(tmp_path), "--recipe", str(recipe), "--languages", "mt", "el"]) == 0
    for split in ("pretrain", "sft", "rl", "eval"):
        rows = [json.loads(line) for line in (tmp_path / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert rows and {row["lang"] for row in rows} == {"mt", "el"}
