"""The embedded multilingual reasoning world: arithmetic word problems with worked solutions.

    from euro_post.data.world import World, WorldConfig
    world = World(WorldConfig(seed=0), languages=["de", "fr"])
    world.problem("de", "eval", 42).solution

Each language is rendered by its pack (`lang_<code>.py`, interface in `pack.py`); the math is
drawn language-independently (`generator.py`), and the eval split is a hash bucket of problem
keys that no training split ever draws from, in any language.
"""

from __future__ import annotations

from pathlib import Path

from euro_post.data.world.config import WorldConfig
from euro_post.data.world.generator import SPLITS, canonical, is_eval_key, problem_key
from euro_post.data.world.pack import LanguagePack, ProblemSpec, StepSpec
from euro_post.data.world.packs import available_languages, get_pack
from euro_post.data.world.world import Problem, World

__all__ = [
    "SPLITS", "LanguagePack", "Problem", "ProblemSpec", "StepSpec", "World", "WorldConfig",
    "available_languages", "canonical", "get_pack", "is_eval_key", "problem_key", "write_world",
]


def write_world(
    out_dir: str | Path,
    config: WorldConfig | dict | None = None,
    languages: list[str] | str | None = "all",
    echo: bool = True,
    workers: int | None = None,
) -> dict[str, Path]:
    """Write the world's JSONL files to `out_dir` and print a summary (for `euro-post world`).

    `languages` is "all" or a list of codes; `workers` processes generate the languages
    (default: one per CPU core). Returns the paths written: {"pretrain", "sft", "rl", "eval", "stats"}.
    """
    if config is None:
        config = WorldConfig()
    elif isinstance(config, dict):
        config = WorldConfig(**config)
    world = World(config, languages)
    paths = world.write(out_dir, workers=workers)
    if echo:
        import json

        stats = json.loads(paths["stats"].read_text(encoding="utf-8"))
        print(f"world written to {Path(out_dir)} (seed {config.seed}, {len(world.languages)} languages)")
        print(f"{'lang':<6}" + "".join(f"{s:>10}" for s in SPLITS))
        for lang in world.languages:
            print(f"{lang:<6}" + "".join(f"{stats['counts'][lang][s]:>10}" for s in SPLITS))
        print(f"{'total':<6}" + "".join(f"{stats['totals'][s]:>10}" for s in SPLITS))
        sample = world.problem(world.languages[0], "eval", 0)
        print(f"\nexample ({sample.id}):\n{sample.question}\n{sample.solution}")
    return paths
