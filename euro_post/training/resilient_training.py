"""A Trainer run that can be stopped, killed and fed NaNs without losing or corrupting anything.

`hf_training.train(trainer, ctx)` calls `run_training`, which for every training stage:

1. picks the newest *verified* complete trainer checkpoint of an earlier attempt (after deleting
   a killed save's staging folder and quarantining a checkpoint whose files no longer match);
2. routes the trainer's saves through staging + completion marker + rename
   (`trainer_checkpoints.install_atomic_saves`);
3. adds `NonFiniteGuard` (NaN/inf loss or gradient norm stops the run before the optimizer step)
   and `StopCallback` (a stop request saves a checkpoint at the end of the current step and
   ends training);
4. trains with stop signals deferred, restores GRPO's in-between-steps state on resume, and
   raises `Preempted` when it stopped early, so the stage never writes a final checkpoint of a
   run that did not finish.
"""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback

from euro_post.pipeline import stop_signals
from euro_post.pipeline.checkpoint_io import checkpoint_step, latest_trainer_checkpoint
from euro_post.training import trainer_checkpoints
from euro_post.training.nonfinite_guard import NonFiniteGuard


class StopCallback(TrainerCallback):
    """Polls the stop flag (agreed by every process) at each step end: save, then stop.

    On resume it also puts back what the Trainer does not save itself (GRPO's micro-step counter
    and buffered generation batch)."""

    def __init__(self, trainer, resume_from: Path | None = None):
        self.trainer = trainer
        self.resume_from = resume_from
        self.stopped_at: int | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        if self.resume_from is not None:
            trainer_checkpoints.restore_extras(self.trainer, self.resume_from)

    def on_step_end(self, args, state, control, **kwargs):
        if stop_signals.stop_requested_anywhere(args.device):
            control.should_save = True
            control.should_training_stop = True
            self.stopped_at = state.global_step

    def on_save(self, args, state, control, **kwargs):
        # A signal that arrived during this save: stop now rather than train one more step.
        if self.stopped_at is None and stop_signals.stop_requested_anywhere(args.device):
            control.should_training_stop = True
            self.stopped_at = state.global_step


def run_training(trainer, ctx):
    """Train `trainer` for its stage, resuming, guarding and stopping as described above."""
    main = trainer.args.should_save
    resume = trainer_checkpoints.resume_point(ctx.trainer_dir, ctx.log, main_process=main)
    trainer.accelerator.wait_for_everyone()
    if not main:
        resume = latest_trainer_checkpoint(ctx.trainer_dir)
    max_steps = trainer.args.max_steps
    if resume is not None and max_steps > 0 and checkpoint_step(resume) > max_steps:
        raise ValueError(
            f"stages.{ctx.name}.max_steps is {max_steps}, but the interrupted attempt already saved step "
            f"{checkpoint_step(resume)} ({resume}); raise max_steps to at least {checkpoint_step(resume)}, "
            f"or pass --restart-stage {ctx.name} to train it again from the start"
        )

    trainer_checkpoints.install_atomic_saves(trainer, ctx)
    stop = StopCallback(trainer, resume)
    trainer.add_callback(NonFiniteGuard(trainer, ctx.name, last_checkpoint=lambda: latest_trainer_checkpoint(ctx.trainer_dir)))
    trainer.add_callback(stop)
    if resume is not None:
        ctx.log(f"resuming from {resume}")

    with stop_signals.deferred_stop():
        if resume is not None and checkpoint_step(resume) == max_steps:
            output = load_finished(trainer, resume)  # trained to the end already: only the final save is missing
        else:
            output = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    step = trainer.state.global_step
    if stop_signals.stop_requested() and step < max_steps:
        where = latest_trainer_checkpoint(ctx.trainer_dir)
        raise stop_signals.Preempted(
            stop_signals.requested_signal(),
            f"{ctx.name} saved a complete checkpoint at step {step} of {max_steps} ({where}); run the same command again to continue",
        )
    return output


def load_finished(trainer, checkpoint: Path):
    """Load a checkpoint taken at max_steps into `trainer` (weights and state) without training.

    transformers would run one more step when asked to resume from the last one."""
    from transformers.trainer_callback import TrainerState

    trainer._load_from_checkpoint(str(checkpoint))
    trainer.state = TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json"))
    return None
