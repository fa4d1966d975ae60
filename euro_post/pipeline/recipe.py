"""The recipe: one YAML file that says what a run does, validated whole before any work starts.

    recipe = load_recipe("recipes/reasoning.yaml", overrides=["stages.sft.learning_rate=1e-4"])

Errors name the path inside the recipe and what was expected, e.g.
`stages.rl.num_generations: must be >= 2, got 1`, and suggest the nearest key for a typo.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, create_model, field_validator, model_validator

from euro_post.data.languages import resolve_languages
from euro_post.data.world.config import WorldConfig
from euro_post.pipeline import network
from euro_post.pipeline.config import Config
from euro_post.pipeline.stages import STAGE_ORDER, STAGES, TRAINING_STAGES
from euro_post.pipeline.trackers import check_report_to

__all__ = ["STAGE_ORDER", "TRAINING_STAGES", "Recipe", "RecipeError", "Stages", "load_recipe", "validate_recipe"]

# The `stages:` section: one optional section per stage of the table, in pipeline order.
Stages = create_model(
    "Stages",
    __base__=Config,
    **{name: (stage.config | None, Field(None, description=stage.description)) for name, stage in STAGES.items()},
)


class Recipe(Config):
    name: str = Field(description="Run name; the default run directory is runs/<name>.")
    description: str = Field("", description="Free text, copied into the report.")
    license: str | None = Field(
        None, description="License of the models this recipe trains (an SPDX id such as apache-2.0); goes into every model card."
    )
    seed: int = Field(0, description="Seeds python, numpy, torch, the world and every trainer.")
    languages: Literal["all"] | list[str] = Field("all", validate_default=True, description='"all" or a list of EU language codes.')
    run_dir: str | None = Field(None, description="Where the run writes; default runs/<name>.")
    fused_loss: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Memory-efficient fused LM-head + loss in every stage: liger-kernel on CUDA, "
        'chunked PyTorch on CPU. "auto" turns it on.',
    )
    offline: bool = Field(
        False,
        description="Refuse any hub model, dataset or lm-eval task, so that the run contacts nothing "
        "(EURO_POST_OFFLINE=1 does the same); every checkpoint and data path must then be local.",
    )
    report_to: list[str] = Field(
        default_factory=list,
        description="Experiment trackers that get every metric of the run: any of tensorboard, wandb, mlflow, "
        "trackio (pip install 'euro-post[trackers]'); a training stage's own report_to overrides it. "
        "See euro_post/pipeline/trackers.py.",
    )
    world: WorldConfig = Field(default_factory=WorldConfig, description="The embedded world generator.")
    stages: Stages = Field(default_factory=Stages)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value):
        return resolve_languages(value)

    @field_validator("report_to", mode="before")
    @classmethod
    def _known_trackers(cls, value):
        return check_report_to(value) or []

    @model_validator(mode="after")
    def _has_a_start(self):
        enabled = self.enabled_stages()
        if not enabled:
            raise ValueError("the recipe enables no stage; give at least one under `stages`")
        first = enabled[0]
        if first in TRAINING_STAGES and first != "base_pretrain":
            if getattr(self.stages, first).init_from == "previous":
                raise ValueError(
                    f"stages.{first}.init_from: the first stage has no previous stage to start from; "
                    "give a checkpoint path or hub model id"
                )
        if first == "eval" and not self.stages.eval.checkpoints:
            raise ValueError("stages.eval.checkpoints: an eval-only recipe must name the checkpoints to evaluate")
        return self

    @model_validator(mode="after")
    def _offline_names_no_hub_resource(self):
        if network.offline_requested(self):
            network.refuse_hub(network.hub_references(self))
        return self

    def enabled_stages(self) -> list[str]:
        return [name for name in STAGE_ORDER if getattr(self.stages, name) is not None]

    def stage_config(self, name: str) -> Config:
        return getattr(self.stages, name)

    def resolved_run_dir(self) -> Path:
        return Path(self.run_dir or f"runs/{self.name}")

    def stage_hash(self, name: str) -> str:
        """Hash of everything that shapes a stage's output: its own config and the recipe-wide settings."""
        payload = {
            "stage": name,
            "config": self.stage_config(name).model_dump(mode="json"),
            "seed": self.seed,
            "languages": self.languages,
            "fused_loss": self.fused_loss,
            "world": self.world.model_dump(mode="json"),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class RecipeError(ValueError):
    """A recipe that cannot run. The message lists every problem, one per line."""


class DuplicateKeyError(Exception):
    """A mapping in the YAML gives one key twice; lines count from 1."""

    def __init__(self, key: Any, line: int, first: int):
        super().__init__(f"duplicate key {key!r} at line {line} (first at line {first})")


class RecipeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error.

    Plain YAML keeps the last of two equal keys, so a second `sft:` section would silently
    replace the first. Keys brought in by a merge (`<<: *defaults`) may still be overridden."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first_line: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line + 1
                try:
                    if key in first_line:
                        raise DuplicateKeyError(key, line, first_line[key])
                    first_line[key] = line
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str):
    """Parse YAML safely (no Python objects), refusing duplicate keys (DuplicateKeyError)."""
    return yaml.load(text, Loader=RecipeLoader)  # RecipeLoader is a SafeLoader: plain data only


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(f"{path}: recipe file not found") from None
    except DuplicateKeyError as err:
        raise RecipeError(f"{path}: {err}") from None
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of keys to values, got {type(raw).__name__}")
    for override in overrides or []:
        apply_override(raw, override)
    return validate_recipe(raw, source=str(path))


