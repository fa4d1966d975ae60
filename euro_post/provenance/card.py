"""The model card and training-content summary every euro-post checkpoint carries.

    files = card_files(ctx, result=...)        # {"README.md": ..., "training_summary.json": ..., "training_summary.md": ...}
    write_card("runs/demo/rl/checkpoint")      # (re)write the three files into a checkpoint
    update_cards(run_dir, "rl")                # the runner, once a stage is complete
    card_command("runs/demo/rl/checkpoint")    # `euro-post card CHECKPOINT`

README.md is a Hugging Face model card (YAML metadata, then Markdown); training_summary.json
holds the facts (euro_post.provenance.training_summary) and training_summary.md reads them out under the
headings of the EU AI Office's template. The eval stage's results appear in the card once
they exist for exactly these weights (same fingerprint); after the eval stage completes,
`update_cards(run_dir, "eval")` rewrites the card of every checkpoint in the run.
"""

from __future__ import annotations

import json
from pathlib import Path

# Imported here, not on first use: huggingface_hub resolves names lazily through importlib, and
# the runner's callers (and tests) may have replaced importlib.import_module by then.
from huggingface_hub.repocard_data import EvalResult, ModelCardData

from euro_post.data.languages import LANGUAGES
from euro_post.pipeline.checkpoint_io import atomic_write_text, fingerprint
from euro_post.pipeline.progress import say
from euro_post.provenance.summary_markdown import counts_table, language_name, lineage_lines, render_summary
from euro_post.provenance.training_summary import (
    HUB_ID,
    TBC,
    TRAINING_STAGES,
    UNKNOWN,
    build_folder_summary,
    build_summary,
    locate_run,
    read_json,
)

README, SUMMARY_JSON, SUMMARY_MD, ORIGINAL = "README.md", "training_summary.json", "training_summary.md", "README.original.md"
MARKER = "<!-- euro-post model card: rewrite with `euro-post card <checkpoint>` -->"
EVAL_METRICS = ("accuracy", "format", "language_consistency", "length")
SMALL_MODEL = 100_000_000  # below this many parameters the card says the model is for testing the pipeline


def card_files(source, stage: str | None = None, *, result=None) -> dict[str, str]:
    """The card's files for `stage` of a run: `source` is a StageContext or a run directory.

    `result` (a StageResult, or a dict of stage.json fields such as `summary`) stands in for what
    the runner has not recorded yet, so a stage can pass these files to `save_checkpoint(...,
    extra_files=...)` and have them inside the checkpoint before its atomic rename."""
    run_dir = Path(getattr(source, "run_dir", source))
    stage = stage or getattr(source, "name", None)
    if not stage:
        raise ValueError("card_files: give the stage name along with a run directory")
    current = None
    if result is not None:
        current = dict(result) if isinstance(result, dict) else {
            "tokens_processed": int(result.tokens_processed),
            "summary": result.summary,
        }
    summary = build_summary(run_dir, stage, current)
    return render_files(summary, *find_evaluation(run_dir / stage / "checkpoint", run_dir, stage, summary))


def write_card(checkpoint_dir: str | Path, run_dir: str | Path | None = None, stage: str | None = None) -> dict[str, Path]:
    """Write README.md, training_summary.json and .md into a checkpoint (each file atomically).

    Without `run_dir`/`stage` they are found from the path runs/<run>/<stage>/checkpoint; a
    folder outside a run gets a card from what it holds itself. A README.md not written by
    euro-post (a downloaded model's card) is kept as README.original.md first."""
    path = Path(checkpoint_dir)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: not a checkpoint folder (no config.json)")
    if run_dir is None or stage is None:
        located = locate_run(path)
        run_dir, stage = located if located else (None, None)
    if run_dir is not None:
        files = card_files(run_dir, stage)
    else:
        summary = build_folder_summary(path)
        files = render_files(summary, *find_evaluation(path, None, None, summary))
    readme = path / README
    if readme.exists() and MARKER not in readme.read_text(encoding="utf-8") and not (path / ORIGINAL).exists():
        atomic_write_text(path / ORIGINAL, readme.read_text(encoding="utf-8"))
    written = {}
    for name, text in files.items():
        target = path / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            atomic_write_text(target, text)
        written[name] = target
    return written


