"""`euro-post launch`: the `accelerate launch` command that starts one `euro-post run` per process."""

from __future__ import annotations

import sys
from pathlib import Path


def launch_command(
    recipe: str,
    run_args: list[str],
    nproc: int | None = None,
    config: str | None = None,
    num_machines: int | None = None,
    machine_rank: int | None = None,
    main_process_ip: str | None = None,
    main_process_port: int | None = None,
) -> list[str]:
    """`accelerate launch ... -m euro_post.cli run RECIPE ...` as an argument list.

    `nproc` counts processes per machine (one per GPU); Accelerate wants the total, so it gets
    nproc x machines. Without a config file the processes are plain data-parallel (DDP on GPUs,
    gloo on CPUs); the recipe's `precision` sets the dtype."""
    settings = _accelerate_config(config) if config else {}
    machines = num_machines or int(settings.get("num_machines", 1) or 1)
    if nproc is None and not settings.get("num_processes"):
        raise ValueError("euro-post launch: give --nproc (processes per machine), or a --config that sets num_processes")
    if nproc is not None and nproc < 1:
        raise ValueError(f"euro-post launch: --nproc must be >= 1, got {nproc}")
    cmd = [sys.executable, "-m", "accelerate.commands.launch"]
    if config:
        cmd += ["--config_file", str(config)]
    else:
        cmd += ["--mixed_precision", "no", "--dynamo_backend", "no"]
        if (nproc or 1) * machines > 1:
            cmd.append("--multi_gpu")  # Accelerate's torchrun launcher; on CPUs the Trainer then picks gloo
    if nproc is not None:
        cmd += ["--num_processes", str(nproc * machines)]
    cmd += ["--num_machines", str(machines)]
    if machine_rank is not None:
        cmd += ["--machine_rank", str(machine_rank)]
    if main_process_ip is not None:
        cmd += ["--main_process_ip", main_process_ip]
    if main_process_port is None and machines == 1 and not settings.get("main_process_port"):
        main_process_port = 0  # a free port: two single-machine runs side by side do not collide
    if main_process_port is not None:
        cmd += ["--main_process_port", str(main_process_port)]
    return cmd + ["-m", "euro_post.cli", "run", str(recipe), *run_args]


def _accelerate_config(path: str) -> dict:
    import yaml

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{path}: accelerate config not found (see recipes/accelerate/)")
    settings = yaml.safe_load(file.read_text(encoding="utf-8"))
    if not isinstance(settings, dict) or "distributed_type" not in settings:
        raise ValueError(f"{path}: not an accelerate config (no distributed_type)")
    return settings
