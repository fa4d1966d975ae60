"""What a euro-post process contacts: nothing, unless the recipe names a hub resource.

    quiet_process()                 # first thing in the CLI: no telemetry, no code from the hub
    settle(hub_references(recipe))  # once the command knows what it reads: offline unless it names the hub
    hub_resources(recipe)           # ["org/model", "org/dataset", ...]

What each stage fetched, with the commit the local cache holds, goes into its stage.json
(euro_post/pipeline/hub_cache.py).

huggingface_hub, transformers, datasets and bitsandbytes read these settings once, when they are
imported, so the CLI makes them before it imports any of them: loading a recipe imports none.

A hub resource is a model or dataset id written `org/name` that is not an existing local path
(a bare name such as `gpt2` is never looked up: write `openai-community/gpt2`), or an lm-eval task
other than the embedded world's, whose data lives on the hub. With `offline: true` in the recipe,
or EURO_POST_OFFLINE=1, a recipe that names one is refused before anything runs.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from euro_post.eval.harness import WORLD_GROUP

OFFLINE_ENV = "EURO_POST_OFFLINE"

# Set in every euro-post process: nothing is reported, nothing checks for updates.
QUIET = {
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub's telemetry thread, which trl's trainers feed
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",  # mlflow's telemetry thread (it reads DO_NOT_TRACK only as "true")
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "HF_UPDATE_DOWNLOAD_COUNTS": "0",  # datasets: no download-count request
    "USE_HUB_KERNELS": "NO",  # transformers: no kernels from the hub inside the models
    "DISABLE_SAFETENSORS_CONVERSION": "1",  # transformers: no conversion request for a hub model without safetensors
}
# Set when the command names no hub resource: every library stays on local files.
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

# `kernels` downloads compiled code from the hub and loads it into the process; bitsandbytes'
# CPU backend asks it for a 4-bit kernel as soon as it is imported (on CPUs with AVX512-BF16),
# and peft imports bitsandbytes whenever it is installed. euro-post never runs code from the hub:
# `kernels` is kept out of every process, bitsandbytes out of every process without QLoRA.
NEVER_IMPORTED = ("kernels",)
QLORA_ONLY = ("bitsandbytes",)

_ORG_NAME = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}")
_DATA_FILE_SUFFIXES = (".jsonl", ".json", ".parquet", ".txt")


@dataclass(frozen=True)
class HubReference:
    """A resource on the Hugging Face hub that a recipe (or a command line) names."""

    field: str  # where it is named, e.g. stages.sft.init_from
    kind: str  # "model", "dataset" or "lm-eval task"
    repo_id: str  # org/name, or the lm-eval task name
    revision: str | None = None

    def refusal(self) -> str:
        if self.kind == "lm-eval task":
            return (f"{self.field}: {self.repo_id!r} reads its data from the hub, but offline is set; "
                    f"use {WORLD_GROUP} or leave it out")
        return f"{self.field}: {self.repo_id!r} is a hub {self.kind}, but offline is set; give a local path"


def is_hub_id(value: str | None, data: bool = False) -> bool:
    """True for `org/name` that is not an existing local path (nor, for data, a file name)."""
    # The hub allows neither ".." nor "--" in a repo id: such a value can only be a local path.
    if not value or not _ORG_NAME.fullmatch(value) or ".." in value or "--" in value:
        return False
    if data and value.endswith(_DATA_FILE_SUFFIXES):
        return False
    return not Path(value).exists()


def model_reference(field: str, value: str | None) -> list[HubReference]:
    return [HubReference(field, "model", value)] if is_hub_id(value) else []


def task_references(field: str, tasks) -> list[HubReference]:
    return [HubReference(field, "lm-eval task", task) for task in tasks or [] if not task.startswith(WORLD_GROUP)]


def named_by_stage(name: str, config) -> list[HubReference]:
    """The hub resources one stage's config names."""
    prefix = f"stages.{name}"
    found = model_reference(f"{prefix}.init_from", getattr(config, "init_from", None))
    found += model_reference(f"{prefix}.reference", getattr(config, "reference", None))
    data = getattr(config, "data", None)
    for index, source in enumerate(data.source_list() if data is not None else []):  # one source, or a mixture's
        if source.path != "world" and is_hub_id(source.path, data=True):
            field = f"{prefix}.data[{index}].path" if data.is_mixture else f"{prefix}.data.path"
            found.append(HubReference(field, "dataset", source.path, source.revision))
    for label, checkpoint in (getattr(config, "checkpoints", None) or {}).items():
        found += model_reference(f"{prefix}.checkpoints.{label}", checkpoint)
    found += task_references(f"{prefix}.lm_eval_tasks", getattr(config, "lm_eval_tasks", None))
    return found