def update_cards(run_dir: str | Path, stage: str) -> list[Path]:
    """The runner's hook after `stage` completes: the stage's own card, or, after eval, every
    checkpoint's card (now with results). A failure is reported, never raised: the weights are saved."""
    run_dir = Path(run_dir)
    names = [stage] if stage in TRAINING_STAGES else list(TRAINING_STAGES) if stage == "eval" else []
    written = []
    for name in names:
        checkpoint = run_dir / name / "checkpoint"
        if not (checkpoint / "config.json").exists():
            continue
        try:
            written.append(write_card(checkpoint, run_dir, name)[README])
        except Exception as err:  # the card is documentation: a finished stage must not fail over it
            say(name, f"model card not written ({type(err).__name__}: {err}); retry with `euro-post card {checkpoint}`")
    return written


def card_command(checkpoint: str) -> dict[str, Path]:
    """`euro-post card CHECKPOINT`: rewrite a local checkpoint's card and summary; return their paths."""
    path = Path(checkpoint)
    if not path.is_dir():
        hint = " (a hub model id: download it to a folder first)" if HUB_ID.match(checkpoint) else ""
        raise FileNotFoundError(f"{checkpoint}: no such checkpoint folder{hint}")
    return write_card(path)


def find_evaluation(checkpoint: Path, run_dir: Path | None, stage: str | None, summary: dict) -> tuple[dict | None, dict | None]:
    """(results of these weights, results of the checkpoint they started from), from eval/results/*.json.

    A result counts only when it was measured on these very weights: its fingerprint is the one
    the run recorded for the checkpoint or, failing that, the folder's own (hashed only then)."""
    if not checkpoint.exists():
        return None, None
    hashed: list[str] = []

    def same_weights(data: dict) -> bool:
        if not data.get("languages"):
            return False
        if data.get("fingerprint") == summary["model"]["fingerprint"]:
            return True
        hashed[:] = hashed or [fingerprint(checkpoint)]
        return data.get("fingerprint") == hashed[0]

    own = parent = None
    if run_dir is not None:
        results = Path(run_dir) / "eval" / "results"
        own = read_json(results / f"{stage}.json")
        own = own if same_weights(own) else None
        if own:
            data = (read_json(Path(run_dir) / "eval" / "stage.json").get("config") or {}).get("data") or {}
            own["data_path"] = data.get("path", "world")
        stages = summary["lineage"]["stages"]
        if stages:
            label = stages[-2]["name"] if len(stages) > 1 else "start"
            parent = read_json(results / f"{label}.json")
            parent = parent if parent.get("languages") and parent.get("fingerprint") == stages[-1]["input_fingerprint"] else None
    else:
        from euro_post.eval.standalone import default_out

        for path in sorted((default_out(str(checkpoint)) / "eval" / "results").glob("*.json")):
            data = read_json(path)
            if same_weights(data):
                own = data
                break
    return own, parent


def render_files(summary: dict, evaluation: dict | None = None, parent: dict | None = None) -> dict[str, str]:
    return {
        README: render_card(summary, evaluation, parent),
        SUMMARY_JSON: json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
        SUMMARY_MD: render_summary(summary),
    }


