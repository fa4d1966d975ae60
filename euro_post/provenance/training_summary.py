"""What a checkpoint was trained on: the facts behind training_summary.json.

The summary follows the structure of the EU AI Office's "Template for the public summary of
training content for general-purpose AI models" (July 2025): 1. general information, 2. data
sources, 3. data processing. It adds what euro-post knows exactly: the lineage of stages with
their resolved configs, tokens and rows seen per language and stage, what was filtered and
why, compute and library versions. What the toolkit cannot know (the provider, the origin of
a user's local file, opt-out handling) is the string `TBC` and listed under `to_be_completed`.

Everything comes from disk (stage.json files, the run's recipe.yaml, the data files), never
from the clock, so building it twice gives the same summary. A checkpoint that started from
another euro-post checkpoint nests that checkpoint's own summary under `lineage.base_model`;
the totals cover this lineage only, as the template asks of a model built on another one.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import yaml
from huggingface_hub.repocard import metadata_load

from euro_post import __version__
from euro_post.data.languages import LANGUAGE_CODES
from euro_post.pipeline.recipe import TRAINING_STAGES
from euro_post.provenance.data_sources import TBC, UNKNOWN, WORLD_DESCRIPTION, recorded_fingerprints, stage_sources

SCHEMA_VERSION = 1
SUMMARY_FILE = "training_summary.json"
TEMPLATE = "EU AI Office, Template for the public summary of training content for general-purpose AI models (July 2025)"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
# The EU template's size ranges for text (section 1.3).
SIZE_RANGES = ((10**9, "Less than 1 billion tokens"), (10**13, "1 billion to 10 trillion tokens"))


def locate_run(checkpoint: str | Path) -> tuple[Path, str] | None:
    """(run_dir, stage) for `runs/<run>/<stage>/checkpoint`; None for a folder outside a run."""
    path = Path(checkpoint)
    stage_dir = path.parent
    if path.name == "checkpoint" and stage_dir.name in TRAINING_STAGES and (stage_dir / "stage.json").exists():
        return stage_dir.parent, stage_dir.name
    return None


def build_summary(run_dir: str | Path, stage: str, current: dict | None = None) -> dict:
    """The summary of the checkpoint `stage` produced in `run_dir`.

    `current` overlays that stage's stage.json (a stage writing its card before the runner has
    recorded its result passes the result here)."""
    run_dir = Path(run_dir)
    if stage not in TRAINING_STAGES:
        raise ValueError(f"{stage!r} is not a training stage; a card belongs to one of {', '.join(TRAINING_STAGES)}")
    manifests = {name: read_json(run_dir / name / "stage.json") for name in TRAINING_STAGES}
    manifests[stage] = {**manifests[stage], **(current or {})}
    if not manifests[stage]:
        raise FileNotFoundError(f"{run_dir / stage / 'stage.json'}: no stage.json, so the stage never ran in this run")
    recipe = read_yaml(run_dir / "recipe.yaml")
    chain, external = _chain(run_dir, stage, manifests)
    checkpoint_dir = run_dir / stage / "checkpoint"
    previous = read_json(checkpoint_dir / SUMMARY_FILE)
    recorded = recorded_fingerprints([previous] + [read_json(run_dir / n / "checkpoint" / SUMMARY_FILE) for n, _ in chain])
    world = recipe.get("world")
    stages, sources = [], {}
    for name, manifest in chain:
        entry = _stage_entry(name, manifest)
        for source in stage_sources(name, manifest, world, recorded):
            record = sources.setdefault(source["id"], source)
            record["used_by"] = sorted({*record["used_by"], *source["used_by"]}, key=_stage_rank)
            if "splits" in source:
                record["splits"] = {**record["splits"], **source["splits"]}
            if "rows" in source and record is not source:
                record["rows"] = {**record.get("rows", {}), **source["rows"]}
            entry["data_sources"].append(source["id"])
        stages.append(entry)
    base = _base_model(external, chain[0][1].get("input_fingerprint")) if external else None
    run = recipe.get("name") or run_dir.resolve().name
    model = _model(
        f"{run}-{stage}", stage, run, recipe.get("description") or "",
        manifests[stage].get("checkpoint") or str(checkpoint_dir), manifests[stage].get("output_fingerprint") or UNKNOWN,
        recipe.get("license") or _known((base or {}).get("license")) or UNKNOWN, checkpoint_dir,
    )
    return assemble(model, stages, list(sources.values()), base, known=True)


def build_folder_summary(checkpoint: str | Path) -> dict:
    """The summary of a checkpoint folder outside a run: its own training_summary.json when it
    carries one (copied out of a run), else what the folder itself says, the rest unknown."""
    path = Path(checkpoint)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: not a checkpoint folder (no config.json)")
    own = read_json(path / SUMMARY_FILE)
    if own.get("schema_version") == SCHEMA_VERSION:
        return own
    meta = readme_metadata(path)
    name = path.parent.name if path.name == "checkpoint" and path.parent.name else path.resolve().name
    model = _model(name, UNKNOWN, UNKNOWN, "", name, UNKNOWN, meta.get("license") or UNKNOWN, path)
    base = meta.get("base_model")
    base = {"id": str(base), "kind": "hub", "fingerprint": UNKNOWN, "license": UNKNOWN, "training_summary": None} if base else None
    langs = meta.get("language") or []
    return assemble(model, [], [], base, known=False, languages=[str(l) for l in (langs if isinstance(langs, list) else [langs])])


def _model(name, stage, run, description, checkpoint, weights, license_, path: Path) -> dict:
    return {"name": name, "stage": stage, "run": run, "description": description, "checkpoint": checkpoint,
            "fingerprint": weights, "license": license_, **checkpoint_facts(path)}


def assemble(model: dict, stages: list[dict], sources: list[dict], base: dict | None, known: bool, languages=()) -> dict:
    """Arrange the facts in the template's three sections, plus lineage, counts, compute, libraries.

    `known`: the lineage is known (a run's checkpoint); else only `languages` (from the folder's own card)."""
    tokens, rows = totals(stages, "tokens_per_language"), totals(stages, "rows_per_language")
    generated_only = known and all(s["kind"] in ("embedded_world", "model_samples") for s in sources)
    settled = known and not any(s["section"] == "unclassified" for s in sources)  # every source's kind is certain
    languages = sorted({*languages, *(lang for s in stages for lang in s["languages"]), *tokens["per_language"]}, key=_lang_rank)
    world_part = f" (euro-post knows one part: {WORLD_DESCRIPTION})" if any(s["kind"] == "embedded_world" for s in sources) else ""
    last_start = max((s["started_at"] for s in stages if s["started_at"] != UNKNOWN), default=None)
    total = tokens["total"] if tokens["complete"] and stages else None
    by_section = {section: [s["id"] for s in sources if s["section"] == section] for section in SECTIONS}

    def used(section: str) -> bool | str:
        return True if by_section[section] else False if settled else TBC

    summary = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"euro-post {__version__}",
        "template": TEMPLATE,
        "model": model,
        "general_information": {
            "provider": {"name": TBC, "contact": TBC, "authorised_representative": TBC},
            "model_name": model["name"],
            "model_dependencies": _dependency(base, known),
            "date_placed_on_market": TBC,
            "modalities": ["text"],
            "training_data_size": {
                "text_tokens": tokens["total"] if stages else UNKNOWN,
                "complete": tokens["complete"] and bool(stages),
                "range": size_range(total) if total is not None else TBC,
            },
            "types_of_content": WORLD_DESCRIPTION if generated_only and sources else TBC + world_part,
            "languages": languages,
            "latest_data_collection": (last_start or UNKNOWN)[:10] + " (generated at training time)" if generated_only and last_start else TBC,
        },
        "data_sources": sources,
        "data_source_sections": {
            "publicly_available_datasets": {"used": used("publicly_available"), "sources": by_section["publicly_available"]},
            "private_datasets": {"used": used("private"), "sources": by_section["private"]},
            "crawled_data": {"used": False if settled else TBC, "note": "euro-post itself does not crawl."},
            "user_data": {"used": False if settled else TBC, "note": "euro-post collects no user data."},
            "synthetic_data": {"used": used("synthetic"), "sources": by_section["synthetic"]},
            "other_sources": {
                "used": used("unclassified"),
                "sources": by_section["unclassified"],
                "note": "Local files whose origin euro-post cannot know: the provider moves each to its section.",
            },
        },
        "data_processing": {
            "reservation_of_rights": (
                "Not applicable: every training source was generated (euro-post's embedded world or the model's own "
                "samples); no third-party content was collected." if generated_only else TBC
            ),
            "illegal_content_removal": (
                "Not applicable: the generated data holds only arithmetic word problems written from fixed templates."
                if generated_only else TBC
            ),
            "filtering": [{"stage": s["name"], "dropped": s["dropped"], "skipped": s["skipped"]} for s in stages],
            "other": TBC,
        },
        "lineage": {"known": known, "base_model": base, "stages": stages},
        "data_seen": {"tokens": tokens, "rows": rows},
        "compute": compute_totals(stages),
        "libraries": stages[-1]["libraries"] if stages else {},
    }
    summary["to_be_completed"] = to_be_completed(summary)
    return summary


SECTIONS = ("publicly_available", "private", "synthetic", "unclassified")


def totals(stages: list[dict], key: str) -> dict:
    """Counts per stage (a stage that did not record them is "unknown"), per language and in all."""
    per_stage = {s["name"]: s[key] for s in stages}
    per_language: dict[str, int] = {}
    for counts in per_stage.values():
        if isinstance(counts, dict):
            for lang, n in counts.items():
                per_language[lang] = per_language.get(lang, 0) + n
    unknown = [name for name, counts in per_stage.items() if not isinstance(counts, dict)]
    return {
        "per_stage": per_stage,
        "per_stage_total": {n: sum(c.values()) if isinstance(c, dict) else UNKNOWN for n, c in per_stage.items()},
        "per_language": dict(sorted(per_language.items(), key=lambda kv: _lang_rank(kv[0]))),
        "total": sum(per_language.values()),
        "complete": not unknown,
        "unknown_stages": unknown,
    }


def compute_totals(stages: list[dict]) -> dict:
    hours: dict[str, float] = {}
    for s in stages:
        c = s["compute"]
        if isinstance(c["device_hours"], (int, float)):
            hours[c["device"]] = round(hours.get(c["device"], 0.0) + c["device_hours"], 6)
    known = [s["compute"]["wall_hours"] for s in stages if isinstance(s["compute"]["wall_hours"], (int, float))]
    return {
        "wall_hours": round(sum(known), 6),
        "device_hours": hours,
        "complete": len(known) == len(stages),
        "note": "device_hours = wall hours x processes, per device kind.",
    }


def size_range(tokens: int) -> str:
    return next((label for limit, label in SIZE_RANGES if tokens < limit), "More than 10 trillion tokens")


def to_be_completed(node, path: str = "") -> list[str]:
    """JSON-pointer-like paths of every field left for the provider."""
    if isinstance(node, str):
        return [path or "/"] if node.startswith(TBC) else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    return [p for key, value in items for p in to_be_completed(value, f"{path}/{key}")]


def _chain(run_dir: Path, stage: str, manifests: dict[str, dict]) -> tuple[list[tuple[str, dict]], str | None]:
    """The stages this checkpoint descends from, oldest first, and the outside checkpoint the first started from."""
    chain, name = [], stage
    while True:
        manifest = manifests[name]
        chain.append((name, manifest))
        source = manifest.get("input_checkpoint")
        if not source:
            return chain[::-1], None
        earlier = TRAINING_STAGES[: TRAINING_STAGES.index(name)]
        parent = next((n for n in reversed(earlier) if _produced(source, n, manifests[n], run_dir)), None)
        if parent is None:
            return chain[::-1], source
        name = parent


def _produced(source: str, name: str, manifest: dict, run_dir: Path) -> bool:
    if not manifest.get("checkpoint"):
        return False
    if source == manifest["checkpoint"]:
        return True
    try:
        return Path(source).resolve() == (run_dir / name / "checkpoint").resolve()
    except OSError:
        return False


def _stage_entry(name: str, manifest: dict) -> dict:
    summary = manifest.get("summary") or {}
    config = manifest.get("config") or {}
    machine = manifest.get("machine") or {}
    processes = int(manifest.get("processes") or 1)
    wall = manifest.get("wall_time_s")
    hours = round(wall / 3600, 6) if isinstance(wall, (int, float)) else UNKNOWN
    device = machine.get("gpu") or (f"CPU ({machine['cpu_count']} cores)" if machine.get("cpu_count") else UNKNOWN)
    return {
        "name": name,
        "method": stage_method(name, config),
        "status": manifest.get("status", UNKNOWN),
        "input_checkpoint": manifest.get("input_checkpoint"),
        "input_fingerprint": manifest.get("input_fingerprint", UNKNOWN),
        "checkpoint": manifest.get("checkpoint"),
        "output_fingerprint": manifest.get("output_fingerprint") or UNKNOWN,
        "config_hash": manifest.get("config_hash", UNKNOWN),
        "config": config,
        "seed": manifest.get("seed"),
        "languages": list(manifest.get("languages") or []),
        "started_at": manifest.get("started_at") or UNKNOWN,
        "ended_at": manifest.get("ended_at") or UNKNOWN,
        "tokens_processed": manifest.get("tokens_processed", UNKNOWN),
        "tokens_per_language": _counts(summary.get("tokens_per_language")),
        "rows_per_language": _counts(summary.get("rows_per_language")),
        "dropped": _counts(summary.get("dropped")),
        "skipped": _counts(summary.get("skipped")),
        "data_sources": [],
        "compute": {
            "device": device,
            "gpu_count": machine.get("gpu_count", 0),
            "cpu_count": machine.get("cpu_count", UNKNOWN),
            "platform": machine.get("platform", UNKNOWN),
            "processes": processes,
            "wall_hours": hours,
            "device_hours": round(hours * processes, 6) if hours != UNKNOWN else UNKNOWN,
        },
        "libraries": manifest.get("libraries") or {},
    }


def stage_method(name: str, config: dict) -> str:
    """A short name of what the stage did (also a card tag): pretraining, sft, dpo or simpo, grpo.

    GRPO's loss variant (dapo, dr_grpo, ...) is a key setting of the stage, not another method."""
    if name == "base_pretrain":
        return "pretraining" if config.get("init_from", "scratch") == "scratch" else "continued-pretraining"
    if name == "preference":
        return str(config.get("algorithm") or "dpo")
    return "grpo" if name == "rl" else name


