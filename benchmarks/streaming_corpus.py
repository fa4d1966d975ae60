"""Continued pretraining over corpora of growing size, streamed: peak memory and tokens/s per size.

    python benchmarks/streaming_corpus.py [--sizes-mb 10,100,1000] [--steps 40] [--shard-mb 10] [--batch 8] [--block 256] [--threads 1]

For each size it writes JSON Lines shards of multilingual documents (eight of the 24 languages,
language codes as FineWeb-2 and BCP-47 write them, with some rows in languages none of ours) into
a temporary folder, runs `base_pretrain` through the runner on them (continued pretraining of a
tiny checkpoint made on the spot, for a fixed number of steps) in a child process, and deletes the
folder. It prints, per size, the time to write the corpus, the time the stage took before its
first step (the runner's data check and the stage's scan, both one pass over every row), the
training tokens/s of the median step (data reading included; saves and validation not), the
slowest step, the tokens/s of the reader alone (4000 blocks of the same stream, no model), and
the child's peak resident memory. Memory must not grow with the size:
what grows is the time of the passes that check every row before any work.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from euro_post.provenance.machine import machine_line

SENTENCES = {
    "de": ("deu_Latn", "de-DE", "Anna hat {a} Äpfel und kauft noch {b} dazu, weil der Markt heute früher schließt."),
    "fr": ("fra_Latn", "fr-FR", "Léa a {a} pommes et en achète {b} de plus avant que le marché ne ferme."),
    "el": ("ell_Grek", "el-GR", "Η Μαρία έχει {a} μήλα και αγοράζει άλλα {b} πριν κλείσει η αγορά."),
    "mt": ("mlt_Latn", "mt-MT", "Marija għandha {a} tuffieħa u tixtri {b} oħra qabel ma jagħlaq is-suq."),
    "pl": ("pol_Latn", "pl-PL", "Anna ma {a} jabłek i kupuje jeszcze {b}, zanim zamkną targ."),
    "fi": ("fin_Latn", "fi-FI", "Liisalla on {a} omenaa ja hän ostaa {b} lisää ennen kuin tori sulkeutuu."),
    "ga": ("gle_Latn", "ga-IE", "Tá {a} úll ag Áine agus ceannaíonn sí {b} eile sula ndúnann an margadh."),
    "bg": ("bul_Cyrl", "bg-BG", "Мария има {a} ябълки и купува още {b}, преди пазарът да затвори."),
}
OTHER = ("zho_Hans", "这是一个不属于二十四种语言的句子。")


def write_corpus(folder: Path, megabytes: int, shard_mb: int, seed: int = 0) -> int:
    """JSON Lines shards `train-00000.jsonl`... of about `megabytes` MB; returns the rows written.
    A pool of distinct lines is drawn from, so that writing a gigabyte takes seconds, not minutes."""
    rng = random.Random(seed)
    pool = []
    for i in range(4000):
        lang = rng.choice(list(SENTENCES) + ["zz"])
        if lang == "zz":
            code, sentence = OTHER
        else:
            code, sentence = rng.choice(SENTENCES[lang][:2]), SENTENCES[lang][2]
        text = " ".join(sentence.format(a=rng.randint(2, 999), b=rng.randint(2, 99)) for _ in range(rng.randint(3, 30)))
        pool.append(json.dumps({"text": text, "language": code}, ensure_ascii=False)[1:] + "\n")
    folder.mkdir(parents=True, exist_ok=True)
    target, written, rows, shard, out = megabytes * 1_000_000, 0, 0, 0, None
    while written < target:
        if out is None or out.tell() >= shard_mb * 1_000_000:
            if out is not None:
                out.close()
            out = open(folder / f"train-{shard:05d}.jsonl", "w", encoding="utf-8")  # noqa: SIM115 (a shard at a time)
            shard += 1
        line = f'{{"id": {rows}, ' + rng.choice(pool)
        out.write(line)
        written += len(line.encode("utf-8"))
        rows += 1
    out.close()
    return rows


def tiny_checkpoint(folder: Path) -> str:
    from euro_post.base_pretrain.tokenizer import train_tokenizer

    from euro_post.models.presets import new_model

    texts = {lang: [s[2].format(a=i, b=i % 9) for i in range(50)] for lang, s in SENTENCES.items()}
    tokenizer = train_tokenizer(texts, vocab_size=1024, sample_size=2000, seed=0)
    path = folder / "tiny"
    new_model("tiny", tokenizer, seed=0).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def child(args) -> None:
    """One stage run; prints a JSON line with its timings (the parent reads its peak memory)."""
    import torch
    from euro_post.base_pretrain.stream_setup import StreamingCorpus
    from transformers import AutoTokenizer, TrainerCallback

    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.pipeline.runner import run_recipe
    from euro_post.training.trainer import EuroTrainerMixin

    start, marks, steps = time.perf_counter(), {}, []

    class Clock(TrainerCallback):
        def on_step_begin(self, a, state, control, **kwargs):
            marks["begin"] = time.perf_counter()
            marks.setdefault("first", marks["begin"])

        def on_step_end(self, a, state, control, **kwargs):
            steps.append(time.perf_counter() - marks["begin"])  # the step alone: no save, no validation

    original = EuroTrainerMixin.train_stage

    def timed(trainer, ctx):
        # First in line: a step's end is timed before the validation and saves other callbacks run then.
        trainer.callback_handler.callbacks.insert(0, Clock())
        return original(trainer, ctx)

    EuroTrainerMixin.train_stage = timed
    run_dir = Path(args.run_dir)
    stage = {"init_from": args.checkpoint, "max_steps": args.steps, "per_device_batch_size": args.batch,
             "max_length": args.block, "save_steps": max(args.steps // 2, 1), "eval_steps": args.steps, "logging_steps": 10,
             "validation_fraction": 0.001, "validation_blocks": 2, "learning_rate": 1e-3,
             "data": {"path": args.data, "lang": {"column": "language"}}}
    recipe = {"name": "streaming-bench", "run_dir": str(run_dir), "languages": sorted(SENTENCES), "stages": {"base_pretrain": stage}}
    torch.set_num_threads(args.threads)
    manifest = run_recipe(validate_recipe(recipe), run_dir)["base_pretrain"]
    # The reader alone, without the model: blocks of the same stream, as fast as they can be read.
    config = validate_recipe(recipe).stage_config("base_pretrain")
    corpus = StreamingCorpus(config, sorted(SENTENCES), seed=0, cache_dir=run_dir / "base_pretrain")
    stream, _, _ = corpus.training_blocks(AutoTokenizer.from_pretrained(args.checkpoint), args.block)
    began, blocks = time.perf_counter(), iter(stream)
    for _ in range(4000):
        next(blocks)
    reader = 4000 * args.block / (time.perf_counter() - began)
    # The median step: the machine is shared, and a step that waited for another job says nothing of this one.
    median = sorted(steps)[len(steps) // 2]
    print(json.dumps({
        "before_training_s": marks["first"] - start,
        "tokens_per_s": args.batch * args.block / median,
        "reader_tokens_per_s": reader,
        "slowest_step_s": max(steps),
        "slowest_step": 1 + steps.index(max(steps)),
        "left_out": sum(manifest["summary"]["rows_left_out_language_codes"].values()),
        "documents": sum(manifest["summary"]["corpus_documents_per_language"].values()),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", default="10,100,1000")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--shard-mb", type=int, default=10)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--block", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (one: steadier on a shared machine)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    import torch

    torch.set_num_threads(args.threads)  # as the children run: the machine line says so
    print(machine_line())
    print(f"continued pretraining of the tiny preset, {args.steps} steps of {args.batch} x {args.block} tokens, "
          f"JSON Lines shards of {args.shard_mb} MB")
    print(f"{'corpus':>8} {'shards':>6} {'rows':>10} {'write s':>8} {'before step 1 s':>16} {'train tok/s':>11} "
          f"{'slowest step s':>15} {'reader tok/s':>12} {'peak RSS MB':>12}")
    root = Path(tempfile.mkdtemp(prefix="streaming-bench-"))
    try:
        checkpoint = tiny_checkpoint(root)
        for size in (int(s) for s in args.sizes_mb.split(",")):
            data = root / f"corpus-{size}"
            start = time.perf_counter()
            rows = write_corpus(data, size, args.shard_mb)
            written = time.perf_counter() - start
            command = [sys.executable, __file__, "--child", "--data", str(data), "--checkpoint", checkpoint,
                       "--run-dir", str(root / f"run-{size}"), "--steps", str(args.steps), "--batch", str(args.batch),
                       "--block", str(args.block), "--threads", str(args.threads)]
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory, not the largest of all children
            if status != 0:
                raise SystemExit(f"the {size} MB run failed (status {status}); run the child command to see why:\n{' '.join(command)}")
            result = json.loads(out.strip().splitlines()[-1])
            shards = len(list(data.glob("*.jsonl")))
            print(f"{size:>6} MB {shards:>6} {rows:>10,} {written:>8.1f} {result['before_training_s']:>16.1f} "
                  f"{result['tokens_per_s']:>11,.0f} {result['slowest_step_s']:>8.2f} (#{result['slowest_step']:<3}) "
                  f"{result['reader_tokens_per_s']:>12,.0f} "
                  f"{usage.ru_maxrss / 1024:>12.0f}", flush=True)
            shutil.rmtree(data)
            shutil.rmtree(root / f"run-{size}", ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
