"""Markdown of the run report and of a comparison of two runs (tables of languages x checkpoints)."""

from __future__ import annotations

import math
from pathlib import Path

from euro_post.eval.metrics import METRICS, difference_interval, is_reward_metric, metric_title, stat_from_dict

from euro_post.data.languages import LANGUAGES


def _label(label: str) -> str:
    from euro_post.eval.report import display

    return display(label)


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}"


def cell(stat: dict | None, metric: str) -> str:
    """`41.0 (31.2–51.6)` for a proportion in percent, `87.3 (80.1–94.5)` for a length in tokens,
    `0.412 (0.310–0.514)` for a reward's mean score."""
    if not stat or stat.get("value") is None:
        return "–"
    if is_reward_metric(metric):
        return f"{stat['value']:.3f} ({stat['low']:.3f}–{stat['high']:.3f})"
    if metric == "length":
        return f"{stat['value']:.1f} ({stat['low']:.1f}–{stat['high']:.1f})"
    return f"{pct(stat['value'])} ({pct(stat['low'])}–{pct(stat['high'])})"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """A Markdown table; `align` has one letter per column, l or r (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = [" --- " if a == "l" else " ---: " for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _lang_name(lang: str) -> str:
    return f"{lang} {LANGUAGES[lang].name}" if lang in LANGUAGES else lang


def render_report(report: dict) -> str:
    run, evaluation = report["run"], report["evaluation"]
    order, langs, results = evaluation["checkpoints"], evaluation["languages"], evaluation["results"]
    out = [f"# euro-post report: {run['name']}", ""]
    if run.get("description"):
        out += [run["description"].strip(), ""]
    facts = [f"run folder `{run['run_dir']}`", f"{len(langs)} language(s)"]
    if order:
        first = results[order[0]]
        decoding = first["mode"] + (f", {first['num_samples']} samples" if first["mode"] == "sampled" else "")
        facts += [f"checkpoints: {', '.join(_label(l) for l in order)}", f"decoding: {decoding}, at most {first['max_new_tokens']} new tokens"]
        if first.get("pass_at_k"):
            extra = first["pass_at_k"]
            facts.append(f"pass@k from a second, sampled pass: {extra['num_samples']} samples per problem at "
                         f"temperature {extra['temperature']}" + (f", top-p {extra['top_p']}" if extra["top_p"] < 1 else ""))
        if first.get("rewards"):
            facts.append("scored with the rewards " + ", ".join(_reward(spec) for spec in first["rewards"]))
    out += ["; ".join(facts) + ".", ""]

    out += ["## Summary", ""]
    if order:
        rewards = [m for m in evaluation["metrics"] if is_reward_metric(m)]  # the run's other rewards, mean scores
        passes = sorted((m for m in evaluation["metrics"] if m.startswith("pass@")), key=lambda m: int(m[5:]))
        out += ["Means over languages (every language weighs the same); proportions in %"
                + ("; rewards as mean scores." if rewards else "."), ""]
        header = (["checkpoint"] + [METRICS[m] for m in METRICS] + passes + [metric_title(m) for m in rewards]
                  + ["generated tokens"])
        rows = []
        for label in order:
            s = results[label]["summary"]
            length = s.get("length")
            rows.append([_label(label)] + [pct(s.get(m)) for m in METRICS if m != "length"]
                        + ["–" if length is None else f"{length:.1f}"] + [pct(s.get(m)) for m in passes]
                        + ["–" if s.get(m) is None else f"{s[m]:.3f}" for m in rewards]
                        + [str(results[label]["generated_tokens"])])
        out += _table(header, rows) + [""]
    else:
        out += ["No checkpoint has been evaluated yet.", ""]

    if report["stages"]:
        out += ["## Stages", ""]
        rows = []
        for stage in report["stages"]:
            wall = stage.get("wall_time_s")
            memory = stage.get("peak_memory_bytes") or {}
            peak = memory.get("cuda_max_allocated_bytes") or memory.get("process_max_rss_bytes")
            last = (stage.get("training") or {}).get("last", {})
            loss = last.get("loss", last.get("train_loss"))
            status = stage["status"]
            if stage["name"] == "eval" and status == "running":
                status = "writing this report"
            rows.append([
                stage["name"], status, "–" if wall is None else f"{wall:.1f} s",
                str(stage.get("tokens_processed") or "–"), "–" if not peak else f"{peak / 2**30:.2f} GiB",
                "–" if loss is None else f"{loss:.4g}", f"`{stage['checkpoint']}`" if stage.get("checkpoint") else "–",
            ])
        out += _table(["stage", "status", "wall time", "tokens", "peak memory", "last loss", "checkpoint"], rows, "llrrrrl") + [""]

    if report["comparisons"]:
        out += ["## What changed between consecutive checkpoints", "",
                "Differences (in percentage points) whose 95% interval excludes zero; the interval combines both "
                "checkpoints' intervals (Newcombe/MOVER) as if their samples were independent, which is "
                "conservative for the same problems.", ""]
        for comp in report["comparisons"]:
            out += [f"### {_label(comp['from'])} → {_label(comp['to'])}", ""]
            if comp.get("overall"):
                rows = [[METRICS.get(c["metric"], c["metric"]), _percent(c["before"]), _percent(c["after"]),
                         f"{100 * c['delta']:+.1f} [{100 * c['low']:+.1f}, {100 * c['high']:+.1f}]",
                         "yes" if c["low"] > 0 or c["high"] < 0 else "no", f"{c['languages']} / {c['problems']}"]
                        for c in comp["overall"]]
                out += ["Mean over languages, with the change's 95% interval paired problem by problem (worked-answer "
                        "accuracy: on the problems both checkpoints worked out, each weighing the same, since their "
                        "number differs by language):", ""]
                out += _table(["metric", "before (%)", "after (%)", "change (points)", "beyond the interval",
                               "languages / problems"], rows, align="lrrrll") + [""]
            metrics = sorted({c["metric"] for kind in ("improved", "regressed") for c in comp[kind]}, key=_metric_rank)
            if metrics:
                rows = [[METRICS.get(m, m)] + [_changes(comp[kind], m) for kind in ("improved", "regressed")] for m in metrics]
                out += _table(["metric", "improved", "regressed"], rows, align="lll") + [""]
            else:
                out += ["Nothing moved beyond the interval.", ""]
            out += [f"{comp['within_interval']} language × metric pair(s) stayed within the interval.", ""]

    for metric in evaluation["metrics"]:
        if not order:
            break
        name = metric_title(metric)
        unit = "tokens" if metric == "length" else "mean score" if is_reward_metric(metric) else "%"
        out += [f"## {name[0].upper() + name[1:]} by language", "",
                f"Value and 95% interval ({unit}); n = problems per language: {_sample_counts(results, order, langs, metric)}.", ""]
        rows = [[_lang_name(lang)] + [cell(results[l]["languages"].get(lang, {}).get("metrics", {}).get(metric), metric) for l in order] for lang in langs]
        out += _table(["language"] + [_label(l) for l in order], rows) + [""]

    out += _language_modelling_section(report["stages"])
    out += _lm_eval_section(order, langs, results)
    if report["plots"]:
        out += ["## Plots", ""] + [f"![{p}]({p})" for p in report["plots"]] + [""]
    return "\n".join(out)


def _reward(spec: dict) -> str:
    """`math_accuracy`, `length (max_length 512, cache 128)`."""
    options = spec.get("options") or {}
    shown = f" ({', '.join(f'{k} {v}' for k, v in options.items())})" if options else ""
    return f"`{spec['name']}`{shown}"


def _percent(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _metric_rank(metric: str) -> tuple[int, str]:
    return (list(METRICS).index(metric) if metric in METRICS else len(METRICS), metric)


def _changes(changes: list[dict], metric: str) -> str:
    """`3 languages: de +12.0, fr +8.5, pl +7.0` (points, largest change first)."""
    codes = list(LANGUAGES)
    picked = sorted(
        (c for c in changes if c["metric"] == metric),
        key=lambda c: (-round(abs(c["delta"]), 6), codes.index(c["lang"]) if c["lang"] in codes else len(codes)),
    )
    if not picked:
        return "–"
    items = ", ".join(f"{c['lang']} {100 * c['delta']:+.1f}" for c in picked)
    return f"{len(picked)} language{'s' if len(picked) > 1 else ''}: {items}"


def _sample_counts(results: dict, order: list[str], langs: list[str], metric: str) -> str:
    counts = sorted({results[l]["languages"][lang]["metrics"][metric]["n"] for l in order for lang in langs
                     if metric in results[l]["languages"].get(lang, {}).get("metrics", {})})
    if not counts:
        return "–"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"


def _language_modelling_section(stages: list[dict]) -> list[str]:
    """How well the base model learnt each language (validation loss on held-out text, the
    tokenizer's fertility) and the SFT model's loss on held-out conversations."""
    summaries = {stage["name"]: stage.get("summary") or {} for stage in stages}
    base, sft = summaries.get("base_pretrain", {}), summaries.get("sft", {})
    columns = [("tokens per word", base.get("fertility") or {}, "{:.2f}"),
               ("base validation loss", base.get("validation_loss") or {}, "{:.3f}"),
               ("sft held-out loss", sft.get("eval_loss") or {}, "{:.3f}")]
    columns = [c for c in columns if c[1]]
    langs = [lang for lang in LANGUAGES if any(lang in values for _, values, _ in columns)]
    if not langs:
        return []
    out = ["## Language modelling by language", ""]
    if base.get("vocab_size") and base.get("validation_loss"):
        out += [f"Loss in nats per token on held-out text of each language; a model that learnt nothing scores "
                f"ln({base['vocab_size']}) = {math.log(base['vocab_size']):.2f}. Fertility worst/best: "
                f"{base.get('fertility_worst_best_ratio', '–')} ({base.get('fertility_worst', '–')} / "
                f"{base.get('fertility_best', '–')}).", ""]
    rows = [[_lang_name(lang)] + [fmt.format(values[lang]) if lang in values else "–" for _, values, fmt in columns]
            for lang in langs]
    return out + _table(["language"] + [name for name, _, _ in columns], rows) + [""]


def _lm_eval_section(order: list[str], langs: list[str], results: dict) -> list[str]:
    columns: dict[tuple[str, str], dict] = {}  # (family, metric key) -> {(label, lang): (value, stderr)}
    for label in order:
        for lang, entry in results[label]["languages"].items():
            for task, res in entry.get("lm_eval", {}).items():
                for key, value in res["metrics"].items():
                    columns.setdefault((res["family"], key), {})[(label, lang)] = value
    other = {(label, task): res for label in order for task, res in results[label].get("lm_eval_other", {}).items()}
    if not columns and not other:
        return []
    out = ["## lm-eval", ""]
    for (family, key), values in sorted(columns.items()):
        out += [f"### {family} ({key})", "", "Value ± standard error, in %.", ""]
        rows = []
        for lang in langs:
            cells = []
            for label in order:
                v = values.get((label, lang))
                cells.append("–" if v is None else pct(v["value"]) + ("" if v.get("stderr") is None else f" ± {pct(v['stderr'])}"))
            rows.append([_lang_name(lang)] + cells)
        out += _table(["language"] + [_label(l) for l in order], rows) + [""]
    if other:
        out += ["### Tasks not tied to one language", ""]
        rows = [[_label(label), task, key, pct(v["value"])] for (label, task), res in sorted(other.items()) for key, v in res["metrics"].items()]
        out += _table(["checkpoint", "task", "metric", "value (%)"], rows) + [""]
    return out


def render_comparison(run_a: Path, run_b: Path, pairs, results_a: dict, results_b: dict) -> str:
    out = [f"# Comparing `{run_a}` (a) and `{run_b}` (b)", "",
           "Differences are b − a in percentage points (length: tokens), with 95% intervals; "
           "`*` marks a difference whose interval excludes zero.", ""]
    metrics = list(METRICS)
    summary_rows = []
    for label_a, label_b in pairs:
        a, b = results_a[label_a], results_b[label_b]
        title = _label(label_a) if label_a == label_b else f"{_label(label_a)} (a) vs {_label(label_b)} (b)"
        langs = [lang for lang in LANGUAGES if lang in a["languages"] and lang in b["languages"]]
        rows = []
        for lang in langs:
            row = [_lang_name(lang)]
            for metric in metrics:
                sa, sb = (x["languages"][lang]["metrics"].get(metric) for x in (a, b))
                row.append(_difference(sa, sb, metric))
            rows.append(row)
        out += [f"## {title}", ""]
        out += _table(["language"] + [f"{METRICS[m]}: a → b (Δ)" for m in metrics], rows) + [""]
        summary_rows.append([title] + [_mean_change(a, b, m) for m in metrics])
    out += ["## Means over languages", ""]
    out += _table(["checkpoint"] + [f"{METRICS[m]}: a → b" for m in metrics], summary_rows) + [""]
    return "\n".join(out)


def _difference(sa: dict | None, sb: dict | None, metric: str) -> str:
    if not sa or not sb or sa.get("value") is None or sb.get("value") is None:
        return "–"
    diff = difference_interval(stat_from_dict(sa), stat_from_dict(sb))
    scale = 1 if metric == "length" else 100
    delta, low, high = (x * scale for x in diff)
    mark = "*" if low > 0 or high < 0 else ""
    return f"{sa['value'] * scale:.1f} → {sb['value'] * scale:.1f} ({delta:+.1f} [{low:+.1f}, {high:+.1f}]{mark})"


def _mean_change(a: dict, b: dict, metric: str) -> str:
    va, vb = a["summary"].get(metric), b["summary"].get(metric)
    if va is None or vb is None:
        return "–"
    scale = 1 if metric == "length" else 100
    return f"{va * scale:.1f} → {vb * scale:.1f} ({(vb - va) * scale:+.1f})"
