"""SFT training speed: optimizer steps per minute and tokens per second, per setting.

    python benchmarks/sft_throughput.py [--presets tiny,cpu-small] [--batch 16] [--max-length 256]
                                        [--steps 12] [--warmup 2] [--vocab 8192] [--languages all]

Starts from a freshly initialised model of each preset with a byte-level BPE tokenizer trained
on the embedded world's pretraining documents, and trains on the world's SFT conversations
through the sft stage's own trainer (same encoding, packing and loss). Each setting runs
`warmup + steps` optimizer steps; the last `steps` are timed one by one and the median step is
reported (other load on a shared machine shows as the spread), with the median CPU time of the
process per step (all threads), the better guide to the cost on a loaded machine. Settings: packing on/off,
loss path (euro_post's chunked loss, the full logits, TRL's fused head), full fine-tuning or
LoRA (r=16). On CPU the default fused path is the chunked loss; TRL's head is the CUDA default.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from euro_post.provenance.machine import machine_line

SETTINGS = [  # (name, sft stage options, recipe fused_loss, loss path forced or None for the device default)
    ("packed, chunked loss", {"packing": True}, "auto", None),
    ("padded, chunked loss", {"packing": False}, "auto", None),
    ("packed, full logits", {"packing": True}, "off", None),
    ("packed, TRL fused head", {"packing": True}, "auto", "trl_fused"),
    ("packed, chunked loss, LoRA r16", {"packing": True, "lora": {"r": 16, "alpha": 32}}, "auto", None),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default="tiny,cpu-small")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--languages", default="all", help='"all" (the languages the world can render) or a comma list')
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from euro_post.base_pretrain.tokenizer import train_tokenizer
    from euro_post.sft.encode import IGNORE, Encoder
    from euro_post.sft.stage import build_trainer, load_for_training
    from transformers import TrainerCallback

    from euro_post.data.world import World, WorldConfig, available_languages
    from euro_post.models.presets import count_parameters, new_model
    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.pipeline.stage import StageContext

    langs = available_languages() if args.languages == "all" else args.languages.split(",")
    print(f"machine: {machine_line()}")
    world = World(WorldConfig(sft_per_language=max(200, 64 * args.batch // len(langs)), pretrain_documents_per_language=300), langs)
    tokenizer = train_tokenizer({lang: [r["text"] for r in world.pretrain_rows(lang)] for lang in langs}, vocab_size=args.vocab, sample_size=5000)
    rows = [row for lang in langs for row in world.sft_rows(lang)]
    lengths = sorted(len(e["input_ids"]) for e in Encoder(tokenizer, 1 << 16).encode_all(rows).examples)
    print(f"conversation tokens: median {lengths[len(lengths) // 2]}, p95 {lengths[int(0.95 * len(lengths))]}, "
          f"max {lengths[-1]}")
    examples = Encoder(tokenizer, args.max_length).encode_all(rows).examples
    mean_len = sum(len(e["input_ids"]) for e in examples) / len(examples)
    loss_share = sum(sum(t != IGNORE for t in e["labels"]) for e in examples) / sum(len(e["input_ids"]) for e in examples)
    print(f"{len(langs)} languages, {len(examples)} conversations, {mean_len:.0f} tokens each on average "
          f"({loss_share:.0%} of them trained), vocabulary {len(tokenizer)}; batch {args.batch}, max_length {args.max_length}")

    class Timer(TrainerCallback):
        """Per-step wall time and tokens; the median step is robust to other load on a shared machine."""

        def __init__(self):
            self.times, self.cpu, self.tokens = [], [], []

        def on_step_begin(self, cb_args, state, control, **kwargs):
            self.begin = (time.perf_counter(), time.process_time(), state.num_input_tokens_seen)

        def on_step_end(self, cb_args, state, control, **kwargs):
            if state.global_step > args.warmup:
                self.times.append(time.perf_counter() - self.begin[0])
                self.cpu.append(time.process_time() - self.begin[1])
                self.tokens.append(state.num_input_tokens_seen - self.begin[2])

    print("\n| preset | setting | steps/min | tokens/s | conversations/step | step s (min / median / max) | cpu s/step |")
    print("|---|---|---:|---:|---:|---|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for preset in args.presets.split(","):
            checkpoint = os.path.join(tmp, preset)
            model = new_model(preset, tokenizer, seed=0)
            model.save_pretrained(checkpoint)
            tokenizer.save_pretrained(checkpoint)
            print(f"<!-- {preset}: {count_parameters(model):,} parameters -->", file=sys.stderr)
            for name, options, fused, loss_path in SETTINGS:
                stage = {"init_from": checkpoint, "max_steps": args.warmup + args.steps, "per_device_batch_size": args.batch,
                         "max_length": args.max_length, "logging_steps": 1000, "save_steps": 1000, **options}
                recipe = validate_recipe({"name": "bench", "languages": langs, "fused_loss": fused,
                                          "run_dir": os.path.join(tmp, "run"), "stages": {"sft": stage}})
                config = recipe.stages.sft
                ctx = StageContext("sft", recipe, recipe.resolved_run_dir(), checkpoint)
                model, peft_config = load_for_training(checkpoint, config, tokenizer, None, ctx)
                timer = Timer()
                trainer = build_trainer(config, ctx, model, tokenizer, examples, {}, peft_config, [timer])
                trainer.loss_path = loss_path or trainer.loss_path
                trainer.train()
                step = statistics.median(timer.times)
                tokens = sum(timer.tokens) / len(timer.tokens)
                print(f"| {preset} | {name} | {60 / step:.1f} | {tokens / step:,.0f} | {tokens / mean_len:.1f} | "
                      f"{min(timer.times):.2f} / {step:.2f} / {max(timer.times):.2f} | {statistics.median(timer.cpu):.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
