"""What every euro-post Trainer adds to transformers' and TRL's: `EuroTrainerMixin`.

Every trainer of a training stage inherits it first (`PretrainTrainer(EuroTrainerMixin, Trainer)`,
`EuroSFTTrainer(EuroTrainerMixin, SFTTrainer)`, `EuroDPOTrainer(EuroTrainerMixin, DPOTrainer)`,
`CountingCPOTrainer(EuroTrainerMixin, CPOTrainer)`, `EuroGRPOTrainer(EuroTrainerMixin, GRPOTrainer)`),
so each method below runs around the library's own (TRL's overrides included), once:

One training step (`training_step`, per micro-batch):
    1. with EURO_POST_RECORD_BATCHES set, record the batch's rows (distributed.record_batch);
    2. take the batch's consumption entries out (consumption.BATCH_KEY) and count them;
    3. the library's training step (forward, loss, backward);
    4. hand the loss to the NonFiniteGuard; `_get_grad_norm` hands it the step's gradient norm,
       and the guard raises before the optimizer step when either is not finite.

One save (`_save_checkpoint`, in a stage run by `train_stage`):
    1. the library's save, into `trainer/.staging/checkpoint-<step>` (`_get_output_dir` points there
       while it runs), then this process's consumption counts next to it;
    2. GRPO's in-between-steps state (micro-step counter, buffered generation batch);
    3. every process has written its part: the main process writes the completion marker (sizes and
       hashes of every file), renames the folder to `trainer/checkpoint-<step>`, and deletes the
       oldest complete checkpoints past save_total_limit (trainer_checkpoints.py).

One stage (`train_stage(ctx)`, what `trainer_setup.train(trainer, ctx)` runs):
    1. pick the newest verified complete checkpoint of an earlier attempt (a killed save's staging
       folder is deleted, a checkpoint whose files no longer match is quarantined);
    2. add NonFiniteGuard and StopCallback (a stop request saves at the end of the current step and
       ends training; on resume it puts GRPO's in-between-steps state back);
    3. train with stop signals deferred, loading the consumption counts with the checkpoint
       (`train`, `_load_from_checkpoint`); a checkpoint taken at max_steps is only loaded;
    4. raise `Preempted` when a stop request ended training early, so the stage never writes a
       final checkpoint of a run that did not finish.

The stage says what to count with `count_consumption(counter, describe, fields)` before training:
the training data loader's collator is then wrapped in a `CountingCollator`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from transformers import TrainerCallback

from euro_post.pipeline import stop_signals
from euro_post.pipeline.checkpoint_io import checkpoint_step, latest_trainer_checkpoint
from euro_post.training import distributed, sharded_weights, trainer_checkpoints
from euro_post.training.consumption import (
    BATCH_KEY,
    ConsumptionCounter,
    CountingCollator,
    Describe,
)
from euro_post.training.nonfinite_guard import NonFiniteGuard

# The private (underscore) methods and attributes of transformers' and TRL's trainers that this
# project overrides, calls or reads, per class (a class also needs those of the classes above it:
# every TRL trainer is a transformers Trainer). tests/test_compat.py fails, naming the installed
# version, when one is gone. `_get_grad_norm` has a fallback (the guard computes the norm itself),
# but a trainer without it should be checked.
OVERRIDDEN_PRIVATE_METHODS: dict[str, tuple[str, ...]] = {
    "transformers.Trainer": (
        "_save_checkpoint",  # EuroTrainerMixin: staging, counts, marker, publish, retain
        "_get_output_dir",  # EuroTrainerMixin: the staging folder during a save
        "_load_from_checkpoint",  # EuroTrainerMixin: the consumption counts; load_finished
        "_get_grad_norm",  # EuroTrainerMixin: the gradient norm for NonFiniteGuard
        "_set_signature_columns_if_needed",  # count_consumption: keep the fields `describe` reads
        "_signature_columns",
        "_track_num_input_tokens",  # preference/trainers.py CountingCPOTrainer
    ),
    "trl.SFTTrainer": ("_prepare_dataset",),  # sft/trainer.py: rows packed by the stage pass through
    "trl.DPOTrainer": (),
    "trl.experimental.cpo.CPOTrainer": ("_track_num_input_tokens",),
    "trl.GRPOTrainer": (
        "_generate_and_score_completions",  # rl/trainer.py: zero-advantage groups, languages
        "_generate",  # rl/trainer.py: consumption counts
        "_generate_single_turn",  # rl/trainer.py: per-completion seeded sampling
        "_buffered_inputs",  # trainer_checkpoints.py: GRPO's state between steps
        "_step",
    ),
}


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


class EuroTrainerMixin:
    """Consumption counts, NaN guard, batch records, atomic verified checkpoints and a stage's
    resumable, stoppable training, for a transformers or TRL Trainer. Inherit it first."""

    stage_ctx = None  # the StageContext, set by train_stage: saves go through staging, batches are recorded
    consumption: ConsumptionCounter | None = None  # what this process trained on (count_consumption)
    nonfinite_guard: NonFiniteGuard | None = None  # fed every loss and gradient norm (guard_nonfinite)
    _describe: Describe | None = None  # turns a training batch into consumption entries
    _fields: tuple[str, ...] = ()  # example fields `describe` reads that the model must not see
    _staging_dir: Path | None = None  # where the Trainer writes a checkpoint while it is being saved

    # -- configuration (before training) -----------------------------------------------------------
    def count_consumption(
        self, counter: ConsumptionCounter, describe: Describe | None = None, fields: tuple[str, ...] = ()
    ) -> ConsumptionCounter:
        """Count what this trainer trains on and keep the counts in its checkpoints.

        `describe(examples, batch)` turns a training batch into entries; `fields` are the example
        keys it reads that the model must not see (kept through the Trainer's column removal, taken
        out before the inner collator). Without `describe` the trainer calls `counter.add` itself
        (GRPO). Returns `counter`."""
        counter.rank = self.args.process_index
        counter.main = counter.rank == 0
        self.consumption = counter
        if describe is not None:
            # The example fields must survive the Trainer's removal of columns the model does not take.
            self._set_signature_columns_if_needed()
            self._signature_columns = [*self._signature_columns, *(f for f in fields if f not in self._signature_columns)]
            self._describe, self._fields = describe, tuple(fields)
        return counter

    def guard_nonfinite(self, stage: str, last_checkpoint: Callable[[], Path | None] | None = None) -> NonFiniteGuard:
        """Stop before the optimizer step when a loss or the gradient norm is not finite."""
        self.nonfinite_guard = NonFiniteGuard(stage, last_checkpoint)
        self.add_callback(self.nonfinite_guard)
        return self.nonfinite_guard

    # -- one training step -------------------------------------------------------------------------
    def get_train_dataloader(self, *args, **kwargs):
        # Only the training data loader describes its batches: evaluation and TRL's reference-log-prob
        # pass collate with the plain collator.
        if self._describe is None:
            return super().get_train_dataloader(*args, **kwargs)
        inner = self.data_collator
        self.data_collator = CountingCollator(inner, self._describe, self._fields)
        try:
            return super().get_train_dataloader(*args, **kwargs)
        finally:
            self.data_collator = inner

    def training_step(self, model, inputs, *args, **kwargs):
        if self.stage_ctx is not None:
            distributed.record_batch(self, self.stage_ctx.name, inputs)  # only with EURO_POST_RECORD_BATCHES set
        # Counted here, not when collated: a batch the data loader fetched ahead but never trained on is not counted.
        if self.consumption is not None and isinstance(inputs, Mapping) and BATCH_KEY in inputs:
            self.consumption.add_entries(inputs.pop(BATCH_KEY))
        loss = super().training_step(model, inputs, *args, **kwargs)
        if self.nonfinite_guard is not None:
            self.nonfinite_guard.add_loss(loss, inputs)
        return loss

    def _get_grad_norm(self, *args, **kwargs):
        # A transformers without _get_grad_norm never calls it: the guard then computes the norm itself.
        norm = super()._get_grad_norm(*args, **kwargs)
        if self.nonfinite_guard is not None:
            self.nonfinite_guard.set_grad_norm(norm)
        return norm

    # -- one save ----------------------------------------------------------------------------------
    def _get_output_dir(self, trial=None):
        if self._staging_dir is not None:
            # The Trainer writes into <output dir>/checkpoint-<step>: during a save, the staging folder.
            # Its own rotation then looks there too, where only this checkpoint is, and deletes nothing.
            return str(self._staging_dir)
        return super()._get_output_dir(trial=trial)

    def _save_checkpoint(self, model, trial=None):
        ctx = self.stage_ctx
        if ctx is None:  # not a stage's training (train_stage): the Trainer's own save, with the counts
            self._save_checkpoint_files(model, trial)
            return
        step = self.state.global_step
        trainer_dir = Path(self.args.output_dir)
        staging = trainer_dir / trainer_checkpoints.STAGING
        self._staging_dir = staging
        try:
            self._save_checkpoint_files(model, trial)
        finally:
            self._staging_dir = None
        folder = staging / f"checkpoint-{step}"
        trainer_checkpoints.save_extras(self, folder)
        self.accelerator.wait_for_everyone()  # every process has written its RNG state and shards
        if self.args.should_save:
            extras = trainer_checkpoints.extras_summary(self)
            trainer_checkpoints.write_marker(folder, step, ctx, world_size=self.args.world_size, extras=extras)
            trainer_checkpoints.publish(folder, trainer_dir / folder.name, ctx.log)
            trainer_checkpoints.retain(trainer_dir, self.args.save_total_limit)
        self.accelerator.wait_for_everyone()

    def _save_checkpoint_files(self, model, trial=None) -> None:
        """The library's save (TRL's override included), then this process's consumption counts
        beside it: written before the completion marker, so the marker lists and hashes them."""
        from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

        super()._save_checkpoint(model, trial)
        if self.consumption is not None:
            self.consumption.save(Path(self._get_output_dir(trial=trial)) / f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")

    # -- resuming ----------------------------------------------------------------------------------
    # transformers loads the weights through _load_from_checkpoint (and so does load_finished, at
    # max_steps); DeepSpeed loads its own way, so train() loads the counts as well. Loading twice
    # from one folder gives the same counts.
    def _load_from_checkpoint(self, resume_from_checkpoint, *args, **kwargs):
        if self.consumption is not None:
            self.consumption.load(resume_from_checkpoint)
        return super()._load_from_checkpoint(resume_from_checkpoint, *args, **kwargs)

    def train(self, resume_from_checkpoint=None, *args, **kwargs):
        if self.consumption is not None and isinstance(resume_from_checkpoint, (str, os.PathLike)):
            self.consumption.load(resume_from_checkpoint)
        return super().train(resume_from_checkpoint, *args, **kwargs)

    def load_finished(self, checkpoint: Path) -> None:
        """Load a checkpoint taken at max_steps (weights and state) without training.

        transformers would run one more step when asked to resume from the last one."""
        from transformers.trainer_callback import TrainerState

        self._load_from_checkpoint(str(checkpoint))
        self.state = TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json"))

    # -- one stage ---------------------------------------------------------------------------------
    def train_stage(self, ctx):
        """Train for stage `ctx`, resuming, guarding and stopping as the module docstring says."""
        from transformers.trainer_callback import PrinterCallback

        self.remove_callback(PrinterCallback)  # StageCallback shows progress; raw log dicts would flood stdout
        sharded_weights.track_trainer(self)  # save_final gathers sharded (FSDP, ZeRO-3) weights through it
        main = self.args.should_save
        resume = trainer_checkpoints.resume_point(ctx.trainer_dir, ctx.log, main_process=main)
        self.accelerator.wait_for_everyone()
        if not main:
            resume = latest_trainer_checkpoint(ctx.trainer_dir)
        max_steps = self.args.max_steps
        if resume is not None and max_steps > 0 and checkpoint_step(resume) > max_steps:
            raise ValueError(
                f"stages.{ctx.name}.max_steps is {max_steps}, but the interrupted attempt already saved step "
                f"{checkpoint_step(resume)} ({resume}); raise max_steps to at least {checkpoint_step(resume)}, "
                f"or pass --restart-stage {ctx.name} to train it again from the start"
            )

        self.stage_ctx = ctx
        stop = StopCallback(self, resume)
        self.guard_nonfinite(ctx.name, last_checkpoint=lambda: latest_trainer_checkpoint(ctx.trainer_dir))
        self.add_callback(stop)
        if resume is not None:
            ctx.log(f"resuming from {resume}")

        with stop_signals.deferred_stop():
            if resume is not None and checkpoint_step(resume) == max_steps:
                output = self.load_finished(resume)  # trained to the end already: only the final save is missing
            else:
                output = self.train(resume_from_checkpoint=str(resume) if resume else None)
        step = self.state.global_step
        if stop_signals.stop_requested() and step < max_steps:
            where = latest_trainer_checkpoint(ctx.trainer_dir)
            raise stop_signals.Preempted(
                stop_signals.requested_signal(),
                f"{ctx.name} saved a complete checkpoint at step {step} of {max_steps} ({where}); run the same command again to continue",
            )
        return output
