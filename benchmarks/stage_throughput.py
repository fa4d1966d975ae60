"""Stage throughput: SFT, DPO and GRPO steps through euro-post's stages vs the same steps in plain TRL.

    python benchmarks/stage_throughput.py [--quick] [--stages sft,dpo,grpo] [--repeats 3] [--steps 8]
                                          [--warmup 1] [--preset cpu-small] [--batch 4] [--max-length 256]
                                          [--packing on|off] [--sft-loss stage|trl] [--grpo-sampling stage|trl]
                                          [--threads 1] [--json FILE]

euro-post side: the real stage, `run(config, ctx)` through `euro_post.pipeline.runner.run_recipe` on a
one-stage recipe (stage.json, data loading and checks, the stage's trainer and callbacks,
resumable atomic saves, NaN guard, final checkpoint). Plain side: TRL's SFTTrainer, DPOTrainer
or GRPOTrainer built directly, as a user script would, with the same checkpoint, rows, batch
size, max_length, steps, learning rate, logging and save steps, seed and precision (and on CUDA
the same liger kernels). Both sides start from one freshly initialised LLaMA (`--preset`) with
a BPE tokenizer trained on the embedded world; nothing is downloaded.

What is timed: the wall time from the end of optimizer step `warmup` to the end of the last
step (everything the training loop does between them: data, forward, backward, optimizer,
logging, callbacks; GRPO also samples its completions), with the tokens counted in between:
the non-padding input tokens of the batches (chosen and rejected for DPO), and for GRPO the
prompt and completion tokens of every sampled completion (`state.num_input_tokens_seen`).
"total s" is the whole run around it (model and data loading, final save). Peak memory: what
training allocates on top of the loaded weights (see StepClock). Sides alternate within each
repeat (A B, then B A) and the median of the repeats is reported, as the machine may be shared;
"best of repeats" times every step at its fastest over the repeats (see best_of_repeats), the
figure least disturbed by other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

from euro_post.provenance.machine import machine_line  # noqa: E402

STAGES = {"sft": "sft", "dpo": "preference", "grpo": "rl"}  # benchmark name -> euro-post stage
SIDES = ("euro-post", "TRL")
DEFAULT = dict(preset="cpu-small", vocab=4096, batch=4, max_length=256, steps=8, warmup=1, repeats=3,
               completion_length=32, generations=4, languages="en,de,fr,pl,el,fi")
QUICK = dict(preset="tiny", vocab=1024, batch=4, max_length=128, steps=3, warmup=1, repeats=1,
             completion_length=16, generations=2, languages="en,de")


class StepClock(TrainerCallback):
    """Marks the end of every optimizer step (time, CPU time, tokens) and measures the memory training adds.

    CUDA: torch.cuda.max_memory_allocated during train() above what was allocated at its start.
    CPU has no allocator statistics (and the RSS high-water mark moves with whatever the allocator
    kept from earlier runs in the process), so the first step, which is never timed, runs under
    euro_post.models.kernels' AllocationTracker: the peak of the tensors it creates (activations,
    gradients, the optimizer state it allocates), the weights loaded before it excluded.
    """

    def __init__(self, device: torch.device):
        self.device, self.marks, self.peak_bytes, self.tracker = device, [], 0, None

    def on_train_begin(self, args, state, control, **kwargs):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)

    def on_step_begin(self, args, state, control, **kwargs):
        if self.device.type == "cpu" and not self.marks and self.tracker is None:
            from euro_post.models.kernels import AllocationTracker

            self.tracker = AllocationTracker().__enter__()

    def on_step_end(self, args, state, control, **kwargs):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.tracker is not None and not self.marks:
            self.tracker.__exit__(None, None, None)
            self.peak_bytes = self.tracker.peak_bytes
        self.marks.append((time.perf_counter(), time.process_time(), state.num_input_tokens_seen))

    def on_train_end(self, args, state, control, **kwargs):
        if self.device.type == "cuda":
            self.peak_bytes = max(0, torch.cuda.max_memory_allocated(self.device) - self.base)

    def close(self) -> None:
        """Leave the tracker even when the first step failed, so later runs are not tracked."""
        if self.tracker is not None and not self.marks:
            self.tracker.__exit__(None, None, None)
            self.marks.append(None)  # only once

    def result(self, warmup: int) -> dict:
        if len(self.marks) <= warmup:
            raise RuntimeError(f"only {len(self.marks)} steps ran; need more than --warmup {warmup}")
        window = self.marks[warmup - 1 :]  # from the end of the last warm-up step
        wall, cpu = window[-1][0] - window[0][0], window[-1][1] - window[0][1]
        tokens = window[-1][2] - window[0][2]
        steps = len(window) - 1
        per_step = [(b[2] - a[2], round(b[0] - a[0], 4)) for a, b in zip(window, window[1:])]  # (tokens, seconds)
        return dict(steps=steps, tokens=tokens, wall_s=wall, tokens_per_s=tokens / wall, per_step=per_step,
                    step_s=statistics.median(t for _, t in per_step), cpu_s_per_step=cpu / steps,
                    peak_mib=self.peak_bytes / 2**20)


def prepare(opts, tmp: Path) -> dict:
    """Tokenizer, checkpoint and the rows both sides train on."""
    from euro_post.base_pretrain.tokenizer import train_tokenizer
    from euro_post.sft.config import SFTConfig
    from euro_post.sft.mixing import mix_languages, split_holdout

    from euro_post.data.languages import resolve_languages
    from euro_post.data.rows import rows_by_language
    from euro_post.data.world import World, WorldConfig
    from euro_post.models.presets import count_parameters, new_model

    langs = resolve_languages(opts.languages.split(","))  # in the recipe's order, so both sides see the same rows
    world_cfg = WorldConfig(pretrain_documents_per_language=100, sft_per_language=opts.rows, rl_per_language=opts.rows,
                            eval_per_language=1)
    world = World(world_cfg, languages=langs)
    tokenizer = train_tokenizer({lang: [r["text"] for r in world.pretrain_rows(lang)] for lang in langs},
                                vocab_size=opts.vocab, sample_size=2000)
    checkpoint = tmp / "checkpoint"
    model = new_model(opts.preset, tokenizer, seed=0)
    model.save_pretrained(checkpoint)
    tokenizer.save_pretrained(checkpoint)

    # In the order the sft stage trains on them (its language mix, no held-out rows): with one seed,
    # both sides' samplers then draw the same batches.
    by_lang, _ = split_holdout(rows_by_language([row for lang in langs for row in world.sft_rows(lang)]), 0, seed=0)
    sft_rows, _ = mix_languages(by_lang, SFTConfig().language_temperature, None, seed=0)
    def turns(row, role):
        return [m for m in row["messages"] if m["role"] == role]

    pairs = []  # chosen: the row's worked solution; rejected: the solution of the next problem in its language
    for lang in langs:
        rows = world.sft_rows(lang)
        for row, other in zip(rows, rows[1:] + rows[:1]):
            pairs.append({"id": row["id"], "lang": lang, "prompt": turns(row, "user"),
                          "chosen": turns(row, "assistant")[-1:], "rejected": turns(other, "assistant")[-1:]})
    pairs_file = tmp / "pairs.jsonl"
    pairs_file.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8")
    prompts = [row for lang in langs for row in world.rl_rows(lang)]
    return dict(langs=langs, world=world_cfg.model_dump(mode="json"), checkpoint=str(checkpoint), sft_rows=sft_rows,
                pairs=pairs, pairs_file=str(pairs_file), prompts=prompts, parameters=count_parameters(model))


def stage_options(name: str, opts) -> dict:
    """The settings both sides share (the recipe's stage section)."""
    common = dict(max_steps=opts.warmup + opts.steps, per_device_batch_size=opts.batch, max_length=opts.max_length,
                  learning_rate=1e-5, lr_scheduler="constant", warmup_ratio=0.0, logging_steps=1,
                  save_steps=opts.warmup + opts.steps)
    if name == "sft":
        return {**common, "packing": opts.packing, "eval_rows_per_language": 0}
    if name == "dpo":
        return {**common, "pairs": "offline", "beta": 0.1}
    return {**common, "num_generations": opts.generations, "max_completion_length": opts.completion_length,
            "beta": 0.0, "loss_type": "dapo", "temperature": 1.0}


def run_euro_post(name: str, data: dict, opts, run_dir: Path, clock: StepClock) -> None:
    import importlib

    from euro_post.pipeline.recipe import validate_recipe
    from euro_post.pipeline.runner import run_recipe

    stage = {**stage_options(name, opts), "init_from": data["checkpoint"]}
    if name == "dpo":
        stage["data"] = {"path": data["pairs_file"]}
    recipe = validate_recipe({"name": "bench", "languages": data["langs"], "seed": 0, "fused_loss": opts.fused_loss,
                              "world": data["world"], "stages": {STAGES[name]: stage}})
    # The stage builds its trainer from this module-level name: a timed subclass stands in for it during the run.
    module_name, class_name = TRAINER_CLASSES[name]
    module = importlib.import_module(module_name)
    stage_trainer = getattr(module, class_name)
    setattr(module, class_name, timed_trainer(stage_trainer, opts, clock))
    try:
        run_recipe(recipe, run_dir)
    finally:
        setattr(module, class_name, stage_trainer)


# benchmark name -> where the stage finds its trainer class
TRAINER_CLASSES = {
    "sft": ("euro_post.sft.stage", "EuroSFTTrainer"),
    "dpo": ("euro_post.preference.trainers", "EuroDPOTrainer"),
    "grpo": ("euro_post.rl.stage", "EuroGRPOTrainer"),
}


def timed_trainer(stage_trainer: type, opts, clock: StepClock) -> type:
    """The stage's trainer class with `clock` added as its stage training starts, computing as plain
    TRL does where --sft-loss trl or --grpo-sampling trl ask for it."""

    class Timed(stage_trainer):
        def train_stage(self, ctx):
            if opts.sft_loss == "trl" and hasattr(self, "loss_path"):
                self.loss_path = "trl_fused"  # EuroSFTTrainer: TRL's fused LM head, as the plain SFTTrainer computes it
            self.add_callback(clock)
            return super().train_stage(ctx)

    if opts.grpo_sampling != "trl" or not hasattr(stage_trainer, "_generate_single_turn"):
        return Timed
    from trl import GRPOTrainer

    class TRLSampling(Timed):
        def _generate_single_turn(self, *args, **kwargs):
            # EuroGRPOTrainer without its per-completion seeded sampling: TRL's own, from the global generator.
            return GRPOTrainer._generate_single_turn(self, *args, **kwargs)

    return TRLSampling


def _liger(device: torch.device, fused_loss: str) -> bool:
    import importlib.util

    return fused_loss != "off" and device.type == "cuda" and importlib.util.find_spec("liger_kernel") is not None


def run_trl(name: str, data: dict, opts, run_dir: Path, clock: StepClock, device: torch.device) -> None:
    """The same training written against TRL alone."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback

    o = stage_options(name, opts)
    bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    liger = _liger(device, opts.fused_loss)
    args = dict(output_dir=str(run_dir), max_steps=o["max_steps"], learning_rate=o["learning_rate"],
                lr_scheduler_type="constant_with_warmup", warmup_steps=0, per_device_train_batch_size=opts.batch,
                logging_steps=1, save_strategy="steps", save_steps=o["save_steps"], seed=0, data_seed=0, bf16=bf16,
                report_to="none", disable_tqdm=True, dataloader_num_workers=0, use_cpu=device.type != "cuda",
                use_liger_kernel=liger, logging_nan_inf_filter=False,
                gradient_checkpointing=False)  # TRL's configs default to True; the stages to TrainConfig's False
    tokenizer = AutoTokenizer.from_pretrained(data["checkpoint"])
    # As the stages do: full fine-tuning keeps fp32 master weights (bf16 under autocast); GRPO loads bf16 on a GPU.
    dtype = torch.bfloat16 if bf16 and name == "grpo" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(data["checkpoint"], dtype=dtype)
    if name == "sft":
        from trl import SFTConfig, SFTTrainer

        rows = Dataset.from_list([{"messages": r["messages"]} for r in data["sft_rows"]])
        config = SFTConfig(**args, max_length=opts.max_length, packing=opts.packing, packing_strategy="bfd",
                           assistant_only_loss=True, include_num_input_tokens_seen="non_padding")
        trainer = SFTTrainer(model=model, args=config, train_dataset=rows, processing_class=tokenizer)
    elif name == "dpo":
        from trl import DPOConfig, DPOTrainer

        rows = Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in data["pairs"]])
        ref = AutoModelForCausalLM.from_pretrained(data["checkpoint"], dtype=torch.bfloat16 if bf16 else torch.float32)
        config = DPOConfig(**args, max_length=opts.max_length, beta=o["beta"], include_num_input_tokens_seen="non_padding",
                           liger_kernel_config={"fused_linear_cross_entropy": False} if liger else None)
        trainer = DPOTrainer(model=model, ref_model=ref, args=config, train_dataset=rows, processing_class=tokenizer)
    else:
        from euro_post.rewards import build_rewards
        from euro_post.rl.config import RLConfig
        from trl import GRPOConfig, GRPOTrainer

        specs = RLConfig().rewards  # the rl stage's default rewards
        funcs, weights = build_rewards(specs, tokenizer=tokenizer)
        config = GRPOConfig(**args, num_generations=o["num_generations"], max_completion_length=o["max_completion_length"],
                            temperature=o["temperature"], beta=o["beta"], loss_type=o["loss_type"], reward_weights=weights)
        trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=config, train_dataset=Dataset.from_list(data["prompts"]),
                              processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(clock)
    trainer.train()
    trainer.save_model(str(run_dir / "final"))


def measure(name: str, side: str, data: dict, opts, tmp: Path, device: torch.device, repeat: int) -> dict:
    import gc

    gc.collect()
    run_dir = tmp / f"{name}-{side}-{repeat}"
    clock = StepClock(device)
    start = time.perf_counter()
    try:
        if side == "euro-post":
            run_euro_post(name, data, opts, run_dir, clock)
        else:
            run_trl(name, data, opts, run_dir, clock, device)
    finally:
        clock.close()
    row = dict(stage=name, side=side, repeat=repeat, total_s=time.perf_counter() - start, **clock.result(opts.warmup))
    print(f"<!-- {name} {side} repeat {repeat}: {row['tokens_per_s']:,.0f} tokens/s, step {row['step_s']:.2f} s, "
          f"peak {row['peak_mib']:.0f} MiB -->", flush=True)
    return row


def best_of_repeats(runs: list[dict]) -> float:
    """Tokens/s with every timed step at its fastest over the repeats.

    One seed gives every repeat the same batches (and GRPO the same samples), so step i of one
    repeat is step i of another; its fastest run is the one other jobs slowed least."""
    fastest = [min(steps, key=lambda step: step[1]) for steps in zip(*(r["per_step"] for r in runs))]
    return sum(tokens for tokens, _ in fastest) / sum(seconds for _, seconds in fastest)


def summarise(rows: list[dict], stages: list[str]) -> list[dict]:
    summary = []
    for name in stages:
        for side in SIDES:
            runs = [r for r in rows if r["stage"] == name and r["side"] == side]
            med = {key: statistics.median(r[key] for r in runs)
                   for key in ("tokens_per_s", "step_s", "cpu_s_per_step", "peak_mib", "total_s", "tokens")}
            med["best_tokens_per_s"] = best_of_repeats(runs)
            med["tokens_per_step"] = med.pop("tokens") / runs[0]["steps"]
            summary.append(dict(stage=name, side=side, repeats=len(runs), **med))
    return summary


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"tiny settings for a smoke run: {QUICK}")
    parser.add_argument("--stages", default="sft,dpo,grpo", help="comma list of sft, dpo, grpo")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda when available)")
    for key, value in DEFAULT.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), help=f"default {value} (--quick: {QUICK[key]})")
    parser.add_argument("--rows", type=int, default=64, help="world SFT conversations / RL prompts per language")
    parser.add_argument("--packing", choices=["on", "off"], default="on", help="SFT packing on both sides")
    parser.add_argument("--sft-loss", choices=["stage", "trl"], default="stage",
                        help="euro-post SFT loss: the stage's choice for the device (CPU: euro_post.models.kernels' chunked "
                        "loss), or TRL's fused LM head as in plain TRL, to compare orchestration alone")
    parser.add_argument("--grpo-sampling", choices=["stage", "trl"], default="stage",
                        help="euro-post GRPO sampling: the stage's seeded per-completion sampling (resumable), or "
                        "TRL's, to measure what the seeding costs")
    parser.add_argument("--fused-loss", choices=["auto", "on", "off"], default="auto", help="the recipe's fused_loss")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: 1 on CPU, see docs/benchmarks.md; "
                        "torch's choice with CUDA)")
    parser.add_argument("--json", help="also write every run's figures (and per-step tokens, seconds) to this file")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else DEFAULT).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.packing = args.packing == "on"
    stages = args.stages.split(",")
    if unknown := [s for s in stages if s not in STAGES]:
        parser.error(f"--stages: unknown {unknown}; expected some of {', '.join(STAGES)}")
    if args.batch % args.generations:
        parser.error(f"--batch {args.batch} must be a multiple of --generations {args.generations} (GRPO groups)")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1: the first step builds the optimizer state and is never timed")
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    if device.type != "cuda" and torch.cuda.is_available():
        parser.error("the stages train on the GPU whenever there is one: hide it (CUDA_VISIBLE_DEVICES=) for CPU rows")
    if args.threads is None and device.type == "cpu":
        # On a shared machine, threads of one op wait for each other whenever another job holds a core:
        # steps then take 2 to 15 times longer, at random; one thread keeps the comparison steady.
        args.threads = 1
    threads_before = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        rows = run_all(args, stages, device)
    finally:
        torch.set_num_threads(threads_before)  # called in-process (tests), the caller keeps its threads
    summary = summarise(rows, stages)
    print_tables(summary, stages)
    return summary


def run_all(args, stages: list[str], device: torch.device) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = prepare(args, tmp)
        print(f"# machine: {machine_line(device)}")
        print(f"# {args.preset} ({data['parameters']:,} parameters, vocabulary {args.vocab}), batch {args.batch}, "
              f"max_length {args.max_length}; SFT packing {'on' if args.packing else 'off'}, loss {args.sft_loss}; GRPO "
              f"{args.generations} completions of {args.completion_length} tokens per prompt, sampling {args.grpo_sampling}; "
              f"{args.warmup} warm-up + {args.steps} timed steps, {args.repeats} repeats; languages {','.join(data['langs'])}",
              flush=True)
        for repeat in range(args.repeats):
            for name in stages:
                order = SIDES if repeat % 2 == 0 else SIDES[::-1]
                rows += [measure(name, side, data, args, tmp, device, repeat) for side in order]
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine_line(device), "options": vars(args), "runs": rows}, indent=1))
    return rows


def print_tables(summary: list[dict], stages: list[str]) -> None:
    print("\n| stage | side | tokens/step | step s | tokens/s | best of repeats tokens/s | CPU s/step | peak MiB | total s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in summary:
        print(f"| {s['stage']} | {s['side']} | {s['tokens_per_step']:,.0f} | {s['step_s']:.2f} | {s['tokens_per_s']:,.0f} | "
              f"{s['best_tokens_per_s']:,.0f} | {s['cpu_s_per_step']:.2f} | {s['peak_mib']:,.0f} | {s['total_s']:.1f} |")
    print("\n| stage | tokens/s euro-post / TRL | best of repeats | CPU s per token TRL / euro-post | peak euro-post / TRL |")
    print("|---|---:|---:|---:|---:|")
    for name in stages:
        ours, theirs = (next(s for s in summary if s["stage"] == name and s["side"] == side) for side in SIDES)
        cpu_ratio = (theirs["cpu_s_per_step"] / theirs["tokens_per_step"]) / (ours["cpu_s_per_step"] / ours["tokens_per_step"])
        peak = f"{ours['peak_mib'] / theirs['peak_mib']:.2f}" if theirs["peak_mib"] else "n/a"
        print(f"| {name} | {ours['tokens_per_s'] / theirs['tokens_per_s']:.2f} | "
              f"{ours['best_tokens_per_s'] / theirs['best_tokens_per_s']:.2f} | {cpu_ratio:.2f} | {peak} |")


if __name__ == "__main__":
    main()
