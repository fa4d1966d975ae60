"""Markdown pieces of the model card and the training-content summary: the lineage table, the
key settings per stage, counts per language, and training_summary.md under the headings of the
EU AI Office's template."""

from __future__ import annotations

from euro_post.data.languages import LANGUAGES
from euro_post.provenance.training_summary import TBC, UNKNOWN

# Settings the lineage table shows per stage; the full resolved config is in training_summary.json.
KEY_SETTINGS = {
    "*": ("max_steps", "learning_rate", "lr_scheduler", "per_device_batch_size", "gradient_accumulation_steps", "max_length", "precision"),
    "base_pretrain": ("preset", "vocab_size", "block_size", "language_temperature"),
    "sft": ("loss_on", "packing", "language_temperature"),
    "preference": ("pairs", "algorithm", "loss_type", "beta", "samples_per_prompt"),
    "rl": ("loss_type", "num_generations", "beta", "temperature", "max_completion_length"),
}

def lineage_lines(lineage: dict) -> list[str]:
    if not lineage["known"]:
        return ["Unknown: this checkpoint is not inside a euro-post run directory and carries no training_summary.json, "
                "so its training stages, data and compute are not known here."
                + (f" Its own metadata names `{lineage['base_model']['id']}` as base model." if lineage["base_model"] else "")]
    base = lineage["base_model"]
    start = f"`{base['id']}`" + (" (its own euro-post training summary is in training_summary.json)" if base.get("training_summary") else "") if base else "scratch (random initialisation)"
    lines = [f"Started from {start}.", "", "| # | stage | method | steps | tokens processed | wall time | device |", "| ---: | --- | --- | ---: | ---: | ---: | --- |"]
    for i, s in enumerate(lineage["stages"], start=1):
        hours = s["compute"]["wall_hours"]
        wall = UNKNOWN if not isinstance(hours, float) else f"{hours:.2f} h" if hours >= 1 else f"{hours * 60:.1f} min"
        device = s["compute"]["device"] + (f" x{s['compute']['processes']} processes" if s["compute"]["processes"] > 1 else "")
        lines.append(f"| {i} | {s['name']} | {s['method']} | {s['config'].get('max_steps', UNKNOWN)} | {_n(s['tokens_processed'])} | {wall} | {device} |")
    lines += ["", "Key settings (the full resolved configs are in training_summary.json):", ""]
    for s in lineage["stages"]:
        lines.append(f"- **{s['name']}**: " + "; ".join(f"{k} {_v(v)}" for k, v in key_settings(s["name"], s["config"]).items()))
    return lines

def key_settings(stage: str, config: dict) -> dict:
    settings = {k: config[k] for k in KEY_SETTINGS["*"] + KEY_SETTINGS.get(stage, ()) if config.get(k) is not None}
    if config.get("lora"):
        settings["lora"] = f"r {config['lora'].get('r')}, alpha {config['lora'].get('alpha')}"
    if config.get("rewards"):
        settings["rewards"] = ", ".join(_reward(r) for r in config["rewards"])
    if config.get("init_from") not in (None, "previous", "scratch"):
        settings["init_from"] = config["init_from"]
    if config.get("trust_remote_code"):
        settings["trust_remote_code"] = "true (the model's own code ran)"
    return settings

def _reward(spec: dict) -> str:
    """`format x0.2`; a user's reward by its import path, `my_lab.rewards:cites x0.5 (user code)`; options after."""
    name = spec.get("name")
    text = f"{name} x{spec.get('weight', 1)}" + (" (user code)" if ":" in str(name) else "")
    options = spec.get("options") or {}
    return text + (f" {{{', '.join(f'{k}: {v}' for k, v in options.items())}}}" if options else "")

def language_name(code: str) -> str:
    return f"{LANGUAGES[code].name} ({code})" if code in LANGUAGES else code

def _count(counts, lang: str) -> str:
    return _n(counts.get(lang, 0)) if isinstance(counts, dict) else UNKNOWN

def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)

def _v(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

def counts_table(summary: dict, key: str) -> list[str]:
    """Languages x stages of `data_seen[key]` (tokens or rows), with totals."""
    counts = summary["data_seen"][key]
    stages = list(counts["per_stage"])
    langs = list(dict.fromkeys([*summary["general_information"]["languages"], *counts["per_language"]]))
    rows = [[language_name(l), *(_count(counts["per_stage"][s], l) for s in stages), _n(counts["per_language"].get(l, 0))] for l in langs]
    rows.append(["total", *(_n(counts["per_stage_total"][s]) for s in stages), _n(counts["total"])])
    lines = _table(["language", *stages, "total"], rows)
    if not counts["complete"]:
        lines += ["", f"Not recorded per language by: {', '.join(counts['unknown_stages'])}; the totals leave them out."]
    return lines

def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)] + ["| " + " | ".join(map(str, r)) + " |" for r in rows]

SECTION_TITLES = {
    "publicly_available_datasets": "2.1 Publicly available datasets",
    "private_datasets": "2.2 Private non-publicly available datasets obtained from third parties",
    "crawled_data": "2.3 Data crawled and scraped from online sources",
    "user_data": "2.4 User data",
    "synthetic_data": "2.5 Synthetic data",
    "other_sources": "2.6 Other sources of data",
}

