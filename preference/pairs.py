"""On-policy preference pairs: sample, score with verifiable rewards, pair the best with the worst.

For every prompt the input checkpoint writes k completions; each reward scores each of them,
and a completion's score is the weighted sum of its rewards. Then, per prompt (a "group"):

- A reward gives None when it cannot judge (language_consistency on fewer than ~20 letters,
  math_accuracy when the verifier failed or timed out). With `unjudged="no_credit"` (default)
  that reward adds nothing to the completion's score, exactly as TRL's GRPOTrainer sums rewards
  (nansum), so the preference and RL stages rank completions alike: a bare "Antwort: 12" scores
  its accuracy and half the format credit, and loses to the same answer worked out in German.
  Such completions are counted in `completions_partly_judged`. With `unjudged="skip"` the
  completion leaves its group instead. A completion that no weighted reward could judge is
  *unscorable* in both modes and counted in `completions_unscorable`.
- Fewer than two scorable completions: the group is skipped as `unscorable`.
- pairing "best_worst" (default): chosen = the highest score, rejected = the lowest (the earlier
  sample wins a tie for either place). Equal scores: skipped as `tie`. A difference below
  `margin`: skipped as `below_margin`. Else the pair is kept.
- pairing "all": every two completions whose scores differ by at least `margin` make a pair
  (the higher one chosen), widest gaps first, at most `max_pairs_per_prompt`; a group of 8 with 3
  right answers gives up to 15 distinct right-against-wrong contrasts instead of one, the way
  a GRPO group compares all its members. No such two: skipped as `tie` or `below_margin`.

With the default rewards (math_accuracy 1.0, format 0.2, language_consistency 0.5), a correct
answer written in another language than the prompt's scores 1.0 (its language and, with a
foreign answer marker, its format count 0) against 1.7 for the same answer in the prompt's
language, so DPO on these pairs also pulls the model back to the prompt's language.

The pairs go to `stage_dir/pairs.jsonl` (one pair a line, with both scores, every reward of
both sides, lang and prompt id) and the counts to `pairs_stats.json`. pairs.jsonl is written
atomically and last, so when it exists it is complete and a resumed stage reuses it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from euro_post.preference.sampling import Sample, Sampler

from euro_post.pipeline.checkpoint_io import atomic_write_json, atomic_write_text
from euro_post.pipeline.progress import Progress

PAIRS_FILE = "pairs.jsonl"
STATS_FILE = "pairs_stats.json"
SKIP_REASONS = ("tie", "below_margin", "unscorable")
# Weighted sums of floats: 1.2 - 1.1 is 0.0999...; a margin of 0.1 must still accept it.
_EPSILON = 1e-9


@dataclass
class PairStats:
    prompts: int = 0
    completions: int = 0
    completions_unscorable: int = 0
    completions_partly_judged: int = 0
    generated_tokens: int = 0
    pairs_per_language: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    skipped_per_language: dict = field(default_factory=dict)

    def skip(self, reason: str, lang: str) -> None:
        self.skipped[reason] += 1
        self.skipped_per_language.setdefault(lang, Counter())[reason] += 1

    def as_dict(self) -> dict:
        return {
            "prompts": self.prompts,
            "completions": self.completions,
            "completions_unscorable": self.completions_unscorable,
            "completions_partly_judged": self.completions_partly_judged,
            "generated_tokens": self.generated_tokens,
            "pairs": sum(self.pairs_per_language.values()),
            "pairs_per_language": dict(sorted(self.pairs_per_language.items())),
            "skipped": {reason: self.skipped.get(reason, 0) for reason in SKIP_REASONS},
            "skipped_per_language": {
                lang: {reason: counts.get(reason, 0) for reason in SKIP_REASONS}
                for lang, counts in sorted(self.skipped_per_language.items())
            },
        }


@dataclass
class Scored:
    index: int  # which sample of the group
    text: str
    rewards: dict[str, float | None]
    score: float | None  # None: unscorable (see the module docstring)
    partly_judged: bool = False  # a weighted reward could not judge it; scored on the others


UNJUDGED_MODES = ("no_credit", "skip")


def score_group(
    texts: list[str], rewards: dict[str, list], weights: dict[str, float], unjudged: str = "no_credit"
) -> list[Scored]:
    """Weighted scores of one group's completions from each reward's outputs (aligned with texts)."""
    if unjudged not in UNJUDGED_MODES:
        raise ValueError(f"unjudged must be one of {UNJUDGED_MODES}, got {unjudged!r}")
    deciding = {name: weight for name, weight in weights.items() if weight != 0}
    scored = []
    for i, text in enumerate(texts):
        values = {name: outputs[i] for name, outputs in rewards.items()}
        judged = {name: values[name] for name in deciding if values[name] is not None and math.isfinite(values[name])}
        partly = 0 < len(judged) < len(deciding)
        if not judged or (partly and unjudged == "skip"):
            score = None
        else:
            score = sum(deciding[name] * value for name, value in judged.items())
        scored.append(Scored(i, text, values, score, partly and score is not None))
    return scored


def choose_pair(scored: list[Scored], margin: float) -> tuple[Scored, Scored] | str:
    """(chosen, rejected), or the reason the group gives no pair: "unscorable", "tie" or "below_margin"."""
    usable = [s for s in scored if s.score is not None]
    if len(usable) < 2:
        return "unscorable"
    best = max(usable, key=lambda s: (s.score, -s.index))
    worst = min(usable, key=lambda s: (s.score, s.index))
    gap = best.score - worst.score
    if gap <= _EPSILON:
        return "tie"
    if gap < margin - _EPSILON:
        return "below_margin"
    return best, worst


def choose_pairs(scored: list[Scored], margin: float, pairing: str = "best_worst", limit: int = 1) -> list[tuple[Scored, Scored]] | str:
    """The (chosen, rejected) pairs of one group under `pairing`, or why it gives none.

    A group gives no pair under "all" exactly when its widest pair (choose_pair) fails."""
    widest = choose_pair(scored, margin)
    if isinstance(widest, str):
        return widest
    if pairing == "best_worst":
        return [widest]
    ranked = sorted((s for s in scored if s.score is not None), key=lambda s: (-s.score, s.index))
    kept = [
        (hi, lo)
        for i, hi in enumerate(ranked)
        for lo in ranked[i + 1 :]
        if hi.score - lo.score > _EPSILON and hi.score - lo.score >= margin - _EPSILON
    ]
    kept.sort(key=lambda pair: (-(pair[0].score - pair[1].score), pair[0].index, pair[1].index))
    return kept[:limit]


def as_completion(prompt, text: str):
    """A completion in the prompt's format: an assistant message for conversations, else plain text."""
    return [{"role": "assistant", "content": text}] if isinstance(prompt, list) else text


