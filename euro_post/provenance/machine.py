"""What machine a run or a benchmark ran on: recorded in stage.json and printed by benchmarks."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def machine() -> dict[str, str | int]:
    import torch

    info: dict[str, str | int] = {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count() or 0}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_count"] = torch.cuda.device_count()
    return info


def machine_line(device=None) -> str:
    """`Intel Xeon ..., 2 cores, torch 2.13.0+cpu (2 threads)[, GPU ...], load average 0.4 0.6 0.8`:
    the load matters on a shared machine, where timings of busy minutes are not comparable."""
    import torch

    text = f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads)"
    if device is not None and getattr(device, "type", device) == "cuda":
        text += f", GPU {torch.cuda.get_device_name(device)}"
    return text + ", load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
