"""What the reliability layer costs: atomic verified checkpoints, the NaN guard, seeded sampling.

    python benchmarks/checkpoint_reliability.py [--preset cpu-base] [--steps 10] [--rows 16] [--new-tokens 32] [--repeats 3]

1. Checkpoint save: the Trainer's own `_save_checkpoint` (in place, no hashes) against the same
   save through euro_post.training.trainer_checkpoints (staging folder, sha256 of every file in the
   completion marker, fsync, rename), and the sha256 verification a resume does.
2. Training step: `--steps` optimizer steps with and without NonFiniteGuard + StopCallback.
3. Sampling: `generate` with transformers' sampling against the same call with per-row seeded
   sampling (euro_post.training.seeded_sampling), --rows sequences of --new-tokens tokens.

Prints the machine, the load average (other processes skew CPU timings) and the figures; step and
sampling times are the best of --repeats interleaved runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import types
from pathlib import Path

import torch

from euro_post.provenance.machine import cpu_model


def build(preset: str, root: Path, steps: int):
    from datasets import Dataset
    from euro_post.base_pretrain.tokenizer import train_tokenizer
    from transformers import Trainer, TrainingArguments

    from euro_post.models.presets import new_model
    from euro_post.training.trainer import EuroTrainerMixin

    class BenchTrainer(EuroTrainerMixin, Trainer):
        """A Trainer with what every stage's trainer adds; saves are the Trainer's own until `stage_ctx` is set."""

    texts = {"de": ["Anna hat 12 Äpfel und kauft noch 5 dazu."] * 50, "fr": ["Léa a 12 pommes et en achète 5 de plus."] * 50}
    tokenizer = train_tokenizer(texts, vocab_size=1024, sample_size=2000, seed=0)
    model = new_model(preset, tokenizer, seed=0)
    generator = torch.Generator().manual_seed(0)
    rows = [{"input_ids": ids, "labels": ids} for ids in torch.randint(10, len(tokenizer), (4 * steps, 64), generator=generator).tolist()]
    args = TrainingArguments(output_dir=str(root / "trainer"), max_steps=steps, per_device_train_batch_size=4, save_strategy="no",
                             report_to="none", disable_tqdm=True, use_cpu=True, logging_steps=10**6)
    return BenchTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows)), tokenizer


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def checkpoint_costs(trainer, root: Path) -> dict:
    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.training import trainer_checkpoints

    trainer.train()  # optimizer state exists from here on
    plain_dir, atomic_dir = root / "plain", root / "atomic"
    trainer.args.output_dir = str(plain_dir)
    start = time.perf_counter()
    trainer._save_checkpoint(trainer.model, None)  # no stage context yet: the Trainer's own save, in place
    plain = time.perf_counter() - start

    stage_dir = root / "stage"
    stage_dir.mkdir()
    ctx = types.SimpleNamespace(name="sft", recipe=validate_recipe({"name": "b", "stages": {"sft": {"init_from": "m"}}}),
                                seed=0, stage_dir=stage_dir, trainer_dir=atomic_dir, log=print)
    trainer.args.output_dir = str(atomic_dir)
    trainer.stage_ctx = ctx  # as train_stage sets it: saves go through staging, marker and rename
    start = time.perf_counter()
    trainer._save_checkpoint(trainer.model, None)
    atomic = time.perf_counter() - start
    final = atomic_dir / f"checkpoint-{trainer.state.global_step}"
    start = time.perf_counter()
    assert trainer_checkpoints.verify(final) is None
    verify = time.perf_counter() - start
    return {"bytes": folder_bytes(final), "plain_s": plain, "atomic_s": atomic, "verify_s": verify}


def step_costs(preset: str, root: Path, steps: int, repeats: int) -> dict:
    from euro_post.training.trainer import StopCallback

    times = {"plain": float("inf"), "guarded": float("inf")}
    for attempt in range(repeats):  # interleaved in alternating order, best of `repeats`
        for guarded in ((False, True) if attempt % 2 == 0 else (True, False)):
            trainer, _ = build(preset, root / f"steps-{guarded}-{attempt}", steps)
            if guarded:
                trainer.guard_nonfinite("bench")
                trainer.add_callback(StopCallback(trainer))
            start = time.perf_counter()
            trainer.train()
            key = "guarded" if guarded else "plain"
            times[key] = min(times[key], (time.perf_counter() - start) / steps)
    return times


def sampling_costs(model, tokenizer, rows: int, new_tokens: int, repeats: int) -> dict:
    from transformers import GenerationConfig

    from euro_post.training.seeded_sampling import sample_keys, seeded_generation

    model.eval()
    prompts = torch.randint(10, len(tokenizer), (rows, 24), generator=torch.Generator().manual_seed(1))
    config = GenerationConfig(do_sample=True, max_new_tokens=new_tokens, min_new_tokens=new_tokens, temperature=1.0, top_p=0.95,
                              pad_token_id=0, eos_token_id=None)
    mask = torch.ones_like(prompts)
    times = {"plain": float("inf"), "seeded": float("inf")}
    for attempt in range(repeats):  # interleaved, alternating, best of `repeats`: other processes' load comes and goes
        for seeded in ((False, True) if attempt % 2 == 0 else (True, False)):
            start = time.perf_counter()
            with torch.inference_mode():
                if seeded:
                    with seeded_generation(model, sample_keys(0, 0, prompts.tolist())):
                        model.generate(input_ids=prompts, attention_mask=mask, generation_config=config)
                else:
                    model.generate(input_ids=prompts, attention_mask=mask, generation_config=config)
            key = "seeded" if seeded else "plain"
            times[key] = min(times[key], time.perf_counter() - start)
    return times


def sampler_cost(rows: int, vocab: int, calls: int = 200) -> dict:
    """Per generated token: the seeded sampler's work against transformers' warpers + multinomial."""
    import types as _types

    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    from euro_post.training.seeded_sampling import SeededSampler

    scores = torch.randn(rows, vocab, generator=torch.Generator().manual_seed(2))
    ids = torch.zeros(rows, 1, dtype=torch.long)
    sampler = SeededSampler([f"k{i}" for i in range(rows)])
    sampler.configure(_types.SimpleNamespace(do_sample=True, temperature=0.9, top_k=None, top_p=0.95, min_p=None))
    warp = [TemperatureLogitsWarper(0.9), TopPLogitsWarper(0.95)]

    def plain():
        x = scores
        for w in warp:
            x = w(ids, x)
        return torch.multinomial(torch.softmax(x, -1), 1)

    times = {}
    for name, fn in (("plain", plain), ("seeded", lambda: sampler(ids, scores))):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            best = min(best, (time.perf_counter() - start) / calls)
        times[name] = best
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu-base")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="timings are the best of this many interleaved runs")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, preset {args.preset}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trainer, tokenizer = build(args.preset, root / "save", 1)
        save = checkpoint_costs(trainer, root / "save")
        mb = save["bytes"] / 2**20
        print(f"checkpoint of {mb:.1f} MiB: Trainer's own save {save['plain_s']:.2f} s; atomic, hashed, fsynced "
              f"{save['atomic_s']:.2f} s (+{save['atomic_s'] - save['plain_s']:.2f} s); verify before resume "
              f"{save['verify_s']:.2f} s ({mb / max(save['verify_s'], 1e-9):.0f} MiB/s)")
        steps = step_costs(args.preset, root, args.steps, args.repeats)
        print(f"training step: {steps['plain'] * 1000:.1f} ms plain, {steps['guarded'] * 1000:.1f} ms with the NaN guard "
              f"and stop callback ({(steps['guarded'] / steps['plain'] - 1) * 100:+.1f} %)")
        sample = sampling_costs(trainer.model, tokenizer, args.rows, args.new_tokens, args.repeats)
        print(f"sampling {args.rows} x {args.new_tokens} tokens: {sample['plain']:.2f} s transformers, {sample['seeded']:.2f} s "
              f"seeded per sample ({(sample['seeded'] / sample['plain'] - 1) * 100:+.1f} %)")
        for vocab in (len(tokenizer), 32768):
            token = sampler_cost(args.rows, vocab)
            print(f"choosing one token for {args.rows} rows, vocabulary {vocab}: {token['plain'] * 1e3:.3f} ms transformers' "
                  f"warpers + multinomial, {token['seeded'] * 1e3:.3f} ms seeded sampler (its warpers, per-row draws)")


if __name__ == "__main__":
    main()
