"""Registry of the 24 language packs: `euro_post/data/world/lang_<code>.py`, each exposing `PACK`.

Packs are imported on first use, so a missing or broken pack only matters when its language is
asked for. `python -m euro_post.data.world <code> [count] [seed]` prints rendered problems, to read
a pack's output while writing it.
"""

from __future__ import annotations

import importlib
import sys

from euro_post.data.languages import LANGUAGE_CODES, get_language
from euro_post.data.world.pack import LanguagePack

_CACHE: dict[str, LanguagePack] = {}


def get_pack(code: str) -> LanguagePack:
    """The checked pack of language `code`; a clear error if it does not exist or is incomplete."""
    if code in _CACHE:
        return _CACHE[code]
    get_language(code)  # unknown codes fail here with the list of valid ones
    module_name = f"euro_post.data.world.lang_{code}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        raise ValueError(
            f"no world language pack for {code!r}: expected euro_post/data/world/lang_{code}.py exposing PACK"
        ) from None
    pack = getattr(module, "PACK", None)
    if not isinstance(pack, LanguagePack):
        raise ValueError(f"euro_post/data/world/lang_{code}.py must define PACK = LanguagePack(...), found {type(pack).__name__}")
    if pack.code != code:
        raise ValueError(f"euro_post/data/world/lang_{code}.py defines a pack for {pack.code!r}, expected {code!r}")
    pack.check()
    _CACHE[code] = pack
    return pack


def available_languages() -> list[str]:
    """Codes whose pack module exists (without importing them)."""
    import importlib.util

    return [c for c in LANGUAGE_CODES if importlib.util.find_spec(f"euro_post.data.world.lang_{c}") is not None]


def preview(code: str, count: int = 5, seed: int = 0) -> str:
    """`count` rendered training problems of `code` with their solutions, as one text."""
    from euro_post.data.world.config import WorldConfig
    from euro_post.data.world.world import World

    world = World(WorldConfig(seed=seed), languages=[code])
    blocks = []
    for index in range(count):
        problem = world.problem(code, "sft", index)
        blocks.append(f"[{problem.id}  {problem.story}  key={problem.key}]\n{problem.question}\n{problem.solution}")
    return "\n\n".join(blocks)

