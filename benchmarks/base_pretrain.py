"""base_pretrain on the embedded world: tokenizer fertility, and how fast a small model learns.

    python benchmarks/base_pretrain.py fertility [--vocab 2048,4096,8192] [--temperature 1,3] [--sample 5000,20000]
    python benchmarks/base_pretrain.py curve [--preset cpu-small] [--steps 300] [--block 256] [--batch 8]
                                             [--lr 2e-3] [--scheduler cosine] [--vocab 4096] [--eval-steps 25] [--languages all] [--threads N]

`fertility` trains a tokenizer per (vocabulary size, temperature) on the world's pretraining
documents of all 24 languages and prints tokens per word on held-out documents, with the
worst/best ratio. `curve` runs the whole stage through the runner and prints the validation
loss (mean over languages, and the worst language) against wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from euro_post.provenance.machine import machine_line


def cpu_seconds() -> float:
    """CPU time of this process (all threads): on a shared machine a steadier measure than wall time."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def world_documents(languages: list[str], documents: int) -> dict[str, list[str]]:
    from euro_post.data.world import World, WorldConfig

    world = World(WorldConfig(pretrain_documents_per_language=documents), languages=languages)
    return {lang: [row["text"] for row in world.pretrain_rows(lang)] for lang in world.languages}


def fertility_table(args) -> None:
    from euro_post.base_pretrain.corpus import split_validation
    from euro_post.base_pretrain.tokenizer import fertility, train_tokenizer

    from euro_post.data.languages import resolve_languages

    start = time.perf_counter()
    docs = world_documents(resolve_languages(args.languages), args.documents)
    print(f"world: {sum(map(len, docs.values()))} documents in {time.perf_counter() - start:.1f} s")
    train, valid = split_validation(docs, 0.02, seed=0)
    langs = sorted(valid)
    print(f"{'vocab':>6} {'T':>4} {'sample':>7} {'train s':>8} {'ratio':>6} {'worst':>10} {'best':>10}  " + " ".join(f"{lang:>4}" for lang in langs))
    for vocab in args.vocab:
        for temperature in args.temperature:
            for sample in args.sample:
                start = time.perf_counter()
                tokenizer = train_tokenizer(train, vocab_size=vocab, temperature=temperature, sample_size=sample)
                seconds = time.perf_counter() - start
                fert = fertility(tokenizer, valid)
                worst, best = max(fert, key=fert.get), min(fert, key=fert.get)
                print(
                    f"{len(tokenizer):>6} {temperature:>4g} {sample:>7} {seconds:>8.1f} {fert[worst] / fert[best]:>6.3f} "
                    f"{worst:>3} {fert[worst]:>6.3f} {best:>3} {fert[best]:>6.3f}  " + " ".join(f"{fert[lang]:>4.2f}" for lang in langs)
                )


def learning_curve(args) -> None:
    from transformers import TrainerCallback

    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.pipeline.runner import run_recipe
    from euro_post.training import trainer_setup

    clock: dict[int, float] = {}
    cpu: dict[int, float] = {}
    start = time.perf_counter()

    class Clock(TrainerCallback):
        def on_step_end(self, a, state, control, **kwargs):
            clock[state.global_step] = time.perf_counter() - start
            cpu[state.global_step] = cpu_seconds()

    original = trainer_setup.train

    def timed(trainer, ctx):
        clock[0], cpu[0] = time.perf_counter() - start, cpu_seconds()
        trainer.add_callback(Clock())
        return original(trainer, ctx)

    trainer_setup.train = timed
    stage = {
        "preset": args.preset,
        "max_steps": args.steps,
        "block_size": args.block,
        "per_device_batch_size": args.batch,
        "learning_rate": args.lr,
        "lr_scheduler": args.scheduler,
        "vocab_size": args.vocab,
        "tokenizer_sample_size": args.sample,
        "eval_steps": args.eval_steps,
        "save_steps": args.steps,
        "logging_steps": args.eval_steps,
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = args.run_dir or tmp
        recipe = validate_recipe(
            {
                "name": "bench",
                "languages": args.languages,
                "world": {"pretrain_documents_per_language": args.documents},
                "stages": {"base_pretrain": stage},
            }
        )
        manifest = run_recipe(recipe, tmp)["base_pretrain"]
        from euro_post.pipeline.progress import MetricsWriter

        lines = MetricsWriter(os.path.join(tmp, "base_pretrain", "metrics.jsonl")).read()
    total = manifest["wall_time_s"]
    summary = manifest["summary"]
    print(f"\n{args.preset}: {summary['parameters']:,} parameters, vocabulary {summary['vocab_size']}, block {args.block}, "
          f"batch {args.batch}, lr {args.lr} {args.scheduler}, {len(summary['fertility'])} languages")
    print(f"stage wall time {total:.1f} s; training started at {clock.get(0, 0):.1f} s wall, {cpu.get(0, 0):.1f} CPU-s "
          "(imports, world, tokenizer, packing before)")
    train_loss = {line["step"]: line["loss"] for line in lines if "loss" in line}
    print(f"{'step':>6} {'wall s':>8} {'CPU s':>8} {'train':>7} {'val mean':>9} {'val worst':>14}")
    for line in lines:
        if "eval/loss" not in line:
            continue
        step = line["step"]
        per_lang = {k[len("eval/loss_"):]: v for k, v in line.items() if k.startswith("eval/loss_")}
        worst = max(per_lang, key=per_lang.get)
        loss = train_loss.get(step)
        print(f"{step:>6} {clock.get(step, float('nan')):>8.1f} {cpu.get(step, float('nan')):>8.1f} {loss if loss is None else round(loss, 3)!s:>7} "
              f"{line['eval/loss']:>9.3f} {worst:>4} {per_lang[worst]:>9.3f}")
    ratio = summary["fertility_worst_best_ratio"]
    print(f"fertility worst/best {ratio} ({summary['fertility_worst']} / {summary['fertility_best']}); "
          f"tokens trained on {manifest['tokens_processed']:,}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["fertility", "curve"])
    parser.add_argument("--languages", default="all", help='"all" or comma-separated codes')
    parser.add_argument("--documents", type=int, default=2000, help="world pretraining documents per language")
    parser.add_argument("--sample", default="5000", help="tokenizer training documents, comma-separated for fertility")
    parser.add_argument("--vocab", default="4096", help="vocabulary size(s), comma-separated for fertility")
    parser.add_argument("--temperature", default="3", help="tokenizer temperature(s), comma-separated")
    parser.add_argument("--preset", default="cpu-small")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--block", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--scheduler", default="cosine", choices=["cosine", "warmup_stable_decay", "linear", "constant"])
    parser.add_argument("--eval-steps", type=int, default=25)
    parser.add_argument("--run-dir", help="keep the curve's run here (default: a temporary folder)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    args.languages = "all" if args.languages == "all" else args.languages.split(",")
    print(machine_line())
    if args.mode == "fertility":
        args.vocab = [int(v) for v in args.vocab.split(",")]
        args.temperature = [float(t) for t in args.temperature.split(",")]
        args.sample = [int(n) for n in args.sample.split(",")]
        fertility_table(args)
    else:
        args.vocab, args.sample = int(args.vocab), int(args.sample)
        learning_curve(args)


if __name__ == "__main__":
    sys.exit(main())