def _base_model(source: str, fingerprint: str | None) -> dict:
    path = Path(source)
    if path.exists():
        nested = read_json(path / SUMMARY_FILE)
        nested = nested if nested.get("schema_version") == SCHEMA_VERSION else None
        license_ = _known((nested or {}).get("model", {}).get("license")) or readme_metadata(path).get("license") or UNKNOWN
        return {"id": source, "kind": "local", "fingerprint": fingerprint or UNKNOWN, "license": license_,
                "training_summary": nested}
    kind = "hub" if HUB_ID.match(source) else UNKNOWN
    return {"id": source, "kind": kind, "fingerprint": fingerprint or UNKNOWN, "license": UNKNOWN, "training_summary": None}


def _dependency(base: dict | None, known: bool) -> str:
    if base is None:
        return "none: trained from scratch by euro-post" if known else TBC
    if base.get("training_summary"):
        return f"{base['id']} (its own euro-post training summary is nested under lineage.base_model)"
    return f"{base['id']}: see that model's own public summary of training content"


def checkpoint_facts(path: Path) -> dict:
    """Architecture and parameter count from the folder's config.json and safetensors headers."""
    config = read_json(Path(path) / "config.json")
    facts = {
        "architecture": (config.get("architectures") or [config.get("model_type") or UNKNOWN])[0],
        "model_type": config.get("model_type", UNKNOWN),
        "layers": config.get("num_hidden_layers", UNKNOWN),
        "hidden_size": config.get("hidden_size", UNKNOWN),
        "vocab_size": config.get("vocab_size", UNKNOWN),
        "parameters": UNKNOWN,
    }
    files = sorted(Path(path).glob("*.safetensors")) if Path(path).is_dir() else []
    if files:
        from safetensors import safe_open

        count = 0
        for file in files:
            with safe_open(str(file), "numpy") as f:  # reads the header only, never the weights
                count += sum(math.prod(f.get_slice(name).get_shape()) for name in f.keys())
        facts["parameters"] = count
    return facts


def readme_metadata(path: Path) -> dict:
    """The YAML metadata of a model card in `path`, or {}."""
    readme = Path(path) / "README.md"
    try:
        return metadata_load(readme) or {} if readme.exists() else {}
    except (ValueError, yaml.YAMLError):
        return {}


def _known(value):
    return None if value in (None, "", UNKNOWN, TBC) else value


def _counts(value) -> dict[str, int] | str:
    if isinstance(value, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        return {str(k): int(v) for k, v in value.items()}
    return UNKNOWN


def _lang_rank(lang: str) -> tuple[int, str]:
    return (LANGUAGE_CODES.index(lang), lang) if lang in LANGUAGE_CODES else (len(LANGUAGE_CODES), lang)


def _stage_rank(name: str) -> int:
    return TRAINING_STAGES.index(name) if name in TRAINING_STAGES else len(TRAINING_STAGES)


def read_json(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}