def card_metadata(summary: dict, evaluation: dict | None = None):
    """The card's YAML metadata as huggingface_hub's ModelCardData."""
    model, lineage = summary["model"], summary["lineage"]
    stages, base = lineage["stages"], lineage["base_model"]
    license_ = model["license"] if model["license"] not in (UNKNOWN, TBC) else "other"
    hub_datasets = sorted({s["location"] for s in summary["data_sources"] if s["kind"] == "hub_dataset"})
    base_id = base["id"] if base and base["kind"] == "hub" else None
    tags = ["euro-post"] + list(dict.fromkeys(s["method"] for s in stages))
    if len(summary["general_information"]["languages"]) > 1:
        tags.append("multilingual")
    results = []
    data = (evaluation or {}).get("data_path", "world")
    for lang, entry in sorted((evaluation or {}).get("languages", {}).items()):
        value = entry["metrics"].get("accuracy", {}).get("value")
        if value is not None:
            results.append(EvalResult(
                task_type="text-generation", task_name="multi-step arithmetic word problems" if data == "world" else "eval problems",
                dataset_type="euro-post-world" if data == "world" else data,
                dataset_name=f"euro-post world, held-out problems ({lang})" if data == "world" else f"{data} ({lang})",
                dataset_config=lang, dataset_split="eval", metric_type="accuracy", metric_name="accuracy",
                metric_value=round(value, 4),
            ))
    return ModelCardData(
        language=summary["general_information"]["languages"] or None,
        license=license_,
        base_model=base_id,
        datasets=hub_datasets or None,
        tags=tags,
        pipeline_tag="text-generation",
        library_name="transformers",
        model_name=model["name"],
        eval_results=results or None,
    )


def render_card(summary: dict, evaluation: dict | None = None, parent: dict | None = None) -> str:
    model, info, lineage = summary["model"], summary["general_information"], summary["lineage"]
    langs = info["languages"]
    size = f"{model['parameters']:,} parameters" if isinstance(model["parameters"], int) else "parameter count unknown"
    lines = [
        "---", card_metadata(summary, evaluation).to_yaml(), "---", MARKER, "", f"# {model['name']}", "",
        f"A causal language model ({model['architecture']}, {size})"
        + (f" in {len(langs)} language(s): {', '.join(language_name(l) for l in langs)}." if langs else "; its languages are unknown."),
    ]
    if lineage["known"]:
        lines.append(f"It is the checkpoint of the `{model['stage']}` stage of the euro-post run `{model['run']}`."
                     + (f" {model['description'].strip()}" if model["description"].strip() else ""))
    lines += ["", "## Lineage", ""] + lineage_lines(lineage)
    lines += ["", "## Evaluation", ""] + _evaluation(evaluation, parent)
    lines += ["", "## Training data", ""] + _training_data(summary)
    lines += ["", "## Intended use and limitations", ""] + _use(summary)
    lines += ["", "## License", "", _license_note(model["license"])]
    lines += ["", "## How to use", "", "```python", "from transformers import AutoModelForCausalLM, AutoTokenizer", "",
              'tokenizer = AutoTokenizer.from_pretrained("path/to/this/checkpoint")',
              'model = AutoModelForCausalLM.from_pretrained("path/to/this/checkpoint")',
              'messages = [{"role": "user", "content": "..."}]',
              "inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors=\"pt\", return_dict=True)",
              "output = model.generate(**inputs, max_new_tokens=256)",
              "print(tokenizer.decode(output[0][inputs[\"input_ids\"].shape[1]:], skip_special_tokens=True))", "```", ""]
    return "\n".join(lines)


