"""The embedded world: rendered problems and the rows of every split, in every language."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from euro_post.data.languages import resolve_languages
from euro_post.data.world.config import WorldConfig
from euro_post.data.world.generator import SPLITS, canonical, draw_spec, stable_int
from euro_post.data.world.pack import LanguagePack, ProblemSpec, format_number
from euro_post.data.world.packs import get_pack

_CACHE_SIZE = 8192


@dataclass(frozen=True)
class Problem:
    """One rendered problem with its worked solution."""

    id: str  # "<lang>-<split>-<index:06d>", stable for a given config
    key: str  # language-independent identity of the math problem (story, opening, operations)
    lang: str
    split: str
    story: str  # "collection" | "shopping" | "journey"
    text: str  # the problem text alone
    question: str  # text + "\n" + the language's instruction: the user turn
    steps: list[str]  # "<step_word> <i>: ..." lines
    answer: str  # canonical: "12.5", "42"
    answer_text: str  # in the language's format: "12,5"
    solution: str  # the steps and the answer line joined by "\n": the assistant turn
    num_operations: int
    spec: ProblemSpec  # the language-neutral problem that was rendered; any pack can render it


class World:
    """Deterministic word problems in `languages` (default: all 24) for the given config.

    `problem(lang, split, index)` is a pure function of (config, lang, split, index); the row
    methods list a split's problems in index order.
    """

    def __init__(self, config: WorldConfig | None = None, languages: list[str] | str | None = None):
        self.config = config or WorldConfig()
        self.languages = resolve_languages("all" if languages is None else languages)
        # Loading every requested pack now makes a missing or incomplete one fail early.
        self.packs: dict[str, LanguagePack] = {code: get_pack(code) for code in self.languages}
        self._cache: dict[tuple[str, str, int], Problem] = {}

    def _pack(self, lang: str) -> LanguagePack:
        try:
            return self.packs[lang]
        except KeyError:
            raise ValueError(f"language {lang!r} is not in this world's languages {self.languages}") from None

    def problem(self, lang: str, split: str, index: int) -> Problem:
        cache_key = (lang, split, index)
        if cache_key in self._cache:
            return self._cache[cache_key]
        pack = self._pack(lang)
        shared = split == "eval" and self.config.eval_same_across_languages
        spec, key = draw_spec(self.config, "all" if shared else lang, split, index)
        text = pack.render_problem(spec)
        lines = pack.solution_lines(spec)
        problem = Problem(
            id=f"{lang}-{split}-{index:06d}",
            key=key,
            lang=lang,
            split=split,
            story=spec.story,
            text=text,
            question=text + "\n" + pack.instruction,
            steps=lines[:-1],
            answer=canonical(spec.answer),
            answer_text=format_number(spec.answer, lang),
            solution="\n".join(lines),
            num_operations=len(spec.steps),
            spec=spec,
        )
        if len(self._cache) >= _CACHE_SIZE:  # rows are built once; keep memory flat for big worlds
            self._cache.clear()
        self._cache[cache_key] = problem
        return problem

    # -- rows -------------------------------------------------------------------------------
    def pretrain_rows(self, lang: str) -> list[dict]:
        """Documents of 1 to 3 worked problems (mostly 1); some keep the instruction, some only the text."""
        rows, next_index = [], 0
        for doc in range(self.config.pretrain_documents_per_language):
            rng = random.Random(stable_int("euro-post-world-doc", self.config.seed, lang, doc))
            parts = []
            for _ in range(rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 2, 3))):
                problem = self.problem(lang, "pretrain", next_index)
                next_index += 1
                head = problem.question if rng.random() < 0.6 else problem.text
                parts.append(head + "\n" + problem.solution)
            rows.append({"id": f"{lang}-pretrain-{doc:06d}", "lang": lang, "text": "\n\n".join(parts)})
        return rows

    def sft_rows(self, lang: str) -> list[dict]:
        """Conversations: the question, then its worked solution; a `sft_english_replies` share of them
        in English, and a `sft_answer_only` share (per language or one for all) reduced to the answer line."""
        rows = []
        for index in range(self.config.sft_per_language):
            p = self.problem(lang, "sft", index)
            reply = p.solution
            # Draws of their own, so the shares leave every problem (and the other splits) unchanged.
            english = random.Random(stable_int("euro-post-world-english-reply", self.config.seed, lang, index))
            if lang != "en" and english.random() < self.config.sft_english_replies:
                reply = "\n".join(get_pack("en").solution_lines(p.spec))
            answer_only = random.Random(stable_int("euro-post-world-answer-only", self.config.seed, lang, index))
            if answer_only.random() < self.config.answer_only_share(lang):
                reply = reply.rsplit("\n", 1)[-1]
            messages = [{"role": "user", "content": p.question}, {"role": "assistant", "content": reply}]
            rows.append({"id": p.id, "lang": lang, "messages": messages})
        return rows

    def _prompt_row(self, p: Problem) -> dict:
        return {
            "id": p.id,
            "lang": p.lang,
            "prompt": [{"role": "user", "content": p.question}],
            "answer": p.answer,
            "answer_text": p.answer_text,
        }

    def rl_rows(self, lang: str) -> list[dict]:
        return [self._prompt_row(self.problem(lang, "rl", i)) for i in range(self.config.rl_per_language)]

    def eval_rows(self, lang: str) -> list[dict]:
        """Held-out problems, each math problem (key) at most once per language.

        A config with a tiny problem space (small operands, two operations, no decimals) may hold
        fewer distinct eval problems than `eval_per_language`; then fewer rows come back.
        """
        rows, seen, index = [], set(), 0
        wanted = self.config.eval_per_language
        while len(rows) < wanted and index < 20 * wanted + 100:
            p = self.problem(lang, "eval", index)
            index += 1
            if p.key not in seen:
                seen.add(p.key)
                rows.append(self._prompt_row(p))
        return rows

    def rows(self, split: str, lang: str) -> list[dict]:
        if split not in SPLITS:
            raise ValueError(f"unknown world split {split!r}; expected one of {SPLITS}")
        return getattr(self, f"{split}_rows")(lang)

    # -- files ------------------------------------------------------------------------------
    def all_rows(self, lang: str) -> dict[str, list[dict]]:
        """Every split's rows of one language."""
        return {split: self.rows(split, lang) for split in SPLITS}

    def write(self, out_dir: str | Path, workers: int | None = None) -> dict[str, Path]:
        """Write pretrain/sft/rl/eval.jsonl (all languages) and stats.json; return their paths.

        Languages are generated in `workers` processes (default: one per CPU core, at most 8);
        the files are the same for any number of workers.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        per_lang = self._rows_in_parallel(workers)
        paths: dict[str, Path] = {}
        counts = {lang: {split: len(per_lang[lang][split]) for split in SPLITS} for lang in self.languages}
        for split in SPLITS:
            path = out / f"{split}.jsonl"
            tmp = path.with_suffix(".jsonl.tmp")
            with tmp.open("w", encoding="utf-8") as f:
                for lang in self.languages:
                    f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in per_lang[lang][split])
            tmp.replace(path)
            paths[split] = path
        stats = {
            "config": self.config.model_dump(),
            "languages": self.languages,
            "counts": counts,
            "totals": {split: sum(counts[lang][split] for lang in self.languages) for split in SPLITS},
        }
        paths["stats"] = out / "stats.json"
        paths["stats"].write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return paths

    def _rows_in_parallel(self, workers: int | None) -> dict[str, dict[str, list[dict]]]:
        if workers is None:
            workers = min(os.cpu_count() or 1, 8)
        workers = max(1, min(workers, len(self.languages)))
        if workers == 1:
            return {lang: self.all_rows(lang) for lang in self.languages}
        # fork is cheap, but only safe while this process runs no other threads
        method = "fork" if "fork" in mp.get_all_start_methods() and threading.active_count() == 1 else "spawn"
        with ProcessPoolExecutor(workers, mp_context=mp.get_context(method)) as pool:
            results = pool.map(_language_rows, [(self.config, lang) for lang in self.languages])
            return dict(zip(self.languages, results))


def _language_rows(job: tuple[WorldConfig, str]) -> dict[str, list[dict]]:
    config, lang = job
    return World(config, [lang]).all_rows(lang)
