"""Evaluate one checkpoint: generate on the held-out problems, score, run lm-eval, save JSON.

`evaluate_checkpoint_into` writes, under the eval folder (`runs/<run>/eval/`):
- results/<label>.json: the per-language metrics with intervals, lm-eval results, a summary;
- completions/<label>.jsonl: every completion with its scores (with save_completions);
  completions/<label>.sampled.jsonl those of the sampled pass, with `pass_at_k`;
- lm_eval/: the world's lm-eval task YAMLs and data, when lm-eval runs.
A result whose key (checkpoint fingerprint, settings, problems, seed) matches is reused, so
an interrupted eval stage resumes at the first checkpoint it had not finished.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from pathlib import Path
from typing import Callable

from euro_post.eval.config import EvalConfig
from euro_post.eval.metrics import (METRICS, PROPORTIONS, SampleScore, language_metrics, macro_mean, problem_mean,
                                     stat_from_dict)
from euro_post.eval.scoring import EvalScorer

from euro_post.data.rows import DataError, load_rows, rows_by_language
from euro_post.models.generation import generate
from euro_post.pipeline.checkpoint_io import atomic_write_json, atomic_write_text, fingerprint
from euro_post.pipeline.progress import Progress

RESULT_VERSION = 4  # 3: worked-answer accuracy, pass_at_k; 4: worked-answer accuracy per problem

GenerateFn = Callable[..., list[list[str]]]


def eval_rows(config: EvalConfig, languages: list[str], world=None, seed: int = 0) -> list[dict]:
    """The held-out problems, at most `problems_per_language` per language, each with a gold answer
    (`seed` draws a mixture of sources)."""
    rows = load_rows(config.data, "eval", languages, world=world, seed=seed)
    source = config.data.label
    for index, row in enumerate(rows, start=1):
        if row.get("answer") in (None, ""):
            raise DataError(f"{source}, row {index}: an eval row needs a gold `answer`; it has {sorted(row)}")
    grouped = rows_by_language(rows)
    limit = config.problems_per_language
    return [row for lang in languages for row in grouped.get(lang, [])[:limit]]


def score_completions(
    rows: list[dict], completions: list[list[str]], tokenizer, scorer: EvalScorer | None = None
) -> list[list[SampleScore]]:
    """Score every completion with the run's rewards (eval/scoring.py); `completions[i]` answers
    rows[i]. Without `scorer`, the fixed columns' rewards with their defaults."""
    return (scorer or EvalScorer(None, tokenizer)).score(rows, completions)


