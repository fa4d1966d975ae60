"""The report's figures (PNG, matplotlib's Agg backend: no display needed).

- a languages x checkpoints heatmap per metric (accuracy, language consistency), legible
  with all 24 languages and any number of checkpoints: the figure grows with the table;
- training curves: loss and reward per training stage, from each stage's metrics.jsonl.
Figure sizes are fixed functions of the table size (`heatmap_size`), saved at `DPI`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

DPI = 100
# What each training stage logs as its reward, first match wins: GRPO's mean reward, then
# DPO's implicit reward margin and accuracy.
REWARD_KEYS = ("reward", "rewards/margins", "rewards/accuracies")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def heatmap_size(n_rows: int, n_cols: int) -> tuple[float, float]:
    """Figure size in inches for a table of n_rows languages x n_cols checkpoints."""
    width = max(4.8, 2.6 + 0.95 * n_cols)
    height = max(2.6, 1.5 + 0.3 * n_rows)
    return width, height


def heatmap(
    values: Sequence[Sequence[float | None]],
    rows: Sequence[str],
    columns: Sequence[str],
    title: str,
    path: str | Path,
    *,
    percent: bool = True,
    summary: Sequence[float | None] | None = None,
    summary_label: str = "mean",
) -> Path:
    """values[i][j]: metric of language rows[i] at checkpoint columns[j]; None is drawn grey.

    `summary`, one value per column, is drawn as a last row set apart by a line.
    """
    import numpy as np

    plt = _pyplot()
    if summary is not None:
        values, rows = [*values, list(summary)], [*rows, summary_label]
    data = np.array([[math.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    if data.size == 0:
        data = np.full((max(len(rows), 1), max(len(columns), 1)), math.nan)
    scale = 100.0 if percent else 1.0
    fig, ax = plt.subplots(figsize=heatmap_size(len(rows), len(columns)), dpi=DPI)
    cmap = plt.get_cmap("viridis").with_extremes(bad="#d9d9d9")
    finite = data[np.isfinite(data)]
    vmin, vmax = (0.0, 1.0) if percent else (float(finite.min(initial=0)), float(finite.max(initial=1)))
    image = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(columns)), labels=list(columns), rotation=30 if len(columns) > 5 else 0, ha="right" if len(columns) > 5 else "center")
    ax.set_yticks(range(len(rows)), labels=list(rows))
    ax.tick_params(labelsize=8)
    ax.set_title(title, fontsize=10)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            text = "–" if not math.isfinite(v) else f"{v * scale:.0f}"
            bright = math.isfinite(v) and (v - vmin) / ((vmax - vmin) or 1) > 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black" if bright or not math.isfinite(v) else "white")
    if summary is not None:
        ax.axhline(len(rows) - 1.5, color="white", linewidth=3)
    colorbar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    colorbar.ax.tick_params(labelsize=7)
    if percent:
        colorbar.set_label("%", fontsize=8)
        colorbar.set_ticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "25", "50", "75", "100"])
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def curves_size(n_stages: int) -> tuple[float, float]:
    return 10.0, 0.6 + 2.4 * max(n_stages, 1)


def training_curves(curves: dict[str, list[dict]], path: str | Path) -> Path | None:
    """One row per training stage: its loss (left) and reward (right) against the step."""
    stages = {name: records for name, records in curves.items() if any("loss" in r or _reward_key([r]) for r in records)}
    if not stages:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(len(stages), 2, figsize=curves_size(len(stages)), dpi=DPI, squeeze=False)
    for (name, records), (loss_ax, reward_ax) in zip(stages.items(), axes):
        _plot_series(loss_ax, records, "loss", f"{name}: loss", label="train")
        if any(_number(r.get("eval_loss")) is not None for r in records):
            _plot_series(loss_ax, records, "eval_loss", f"{name}: loss", label="validation")
            loss_ax.legend(fontsize=7)
        key = _reward_key(records)
        if key:
            _plot_series(reward_ax, records, key, f"{name}: {key}")
        else:
            reward_ax.set_title(f"{name}: no reward logged", fontsize=9)
            reward_ax.set_axis_off()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _reward_key(records: list[dict]) -> str | None:
    for key in REWARD_KEYS:
        if any(_number(r.get(key)) is not None for r in records):
            return key
    return None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _plot_series(ax, records: list[dict], key: str, title: str, label: str | None = None) -> None:
    points = [(r["step"], _number(r.get(key))) for r in records if "step" in r and _number(r.get(key)) is not None]
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("step", fontsize=8)
    if not points:
        ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, fontsize=8)
        return
    steps, values = zip(*points)
    ax.plot(steps, values, marker="." if len(points) < 30 else None, linewidth=1.2, label=label)
    ax.grid(alpha=0.3)