def build_pairs(
    rows: list[dict],
    sampler: Sampler,
    reward_funcs: list[Callable],
    weights: list[float],
    names: list[str],
    margin: float,
    chunk_prompts: int = 64,
    log: Callable[[str], None] | None = None,
    pairing: str = "best_worst",
    max_pairs_per_prompt: int = 1,
    unjudged: str = "no_credit",
) -> tuple[list[dict], PairStats]:
    """Sample, score and pair `rows` (prompt rows with the columns the rewards need), chunk by chunk.

    With `log` (a stage's), a progress line with rate and ETA follows the chunks."""
    stats = PairStats()
    weight_of = dict(zip(names, weights))
    pairs: list[dict] = []
    progress = Progress("preference", len(rows), unit="prompts", label="sampling ") if log else None
    for start in range(0, len(rows), chunk_prompts):
        chunk = rows[start : start + chunk_prompts]
        groups = sampler([row["prompt"] for row in chunk])
        if len(groups) != len(chunk):
            raise RuntimeError(f"the sampler returned {len(groups)} groups for {len(chunk)} prompts")
        outputs = _score_chunk(chunk, groups, reward_funcs, names)
        offset = 0
        for row, group in zip(chunk, groups):
            texts = [sample.text for sample in group]
            rewards = {name: values[offset : offset + len(group)] for name, values in outputs.items()}
            offset += len(group)
            stats.prompts += 1
            stats.completions += len(group)
            stats.generated_tokens += sum(sample.num_tokens for sample in group)
            scored = score_group(texts, rewards, weight_of, unjudged)
            stats.completions_unscorable += sum(s.score is None for s in scored)
            stats.completions_partly_judged += sum(s.partly_judged for s in scored)
            choice = choose_pairs(scored, margin, pairing, max_pairs_per_prompt)
            lang = row["lang"]
            if isinstance(choice, str):
                stats.skip(choice, lang)
                continue
            stats.pairs_per_language[lang] += len(choice)
            pairs.extend(_pair_record(row, chosen, rejected, scored) for chosen, rejected in choice)
        if progress is not None:
            progress.advance(len(chunk), pairs=len(pairs))
    return pairs, stats


def _score_chunk(rows: list[dict], groups: list[list[Sample]], funcs: list[Callable], names: list[str]) -> dict[str, list]:
    """Every reward over every completion of the chunk at once (the verifier pool works in batches)."""
    prompts, completions, columns = [], [], {}
    keys = sorted({key for row in rows for key in row if key != "prompt"})
    for row, group in zip(rows, groups):
        for sample in group:
            prompts.append(row["prompt"])
            completions.append(as_completion(row["prompt"], sample.text))
            for key in keys:
                columns.setdefault(key, []).append(row.get(key))
    outputs = {}
    for func, name in zip(funcs, names):
        values = list(func(prompts=prompts, completions=completions, **columns))
        if len(values) != len(completions):
            raise RuntimeError(f"reward {name!r} returned {len(values)} scores for {len(completions)} completions")
        outputs[name] = values
    return outputs


def _pair_record(row: dict, chosen: Scored, rejected: Scored, group: list[Scored]) -> dict:
    record = {
        "id": row.get("id"),
        "lang": row["lang"],
        "prompt": row["prompt"],
        "chosen": as_completion(row["prompt"], chosen.text),
        "rejected": as_completion(row["prompt"], rejected.text),
        "chosen_score": chosen.score,
        "rejected_score": rejected.score,
        "margin": chosen.score - rejected.score,
        "chosen_rewards": chosen.rewards,
        "rejected_rewards": rejected.rewards,
        "group_scores": [s.score for s in group],
    }
    if "answer" in row:
        record["answer"] = row["answer"]
    return record


def save_pairs(stage_dir: Path, pairs: list[dict], stats: dict, built_with: dict) -> Path:
    """Stats first, pairs.jsonl last (atomically): a pairs.jsonl on disk is always complete."""
    atomic_write_json(stage_dir / STATS_FILE, {**stats, "built_with": built_with})
    path = stage_dir / PAIRS_FILE
    atomic_write_text(path, "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
    return path


def load_saved_pairs(stage_dir: Path, built_with: dict) -> tuple[list[dict], dict] | None:
    """The pairs and stats of an earlier attempt with the same settings, if it finished building them."""
    pairs_path, stats_path = stage_dir / PAIRS_FILE, stage_dir / STATS_FILE
    if not (pairs_path.exists() and stats_path.exists()):
        return None
    try:
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        pairs = [json.loads(line) for line in pairs_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except json.JSONDecodeError:
        return None
    if stats.pop("built_with", None) != built_with or stats.get("pairs") != len(pairs):
        return None
    return pairs, stats
