"""Many processes: torchrun / `accelerate launch` runs, the Accelerate configs, the scale-up recipes.

The slow tests launch two CPU processes (gloo) with `python -m torch.distributed.run` and check
them against one process with the same global batch: each rank trains on its own rows, the SFT
losses and weights match, the checkpoint is written once and loads, a failure on rank 1 stops
the run with its rank shown, and the rerun resumes from the last trainer checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from euro_post.cli import main
from euro_post.pipeline.recipe import load_recipe, validate_recipe
from euro_post.pipeline.runner import read_manifest, run_recipe
from euro_post.training import distributed, launch, sharded_weights

ROOT = Path(__file__).resolve().parent.parent
ACCELERATE_DIR = ROOT / "recipes" / "accelerate"
SCALE_DIR = ROOT / "recipes" / "scale"
LAUNCH_TIMEOUT_S = 420  # a hang fails the test instead of blocking the suite


# -- the accelerate configs -----------------------------------------------------------------------


def _launch_args(config: Path, *extra: str):
    """Accelerate's own parsing of `accelerate launch --config_file CONFIG ...`, without launching."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    parser = launch_command_parser()
    args = parser.parse_args(["--config_file", str(config), *extra, "-m", "euro_post.cli", "run", "r.yaml"])
    args, _, _ = _validate_launch_command(args)
    return parser, args


