"""Test helpers for the training harness: reach the trainer a stage builds, kill a run after a
checkpoint, write offline preference pairs."""

from __future__ import annotations

import json
from pathlib import Path

from euro_post.training import trainer_checkpoints
from euro_post.training.trainer import EuroTrainerMixin


def on_trainer(patch, change) -> None:
    """Call `change(trainer)` on every stage's trainer as its stage training starts
    (`EuroTrainerMixin.train_stage`), before the NaN guard and the stop callback are added."""
    original = EuroTrainerMixin.train_stage

    def train_stage(trainer, ctx):
        change(trainer)
        return original(trainer, ctx)

    patch.setattr(EuroTrainerMixin, "train_stage", train_stage)


def kill_after_save(patch, step: int) -> None:
    """The process dies right after checkpoint-<step> became visible."""
    publish = trainer_checkpoints.publish

    def publish_then_die(folder, final, log=print):
        published = publish(folder, final, log)
        if final.name == f"checkpoint-{step}":
            raise KeyboardInterrupt(f"killed after saving step {step}")
        return published

    patch.setattr(trainer_checkpoints, "publish", publish_then_die)


def offline_pairs_file(folder: Path, world: dict, languages=("de", "fr"), per_language: int = 8) -> str:
    """Offline preference pairs: the world's problems, its worked solution against a wrong answer."""
    from euro_post.data.world import World, WorldConfig

    path = folder / "pairs.jsonl"
    if not path.exists():
        rows = World(WorldConfig(**world), languages=list(languages))
        with open(path, "w", encoding="utf-8") as f:
            for lang in languages:
                for row in rows.sft_rows(lang)[:per_language]:
                    prompt, answer = row["messages"][0]["content"], row["messages"][-1]["content"]
                    f.write(json.dumps({"id": row["id"], "lang": lang, "prompt": prompt, "chosen": answer,
                                        "rejected": answer.rsplit("\n", 1)[0] + "\n?"}, ensure_ascii=False) + "\n")
    return str(path)
