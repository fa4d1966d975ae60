"""Seeds as an axis of a run: `euro-post run RECIPE --seeds 3` (or `--seeds 1234,1,2`).

The recipe runs once per seed, one seed after another in this process, each through
`run_recipe` exactly as a plain run with `seed: <n>`, into its own run folder:

    runs/<name>/
      seed-1234/   a complete run folder (recipe.yaml with seed: 1234, stages, eval, report/)
      seed-1/ ...
      seeds.json   the seed group: per checkpoint and metric, mean and spread over seeds
      seeds.md     the same, as tables (eval/seed_report.py)

Only the recipe's `seed` changes: the world (`world.seed`), hence the training data and the
held-out problems, is the same for every seed, so every seed is evaluated on the same problems
(unless the eval data is a weighted mixture of sources, which is drawn with the run's seed).
Nothing is shared between the seed runs: every stage's trajectory depends on the seed (it seeds
initialisation, data order, sampling and the eval's sampled pass), so sharing a stage would be
right only for stages that ignore it. Running the same command again resumes: each seed's run
skips what it finished and resumes what it had not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from euro_post.pipeline.checkpoint_io import atomic_write_json
from euro_post.pipeline.progress import say
from euro_post.pipeline.recipe import Recipe

MAX_SEEDS = 100  # a guard against `--seeds 1000` typed for `--seeds 1000,`: each seed is a whole run


def parse_seeds(text: str, base_seed: int = 0) -> list[int]:
    """`3` -> three seeds from the recipe's: [base, base + 1, base + 2]; `1234,1,2` -> those seeds
    (`7,` is the one seed 7)."""
    text = str(text).strip()
    usage = (f"--seeds {text!r}: expected a number of seeds (e.g. 3: the recipe's seed and the next two) "
             "or a comma-separated list of seeds (e.g. 1234,1,2)")
    if "," in text:
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts or not all(part.isdigit() for part in parts):
            raise ValueError(usage + "; every seed is a whole number >= 0")
        seeds = [int(part) for part in parts]
        repeated = sorted({s for s in seeds if seeds.count(s) > 1})
        if repeated:
            raise ValueError(f"--seeds {text!r}: seed {', '.join(map(str, repeated))} given twice")
    else:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(usage)
        seeds = [base_seed + i for i in range(int(text))]
    if len(seeds) > MAX_SEEDS:
        raise ValueError(f"--seeds {text!r}: {len(seeds)} seeds, each a whole run; at most {MAX_SEEDS}")
    return seeds


def seed_run_dir(group_dir: str | Path, seed: int) -> Path:
    from euro_post.eval.seed_report import seed_dir_name

    return Path(group_dir) / seed_dir_name(seed)


def check_group_dir(group_dir: Path) -> None:
    """A folder that holds a plain run is not a seed group: seed folders inside it would mix the two."""
    if (group_dir / "recipe.yaml").exists():
        raise ValueError(
            f"{group_dir} holds a single run (recipe.yaml); a seed group needs a folder of its own: "
            f"add --run-dir {group_dir}-seeds (or another new folder)"
        )


def run_seed_group(
    recipe: Recipe,
    group_dir: str | Path,
    seeds: Iterable[int],
    restart: Iterable[str] = (),
    before_run: Callable[[Path], object] | None = None,
) -> dict[int, dict[str, dict]]:
    """Run `recipe` once per seed into <group_dir>/seed-<n>/, then write the seed group report.
    Returns each seed's stage manifests. `before_run(run_dir)` is called before each seed's run
    (the command routes library warnings to that run's log with it)."""
    from euro_post.pipeline.runner import check_restart, run_recipe
    from euro_post.training import distributed

    group_dir = Path(group_dir)
    seeds = list(seeds)
    check_restart(recipe, restart)  # a wrong stage name stops the group before its first seed
    check_group_dir(group_dir)
    main = distributed.is_main_process()
    if main:
        # The seeds of this command, first: a report rebuilt while it runs (or after a crash)
        # covers them, not the seeds of an earlier command on the same folder.
        atomic_write_json(group_dir / "seeds.json", {"version": 1, "seeds": seeds, "status": "running"})
    manifests = {}
    for index, seed in enumerate(seeds, start=1):
        run_dir = seed_run_dir(group_dir, seed)
        if main:
            say("seeds", f"seed {seed} ({index} of {len(seeds)}) -> {run_dir}")
        if before_run:
            before_run(run_dir)
        # The seed run's recipe.yaml names its own folder, so that running it alone resumes that run.
        seeded = recipe.model_copy(update={"seed": seed, "run_dir": str(run_dir)})
        manifests[seed] = run_recipe(seeded, run_dir, restart=restart)
    if main:
        paths = write_group_report(group_dir)
        say("seeds", f"seed group report: {paths['markdown']}")
    return manifests


def write_group_report(group_dir: str | Path) -> dict:
    from euro_post.eval.seed_report import write_group_report as write

    return write(group_dir)


def report_command(path: str | Path, other: str | Path | None = None) -> str:
    """`euro-post report` on seed groups: one group rewrites its seeds.json / seeds.md; two are
    compared. Returns what to print. A seed group and a single run are not compared."""
    from euro_post.eval.seed_report import compare_groups, is_seed_group

    if other is None:
        return f"seed group report written: {write_group_report(path)['markdown']}"
    kinds = {p: is_seed_group(p) for p in (path, other)}
    if not all(kinds.values()):
        group, single = (path, other) if kinds[path] else (other, path)
        raise ValueError(
            f"{group} is a seed group and {single} a single run: compare two seed groups, or two runs "
            f"(e.g. {single} with {group}/seed-<n>)"
        )
    return compare_groups(path, other)


def is_seed_group(path: str | Path) -> bool:
    from euro_post.eval.seed_report import is_seed_group as check

    return check(path)
