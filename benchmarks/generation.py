"""Batched generation speed: euro_post.models.generation against transformers' generate.

    python benchmarks/generation.py [--preset cpu-small] [--prompts 16] [--new-tokens 32] [--batch-sizes 1 4 16]

Builds a random model of the preset (with a tokenizer trained on the embedded world), then
generates greedily for the same chat prompts with `euro_post.models.generation.generate` and with
`model.generate` on left-padded batches of the same size. A random model never writes its
end token, so every sequence runs to --new-tokens and both sides do the same work. Prints the
machine, the load average (other processes skew CPU timings), and generated tokens per second.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from euro_post.provenance.machine import cpu_model


def build(preset: str, prompts: int):
    from euro_post.base_pretrain.tokenizer import train_tokenizer

    from euro_post.data.world import World, WorldConfig
    from euro_post.models.presets import new_model

    languages = ["de", "fr", "pl", "el"]
    world = World(WorldConfig(sft_per_language=50, eval_per_language=prompts), languages)
    texts = {lang: [m["content"] for row in world.sft_rows(lang) for m in row["messages"]] for lang in languages}
    tokenizer = train_tokenizer(texts, vocab_size=2048, sample_size=2000, seed=0)
    model = new_model(preset, tokenizer, seed=0).eval()
    rows = [row for lang in languages for row in world.eval_rows(lang)][:prompts]
    return model, tokenizer, [row["prompt"] for row in rows]


def ours(model, tokenizer, prompts, new_tokens, batch_size) -> int:
    from euro_post.models.generation import generate_completions

    results = generate_completions(model, tokenizer, prompts, max_new_tokens=new_tokens, batch_size=batch_size)
    return sum(len(r[0].token_ids) for r in results)


def transformers_generate(model, tokenizer, prompts, new_tokens, batch_size) -> int:
    texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts]
    tokenizer.padding_side = "left"
    total = 0
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start : start + batch_size], add_special_tokens=False, padding=True, return_tensors="pt")
            out = model.generate(**batch, max_new_tokens=new_tokens, do_sample=False)
            total += (out[:, batch["input_ids"].shape[1] :] != tokenizer.pad_token_id).sum().item()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="cpu-small")
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 4, 16])
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    gpu = f", {torch.cuda.get_device_name(0)}" if device == "cuda" else ""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores{gpu}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, load average {load}")
    model, tokenizer, prompts = build(args.preset, args.prompts)
    model.to(device)
    print(f"model: {args.preset}, {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, "
          f"{len(prompts)} prompts, {args.new_tokens} new tokens each, greedy\n")
    print(f"{'batch':>6}  {'euro_post tok/s':>16}  {'transformers tok/s':>19}")
    ours(model, tokenizer, prompts[:2], 4, 2)  # warm-up
    for batch_size in args.batch_sizes:
        rates = []
        for fn in (ours, transformers_generate):
            start = time.perf_counter()
            tokens = fn(model, tokenizer, prompts, args.new_tokens, batch_size)
            rates.append(tokens / (time.perf_counter() - start))
        print(f"{batch_size:>6}  {rates[0]:>16.1f}  {rates[1]:>19.1f}")


if __name__ == "__main__":
    main()