def evaluate_model(
    model,
    tokenizer,
    rows: list[dict],
    config: EvalConfig,
    *,
    seed: int = 0,
    generate_fn: GenerateFn | None = None,
    log=None,
    label: str = "",
) -> dict:
    """Per-language metrics of a loaded model on `rows`; returns {"languages", "generated_tokens", "records",
    "rewards"} (the reward specs the completions were scored with).

    Every language's problems are generated in one call, so each batch is full however few problems
    a language has. `generate_fn` defaults to euro_post.models.generation.generate, whose progress
    shows batch by batch; another one's shows when its call returns."""
    greedy = config.mode == "greedy"
    languages: dict[str, dict] = {}
    records: list[dict] = []
    generated_tokens = 0
    scorer = EvalScorer(config.rewards, tokenizer)  # the run's rewards, built once for every language
    progress = Progress("eval", len(rows) * config.num_samples, unit="completions", label=f"{label}: " if label else "")
    grouped = rows_by_language(rows)
    ordered = [row for lang_rows in grouped.values() for row in lang_rows]
    settings = {
        "max_new_tokens": config.max_new_tokens,
        "temperature": 0.0 if greedy else config.temperature,
        "top_p": 1.0 if greedy else config.top_p,
        "num_samples": config.num_samples,
        "batch_size": config.batch_size,
        "seed": seed,
    }
    if generate_fn is None:
        # Sample j of a language's i-th problem draws from the seeds (seed, i, j), as when each
        # language was generated on its own: sampled completions do not depend on the other languages.
        settings["seed_indices"] = [i for lang_rows in grouped.values() for i in range(len(lang_rows))]
        generate_fn = functools.partial(generate, on_batch=progress.advance)
    started = time.monotonic()
    completions = generate_fn(model, tokenizer, [row["prompt"] for row in ordered], **settings)
    progress.update(len(rows) * config.num_samples)
    if log:
        log(f"generated {len(rows) * config.num_samples} completions in {time.monotonic() - started:.1f} s")
    offset = 0
    for lang, lang_rows in grouped.items():
        lang_completions = completions[offset : offset + len(lang_rows)]
        offset += len(lang_rows)
        scores = score_completions(lang_rows, lang_completions, tokenizer, scorer)
        stats = language_metrics(scores, config.resolved_pass_k())
        languages[lang] = {
            "metrics": {name: stat.as_dict() for name, stat in stats.items()},
            "unverified": sum(s.unverified for problem in scores for s in problem),
            "problems": problem_scores(lang_rows, scores),
        }
        generated_tokens += sum(s.tokens for problem in scores for s in problem)
        for row, texts, problem in zip(lang_rows, lang_completions, scores):
            for sample, (text, score) in enumerate(zip(texts, problem)):
                records.append(
                    {
                        "id": row.get("id"), "lang": lang, "sample": sample, "answer": str(row["answer"]),
                        "completion": text, "correct": score.correct, "format": score.format,
                        "language_consistency": score.language, "tokens": score.tokens, **score.rewards,
                    }
                )
        if log:
            acc = stats["accuracy"]
            log(f"{lang}: accuracy {acc.value:.3f} [{acc.low:.3f}, {acc.high:.3f}] on {acc.n} problems")
    rewards = [spec.model_dump(mode="json") for spec in scorer.specs]
    return {"languages": languages, "generated_tokens": generated_tokens, "records": records, "rewards": rewards}


def problem_scores(rows: list[dict], scores: list[list[SampleScore]]) -> dict[str, list]:
    """Each problem's id and scores (mean over its samples, None where none could be judged): what
    a paired comparison of two checkpoints on the same problems needs (metrics.paired_macro_difference)."""
    out: dict[str, list] = {"ids": [str(row.get("id") or i) for i, row in enumerate(rows)]}
    for metric in PROPORTIONS:
        values = (problem_mean(samples, metric) for samples in scores)
        out[metric] = [None if v is None else round(v, 6) for v in values]
    return out


def summarize_languages(languages: dict[str, dict]) -> dict[str, float | None]:
    """Headline numbers of a checkpoint: each metric's mean over languages (every language weighs the same)."""
    names = list(METRICS) + sorted({k for v in languages.values() for k in v["metrics"] if k not in METRICS})
    return {
        name: macro_mean([stat_from_dict(v["metrics"][name]) for v in languages.values() if name in v["metrics"]])
        for name in names
    }


def merge_pass_at_k(languages: dict[str, dict], sampled: dict[str, dict]) -> None:
    """Add the sampled pass's pass@k of each language to the greedy pass's metrics (its other
    metrics describe sampled decoding, which the greedy columns already measure)."""
    for lang, entry in sampled.items():
        if lang in languages:
            passes = {name: stat for name, stat in entry["metrics"].items() if name.startswith("pass@")}
            languages[lang]["metrics"].update(passes)


