"""What a person sees: euro-post's own lines on the terminal, library warnings in the stage logs."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from euro_post.pipeline import library_warnings
from euro_post.pipeline.progress import FolderProgress, Progress

ROOT = Path(__file__).resolve().parent.parent


def noisy_lines(text: str) -> list[str]:
    """Lines that carry a warning (FutureWarning, "wandb: WARNING", ...) or a deprecation; the
    name of the warnings.log file the stages point to is not one."""
    lines = [re.sub(r"\S*warnings\.log", "", line) for line in text.splitlines()]
    return [line for line in lines if re.search(r"warning|deprecat", line, re.IGNORECASE)]


def test_library_warnings_go_to_the_stage_log_not_the_terminal(tmp_path, capfd):
    import transformers

    # Installed inside the test: pytest records warnings through its own hook while a test runs.
    library_warnings.install(tmp_path / "run")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("`old_name` is deprecated, use `new_name`", FutureWarning)  # before any stage: the run's log
            with library_warnings.to_stage_log("sft", tmp_path / "run" / "sft"):
                warnings.warn("`thing` is deprecated and will be removed in v9", FutureWarning)
                transformers.utils.logging.get_logger("transformers.trainer").warning("Token indices sequence length is longer")
                logging.getLogger("trl.trainer").warning("a library notice")
                logging.getLogger("transformers.modeling_utils").error("weights could not be loaded")
    finally:
        library_warnings.uninstall()
    err = capfd.readouterr().err
    assert noisy_lines(err) == []
    assert "[transformers] weights could not be loaded" in err  # errors still show
    assert "[sft] 3 message(s) from libraries kept in" in err
    stage_log = (tmp_path / "run" / "sft" / "warnings.log").read_text()
    assert "FutureWarning: `thing` is deprecated" in stage_log and "Token indices sequence length" in stage_log
    assert "trl.trainer: a library notice" in stage_log and "could not be loaded" not in stage_log
    assert "`old_name` is deprecated" in (tmp_path / "run" / "warnings.log").read_text()


def test_without_install_a_stage_changes_nothing(tmp_path):
    with library_warnings.to_stage_log("sft", tmp_path / "sft"):
        with pytest.warns(FutureWarning):
            warnings.warn("shown as usual", FutureWarning)
    assert not (tmp_path / "sft" / "warnings.log").exists()


def test_generation_passes_the_cache_under_its_current_name(tiny_checkpoint):
    from euro_post.models.generation import generate
    from euro_post.models.loading import load_model, load_tokenizer

    model, tokenizer = load_model(tiny_checkpoint, "fp32"), load_tokenizer(tiny_checkpoint)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecated argument would raise here
        texts = generate(model, tokenizer, ["Anna hat 3 Äpfel."], max_new_tokens=4)
    assert len(texts) == 1


def test_progress_counts_work_with_a_rate_and_an_eta():
    stream = io.StringIO()
    progress = Progress("eval", 8, stream=stream, unit="completions", label="sft: ", interval=0.0)
    progress.start -= 4.0  # four seconds into the work
    progress.advance(2)
    progress.advance(6)
    progress.advance(1)  # past the total: the done line is not repeated
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[eval] sft: 2/8 completions  ") and " s/completion  eta " in lines[0]
    assert lines[1].startswith("[eval] sft: 8/8 completions  ") and lines[1].endswith("done")
    assert len(lines) == 2


def test_progress_on_a_log_file_prints_one_line_per_interval():
    stream = io.StringIO()
    progress = Progress("sft", 100, stream=stream, interval=3600)
    for step in range(1, 101):
        progress.update(step, loss=1.0)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[sft] step 1/100  loss 1  eta ?" and lines[-1].startswith("[sft] step 100/100  loss 1  ")
    assert len(lines) == 2


def test_the_log_interval_comes_from_the_environment_and_a_bad_one_is_refused_before_work(monkeypatch, capsys):
    from euro_post.cli import main

    monkeypatch.setenv("EURO_POST_PROGRESS_SECONDS", "5")
    assert Progress("sft", 10, stream=io.StringIO()).interval == 5.0
    monkeypatch.setenv("EURO_POST_PROGRESS_SECONDS", "often")
    assert main(["validate", str(ROOT / "recipes" / "smoke.yaml")]) == 1
    assert "EURO_POST_PROGRESS_SECONDS='often': expected a number of seconds >= 0" in capsys.readouterr().err


def test_small_checkpoints_write_without_a_progress_line(tmp_path):
    stream = io.StringIO()
    with FolderProgress("sft", tmp_path, 10 * 2**20, label="writing checkpoint ", stream=stream):
        (tmp_path / "model.safetensors").write_bytes(b"x" * 1024)
    assert stream.getvalue() == ""


def test_version_lists_the_libraries(capsys):
    from euro_post import __version__
    from euro_post.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.splitlines()[0] == f"euro-post {__version__}"
    assert all(f"  {lib} " in out for lib in ("torch", "transformers", "trl", "peft", "datasets"))


@pytest.mark.slow
def test_smoke_run_keeps_library_warnings_off_the_terminal(tmp_path):
    env = {**os.environ, "WANDB_MODE": "offline"}
    env.pop("MLFLOW_TRACKING_URI", None)
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "euro_post.cli", "run", str(ROOT / "recipes" / "smoke.yaml"), "--run-dir", str(run_dir),
         "--set", "report_to=[tensorboard,mlflow,wandb]"],
        check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=1200,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert noisy_lines(output) == [], output
    assert not [line for line in done.stderr.splitlines() if not line.startswith("[")], done.stderr
    assert done.stdout.splitlines()[0] == f"run complete: {run_dir}"
    # Long work shows a rate and an ETA: eval per checkpoint, preference sampling.
    assert "[eval] sft: 12/12 completions  " in done.stderr and "[eval] 4/4 checkpoints  " in done.stderr
    assert "[preference] sampling 24/24 prompts  pairs " in done.stderr
    assert (run_dir / "tensorboard").is_dir() and (run_dir / "mlflow.db").is_file() and (run_dir / "wandb").is_dir()
