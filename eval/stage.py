"""The eval stage: every earlier stage's checkpoint, per language, then the run report.

Checkpoints are evaluated in pipeline order (the first stage's starting checkpoint as
`start` when it is not a stage of this run, then each stage, then the recipe's extra
`checkpoints`), all on the same held-out problems with the same seed, so the report can
compare them. Results go to runs/<run>/eval/results/<label>.json and the report to
runs/<run>/report/.
"""

from __future__ import annotations

from euro_post.eval.config import EvalConfig
from euro_post.eval.evaluate import eval_rows, evaluate_checkpoint_into

from euro_post.pipeline.checkpoint_io import atomic_write_json
from euro_post.pipeline.progress import Progress
from euro_post.pipeline.recipe import TRAINING_STAGES
from euro_post.pipeline.stage import StageContext, StageResult


def checkpoints_to_evaluate(config: EvalConfig, ctx: StageContext) -> dict[str, str]:
    """label -> checkpoint, in the order the report shows them."""
    targets: dict[str, str] = {}
    stages = [name for name in ctx.recipe.enabled_stages() if name in TRAINING_STAGES]
    if config.evaluate_start and stages:
        init = getattr(ctx.recipe.stage_config(stages[0]), "init_from", None)
        if init and init not in ("previous", "scratch"):
            targets["start"] = init
    targets.update(ctx.checkpoints)
    for label, checkpoint in config.checkpoints.items():
        if label in targets:
            raise ValueError(
                f"stages.eval.checkpoints: the label {label!r} is already taken by this run's own "
                f"{'starting checkpoint' if label == 'start' else 'stage'}; choose another"
            )
        targets[label] = checkpoint
    return targets


def run(config: EvalConfig, ctx: StageContext) -> StageResult:
    targets = checkpoints_to_evaluate(config, ctx)
    if not targets:
        raise ValueError(
            "eval: there is no checkpoint to evaluate: no earlier stage produced one and "
            "stages.eval.checkpoints is empty"
        )
    # Score with the rewards training optimised, with their options (EvalConfig.scoring_rewards).
    config = config.model_copy(update={"rewards": config.scoring_rewards(ctx.recipe)})
    rows = eval_rows(config, ctx.languages, world=ctx.world() if config.data.uses_world else None, seed=ctx.seed)
    ctx.log(f"{len(targets)} checkpoint(s) x {len(rows)} problems in {len(ctx.languages)} language(s)")
    eval_dir = ctx.stage_dir
    atomic_write_json(eval_dir / "checkpoints.json", {"order": list(targets), "checkpoints": targets})

    summary: dict[str, dict] = {}
    tokens = 0
    # A resumed eval reuses the results it finished but logs every checkpoint's line again, in order:
    # start metrics.jsonl over, or a reused checkpoint's line would be there twice.
    ctx.metrics.truncate_after(0)
    progress = Progress(ctx.name, len(targets), unit="checkpoints")  # the ETA of the whole stage
    for step, (label, checkpoint) in enumerate(targets.items(), start=1):
        result = evaluate_checkpoint_into(label, checkpoint, rows, config, eval_dir, seed=ctx.seed, log=ctx.log)
        summary[label] = {k: v for k, v in result["summary"].items() if v is not None}
        tokens += result["generated_tokens"]
        ctx.metrics.log(step, checkpoint=label, **{f"eval/{k}": v for k, v in summary[label].items()})
        progress.advance(1)

    from euro_post.eval.report import write_report

    paths = write_report(ctx.run_dir)
    ctx.log(f"report: {paths['markdown']}")
    return StageResult(checkpoint=None, tokens_processed=tokens, summary=summary)
