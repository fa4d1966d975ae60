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
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from euro_post.base_pretrain.config import BasePretrainConfig
from euro_post.data.languages import resolve_languages
from euro_post.data.world.config import WorldConfig
from euro_post.eval.config import EvalConfig
from euro_post.pipeline.config import Config
from euro_post.preference.config import PreferenceConfig
from euro_post.rl.config import RLConfig
from euro_post.sft.config import SFTConfig

# The pipeline order. A recipe may leave any stage out; the rest run in this order.
STAGE_ORDER = ("base_pretrain", "sft", "preference", "rl", "eval")
TRAINING_STAGES = ("base_pretrain", "sft", "preference", "rl")


class Stages(Config):
    base_pretrain: BasePretrainConfig | None = Field(None, description="Tokenizer + pretraining, or continued pretraining.")
    sft: SFTConfig | None = Field(None, description="Supervised fine-tuning on conversations.")
    preference: PreferenceConfig | None = Field(None, description="On-policy or offline pairs, then DPO-family training.")
    rl: RLConfig | None = Field(None, description="GRPO-family reasoning RL with verifiable rewards.")
    eval: EvalConfig | None = Field(None, description="Per-language evaluation of every stage's checkpoint and the report.")


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
    world: WorldConfig = Field(default_factory=WorldConfig, description="The embedded world generator.")
    stages: Stages = Field(default_factory=Stages)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value):
        return resolve_languages(value)

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


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(f"{path}: recipe file not found") from None
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
    node[parts[-1]] = yaml.safe_load(value) if value.strip() else ""


def format_error(error: dict) -> str:
    loc = [str(p) for p in error["loc"] if not _is_union_tag(p)]
    where = ".".join(loc) or "recipe"
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
