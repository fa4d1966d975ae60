"""Sovereignty: euro-post contacts nothing unless the recipe names a hub resource.

Every command runs here as a user would type it, in a child process under the network guard
(tests/network_guard.py), with none of the offline or telemetry settings pre-set by the test:
the CLI must make them itself. Each must make no attempt to reach another machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import network_guard
import pytest
import yaml

from euro_post.pipeline import network
from euro_post.pipeline.hub_cache import fetched
from euro_post.pipeline.recipe import RecipeError, load_recipe, validate_recipe

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "recipes" / "smoke.yaml"
# What a user's shell does not have: the test's own offline settings, and those the CLI sets.
NOT_A_USERS = {*network.QUIET, *network.OFFLINE, network.OFFLINE_ENV}


def user_env(guard_dir: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_USERS}
    return {**network_guard.child_env(env, guard_dir), "OMP_NUM_THREADS": "1", **extra}


def run_guarded(args: list[str], guard_dir: Path, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=user_env(guard_dir, **env), capture_output=True, text=True, timeout=timeout, check=False
    )


def euro_post(*args: str, guard_dir: Path, **env: str) -> subprocess.CompletedProcess:
    return run_guarded([sys.executable, "-m", "euro_post.cli", *args], guard_dir, **env)


def assert_no_attempt(guard_dir: Path, result: subprocess.CompletedProcess) -> None:
    attempts = network_guard.attempts(guard_dir)
    assert not attempts, f"{len(attempts)} attempt(s) to reach another machine:\n\n" + "\n".join(attempts.values())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


# -- the guard itself -----------------------------------------------------------------------------


def test_the_guard_reports_an_attempt_with_its_stack_and_lets_loopback_through(tmp_path):
    script = textwrap.dedent(
        """
        import socket

        server = socket.create_server(("127.0.0.1", 0))
        socket.create_connection(server.getsockname(), timeout=5).close()  # loopback: allowed
        print("loopback ok", flush=True)

        def reach_out():
            socket.create_connection(("192.0.2.1", 443), timeout=1)

        reach_out()
        """
    )
    result = run_guarded([sys.executable, "-c", script], tmp_path)
    assert "loopback ok" in result.stdout
    assert result.returncode != 0 and "NetworkAttempt" in result.stderr  # refused, not attempted
    (attempt,) = network_guard.attempts(tmp_path).values()
    assert attempt.startswith("socket.create_connection to 192.0.2.1:443")
    assert 'File "<string>", line 11, in <module>' in attempt and "in reach_out" in attempt


def test_the_guard_catches_a_name_look_up_in_a_child_of_a_child(tmp_path):
    inner = "import socket; socket.getaddrinfo('huggingface.co', 443)"
    outer = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {inner!r}])"
    run_guarded([sys.executable, "-c", outer], tmp_path)
    (attempt,) = network_guard.attempts(tmp_path).values()
    assert attempt.startswith("socket.getaddrinfo of huggingface.co:443")


# -- what a recipe names on the hub ---------------------------------------------------------------


def hub_recipe(tmp_path: Path, **top) -> dict:
    local = tmp_path / "rows.jsonl"
    local.write_text("", encoding="utf-8")
    return {
        "name": "hub",
        **top,
        "stages": {
            "sft": {"init_from": "org/base", "data": {"path": str(local)}},
            "preference": {"data": {"path": "org/pairs", "revision": "v1"}},
            "rl": {},
            "eval": {"checkpoints": {"other": "org/other", "local": str(tmp_path)},
                     "lm_eval_tasks": ["euro_post_world", "mgsm_native_cot_de"]},
        },
    }


def test_hub_resources_lists_what_the_recipe_names_on_the_hub(tmp_path):
    recipe = validate_recipe(hub_recipe(tmp_path))
    assert network.hub_resources(recipe) == ["org/base", "org/pairs", "org/other", "mgsm_native_cot_de"]
    assert [(r.field, r.kind, r.revision) for r in network.hub_references(recipe)] == [
        ("stages.sft.init_from", "model", None),
        ("stages.preference.data.path", "dataset", "v1"),
        ("stages.eval.checkpoints.other", "model", None),
        ("stages.eval.lm_eval_tasks", "lm-eval task", None),
    ]
    # eval also reads the first stage's starting checkpoint, which it evaluates as `start`
    assert [r.repo_id for r in network.stage_references(recipe, "eval")] == ["org/base", "org/other", "mgsm_native_cot_de"]
    assert network.stage_references(recipe, "rl") == []


def test_the_shipped_recipes_name_nothing_on_the_hub():
    for path in sorted((ROOT / "recipes").glob("*.yaml")):
        assert network.hub_resources(load_recipe(path)) == [], path


@pytest.mark.parametrize(
    "value, hub",
    [("org/name", True), ("previous", False), ("scratch", False), ("gpt2", False), ("runs/x/checkpoint", False),
     ("./org/name", False), ("/abs/path", False), ("org/../name", False), ("org/rows.jsonl", True)],
)
def test_what_looks_like_a_hub_model(value, hub):
    assert network.is_hub_id(value) is hub


def test_an_existing_local_folder_is_never_a_hub_id(tmp_path, monkeypatch):
    (tmp_path / "org" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert not network.is_hub_id("org/name")
    assert not network.is_hub_id("org/rows.jsonl", data=True)  # a missing data file is a local mistake


def test_offline_refuses_every_hub_resource_at_validate_time(tmp_path):
    with pytest.raises(RecipeError) as err:
        validate_recipe(hub_recipe(tmp_path, offline=True))
    message = str(err.value)
    assert "stages.sft.init_from: 'org/base' is a hub model, but offline is set; give a local path" in message
    assert "stages.preference.data.path: 'org/pairs' is a hub dataset, but offline is set" in message
    assert "stages.eval.checkpoints.other: 'org/other' is a hub model" in message
    assert "stages.eval.lm_eval_tasks: 'mgsm_native_cot_de' reads its data from the hub" in message
    assert "euro_post_world" not in message.replace("use euro_post_world", "")


def test_euro_post_offline_in_the_environment_refuses_them_too(tmp_path, monkeypatch):
    monkeypatch.setenv(network.OFFLINE_ENV, "1")
    with pytest.raises(RecipeError, match="'org/base' is a hub model, but offline is set"):
        validate_recipe(hub_recipe(tmp_path))
    validate_recipe({"name": "local", "offline": True, "stages": {"base_pretrain": {}}})  # nothing named: fine


def test_the_eval_command_refuses_a_hub_model_when_offline(tmp_path):
    result = euro_post("eval", "org/name", guard_dir=tmp_path, **{network.OFFLINE_ENV: "1"})
    assert result.returncode == 1
    assert "euro-post: error: checkpoint: 'org/name' is a hub model, but offline is set" in result.stderr
    assert network_guard.attempts(tmp_path) == {}


def test_settle_goes_offline_only_when_nothing_is_named_on_the_hub():
    script = textwrap.dedent(
        """
        import json, os, sys
        from euro_post.pipeline import network

        network.settle([] if sys.argv[1] == "none" else [network.HubReference("f", "model", "org/name")])
        keys = ["HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "USE_HUB_KERNELS"]
        print(json.dumps({k: os.environ.get(k) for k in keys}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_USERS}
    seen = {}
    for named in ("none", "hub"):
        out = subprocess.run([sys.executable, "-c", script, named], env=env, capture_output=True, text=True, check=True)
        seen[named] = json.loads(out.stdout)
    assert seen["none"] == {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                            "USE_HUB_KERNELS": "NO"}
    assert seen["hub"] == {**seen["none"], "HF_HUB_OFFLINE": None, "HF_DATASETS_OFFLINE": None}


def test_settle_refuses_to_come_after_huggingface_hub_went_online():
    script = "import huggingface_hub.constants\nfrom euro_post.pipeline import network\nnetwork.settle([])"
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_USERS}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "huggingface_hub was imported before the network settings" in result.stderr


def test_loading_a_recipe_imports_no_library_that_reads_the_network_settings():
    """The CLI settles the network after loading the recipe: by then these must not be imported."""
    script = (
        "import sys; from euro_post.pipeline.recipe import load_recipe; load_recipe(sys.argv[1]); "
        "print(sorted(m for m in ('huggingface_hub', 'transformers', 'datasets', 'peft', 'trl', 'bitsandbytes', "
        "'kernels', 'lm_eval') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script, str(SMOKE)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.parametrize("qlora", [False, True])
def test_no_code_from_the_hub_is_loaded_with_or_without_qlora(qlora):
    """peft imports bitsandbytes, whose CPU backend asks `kernels` for code from the hub: without
    QLoRA neither is loaded; with it bitsandbytes is, and finds no `kernels` to ask."""
    script = textwrap.dedent(
        """
        import sys
        from euro_post.pipeline import network

        network.settle([network.HubReference("f", "model", "org/name")], qlora=sys.argv[1] == "True")  # online
        import peft, transformers
        from transformers.utils import is_bitsandbytes_available, is_kernels_available
        try:
            from kernels import get_kernel  # what bitsandbytes' CPU backend does on import
            found = "found"
        except ImportError:
            found = "refused"
        print(sys.modules.get("bitsandbytes") is not None, found, is_bitsandbytes_available(), is_kernels_available())
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in NOT_A_USERS}
    out = subprocess.run([sys.executable, "-c", script, str(qlora)], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(qlora), "refused", str(qlora), "False"]


# -- the manifest records what came from the hub --------------------------------------------------

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fake_hub_cache(root: Path, repo_id: str, files_from: Path | None = None, kind: str = "model") -> Path:
    """A hub cache holding `repo_id` at COMMIT on `main`, laid out as huggingface_hub writes it."""
    repo = root / f"{kind}s--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    blobs = repo / "blobs"
    blobs.mkdir()
    for file in sorted(files_from.iterdir()) if files_from else []:
        blob = blobs / f"blob-{file.name}"
        blob.write_bytes(file.read_bytes())
        (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    if files_from is None:
        (blobs / "readme").write_text("rows")
        (snapshot / "README.md").symlink_to(os.path.relpath(blobs / "readme", snapshot))
    return root


def test_fetched_reads_the_commit_from_the_local_cache(tmp_path):
    cache = fake_hub_cache(tmp_path / "hub", "org/pairs", kind="dataset")
    references = [network.HubReference("stages.sft.data.path", "dataset", "org/pairs"),
                  network.HubReference("stages.sft.init_from", "model", "org/absent"),
                  network.HubReference("stages.eval.lm_eval_tasks", "lm-eval task", "mgsm_native_cot_de")]
    assert fetched(references, cache_dir=cache) == [
        {"field": "stages.sft.data.path", "kind": "dataset", "repo_id": "org/pairs", "revision": "main", "commit": COMMIT},
        {"field": "stages.sft.init_from", "kind": "model", "repo_id": "org/absent", "revision": "main", "commit": None},
        {"field": "stages.eval.lm_eval_tasks", "kind": "lm-eval task", "repo_id": "mgsm_native_cot_de"},
    ]
    assert fetched([], cache_dir=tmp_path / "none") == []


@pytest.mark.slow
def test_a_hub_model_is_recorded_with_its_commit_in_stage_json(tmp_path, tiny_checkpoint):
    """sft starts from `org/tiny`, served by the hub cache (the user's HF_HUB_OFFLINE=1 keeps this
    test on the machine); its stage.json names the repo, revision and commit."""
    cache = fake_hub_cache(tmp_path / "hub", "org/tiny", files_from=Path(tiny_checkpoint))
    recipe = {
        "name": "from-hub", "languages": ["de"], "world": {"sft_per_language": 8},
        "stages": {"sft": {"init_from": "org/tiny", "max_steps": 1, "per_device_batch_size": 2, "max_length": 320,
                           "eval_rows_per_language": 1, "save_steps": 1}},
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    result = euro_post("run", str(path), "--run-dir", str(tmp_path / "run"), guard_dir=tmp_path / "guard",
                       HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(cache))
    assert_no_attempt(tmp_path / "guard", result)
    manifest = json.loads((tmp_path / "run" / "sft" / "stage.json").read_text())
    assert manifest["hub"] == [
        {"field": "stages.sft.init_from", "kind": "model", "repo_id": "org/tiny", "revision": "main", "commit": COMMIT}
    ]


# -- every command, as a user types it ------------------------------------------------------------


def test_validate_contacts_nothing(tmp_path):
    assert_no_attempt(tmp_path, euro_post("validate", str(SMOKE), guard_dir=tmp_path))


def test_world_contacts_nothing(tmp_path):
    result = euro_post("world", "--out", str(tmp_path / "world"), "--languages", "de", guard_dir=tmp_path / "guard")
    assert_no_attempt(tmp_path / "guard", result)


def test_launch_dry_run_contacts_nothing(tmp_path):
    result = euro_post("launch", "--nproc", "2", "--dry-run", str(SMOKE), guard_dir=tmp_path)
    assert_no_attempt(tmp_path, result)
    assert "accelerate" in result.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "benchmarks").glob("*.py")))
def test_benchmark_help_contacts_nothing(tmp_path, script):
    result = run_guarded([sys.executable, str(ROOT / "benchmarks" / script), "--help"], tmp_path)
    assert_no_attempt(tmp_path, result)
    assert "usage" in result.stdout


@pytest.mark.slow
def test_the_smoke_recipe_and_the_commands_on_its_run_contact_nothing(tmp_path):
    """`euro-post run recipes/smoke.yaml`, then eval, report and card on what it wrote."""
    run_dir, guard = tmp_path / "run", tmp_path / "guard"
    assert_no_attempt(guard, euro_post("run", str(SMOKE), "--run-dir", str(run_dir), guard_dir=guard))
    for stage in ("base_pretrain", "sft", "preference", "rl", "eval"):
        assert json.loads((run_dir / stage / "stage.json").read_text())["hub"] == [], stage
    checkpoint = run_dir / "rl" / "checkpoint"
    commands = [
        ("eval", str(checkpoint), "--languages", "de", "--limit", "1", "--out", str(tmp_path / "eval")),
        ("report", str(run_dir)),
        ("card", str(checkpoint)),
    ]
    for command in commands:
        assert_no_attempt(guard, euro_post(*command, guard_dir=guard))