def render_summary(summary: dict) -> str:
    """training_summary.md: the JSON read out under the headings of the EU AI Office's template."""
    model, info, sections = summary["model"], summary["general_information"], summary["data_source_sections"]
    size = info["training_data_size"]
    sources = {s["id"]: s for s in summary["data_sources"]}
    lines = [
        f"# Public summary of training content: {model['name']}", "",
        f"Structured after the {summary['template']}. Written by {summary['generator']} from the run's records "
        f"(schema_version {summary['schema_version']}). {len(summary['to_be_completed'])} field(s) say **{TBC}**: "
        "euro-post cannot know them; the provider fills them in before publishing.", "",
        "## 1. General information", "", "### 1.1 Provider identification", "",
        f"- Provider name and contact details: {info['provider']['name']}",
        f"- Authorised representative: {info['provider']['authorised_representative']}", "",
        "### 1.2 Model identification", "",
        f"- Versioned model name: {model['name']} (weights fingerprint `{model['fingerprint']}`)",
        f"- Model dependencies: {info['model_dependencies']}",
        f"- Date of placement on the Union market: {info['date_placed_on_market']}", "",
        "### 1.3 Modalities, overall training data size and other characteristics", "",
        f"- Modalities: {', '.join(info['modalities'])}",
        f"- Training data size (text): {_n(size['text_tokens'])} tokens seen in this lineage; range: {size['range']}"
        + ("" if size["complete"] else " (some stages did not record their tokens: the count is a lower bound)"),
        f"- Types of content: {info['types_of_content']}",
        f"- Latest date of data collection: {info['latest_data_collection']}",
        f"- Languages: {', '.join(language_name(l) for l in info['languages']) or UNKNOWN}", "",
        "## 2. List of data sources", "",
    ]
    for key, title in SECTION_TITLES.items():
        section = sections[key]
        lines += [f"### {title}", "", f"Used: {_yes_no(section['used'])}." + (f" {section['note']}" if section.get("note") else ""), ""]
        for source_id in section.get("sources", []):
            s = sources[source_id]
            details = [f"kind {s['kind']}", f"location `{s['location']}`", f"used by {', '.join(s['used_by'])}",
                       f"revision {s['revision']}" if s.get("revision") else None, f"fingerprint `{s['fingerprint']}`",
                       f"license: {s['license']}", f"generator: {s['generator']}" if s.get("generator") else None,
                       f"origin: {s['origin']}" if s.get("origin") else None]
            lines.append(f"- **{s['name']}**: " + "; ".join(d for d in details if d))
        lines += [""] if section.get("sources") else []
    processing = summary["data_processing"]
    lines += ["## 3. Relevant data processing aspects", "",
              "### 3.1 Respect of reservation of rights from the text and data mining exception", "", processing["reservation_of_rights"], "",
              "### 3.2 Removal of illegal content", "", processing["illegal_content_removal"], "",
              "### 3.3 Other information", "", f"Further processing: {processing['other']}", ""]
    rows = [[f["stage"], _counts_text(f["dropped"]), _counts_text(f["skipped"])] for f in processing["filtering"]]
    lines += ["Rows the stages left out, by reason:", ""] + _table(["stage", "dropped", "skipped"], rows) if rows else []
    lines += ["", "## Annex: lineage, data seen, compute and libraries", ""] + lineage_lines(summary["lineage"])
    if summary["lineage"]["stages"]:
        lines += ["", "Stage records:", ""] + _table(
            ["stage", "config hash", "input fingerprint", "output fingerprint", "seed", "started", "ended"],
            [[s["name"], f"`{s['config_hash']}`", f"`{s['input_fingerprint']}`", f"`{s['output_fingerprint']}`", s["seed"], s["started_at"], s["ended_at"]]
             for s in summary["lineage"]["stages"]])
        lines += ["", "Tokens per language and stage:", ""] + counts_table(summary, "tokens")
        lines += ["", "Rows (examples, pairs or prompts) per language and stage:", ""] + counts_table(summary, "rows")
        compute = summary["compute"]
        lines += ["", f"Compute: {compute['wall_hours']:.4f} wall-clock hours; device hours: "
                  + (", ".join(f"{d} {h:.4f}" for d, h in compute["device_hours"].items()) or UNKNOWN) + f" ({compute['note']})", ""]
        lines += ["Libraries: " + ", ".join(f"{k} {v}" for k, v in summary["libraries"].items())]
    if summary["to_be_completed"]:
        lines += ["", "## Fields to complete", "", *(f"- `{p}`" for p in summary["to_be_completed"])]
    return "\n".join(lines) + "\n"

def _yes_no(value) -> str:
    return "yes" if value is True else "no" if value is False else str(value)

def _counts_text(counts) -> str:
    if not isinstance(counts, dict):
        return str(counts)
    return ", ".join(f"{k}: {v}" for k, v in counts.items() if v) or "none"