def validate_recipe(raw: dict, source: str = "recipe") -> Recipe:
    try:
        return Recipe.model_validate(raw)
    except ValidationError as err:
        lines = [format_error(e) for e in err.errors()]
        raise RecipeError(f"{source}: invalid recipe\n  " + "\n  ".join(lines)) from None


def apply_override(raw: dict, override: str) -> None:
    """`stages.sft.learning_rate=1e-4` -> raw["stages"]["sft"]["learning_rate"] = 1e-4 (value parsed as YAML)."""
    key, sep, value = override.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"--set {override!r}: expected PATH=VALUE, e.g. stages.sft.learning_rate=1e-4")
    parts = key.strip().split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise RecipeError(f"--set {override!r}: {'.'.join(parts[: i + 1])} is a value, not a section")
        node = child
    try:
        node[parts[-1]] = load_yaml(value) if value.strip() else ""
    except DuplicateKeyError as err:
        raise RecipeError(f"--set {override!r}: {err}") from None


def format_error(error: dict) -> str:
    # A list index reads as in the YAML's own terms: stages.rl.rewards[1].name.
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"] if not _is_union_tag(p))
    where = where.lstrip(".") or "recipe"
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        hint = _nearest_key(error["loc"])
        return f"{where}: unknown key" + (f"; did you mean '{hint}'?" if hint else "")
    if kind == "missing":
        return f"{where}: required, but missing"
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        return f"{where}: must be {bounds[kind]} {limit}, got {value!r}"
    if kind == "literal_error":
        return f"{where}: must be one of {ctx.get('expected')}, got {value!r}"
    if kind == "value_error":
        return f"{where}: {str(ctx.get('error', error['msg']))}"
    expected = {
        "int_parsing": "an integer",
        "int_type": "an integer",
        "int_from_float": "an integer",
        "float_parsing": "a number",
        "float_type": "a number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "a string",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "list_type": "a list",
    }.get(kind)
    if expected:
        return f"{where}: expected {expected}, got {value!r}"
    return f"{where}: {error['msg']}, got {value!r}"


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the branch name of a union (e.g. "list[str]", "literal['all']") to the location.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _nearest_key(loc: tuple) -> str | None:
    model: Any = Recipe
    for part in loc[:-1]:
        model = _field_model(model, part)
        if model is None:
            return None
    choices = list(model.model_fields)
    match = difflib.get_close_matches(str(loc[-1]), choices, n=1, cutoff=0.6)
    return match[0] if match else None


def _field_model(model: Any, name: Any) -> type[BaseModel] | None:
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or name not in model.model_fields:
        return None
    annotation = model.model_fields[name].annotation
    candidates = getattr(annotation, "__args__", None) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def dump_recipe(recipe: Recipe) -> str:
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