def test_accelerate_configs_load_with_accelerates_own_schema():
    from accelerate.commands.config.config_args import ClusterConfig
    from accelerate.utils import DistributedType

    expected = {
        "ddp": (DistributedType.MULTI_GPU, None),
        "fsdp2": (DistributedType.FSDP, None),
        "zero2": (DistributedType.DEEPSPEED, 2),
        "zero3": (DistributedType.DEEPSPEED, 3),
    }
    names = sorted(p.stem for p in ACCELERATE_DIR.glob("*.yaml"))
    assert names == sorted([*expected, *(f"{n}_multinode" for n in expected)])
    for name in names:
        path = ACCELERATE_DIR / f"{name}.yaml"
        kind, zero_stage = expected[name.removesuffix("_multinode")]
        config = ClusterConfig.from_yaml_file(str(path))  # unknown top-level keys raise here
        assert config.distributed_type == kind, name
        parser, args = _launch_args(path)
        known = {action.dest for action in parser._actions}
        for key in {**config.fsdp_config, **config.deepspeed_config}:
            assert key in known or f"fsdp_{key}" in known, f"{name}: {key} is not an accelerate launch setting"
        multinode = name.endswith("_multinode")
        assert (config.num_machines > 1) == multinode, name
        if multinode:  # placeholders, replaced by --machine-rank / --main-process-ip on each machine
            assert config.main_process_ip == "MAIN_NODE_IP" and config.machine_rank == 0
            _, args = _launch_args(path, "--machine_rank", "1", "--main_process_ip", "10.0.0.7")
            assert (args.machine_rank, args.main_process_ip) == (1, "10.0.0.7")
        if kind == DistributedType.FSDP:
            assert args.use_fsdp and str(args.fsdp_version) == "2"
            assert str(args.fsdp_cpu_ram_efficient_loading).lower() == "true"
            assert str(args.fsdp_reshard_after_forward).lower() == "true"  # full shard
            assert config.fsdp_config["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
        if kind == DistributedType.DEEPSPEED:
            assert args.use_deepspeed and int(args.zero_stage) == zero_stage
            # The final checkpoint is gathered in 16 bit: ZeRO-3 must allow it.
            assert zero_stage != 3 or config.deepspeed_config["zero3_save_16bit_model"] is True


def test_fsdp2_config_reaches_accelerates_plugin():
    from accelerate.utils import FullyShardedDataParallelPlugin, patch_environment
    from accelerate.utils.launch import prepare_multi_gpu_env

    _, args = _launch_args(ACCELERATE_DIR / "fsdp2.yaml", "--main_process_port", "0")
    env = {k: v for k, v in prepare_multi_gpu_env(args).items() if k.startswith(("FSDP_", "ACCELERATE_"))}
    with patch_environment(**env):
        plugin = FullyShardedDataParallelPlugin()
    assert plugin.fsdp_version == 2
    assert plugin.cpu_ram_efficient_loading is True and plugin.reshard_after_forward is True


# -- euro-post launch ------------------------------------------------------------------------------


def test_launch_dry_run_prints_the_accelerate_command(capsys):
    assert main(["launch", "--dry-run", "--nproc", "2", "recipes/smoke.yaml", "--run-dir", "runs/x", "--set", "seed=1"]) == 0
    cmd = capsys.readouterr().out.split()
    assert cmd[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert cmd[cmd.index("--num_processes") + 1] == "2" and "--multi_gpu" in cmd
    assert cmd[cmd.index("--main_process_port") + 1] == "0"  # a free port on one machine
    assert cmd[cmd.index("-m", 3):] == ["-m", "euro_post.cli", "run", "recipes/smoke.yaml", "--run-dir", "runs/x", "--set", "seed=1"]

    config = str(ACCELERATE_DIR / "zero3_multinode.yaml")
    assert main(["launch", "--dry-run", "--config", config, "--nproc", "8", "--machine-rank", "1",
                 "--main-process-ip", "10.0.0.7", "recipes/smoke.yaml"]) == 0
    cmd = capsys.readouterr().out.split()
    assert cmd[cmd.index("--config_file") + 1] == config
    assert cmd[cmd.index("--num_processes") + 1] == "16"  # 8 per machine x 2 machines (from the config)
    assert cmd[cmd.index("--machine_rank") + 1] == "1" and cmd[cmd.index("--main_process_ip") + 1] == "10.0.0.7"
    assert "--main_process_port" not in cmd and "--multi_gpu" not in cmd  # the config decides those


def test_launch_refuses_what_it_cannot_build(tmp_path):
    with pytest.raises(ValueError, match="--nproc"):
        launch.launch_command("r.yaml", [])
    with pytest.raises(FileNotFoundError, match="accelerate config not found"):
        launch.launch_command("r.yaml", [], nproc=2, config=str(tmp_path / "none.yaml"))
    (tmp_path / "bad.yaml").write_text("name: not-an-accelerate-config\n")
    with pytest.raises(ValueError, match="distributed_type"):
        launch.launch_command("r.yaml", [], nproc=2, config=str(tmp_path / "bad.yaml"))


# -- one process: every function passes through ---------------------------------------------------------


def test_single_process_functions_pass_values_through(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    assert not distributed.is_distributed() and distributed.is_main_process()
    assert distributed.broadcast({"a": 1}) == {"a": 1}
    assert distributed.gather(3) == [3]
    assert distributed.main_decides(lambda: "fresh") == "fresh"
    with pytest.raises(KeyError):
        distributed.main_decides(lambda: {}["missing"])
    distributed.barrier("nothing to wait for")
    with distributed.main_process_first("nothing"):
        pass


class _Wrapper(torch.nn.Module):
    """Stands in for DDP: something must pass through its forward for gradients to be synced."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.forward_calls = 0

    def forward(self, *args, **kwargs):
        self.forward_calls += 1
        return self.module(*args, **kwargs)


def test_through_wrapper_runs_the_loss_inside_the_wrappers_forward():
    inner = torch.nn.Linear(3, 2)
    wrapper = _Wrapper(inner)
    x = torch.randn(4, 3)
    loss = distributed.through_wrapper(wrapper, lambda module: module(x).square().sum())
    assert wrapper.forward_calls == 1
    assert torch.allclose(loss, inner(x).square().sum())
    assert "forward" not in inner.__dict__  # the class forward is back
    patched = lambda *a, **k: "patched"  # noqa: E731 - an instance-level forward, as TRL's fused head sets
    inner.forward = patched
    distributed.through_wrapper(wrapper, lambda module: module.weight.sum())
    assert inner.forward is patched
    assert distributed.through_wrapper(inner, lambda module: module is inner) is True  # nothing to go through


def test_gathered_weights_rebuild_a_model_and_a_lora_model(tiny_checkpoint):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    ids = torch.tensor([[5, 17, 42, 99, 3]])
    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint).eval()
    replica = sharded_weights.replica_with_weights(model, model.state_dict()).eval()
    with torch.no_grad():
        assert torch.equal(replica(ids).logits, model(ids).logits)

    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_checkpoint), LoraConfig(r=4, target_modules="all-linear"))
    with torch.no_grad():
        for name, param in lora.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.1)  # a trained adapter: B is zero only at initialisation
    lora.eval()
    gathered = {k: v.clone() for k, v in lora.state_dict().items()}  # a gather hands over fresh tensors
    replica = sharded_weights.replica_with_weights(lora, gathered)
    merged = replica.merge_and_unload().eval()
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, lora(ids).logits, atol=1e-5)
        assert not torch.allclose(merged(ids).logits, model(ids).logits, atol=1e-3)


# -- the scale-up recipes --------------------------------------------------------------------------


def _lm_eval_task_names() -> set[str]:
    """Task and group names the installed lm-eval defines (read from its YAML files, no index build)."""
    import lm_eval

    names = set()
    pattern = re.compile(r"^(?:task|group):\s*([\w\-.]+)\s*$", re.M)
    for path in (Path(lm_eval.__file__).parent / "tasks").rglob("*.yaml"):
        names.update(pattern.findall(path.read_text(encoding="utf-8", errors="ignore")))
    return names


REAL_BASES = {"utter-project/EuroLLM-1.7B", "BSC-LT/salamandra-2b", "Qwen/Qwen3-1.7B-Base", "Qwen/Qwen3-0.6B-Base"}


@pytest.mark.parametrize("path", sorted(SCALE_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_scale_recipe_validates_offline(path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    recipe = load_recipe(path)
    stages = recipe.enabled_stages()
    assert stages[0] == "sft" and stages[-1] == "eval" and "rl" in stages
    assert recipe.stages.sft.init_from in REAL_BASES
    for name in stages:
        data = recipe.stage_config(name).data
        if data.path != "world":
            # A hub set: one language per config/split, named by data.lang, so every row carries it.
            assert data.lang in recipe.languages, f"{name}: {data.path} needs data.lang"
    tasks = recipe.stages.eval.lm_eval_tasks
    known = _lm_eval_task_names() | {"euro_post_world"}
    assert tasks and not [t for t in tasks if t not in known]
    mgsm = [t for t in tasks if t.startswith("mgsm_native_cot_")]
    assert mgsm and all(t.rsplit("_", 1)[1] in recipe.languages for t in mgsm)


class _Captured(Exception):
    pass


def test_grpo_vllm_colocate_settings_are_trls(tmp_path, tiny_checkpoint, monkeypatch):
    """rl hands use_vllm, vllm_mode="colocate" and vllm_gpu_memory_utilization to TRL 1.16's
    GRPOConfig, which accepts them (vLLM itself is only imported when the trainer starts it)."""
    from euro_post.rl import stage as rl_stage
    from trl import GRPOConfig

    from euro_post.pipeline.stage import StageContext

    captured = {}

    def capture(**kwargs):
        captured.update(kwargs)
        raise _Captured

    monkeypatch.setattr(rl_stage, "GRPOConfig", capture)
    recipe = validate_recipe({
        "name": "vllm", "languages": ["de"], "world": {"rl_per_language": 4, "eval_per_language": 1},
        "stages": {"rl": {"init_from": tiny_checkpoint, "use_vllm": True, "vllm_gpu_memory_utilization": 0.25,
                          "rewards": [{"name": "format"}]}},
    })
    with pytest.raises(_Captured):
        rl_stage.run(recipe.stages.rl, StageContext("rl", recipe, tmp_path, tiny_checkpoint))
    assert (captured["use_vllm"], captured["vllm_mode"], captured["vllm_gpu_memory_utilization"]) == (True, "colocate", 0.25)
    args = GRPOConfig(**captured)
    assert (args.use_vllm, args.vllm_mode, args.vllm_gpu_memory_utilization) == (True, "colocate", 0.25)


# -- two processes ------------------------------------------------------------------------------

SFT_ROWS = 24  # per language


def _conversations(path: Path) -> str:
    rows = []
    for lang, (question, step, answer) in {
        "de": ("Anna hat {a} Äpfel und kauft {b} dazu. Wie viele?", "Schritt 1", "Antwort"),
        "fr": ("Léa a {a} pommes et en achète {b}. Combien ?", "Étape 1", "Réponse"),
    }.items():
        for i in range(SFT_ROWS):
            a, b = 3 + i % 17, 2 + (7 * i) % 11
            messages = [
                {"role": "user", "content": question.format(a=a, b=b)},
                {"role": "assistant", "content": f"{step}: {a} + {b} = {a + b}.\n{answer}: {a + b}"},
            ]
            rows.append({"id": f"{lang}-{i}", "lang": lang, "messages": messages})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def _recipe(checkpoint: str, rows: str, processes: int, fused_loss: str = "off", with_eval: bool = True, rl: bool = True,
            sft_steps: int = 4) -> dict:
    """The same global batch for any number of processes: per-device batches shrink as processes grow."""
    stages = {
        "sft": {
            "init_from": checkpoint, "data": {"path": rows}, "max_steps": sft_steps, "learning_rate": 1e-3,
            "per_device_batch_size": 4 // processes, "max_length": 256, "logging_steps": 1, "save_steps": 2,
            # Unpacked, the 44 training rows outlast the 16 the run takes: no epoch end, where
            # Accelerate evens out the last batch across ranks by repeating rows.
            "packing": False, "eval_rows_per_language": 2,
        },
    }
    if rl:
        stages["rl"] = {
            "max_steps": 4, "learning_rate": 1e-3, "per_device_batch_size": 8 // processes, "num_generations": 4,
            "max_completion_length": 8, "logging_steps": 1, "save_steps": 2,
            "rewards": [{"name": "language_consistency"}],
        }
    if with_eval:
        stages["eval"] = {"problems_per_language": 2, "max_new_tokens": 8, "batch_size": 4, "save_completions": False}
    return {
        "name": f"dist-{processes}", "seed": 0, "languages": ["de", "fr"], "fused_loss": fused_loss,
        "world": {"rl_per_language": 16, "eval_per_language": 2, "max_operations": 2},
        "stages": stages,
    }


# Rank 1 fails as its step 4 of GRPO begins: rank 0 has then written trainer checkpoint-2.
FAILING_WORKER = textwrap.dedent(
    """
    import os, sys
    from transformers import TrainerCallback
    from euro_post.training import trainer_setup

    class FailOnRank1(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 3 and os.environ["RANK"] == "1":
                raise RuntimeError("injected failure at GRPO step 4")

    original = trainer_setup.train

    def train(trainer, ctx):
        if ctx.name == "rl":
            trainer.add_callback(FailOnRank1())
        return original(trainer, ctx)

    trainer_setup.train = train
    from euro_post.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def _torchrun(target: list[str], record_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", distributed.RECORD_ENV: str(record_dir)}
    env.pop("WORLD_SIZE", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *target]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)


def _records(folder: Path, name: str) -> dict[int, dict[int, list[str]]]:
    """{rank: {step: rows}} from the EURO_POST_RECORD_BATCHES files."""
    out: dict[int, dict[int, list[str]]] = {}
    for path in sorted(folder.glob(f"{name}-rank*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            out.setdefault(record["rank"], {}).setdefault(record["step"], record["rows"])
    return out


def _events(folder: Path, stage: str) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob(f"{stage}-events-rank*.jsonl")) for line in p.read_text().splitlines()]


def _metric(run_dir: Path, stage: str, key: str) -> dict[int, float]:
    lines = [json.loads(line) for line in (run_dir / stage / "metrics.jsonl").read_text().splitlines()]
    steps = [line["step"] for line in lines if key in line]
    assert len(steps) == len(set(steps)), f"{stage}/{key} logged twice at a step: {steps}"
    return {line["step"]: line[key] for line in lines if key in line}


def _weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(Path(checkpoint) / "model.safetensors")


@pytest.mark.slow
def test_two_processes_train_like_one_fail_loudly_and_resume(tmp_path, tiny_checkpoint, monkeypatch):
    from transformers import AutoModelForCausalLM

    rows = _conversations(tmp_path / "sft.jsonl")

    # One process, the same global batch (per-device batches doubled).
    single_records = tmp_path / "records-1"
    monkeypatch.setenv(distributed.RECORD_ENV, str(single_records))
    single = run_recipe(validate_recipe(_recipe(tiny_checkpoint, rows, 1, with_eval=False)), tmp_path / "one")
    monkeypatch.delenv(distributed.RECORD_ENV)

    recipe_path = tmp_path / "two.yaml"
    recipe_path.write_text(yaml.safe_dump(_recipe(tiny_checkpoint, rows, 2)))
    run_dir = tmp_path / "two"
    (tmp_path / "worker.py").write_text(FAILING_WORKER)

    # Two processes; rank 1 fails in GRPO.
    first = _torchrun(["worker.py", "run", str(recipe_path), "--run-dir", str(run_dir)], tmp_path / "records-a", tmp_path)
    output = first.stdout + first.stderr
    assert first.returncode != 0
    assert "[rank 1/2] rl failed: RuntimeError: injected failure at GRPO step 4" in output, output[-3000:]
    rl_manifest = read_manifest(run_dir / "rl")
    assert rl_manifest["status"] in ("failed", "interrupted") and rl_manifest["error"], rl_manifest
    assert rl_manifest["processes"] == 2
    assert (run_dir / "rl" / "trainer" / "checkpoint-2" / "trainer_state.json").exists()
    assert not (run_dir / "rl" / "checkpoint").exists()

    # SFT: each rank its own rows; together, step by step, the one-process batches.
    sft_ranks = _records(tmp_path / "records-a", "sft")
    sft_single = _records(single_records, "sft")[0]
    assert sorted(sft_ranks) == [0, 1] and sorted(sft_single) == [1, 2, 3, 4]
    for step, rows_one in sft_single.items():
        rank0, rank1 = sft_ranks[0][step], sft_ranks[1][step]
        assert not set(rank0) & set(rank1), f"step {step}: both ranks trained on the same rows"
        assert sorted(rank0 + rank1) == sorted(rows_one)
    # The same losses (the Trainer averages over ranks) and the same weights, within float error.
    assert _metric(run_dir, "sft", "loss") == pytest.approx(_metric(tmp_path / "one", "sft", "loss"), rel=1e-4)
    assert _metric(run_dir, "sft", "grad_norm") == pytest.approx(_metric(tmp_path / "one", "sft", "grad_norm"), rel=1e-4)
    two_weights, one_weights = _weights(run_dir / "sft" / "checkpoint"), _weights(Path(single["sft"]["checkpoint"]))
    assert max((two_weights[k] - one_weights[k]).abs().max().item() for k in one_weights) < 1e-4
    assert sorted((e["rank"], e["event"]) for e in _events(tmp_path / "records-a", "sft")) == [(0, "save"), (1, "skip_save")]
    assert read_manifest(run_dir / "sft")["status"] == "complete"

    # The rerun (the plain command) skips SFT on both ranks and resumes GRPO at checkpoint-2.
    second = _torchrun(["-m", "euro_post.cli", "run", str(recipe_path), "--run-dir", str(run_dir)], tmp_path / "records-b", tmp_path)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output[-3000:]
    assert output.count("[sft] complete with the same config and input: skipped") == 1  # said by rank 0 only
    assert not list((tmp_path / "records-b").glob("sft-*"))  # neither rank trained SFT again
    manifest = read_manifest(run_dir / "rl")
    assert manifest["status"] == "complete" and manifest["resumed"] is True
    rl_after = _records(tmp_path / "records-b", "rl")
    assert {rank: sorted(steps) for rank, steps in rl_after.items()} == {0: [3, 4], 1: [3, 4]}
    # GRPO prompts: each rank its own group; the ranks together are the one-process stream,
    # before the failure and after the resume.
    rl_before = _records(tmp_path / "records-a", "rl")
    rl_single = _records(single_records, "rl")[0]
    for step, rows_one in rl_single.items():
        ranks = rl_before if step <= 2 else rl_after
        rank0, rank1 = ranks[0][step], ranks[1][step]
        assert not set(rank0) & set(rank1)
        assert sorted(rank0 + rank1) == sorted(rows_one), f"GRPO step {step}"
    assert sorted(_metric(run_dir, "rl", "loss")) == [1, 2, 3, 4]
    assert [(e["rank"], e["event"]) for e in sorted(_events(tmp_path / "records-b", "rl"), key=lambda e: e["rank"])] == [
        (0, "save"), (1, "skip_save")]
    model = AutoModelForCausalLM.from_pretrained(manifest["checkpoint"])
    assert model.get_input_embeddings().num_embeddings == one_weights["model.embed_tokens.weight"].shape[0]
    # eval runs on the main process only and writes the report once.
    assert read_manifest(run_dir / "eval")["status"] == "complete"
    assert (run_dir / "report" / "report.md").exists()
    assert output.count("[eval] report:") == 1


@pytest.mark.slow
def test_sft_default_cpu_loss_syncs_gradients(tmp_path, tiny_checkpoint):
    rows = _conversations(tmp_path / "sft.jsonl")
    options = dict(fused_loss="auto", with_eval=False, rl=False, sft_steps=2)
    one = run_recipe(validate_recipe(_recipe(tiny_checkpoint, rows, 1, **options)), tmp_path / "one")
    assert one["sft"]["status"] == "complete"
    recipe_path = tmp_path / "two.yaml"
    recipe_path.write_text(yaml.safe_dump(_recipe(tiny_checkpoint, rows, 2, **options)))
    result = _torchrun(["-m", "euro_post.cli", "run", str(recipe_path), "--run-dir", str(tmp_path / "two")],
                       tmp_path / "records", tmp_path)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    # Step 1's gradient norm is computed after the all-reduce: unsynced, it is rank 0's own.
    assert _metric(tmp_path / "two", "sft", "grad_norm") == pytest.approx(_metric(tmp_path / "one", "sft", "grad_norm"), rel=1e-4)


@pytest.mark.slow
def test_euro_post_launch_runs_the_smoke_recipe_and_every_rank_exits_0(tmp_path):
    """`euro-post launch --nproc 2 recipes/smoke.yaml`: every stage on two processes (the verifier
    pools of GRPO included), and every rank ends through the CLI's shutdown with exit status 0."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", distributed.RECORD_ENV: str(tmp_path / "records")}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(name, None)
    run_dir = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "euro_post.cli", "launch", "--nproc", "2", "recipes/smoke.yaml",
                             "--run-dir", str(run_dir)], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=LAUNCH_TIMEOUT_S)
    output = result.stdout + result.stderr
    # The launcher exits 0 only when every rank did; a rank aborted at exit would say "terminate called".
    assert result.returncode == 0, output[-3000:]
    assert "terminate called" not in output and "FAILED" not in output, output[-3000:]
    assert sorted((e["rank"], e["event"], e["completed"]) for e in _events(tmp_path / "records", "run")) == [
        (0, "shutdown", True), (1, "shutdown", True)]
    assert output.count("run complete:") == 1
    stages = load_recipe(ROOT / "recipes" / "smoke.yaml").enabled_stages()
    assert {name: read_manifest(run_dir / name)["status"] for name in stages} == dict.fromkeys(stages, "complete")
