"""The tokenizer half of `euro-post validate`: for every stage that starts from a checkpoint that
exists before the run (`init_from` a folder or a hub id), its tokenizer is loaded (no weights)
and, for sft, its chat template is run on the stage's first rows the way the stage itself does at
its start (euro_post.sft.template.check_template), so that a template that cannot mark what the
stage trains is refused before the first stage, not after it.

Stages that start from an earlier stage's output are not checked here: that checkpoint does not
exist yet, and the stage checks it when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Stages that never start from a checkpoint of their own choosing (eval reads the run's outputs).
NOT_CHECKED = ("eval",)


@dataclass
class TemplateReport:
    stage: str
    checkpoint: str
    detail: str = ""
    error: str | None = None  # what the stage would refuse at its start

    def lines(self) -> list[str]:
        head = f"  template {self.stage:<8} {self.checkpoint}"
        if self.error:
            return [f"{head}: REFUSED: {self.error.removeprefix(self.checkpoint + ': ')}"]
        return [f"{head}: {self.detail}"]


def check_recipe_templates(recipe) -> list[TemplateReport]:
    """One report per enabled stage whose `init_from` names a checkpoint."""
    reports = []
    for name in recipe.enabled_stages():
        config = recipe.stage_config(name)
        init = getattr(config, "init_from", None)
        if name in NOT_CHECKED or init in (None, "previous", "scratch"):
            continue
        reports.append(check_stage_template(recipe, name, config, init))
    return reports


def check_stage_template(recipe, name: str, config, checkpoint: str) -> TemplateReport:
    from euro_post.data.rows import DataError, load_rows
    from euro_post.models.loading import load_tokenizer
    from euro_post.sft.template import ChatTemplateError, check_template

    report = TemplateReport(name, checkpoint)
    try:
        tokenizer = load_tokenizer(checkpoint, trust_remote_code=getattr(config, "trust_remote_code", False))
    except (OSError, ValueError) as err:  # the loader's ModelLoadError (a ValueError) names the checkpoint
        if not Path(checkpoint).exists() and _offline():
            # A hub model that is not in the local cache, validated without network: the run that is
            # allowed to fetch it checks its template when the sft stage starts.
            report.detail = "not checked: a hub model not in the local cache, and this process is offline"
            return report
        report.error = " ".join(str(err).split())
        return report
    if name != "sft":
        report.detail = "the tokenizer loads"
        return report
    if config.loss_on == "all":
        report.detail = "the tokenizer loads; loss on every token (no mask to check)"
        return report
    if any(source.path != "world" and not Path(source.path).exists() for source in config.data.source_list()):
        report.detail = "the tokenizer loads; the chat template is checked when the run reads the data"
        return report
    try:
        world = None
        if config.data.uses_world:
            from euro_post.data.world import World

            world = World(recipe.world, languages=recipe.languages)
        rows = load_rows(config.data, "sft", recipe.languages, world, seed=recipe.seed)
    except (DataError, OSError, ValueError):
        report.detail = "the tokenizer loads; the chat template is checked once the data loads (see its report)"
        return report
    try:
        choice = check_template(tokenizer, checkpoint, config.loss_on, rows)
    except ChatTemplateError as err:
        report.error = str(err)
        return report
    report.detail = f"{choice.describe()} (checked on the first rows)"
    return report


def _offline() -> bool:
    import os

    return any(os.environ.get(name, "").lower() in ("1", "true", "yes", "on") for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
