"""lm-eval on our checkpoints: the embedded world as offline tasks, plus any lm-eval task by name.

The world's held-out problems become one lm-eval task per language, `euro_post_world_<lang>`,
grouped as `euro_post_world`. Their YAML files are written at run time next to the JSONL data
they read (lm-eval's `dataset_path: json` needs a real file path), each including the
template shipped in `eval/tasks/`. Answers are checked by `process_results`, which calls the
rewards' `verify_answer`, so lm-eval and our own metrics agree on what a right answer is.

Other task names (mgsm_native_cot_de, belebele_deu_Latn, global_mmlu_de, ...) are lm-eval's
own; they need their data in the local Hugging Face cache, since nothing is downloaded here.
Every result is filed under the language its task name carries, so it lands in the same
per-language table as our generation metrics.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from euro_post.data.languages import LANGUAGES

WORLD_GROUP = "euro_post_world"
TEMPLATE = Path(__file__).parent / "tasks" / "euro_post_world_template.yaml"

# ISO 639-3 codes used by FLORES-style task names (belebele_deu_Latn), per EU language.
ISO3 = {
    "bul": "bg", "ces": "cs", "dan": "da", "deu": "de", "ell": "el", "eng": "en", "spa": "es",
    "est": "et", "ekk": "et", "fin": "fi", "fra": "fr", "gle": "ga", "hrv": "hr", "hun": "hu",
    "ita": "it", "lit": "lt", "lav": "lv", "lvs": "lv", "mlt": "mt", "nld": "nl", "pol": "pl",
    "por": "pt", "ron": "ro", "slk": "sk", "slv": "sl", "swe": "sv",
}
_SCRIPTS = {"Latn", "Cyrl", "Grek"}


def world_task(lang: str) -> str:
    return f"{WORLD_GROUP}_{lang}"


def task_language(task: str) -> tuple[str | None, str]:
    """(EU language code or None, task family) read from a task name.

    "mgsm_native_cot_de" -> ("de", "mgsm_native_cot"); "belebele_deu_Latn" -> ("de", "belebele").
    The last part of the name that is a language code wins.
    """
    parts = re.split(r"[_\-]", task)
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        lang = part if part in LANGUAGES else ISO3.get(part.lower()) if len(part) == 3 else None
        if lang:
            rest = [p for i, p in enumerate(parts) if i != index and not (i == index + 1 and p in _SCRIPTS)]
            return lang, "_".join(rest) or task
    return None, task


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """lm-eval hook of the world tasks: 1.0 when the completion's final answer is the gold one."""
    from euro_post.rewards import VerificationError, verify_answer

    try:
        correct = verify_answer(results[0], str(doc["answer"]), doc["lang"])
    except VerificationError:
        correct = False  # an answer the verifier cannot judge is not a right answer
    return {"acc": float(correct)}


def write_world_tasks(rows: list[dict], out_dir: str | Path, max_new_tokens: int) -> Path:
    """Write data/<lang>.jsonl and tasks/*.yaml for the world tasks; return the tasks folder."""
    out_dir = Path(out_dir).resolve()
    data_dir, task_dir = out_dir / "data", out_dir / "tasks"
    data_dir.mkdir(parents=True, exist_ok=True)
    task_dir.mkdir(parents=True, exist_ok=True)
    by_lang: dict[str, list[dict]] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row)
    for lang, lang_rows in by_lang.items():
        data = data_dir / f"{lang}.jsonl"
        with data.open("w", encoding="utf-8") as f:
            for row in lang_rows:
                doc = {
                    "id": str(row.get("id", "")),
                    "lang": lang,
                    "question": question_text(row["prompt"]),
                    "answer": str(row["answer"]),
                    "answer_text": str(row.get("answer_text", row["answer"])),
                }
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        task = {
            "include": str(TEMPLATE),
            "task": world_task(lang),
            "tag": [f"{WORLD_GROUP}_tasks"],
            "dataset_kwargs": {"data_files": {"test": str(data)}},
            "generation_kwargs": {
                "until": ["<|im_end|>", "<|im_start|>"],
                "do_sample": False,
                "max_gen_toks": int(max_new_tokens),
            },
        }
        _write_yaml(task_dir / f"{world_task(lang)}.yaml", task)
    group = {
        "group": WORLD_GROUP,
        "task": [world_task(lang) for lang in by_lang],
        "aggregate_metric_list": [{"metric": "acc", "aggregation": "mean", "weight_by_size": False}],
        "metadata": {"version": 1.0},
    }
    _write_yaml(task_dir / f"{WORLD_GROUP}.yaml", group)
    return task_dir


def question_text(prompt: Any) -> str:
    """The user's question: the prompt string, or the last user message of a conversation."""
    if isinstance(prompt, str):
        return prompt
    users = [m["content"] for m in prompt if m.get("role") == "user"]
    if not users:
        raise ValueError("an eval prompt conversation has no user message")
    return users[-1]


