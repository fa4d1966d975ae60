"""Test helper: reach the trainer a stage builds, just before it trains."""

from __future__ import annotations

from euro_post.training import resilient_training


def on_trainer(patch, change) -> None:
    """Call `change(trainer)` on every stage's trainer just before it trains (outside every wrapper)."""
    original = resilient_training.run_training

    def run_training(trainer, ctx):
        change(trainer)
        return original(trainer, ctx)

    patch.setattr(resilient_training, "run_training", run_training)
