"""The `euro-post` command.

    euro-post run recipes/reasoning.yaml [--set stages.sft.learning_rate=1e-4] [--run-dir runs/x] [--restart-stage sft]
    euro-post run recipes/reasoning.yaml --seeds 3        (or --seeds 1234,1,2: one run folder per seed)
    euro-post launch --nproc 8 [--config recipes/accelerate/fsdp2.yaml] recipes/reasoning.yaml [run options]
    euro-post validate recipes/reasoning.yaml
    euro-post world --out DIR
    euro-post eval CHECKPOINT [--languages de fr] [--tasks mgsm_native_cot_de]
    euro-post report RUN_DIR [OTHER_RUN_DIR]        (seed group folders too)
    euro-post card CHECKPOINT
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings

from euro_post import __version__
from euro_post.pipeline import network


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    # Before any library that reads them is imported: no telemetry, no code from the hub. Each
    # command then goes offline unless what it reads names a hub resource (network.settle).
    network.quiet_process()
    # Our own progress lines say how a stage goes; per-file bars from the libraries only add noise
    # (TQDM_DISABLE: every other tqdm bar, such as lm-eval's while it builds its requests).
    for switch in ("HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
        os.environ.setdefault(switch, "1")
    # With QLoRA on a CPU with AVX512-BF16, importing bitsandbytes warns that it could not load an
    # optional 4-bit CPU kernel from the hub; we never load code from the hub, so it is noise.
    logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)
    # transformers' own Trainer calls its deprecated `is_gradient_checkpointing` on every save;
    # the user cannot act on it.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*deprecated", category=FutureWarning)
    try:
        from euro_post.pipeline.progress import log_interval

        log_interval()  # a bad EURO_POST_PROGRESS_SECONDS is refused before any work
        return args.func(args) or 0
    except BrokenPipeError:
        # `euro-post validate RECIPE | head`: the reader has gone, which is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as err:
        from euro_post.pipeline.stop_signals import Preempted

        if isinstance(err, Preempted):  # a clean stop on SIGTERM/SIGINT: exit 128 + the signal (143 for SIGTERM)
            print(f"euro-post: {err}", file=sys.stderr)
            return err.exit_code
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
    parser.add_argument(
        "--version", action=VersionAction, help="show the versions of euro-post and of the libraries a run uses, then exit"
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(metavar="COMMAND")

    run = commands.add_parser("run", help="run a recipe, skipping finished stages and resuming interrupted ones")
    _recipe_arguments(run)
    run.add_argument("--run-dir", help="where to write the run (default: the recipe's run_dir, or runs/<name>)")
    run.add_argument(
        "--restart-stage",
        dest="restart",
        action="append",
        default=[],
        metavar="NAME",
        help="run this stage (and every stage after it) from the start instead of resuming it, e.g. after "
        "changing its learning rate mid-run (repeatable)",
    )
    run.add_argument(
        "--seeds",
        metavar="N|S1,S2,...",
        help="run the recipe once per seed, each in <run dir>/seed-<n>/, then write the seed group's report "
        "(seeds.json, seeds.md): a number (3: the recipe's seed and the next two) or a list (1234,1,2)",
    )
    run.set_defaults(func=_run)

    launch = commands.add_parser(
        "launch",
        help="run a recipe on several processes / GPUs / machines through `accelerate launch`",
        description="Build the `accelerate launch ... -m euro_post.cli run RECIPE` command, print it and run it "
        "with this environment. Options after RECIPE go to `euro-post run` (--set, --run-dir, ...). "
        "See docs/distributed.md.",
    )
    launch.add_argument("--nproc", type=int, help="processes per machine, one per GPU (default: the config's)")
    launch.add_argument("--config", help="accelerate config, e.g. recipes/accelerate/fsdp2.yaml (default: plain DDP)")
    launch.add_argument("--num-machines", type=int, help="machines taking part (default: the config's, else 1)")
    launch.add_argument("--machine-rank", type=int, help="this machine's rank, 0 on the main machine")
    launch.add_argument("--main-process-ip", help="address of the machine of rank 0 (multi-machine runs)")
    launch.add_argument("--main-process-port", type=int, help="port on the machine of rank 0 (default: a free one on one machine)")
    launch.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    launch.add_argument("recipe", help="YAML recipe")
    launch.add_argument("run_args", nargs=argparse.REMAINDER, help="options for `euro-post run`")
    launch.set_defaults(func=_launch)

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

    report = commands.add_parser(
        "report", help="(re)write a run's report (a seed group's seeds.md); with two runs (or seed groups), compare them"
    )
    report.add_argument("run_dir")
    report.add_argument("other_run_dir", nargs="?")
    report.set_defaults(func=_report)

    card = commands.add_parser("card", help="(re)write a checkpoint's model card (README.md) and training-content summary")
    card.add_argument("checkpoint", help="checkpoint folder, e.g. runs/demo/rl/checkpoint")
    card.set_defaults(func=_card)
    return parser


class VersionAction(argparse.Action):
    """`--version`: euro-post's version, then those of the libraries a run depends on (as stage.json records them)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from euro_post.pipeline.runner import library_versions

        lines = [f"euro-post {__version__}"] + [f"  {name:<13} {version}" for name, version in library_versions().items()]
        print("\n".join(lines))
        parser.exit()


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
    from euro_post.pipeline.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    seeds = None
    if args.seeds is not None:
        from euro_post.pipeline.seeds import parse_seeds

        seeds = parse_seeds(args.seeds, recipe.seed)  # a bad --seeds stops here, before any work
    network.settle(network.hub_references(recipe), qlora=network.uses_qlora(recipe))
    from euro_post.pipeline.runner import run_recipe  # after settle: it imports huggingface_hub
    run_dir = args.run_dir or recipe.resolved_run_dir()
    from euro_post.pipeline import library_warnings

    library_warnings.install(run_dir)  # library warnings to the run's warnings.log files, not the terminal
    completed = False
    try:
        if seeds is None:
            manifests = run_recipe(recipe, run_dir, restart=args.restart)
        else:
            from euro_post.pipeline.seeds import run_seed_group

            groups = run_seed_group(recipe, run_dir, seeds, restart=args.restart, before_run=library_warnings.install)
        completed = True
    finally:
        _end_run(completed)
    from euro_post.training import distributed

    if not distributed.is_main_process():
        return 0
    if seeds is not None:
        print(f"seed group complete: {run_dir} ({len(seeds)} seeds; report {run_dir}/seeds.md)")
        for seed, manifests in groups.items():
            stages = ", ".join(f"{name} {manifest.get('status')}" for name, manifest in manifests.items())
            print(f"  seed {seed:<9} {stages}")
        return 0
    print(f"run complete: {run_dir}")
    for name, manifest in manifests.items():
        print(f"  {name:<14} {manifest.get('status'):<9} {manifest.get('checkpoint') or ''}")
    return 0