def _evaluation(evaluation: dict | None, parent: dict | None) -> list[str]:
    from euro_post.eval.metrics import METRICS
    from euro_post.eval.report_markdown import cell

    if not evaluation:
        return ["Not evaluated yet. Run the recipe's `eval` stage (or `euro-post eval CHECKPOINT`), then "
                "`euro-post card CHECKPOINT` to put the results here."]
    mode, data = evaluation.get("mode", "greedy"), evaluation.get("data_path", "world")
    problems = "Held-out problems of the embedded world" if data == "world" else f"The eval problems of `{data}`"
    lines = [f"{problems}, per language, {mode} decoding, max {evaluation.get('max_new_tokens')} "
             "new tokens. Proportions in percent with 95% intervals; length in tokens."
             + (f" Δ accuracy: change from `{parent.get('label')}`, the checkpoint this one started from." if parent else ""), ""]
    header = ["language", "n", *(METRICS.get(m, m) for m in EVAL_METRICS)] + (["Δ accuracy"] if parent else [])
    lines += ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    for lang, entry in sorted(evaluation["languages"].items(), key=lambda kv: list(LANGUAGES).index(kv[0]) if kv[0] in LANGUAGES else 99):
        metrics = entry["metrics"]
        row = [language_name(lang), str(metrics.get("accuracy", {}).get("n", "–")), *(cell(metrics.get(m), m) for m in EVAL_METRICS)]
        if parent:
            before = parent["languages"].get(lang, {}).get("metrics", {}).get("accuracy", {}).get("value")
            now = metrics.get("accuracy", {}).get("value")
            row.append(f"{100 * (now - before):+.1f}" if now is not None and before is not None else "–")
        lines.append("| " + " | ".join(row) + " |")
    mean = {m: v for m, v in evaluation.get("summary", {}).items() if m in EVAL_METRICS and v is not None}
    if mean:
        lines += ["", "Mean over languages: " + ", ".join(
            f"{METRICS.get(m, m)} " + (f"{v:.1f}" if m == "length" else f"{100 * v:.1f}%") for m, v in mean.items()) + "."]
    return lines


def _training_data(summary: dict) -> list[str]:
    if not summary["lineage"]["known"]:
        return ["Unknown (see training_summary.md for what the provider must complete)."]
    lines = ["| source | kind | used by | fingerprint | license |", "| --- | --- | --- | --- | --- |"]
    for s in summary["data_sources"]:
        lines.append(f"| {s['name']} (`{s['location']}`) | {s['kind']} | {', '.join(s['used_by'])} | `{s['fingerprint']}` | {s['license']} |")
    lines += ["", "Tokens seen per language and stage:", ""] + counts_table(summary, "tokens")
    filtered = [f for f in summary["data_processing"]["filtering"] if any(isinstance(f[k], dict) and any(f[k].values()) for k in ("dropped", "skipped"))]
    if filtered:
        lines += ["", "Left out by the stages (reason: rows):", ""]
        for f in filtered:
            counts = {**(f["dropped"] if isinstance(f["dropped"], dict) else {}), **(f["skipped"] if isinstance(f["skipped"], dict) else {})}
            lines.append(f"- {f['stage']}: " + ", ".join(f"{k}: {v}" for k, v in counts.items() if v))
    lines += ["", "The full summary of training content, structured after the EU AI Office's template for general-purpose "
              "AI models, is in [training_summary.md](training_summary.md) ([JSON](training_summary.json))."]
    return lines


def _use(summary: dict) -> list[str]:
    params = summary["model"]["parameters"]
    lines = [
        "Intended use: research on post-training and reasoning alignment of European language models, per-language "
        "evaluation, and further fine-tuning.",
        "",
        "Limitations:",
        "",
        "- It learned only from the training data listed above (and whatever its base model learned); it has not been "
        "evaluated for safety, bias or factual accuracy, nor on tasks beyond the evaluation above.",
        "- Quality differs between languages: check the per-language results before relying on it in one.",
        "- It is not meant for decisions about people, nor for medical, legal or financial advice.",
    ]
    if any(s["kind"] == "embedded_world" for s in summary["data_sources"]):
        lines.append("- The embedded world teaches multi-step arithmetic word problems only; it is no general instruction data.")
    if isinstance(params, int) and params < SMALL_MODEL:
        lines.append(f"- With {params:,} parameters this model is for testing the pipeline; do not expect useful text from it.")
    lines += [f"- Out-of-scope uses and further limitations: {TBC}."]
    return lines


def _license_note(license_: str) -> str:
    if license_ not in (UNKNOWN, TBC):
        return f"`{license_}`, as recorded for this model's lineage."
    return (f"{TBC}: euro-post could not determine the license (the metadata says `other`). Choose one that the base "
            "model's license and the training data's licenses allow, and set `license` in the metadata above.")


