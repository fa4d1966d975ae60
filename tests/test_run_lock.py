"""One run per run directory: a second run is refused, a dead holder's lock is taken over, and the
lock goes with the run that held it, however that run ended."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from euro_post.pipeline import run_lock, runner
from euro_post.pipeline.recipe import validate_recipe
from euro_post.pipeline.run_lock import LOCK_NAME, RunDirInUse
from euro_post.pipeline.stage import StageResult

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

# A process that takes the lock of argv[1], says so on stdout and then waits to be killed.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from euro_post.pipeline.run_lock import acquire
    acquire(Path(sys.argv[1]))
    print("locked", flush=True)
    time.sleep(600)
    """
)


def start_holder(run_dir: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_holder_is_refused_with_who_holds_it_and_a_dead_holders_lock_is_taken_over(tmp_path, capsys):
    run_dir = tmp_path / "runs" / "x"
    holder = start_holder(run_dir)
    try:
        record = json.loads((run_dir / LOCK_NAME).read_text())
        assert record["pid"] == holder.pid and record["host"] == socket.gethostname()
        with pytest.raises(RunDirInUse) as info:
            run_lock.acquire(run_dir)
        assert str(info.value) == (
            f"{run_dir} is in use by euro-post run (pid {holder.pid} on host {socket.gethostname()}, "
            f"since {record['started_at']}); wait for it or use another --run-dir"
        )
        assert json.loads((run_dir / LOCK_NAME).read_text()) == record  # the refused process changed nothing
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    # SIGKILL leaves the file and its content, but the kernel released the flock with the process.
    assert json.loads((run_dir / LOCK_NAME).read_text())["pid"] == holder.pid
    lock = run_lock.acquire(run_dir)
    try:
        assert f"taking over the lock of euro-post run (pid {holder.pid} " in capsys.readouterr().err
        assert json.loads((run_dir / LOCK_NAME).read_text())["pid"] == os.getpid()
        with pytest.raises(RunDirInUse, match=f"pid {os.getpid()} "):
            run_lock.acquire(run_dir)  # another open file of this same process is refused too
    finally:
        lock.release()
    assert not (run_dir / LOCK_NAME).exists()


def test_a_lock_file_deleted_by_its_ending_holder_is_not_locked_twice(tmp_path):
    """The holder deletes the file as it ends; a process that opened it just before must not keep
    a lock on the deleted file while a third one locks the new file."""
    run_dir = tmp_path / "run"
    first = run_lock.acquire(run_dir)
    late_fd = os.open(run_dir / LOCK_NAME, os.O_RDWR)  # opened before the release, as a racing process would
    first.release()
    import fcntl

    fcntl.flock(late_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # it gets a lock, but on a file no longer in the run dir
    try:
        second = run_lock.acquire(run_dir)  # so the run directory is still free
        assert json.loads((run_dir / LOCK_NAME).read_text())["pid"] == os.getpid()
        second.release()
    finally:
        os.close(late_fd)


def fake_stage(name: str, seen: list, fail: tuple[str, type] | None = None):
    def run(config, ctx):
        # While a stage runs the lock is held: another holder is refused.
        with pytest.raises(RunDirInUse):
            run_lock.acquire(ctx.run_dir)
        seen.append(name)
        if fail and fail[0] == name:
            raise fail[1]("boom")
        return StageResult(checkpoint=None)

    return types.SimpleNamespace(run=run)


@pytest.mark.parametrize("fail", [None, ("rl", RuntimeError), ("sft", KeyboardInterrupt)])
def test_the_lock_is_released_when_the_run_ends_or_fails(tmp_path, monkeypatch, fail):
    seen: list[str] = []
    monkeypatch.setattr(runner.importlib, "import_module", lambda path: fake_stage(path.split(".")[1], seen, fail))
    recipe = validate_recipe({"name": "t", "stages": {"sft": {"init_from": "m"}, "rl": {}}})
    run_dir = tmp_path / "run"
    if fail is None:
        runner.run_recipe(recipe, run_dir)
    else:
        with pytest.raises(fail[1], match="boom"):
            runner.run_recipe(recipe, run_dir)
    assert seen == ["sft", "rl"] if fail is None or fail[0] == "rl" else ["sft"]
    assert not (run_dir / LOCK_NAME).exists()
    run_lock.acquire(run_dir).release()


def test_a_refused_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(runner.importlib, "import_module", lambda path: pytest.fail("a refused run must not start a stage"))
    run_dir = tmp_path / "run"
    holder = run_lock.acquire(run_dir)
    try:
        before = sorted(p.name for p in run_dir.iterdir())
        recipe = validate_recipe({"name": "t", "stages": {"sft": {"init_from": "m"}}})
        with pytest.raises(RunDirInUse, match="wait for it or use another --run-dir"):
            runner.run_recipe(recipe, run_dir)
        assert sorted(p.name for p in run_dir.iterdir()) == before == [LOCK_NAME]
    finally:
        holder.release()


def euro_post_run(run_dir: Path, *settings: str) -> subprocess.Popen:
    # The smoke recipe's first two stages: enough for a run directory of real checkpoints and metrics.
    args = ["run", "recipes/smoke.yaml", "--run-dir", str(run_dir), "--set", "stages.preference=null",
            "--set", "stages.rl=null", "--set", "stages.eval=null", *(a for s in settings for a in ("--set", s))]
    return subprocess.Popen([sys.executable, "-m", "euro_post.cli", *args], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_refusal_in_the_instant_before_the_holder_writes_its_record_waits_for_it(tmp_path):
    """The holder locks, then writes who it is; a run refused in between names it all the same,
    and one refused by a holder that never writes says so rather than hanging."""
    import fcntl
    import threading

    run_dir = tmp_path / "x"
    run_dir.mkdir()
    fd = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with pytest.raises(RunDirInUse, match=r"another euro-post run \(it has not written its pid yet\)"):
            run_lock.acquire(run_dir)
        late = threading.Timer(0.3, run_lock._write, (fd, {"pid": 4242, "host": "h", "started_at": "t"}))
        late.start()
        with pytest.raises(RunDirInUse) as info:
            run_lock.acquire(run_dir)
        late.join()
        assert str(info.value).startswith(f"{run_dir} is in use by euro-post run (pid 4242 on host h, since t)")
    finally:
        os.close(fd)


def test_two_runs_started_together_on_one_run_dir_one_is_refused_the_other_intact(tmp_path):
    run_dir = tmp_path / "runs" / "x"
    # Different seeds: had both run, recipe.yaml and the stages would disagree.
    runs = {seed: euro_post_run(run_dir, f"seed={seed}") for seed in (1, 2)}
    outcomes = {seed: proc.communicate(timeout=900) for seed, proc in runs.items()}
    codes = {seed: proc.returncode for seed, proc in runs.items()}
    assert sorted(codes.values()) == [0, 1], (codes, {s: o[1][-2000:] for s, o in outcomes.items()})
    winner = next(seed for seed, code in codes.items() if code == 0)
    loser = 3 - winner
    _, loser_err = outcomes[loser]
    [message] = [line for line in loser_err.splitlines() if "euro-post: error:" in line]
    assert message.startswith(f"euro-post: error: {run_dir} is in use by euro-post run (pid {runs[winner].pid} on host ")
    assert message.endswith("; wait for it or use another --run-dir")
    assert "Traceback" not in loser_err

    # The winner's run directory: its own recipe, every stage complete once, no interleaved lines.
    assert f"seed: {winner}" in (run_dir / "recipe.yaml").read_text()
    assert not (run_dir / LOCK_NAME).exists()
    for stage in ("base_pretrain", "sft"):
        manifest = json.loads((run_dir / stage / "stage.json").read_text())
        assert manifest["status"] == "complete" and manifest["seed"] == winner and manifest["resumed"] is False
        assert (run_dir / stage / "checkpoint" / "model.safetensors").exists()
        lines = [json.loads(line) for line in (run_dir / stage / "metrics.jsonl").read_text().splitlines()]
        loss_steps = [line["step"] for line in lines if "loss" in line]
        assert loss_steps == [2, 4], loss_steps
        assert sum("train_loss" in line for line in lines) == 1
    assert f"run complete: {run_dir}\n" in outcomes[winner][0]


@pytest.mark.slow
def test_under_torchrun_the_main_process_locks_and_every_rank_stops_on_a_refusal(tmp_path):
    run_dir = tmp_path / "run"
    holder = run_lock.acquire(run_dir)
    try:
        env = {k: v for k, v in ENV.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "euro_post.cli", "run", "recipes/smoke.yaml", "--run-dir", str(run_dir)]
        result = subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        holder.release()
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count(f"euro-post: error: {run_dir} is in use by euro-post run (pid {os.getpid()} ") == 2, output[-3000:]
    assert sorted(p.name for p in run_dir.iterdir()) == []