def _end_run(completed: bool) -> None:
    """Stop what a run started, on every process, however it ended: the reward verifier workers,
    then the process groups (euro_post/training/distributed.py says why they must be closed)."""
    from euro_post.training import distributed

    from euro_post.pipeline import library_warnings

    try:
        pools = sys.modules.get("euro_post.rewards.pool")  # loaded only by runs that score rewards
        if pools is not None:
            pools.close_pools()
    finally:
        # A caller that runs `main` in its own process (a notebook, a test) gets its terminal back.
        library_warnings.uninstall()
        distributed.shutdown(completed)


def _launch(args) -> int:
    import shlex
    import subprocess

    from euro_post.training.launch import launch_command

    cmd = launch_command(
        args.recipe,
        args.run_args,
        nproc=args.nproc,
        config=args.config,
        num_machines=args.num_machines,
        machine_rank=args.machine_rank,
        main_process_ip=args.main_process_ip,
        main_process_port=args.main_process_port,
    )
    print(shlex.join(cmd), flush=True)
    if args.dry_run:
        return 0
    return subprocess.call(cmd)  # same environment; the exit status of the run


def _validate(args) -> int:
    from euro_post.pipeline.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    network.settle(network.hub_references(recipe))
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
    # The data each stage reads: every row checked, unusable ones counted by reason.
    from euro_post.data.check import check_recipe_data

    reports = check_recipe_data(recipe)
    for report in reports:
        print("\n".join(report.lines()))
    # The tokenizer of each stage that starts from an existing checkpoint, and whether its chat
    # template can mark what the stage trains (as the stage checks at its start).
    from euro_post.data.template_check import check_recipe_templates

    templates = check_recipe_templates(recipe)
    for report in templates:
        print("\n".join(report.lines()))
    failing = [report.stage for report in reports if report.fails]
    if failing:
        print(f"euro-post: error: the data of {', '.join(failing)} would stop the run (see above)", file=sys.stderr)
    refused = [report.stage for report in templates if report.error]
    if refused:
        print(f"euro-post: error: the checkpoint of {', '.join(refused)} would stop the run (see above)", file=sys.stderr)
    return 1 if failing or refused else 0


def _world(args) -> int:
    network.settle([])  # the world is generated here, from nothing but its seed
    from euro_post.data.languages import resolve_languages
    from euro_post.data.world import WorldConfig, write_world

    config, languages = WorldConfig(), resolve_languages("all")
    if args.recipe:
        from euro_post.pipeline.recipe import load_recipe

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
    hub = network.model_reference("checkpoint", args.checkpoint) + network.task_references("--tasks", args.tasks)
    if network.offline_requested():
        network.refuse_hub(hub)
    network.settle(hub)
    from euro_post.eval.standalone import evaluate_checkpoint

    evaluate_checkpoint(args.checkpoint, languages=args.languages, tasks=args.tasks, out=args.out, limit=args.limit)
    return 0


def _report(args) -> int:
    network.settle([])
    from euro_post.eval.report import compare_runs, write_report
    from euro_post.pipeline.seeds import is_seed_group, report_command

    if is_seed_group(args.run_dir) or (args.other_run_dir and is_seed_group(args.other_run_dir)):
        print(report_command(args.run_dir, args.other_run_dir))  # seed groups: seeds.md, or two groups compared
    elif args.other_run_dir:
        print(compare_runs(args.run_dir, args.other_run_dir))
    else:
        paths = write_report(args.run_dir)
        print(f"report written: {paths['markdown']}")
    return 0


def _card(args) -> int:
    network.settle([])
    from euro_post.provenance.card import card_command

    for name, path in card_command(args.checkpoint).items():
        print(f"{name:<22} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