def _write_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def run_lm_eval(
    model,
    tokenizer,
    tasks: list[str],
    *,
    rows: list[dict],
    work_dir: str | Path,
    limit: int | None,
    max_new_tokens: int,
    batch_size: int,
    chat_template: bool = True,
    seed: int = 0,
    log=None,
) -> dict[str, dict]:
    """Run lm-eval tasks on a loaded model; return {task: {"lang", "family", "n", "metrics"}}.

    `metrics` maps lm-eval's "metric,filter" keys to {"value", "stderr"}. The world group
    covers the languages present in `rows`.
    """
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    langs = sorted({row["lang"] for row in rows})
    ours = {WORLD_GROUP} | {world_task(lang) for lang in langs}
    strays = [t for t in tasks if t.startswith(WORLD_GROUP) and t not in ours]
    if strays:
        raise ValueError(
            f"lm_eval_tasks: {', '.join(strays)}: the world tasks cover the evaluated languages only "
            f"({', '.join(sorted(ours))})"
        )
    include = None
    if any(t in ours for t in tasks):
        include = str(write_world_tasks(rows, Path(work_dir), max_new_tokens))
    # lm-eval's own index takes ~15 s to build: skip it when only our tasks run.
    foreign = [t for t in tasks if t not in ours]
    manager = TaskManager(include_path=include, include_defaults=bool(foreign))
    unknown = [t for t in tasks if t not in manager.all_tasks]
    if unknown:
        hints = {t: difflib.get_close_matches(t, manager.all_tasks, n=3) for t in unknown}
        raise ValueError(
            "lm_eval_tasks: unknown task(s): "
            + "; ".join(f"{t}" + (f" (did you mean {', '.join(h)}?)" if h else "") for t, h in hints.items())
        )
    if log:
        log(f"lm-eval: {', '.join(tasks)}" + (f" (at most {limit} documents each)" if limit else ""))
    # lm-eval records the git commit of the working directory by running git, which prints
    # "fatal: not a git repository" outside one; the run's manifests hold the versions instead.
    with mock.patch("lm_eval.evaluator.get_git_commit_hash", lambda: None):
        results = simple_evaluate(
            model=_hflm(model, tokenizer, batch_size),
            tasks=list(tasks),
            task_manager=manager,
            limit=limit,
            apply_chat_template=chat_template,
            log_samples=False,
            bootstrap_iters=1000,
            random_seed=seed,
            numpy_random_seed=seed,
            torch_random_seed=seed,
            fewshot_random_seed=seed,
        )
    return collect_results(results)


def collect_results(results: dict) -> dict[str, dict]:
    """lm-eval's result dict -> {leaf task: {"lang", "family", "n", "metrics"}}."""
    out: dict[str, dict] = {}
    samples = results.get("n-samples", {})
    for task in sorted(results.get("configs", {})):
        values = results["results"].get(task, {})
        metrics = {}
        for key, value in values.items():
            if "," not in key or "_stderr," in key or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            metric, _, filter_name = key.partition(",")
            stderr = values.get(f"{metric}_stderr,{filter_name}")
            metrics[key] = {"value": float(value), "stderr": float(stderr) if isinstance(stderr, (int, float)) else None}
        lang, family = task_language(task)
        n = samples.get(task, {}).get("effective")
        out[task] = {"lang": lang, "family": family, "n": n, "metrics": metrics}
    return out


def _hflm(model, tokenizer, batch_size: int):
    """lm-eval's HFLM around a model already in memory, reporting its facts without asking the hub.

    Its progress is our throttled line with rate and ETA (`[eval] lm-eval generate_until: 64/250
    requests ...`), counted batch by batch, instead of lm-eval's own bars."""
    from lm_eval.models.huggingface import HFLM

    from euro_post.pipeline.progress import Progress

    class LoadedModel(HFLM):
        progress: Progress | None = None

        def get_model_info(self) -> dict:
            return {
                "model_num_parameters": sum(p.numel() for p in self._model.parameters()),
                "model_dtype": str(self._model.dtype),
            }

        def generate_until(self, requests, disable_tqdm: bool = False):
            self.progress = Progress("eval", len(requests), unit="requests", label="lm-eval generate_until: ")
            results = super().generate_until(requests, disable_tqdm=True)
            self.progress.advance(len(requests) - self.progress.count)  # done
            return results

        def _loglikelihood_tokens(self, requests, disable_tqdm: bool = False, override_bs=None):
            self.progress = Progress("eval", len(requests), unit="requests", label="lm-eval loglikelihood: ")
            results = super()._loglikelihood_tokens(requests, disable_tqdm=True, override_bs=override_bs)
            self.progress.advance(len(requests) - self.progress.count)  # done
            return results

        def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
            return super().loglikelihood_rolling(requests, disable_tqdm=True)  # its windows count in _loglikelihood_tokens

        def _model_generate(self, context, max_length, stop, **generation_kwargs):
            out = super()._model_generate(context, max_length, stop, **generation_kwargs)
            self._count(context.shape[0])
            return out

        def _model_call(self, inps, attn_mask=None, labels=None):
            out = super()._model_call(inps, attn_mask=attn_mask, labels=labels)
            self._count(inps.shape[0])
            return out

        def _count(self, rows: int) -> None:
            # Rows of a batch, not yet all the requests (the final update says done): a batch may
            # hold a context shared by several requests.
            if self.progress is not None and self.progress.count + rows < self.progress.total:
                self.progress.advance(rows)

    return LoadedModel(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