def hub_references(recipe) -> list[HubReference]:
    """Every hub resource the recipe names, in stage order."""
    found: list[HubReference] = []
    for name in recipe.enabled_stages():
        found += named_by_stage(name, recipe.stage_config(name))
    return found


def hub_resources(recipe) -> list[str]:
    """The ids of the hub models, datasets and lm-eval tasks the recipe names, each once."""
    return list(dict.fromkeys(ref.repo_id for ref in hub_references(recipe)))


def stage_references(recipe, name: str) -> list[HubReference]:
    """What one stage reads from the hub: its own resources, and for eval also the first stage's
    starting checkpoint, which it evaluates as `start`."""
    config = recipe.stage_config(name)
    found = named_by_stage(name, config)
    if name == "eval" and getattr(config, "evaluate_start", False):
        first = next((stage for stage in recipe.enabled_stages() if stage != "eval"), None)
        if first is not None:
            init = getattr(recipe.stage_config(first), "init_from", None)
            found = model_reference(f"stages.{first}.init_from", init) + found
    return found


def offline_requested(recipe=None) -> bool:
    """The recipe's `offline`, or EURO_POST_OFFLINE=1 in the environment."""
    env = os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return env or bool(getattr(recipe, "offline", False))


def refuse_hub(references: list[HubReference]) -> None:
    """Raise one error listing every hub resource, for a recipe or command that must stay offline."""
    if references:
        # Indented like the other lines of a recipe's error list, one resource a line.
        raise ValueError("\n  ".join(ref.refusal() for ref in references))


def quiet_process() -> None:
    """No telemetry, update checks or hub kernels in this process and the ones it starts."""
    os.environ.update(QUIET)
    for module in NEVER_IMPORTED:
        keep_out(module)


def settle(references: list[HubReference], qlora: bool = False) -> None:
    """Go offline when the command names no hub resource; keep bitsandbytes out unless QLoRA runs.

    Call before transformers, huggingface_hub, datasets or peft are imported. A user's own
    HF_HUB_OFFLINE=1 stays set either way (the hub cache then serves what the recipe names)."""
    quiet_process()
    if not references:
        os.environ.update(OFFLINE)
        _check_not_too_late()
    if not qlora:
        for module in QLORA_ONLY:
            keep_out(module)


def _check_not_too_late() -> None:
    # huggingface_hub reads HF_HUB_OFFLINE once, at import: imported earlier, it would stay online.
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and not constants.HF_HUB_OFFLINE:
        raise RuntimeError(
            "huggingface_hub was imported before the network settings were made, so it would stay "
            "online; import it only after euro_post.pipeline.network.settle"
        )


def uses_qlora(recipe) -> bool:
    """True when a stage loads its base in 4 bits through bitsandbytes."""
    for name in recipe.enabled_stages():
        lora = getattr(recipe.stage_config(name), "lora", None)
        if lora is not None and getattr(lora, "quantize_4bit", False):
            return True
    return False


def keep_out(module: str) -> None:
    """Make `import module` fail with ImportError in this process, as when it is not installed.

    A None entry in sys.modules is Python's own way to stop an import; libraries that treat the
    module as optional (peft, transformers) then go on without it. Too late once it is imported."""
    sys.modules.setdefault(module, None)
