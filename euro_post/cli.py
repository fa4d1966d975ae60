"""The `euro-post` command.

    euro-post run recipes/reasoning.yaml [--set stages.sft.learning_rate=1e-4] [--run-dir runs/x]
    euro-post validate recipes/reasoning.yaml
    euro-post world --out DIR
    euro-post eval CHECKPOINT [--languages de fr] [--tasks mgsm_native_cot_de]
    euro-post report RUN_DIR [OTHER_RUN_DIR]
    euro-post card CHECKPOINT
"""

from __future__ import annotations

import argparse
import sys

from euro_post import __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        if getattr(args, "debug", False):
            raise
        print(f"euro-post: error: {err}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="euro-post",
        description="Post-training for European language models: pretraining, SFT, DPO and GRPO "
        "in all 24 EU languages, with a per-language evaluation report.",
    )
    parser.add_argument("--version", action="version", version=f"euro-post {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(metavar="COMMAND")

    run = commands.add_parser("run", help="run a recipe, skipping finished stages and resuming interrupted ones")
    _recipe_arguments(run)
    run.add_argument("--run-dir", help="where to write the run (default: the recipe's run_dir, or runs/<name>)")
    run.set_defaults(func=_run)

    validate = commands.add_parser("validate", help="check a recipe without running it and print the plan")
    _recipe_arguments(validate)
    validate.set_defaults(func=_validate)

    world = commands.add_parser("world", help="write the embedded world's splits as JSONL for inspection")
    world.add_argument("--out", required=True, help="output folder")
    world.add_argument("--recipe", help="take the world settings and languages from this recipe")
    world.add_argument("--languages", nargs="+", help="language codes (default: all 24)")
    world.add_argument("--seed", type=int, help="world seed (default: the recipe's, else 0)")
    world.set_defaults(func=_world)

    evaluate = commands.add_parser("eval", help="evaluate any checkpoint per language")
    evaluate.add_argument("checkpoint", help="local checkpoint folder or hub model id")
    evaluate.add_argument("--languages", nargs="+", help="language codes (default: all 24)")
    evaluate.add_argument("--tasks", nargs="+", default=[], help="extra lm-eval task names")
    evaluate.add_argument("--out", help="output folder (default: runs/eval/<checkpoint path>; never inside the checkpoint)")
    evaluate.add_argument("--limit", type=int, help="evaluate at most this many problems per language")
    evaluate.set_defaults(func=_eval)

    report = commands.add_parser("report", help="(re)write a run's report; with two runs, compare them")
    report.add_argument("run_dir")
    report.add_argument("other_run_dir", nargs="?")
    report.set_defaults(func=_report)

    card = commands.add_parser("card", help="(re)write a checkpoint's model card (README.md) and training-content summary")
    card.add_argument("checkpoint", help="checkpoint folder, e.g. runs/demo/rl/checkpoint")
    card.set_defaults(func=_card)
    return parser


def _recipe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", help="YAML recipe, e.g. recipes/reasoning.yaml")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a recipe value, e.g. --set stages.sft.learning_rate=1e-4 (repeatable)",
    )


def _run(args) -> int:
    from euro_post.recipe import load_recipe
    from euro_post.runner import run_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    run_dir = args.run_dir or recipe.resolved_run_dir()
    manifests = run_recipe(recipe, run_dir)
    print(f"run complete: {run_dir}")
    for name, manifest in manifests.items():
        print(f"  {name:<14} {manifest.get('status'):<9} {manifest.get('checkpoint') or ''}")
    return 0


def _validate(args) -> int:
    from euro_post.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    print(f"{args.recipe}: valid")
    print(f"  run dir    {recipe.resolved_run_dir()}")
    print(f"  languages  {' '.join(recipe.languages)}")
    previous = None
    for name in recipe.enabled_stages():
        config = recipe.stage_config(name)
        init = getattr(config, "init_from", None)
        start = previous if init in (None, "previous") else init
        detail = f"from {start}" if start else "from scratch"
        steps = getattr(config, "max_steps", None)
        print(f"  {name:<14} {detail}" + (f", {steps} steps" if steps else ""))
        previous = f"<{name}>"
    return 0


def _world(args) -> int:
    from euro_post.languages import resolve_languages
    from euro_post.world import WorldConfig, write_world

    config, languages = WorldConfig(), resolve_languages("all")
    if args.recipe:
        from euro_post.recipe import load_recipe

        recipe = load_recipe(args.recipe)
        config, languages = recipe.world, recipe.languages
    if args.languages:
        languages = resolve_languages(args.languages)
    if args.seed is not None:
        config = config.model_copy(update={"seed": args.seed})
    paths = write_world(args.out, config, languages)
    for name, path in paths.items():
        print(f"{name:<10} {path}")
    return 0


def _eval(args) -> int:
    from euro_post.eval.standalone import evaluate_checkpoint

    evaluate_checkpoint(args.checkpoint, languages=args.languages, tasks=args.tasks, out=args.out, limit=args.limit)
    return 0


def _report(args) -> int:
    from euro_post.eval.report import compare_runs, write_report

    if args.other_run_dir:
        print(compare_runs(args.run_dir, args.other_run_dir))
    else:
        paths = write_report(args.run_dir)
        print(f"report written: {paths['markdown']}")
    return 0


def _card(args) -> int:
    from euro_post.card import card_command

    for name, path in card_command(args.checkpoint).items():
        print(f"{name:<22} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
