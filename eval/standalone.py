"""`euro-post eval CHECKPOINT`: the eval stage's measurements on any checkpoint, outside a run.

    euro-post eval runs/demo/rl/checkpoint --languages de fr --limit 20
    euro-post eval utter-project/EuroLLM-1.7B-Instruct --tasks euro_post_world mgsm_native_cot_de

The problems are the embedded world's held-out split (default settings). The output folder is
laid out like a run (eval/results/<label>.json, report/), so `euro-post report OUT` and
`compare_runs` work on it too. Nothing is written into the checkpoint folder itself: that
would change its fingerprint and make a run redo every stage after it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from euro_post.eval.config import EvalConfig
from euro_post.eval.evaluate import eval_rows, evaluate_checkpoint_into
from euro_post.eval.metrics import METRICS
from euro_post.eval.report import write_report
from euro_post.eval.report_markdown import cell

from euro_post.data.languages import resolve_languages
from euro_post.pipeline.checkpoint_io import atomic_write_json
from euro_post.pipeline.progress import say


def checkpoint_label(checkpoint: str) -> str:
    """A short name for tables: the folder name, or its parent's for `<stage>/checkpoint`."""
    parts = [p for p in re.split(r"[\\/]", str(checkpoint).rstrip("/\\")) if p]
    name = parts[-1] if parts else "checkpoint"
    if name == "checkpoint" and len(parts) > 1:
        name = parts[-2]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "checkpoint"


def default_out(checkpoint: str) -> Path:
    """runs/eval/<checkpoint path or hub id, flattened>."""
    parts = [p for p in re.split(r"[\\/]", str(checkpoint)) if p and p not in (".", "..")]
    if parts and parts[0] == "runs":
        parts = parts[1:]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", "--".join(parts)).strip("-.") or "checkpoint"
    return Path("runs") / "eval" / slug


def evaluate_checkpoint(
    checkpoint: str,
    languages: list[str] | None = None,
    tasks=(),
    out: str | Path | None = None,
    limit: int | None = None,
    config: EvalConfig | None = None,
    seed: int = 0,
) -> dict:
    """Evaluate one checkpoint per language, write its results and report; return the results.

    `limit` caps the problems per language (and the documents per lm-eval task); `tasks` are
    extra lm-eval tasks ("euro_post_world" for the held-out problems through lm-eval).
    `config` gives every other eval option (defaults: greedy, 256 new tokens).
    """
    from euro_post.data.world import World, WorldConfig

    langs = resolve_languages(languages or "all")
    config = config or EvalConfig()
    updates: dict = {"lm_eval_tasks": list(config.lm_eval_tasks) + [t for t in tasks if t not in config.lm_eval_tasks]}
    if limit is not None:
        updates.update(problems_per_language=limit, lm_eval_limit=limit)
    config = EvalConfig.model_validate({**config.model_dump(), **updates})  # the same rules as a recipe
    out = Path(out) if out else default_out(checkpoint)
    world = World(WorldConfig(), langs) if config.data.uses_world else None
    rows = eval_rows(config, langs, world=world)

    label = checkpoint_label(checkpoint)
    eval_dir = out / "eval"
    atomic_write_json(eval_dir / "checkpoints.json", {"order": [label], "checkpoints": {label: str(checkpoint)}})

    def log(text: str) -> None:
        say("eval", text)

    result = evaluate_checkpoint_into(label, str(checkpoint), rows, config, eval_dir, seed=seed, log=log)
    paths = write_report(out)
    print(format_result(result), file=sys.stdout)
    print(f"\nresults: {eval_dir / 'results' / (label + '.json')}\nreport:  {paths['markdown']}", file=sys.stdout)
    return result


def format_result(result: dict) -> str:
    """A plain-text table of one checkpoint's per-language metrics, for the terminal."""
    header = ["lang"] + [METRICS[m] for m in METRICS]
    rows = [[lang] + [cell(entry["metrics"].get(m), m) for m in METRICS] for lang, entry in result["languages"].items()]
    summary = result["summary"]
    rows.append(["mean"] + [
        "–" if summary.get(m) is None else (f"{summary[m]:.1f}" if m == "length" else f"{100 * summary[m]:.1f}")
        for m in METRICS
    ])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return f"{result['label']} ({result['checkpoint']}), proportions in %, 95% intervals:\n" + "\n".join(lines)