def result_key(checkpoint: str, rows: list[dict], config: EvalConfig, seed: int) -> str:
    # What the results do not depend on stays out of the key, so that changing it reuses them.
    settings = config.model_dump(mode="json", exclude={"checkpoints", "evaluate_start", "save_completions",
                                                       "trust_remote_code", "allow_pickle_weights"})
    payload = {
        "checkpoint": fingerprint(checkpoint),
        "settings": settings,
        "problems": hashlib.sha256(json.dumps([r.get("id") or r["prompt"] for r in rows], sort_keys=True).encode()).hexdigest(),
        "seed": seed,
        "version": RESULT_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def evaluate_checkpoint_into(
    label: str,
    checkpoint: str,
    rows: list[dict],
    config: EvalConfig,
    eval_dir: str | Path,
    *,
    seed: int = 0,
    log=print,
    generate_fn: GenerateFn | None = None,
) -> dict:
    """Evaluate `checkpoint` under `label`, write results/<label>.json and return its content."""
    eval_dir = Path(eval_dir)
    path = eval_dir / "results" / f"{label}.json"
    key = result_key(checkpoint, rows, config, seed)
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            old = {}
        if old.get("key") == key:
            log(f"{label}: already evaluated with the same checkpoint and settings, reused")
            return old

    import torch

    from euro_post.models.loading import load_policy, policy_options

    started = time.monotonic()
    log(f"{label}: evaluating {checkpoint} on {len(rows)} problems")
    policy = load_policy(checkpoint, **policy_options(config), for_training=False, log=log)
    model, tokenizer = policy.model, policy.tokenizer
    if torch.cuda.is_available():
        model.to("cuda")
    outcome = evaluate_model(
        model, tokenizer, rows, config, seed=seed, generate_fn=generate_fn, log=lambda t: log(f"{label}: {t}"), label=label
    )
    languages = outcome["languages"]
    sampled_config = config.sampled_pass()  # pass_at_k: the same evaluation again, sampled, for pass@k
    sampled = None
    if sampled_config is not None:
        sampled = evaluate_model(
            model, tokenizer, rows, sampled_config, seed=seed, generate_fn=generate_fn,
            log=lambda t: log(f"{label} sampled: {t}"), label=f"{label} sampled",
        )
        merge_pass_at_k(languages, sampled["languages"])
    other: dict[str, dict] = {}
    if config.lm_eval_tasks:
        from euro_post.eval.harness import run_lm_eval

        tasks = run_lm_eval(
            model, tokenizer, config.lm_eval_tasks, rows=rows, work_dir=eval_dir / "lm_eval",
            limit=config.lm_eval_limit, max_new_tokens=config.max_new_tokens, batch_size=config.batch_size,
            chat_template=config.lm_eval_chat_template, seed=seed, log=log,
        )
        for task, result in tasks.items():
            if result["lang"] in languages:
                languages[result["lang"]].setdefault("lm_eval", {})[task] = result
            else:
                other[task] = result
    result = {
        "version": RESULT_VERSION,
        "key": key,
        "label": label,
        "checkpoint": str(checkpoint),
        "fingerprint": fingerprint(checkpoint),
        "mode": config.mode,
        "num_samples": config.num_samples,
        "max_new_tokens": config.max_new_tokens,
        "temperature": None if config.mode == "greedy" else config.temperature,
        "seed": seed,
        "rewards": outcome["rewards"],  # what the completions were scored with, options included
        "languages": languages,
        "lm_eval_other": other,
        "summary": summarize_languages(languages),
        "generated_tokens": outcome["generated_tokens"] + (sampled["generated_tokens"] if sampled else 0),
        "pass_at_k": None if sampled_config is None else {
            "num_samples": sampled_config.num_samples, "temperature": sampled_config.temperature,
            "top_p": sampled_config.top_p, "k": sampled_config.resolved_pass_k(),
        },
        "wall_time_s": round(time.monotonic() - started, 3),
    }
    if config.save_completions:
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in outcome["records"])
        atomic_write_text(eval_dir / "completions" / f"{label}.jsonl", lines)
        if sampled:
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sampled["records"])
            atomic_write_text(eval_dir / "completions" / f"{label}.sampled.jsonl", lines)
    atomic_write_json(path, result)
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return result
