"""What a Trainer holds between two log lines, kept in every trainer checkpoint.

transformers' Trainer averages the loss over the steps since the last log line, and at the end
logs `train_loss`, the mean loss of every step it trained. Both come from counters that live
only in the Trainer object (`_tr_loss`, the loss summed since the last log; `_total_loss_scalar`,
the logged sums; `_globalstep_last_logged`), and TRL's trainers keep their own lists of values
to average at the next log (`_metrics`) and a running token count. A resumed Trainer starts them
all from zero, so its first log line averages only the steps after the resume, and `train_loss`
averages only the steps of the resumed attempt.

`StageCallback` saves these counters with every checkpoint (in trainer_state.json, through
transformers' `ExportableState`) and puts them back when training resumes, so that a resumed
run writes the metrics.jsonl lines an uninterrupted one writes, value for value.

With several processes the loss since the last log differs per process (the Trainer averages it
over processes when it logs): what is saved is that average, and every process resumes from it.
"""

from __future__ import annotations

# The counters of transformers' Trainer (5.x) and TRL's trainers this module saves and restores.
LOSS_SUM, PENDING_LOSS, LAST_LOGGED = "_total_loss_scalar", "_tr_loss", "_globalstep_last_logged"
TRL_METRICS, TRL_TOKENS = "_metrics", "_total_train_tokens"


def capture(trainer, step: int, pending_loss: float | None = None) -> dict:
    """The counters at a checkpoint taken after `step`; `pending_loss` overrides this process's
    unlogged loss (the average over processes). {} before training has started."""
    if trainer is None or not hasattr(trainer, PENDING_LOSS):
        return {}
    last_logged = int(getattr(trainer, LAST_LOGGED))
    if last_logged == step:
        pending_loss = 0.0  # logged at this very step: nothing waits for the next log line
    elif pending_loss is None:
        pending_loss = float(getattr(trainer, PENDING_LOSS).item())
    saved = {
        "step": int(step),
        "loss_sum": float(getattr(trainer, LOSS_SUM)),
        "pending_loss": pending_loss,
        "last_logged_step": last_logged,
    }
    metrics = getattr(trainer, TRL_METRICS, None)
    if isinstance(metrics, dict) and "train" in metrics:
        saved["trl_metrics"] = {key: [_plain(v) for v in values] for key, values in metrics["train"].items()}
    if hasattr(trainer, TRL_TOKENS):
        saved["trl_tokens"] = _plain(getattr(trainer, TRL_TOKENS))
    return saved


def restore(trainer, saved: dict, step: int) -> bool:
    """Put the counters saved at `step` back into a Trainer that resumes there. True if restored."""
    if not saved or saved.get("step") != step or not hasattr(trainer, PENDING_LOSS):
        return False
    setattr(trainer, LOSS_SUM, float(saved["loss_sum"]))
    getattr(trainer, PENDING_LOSS).fill_(float(saved["pending_loss"]))
    setattr(trainer, LAST_LOGGED, int(saved["last_logged_step"]))
    metrics = getattr(trainer, TRL_METRICS, None)
    if "trl_metrics" in saved and isinstance(metrics, dict) and "train" in metrics:
        metrics["train"].clear()
        for key, values in saved["trl_metrics"].items():
            metrics["train"][key] = list(values)
    if "trl_tokens" in saved and hasattr(trainer, TRL_TOKENS):
        setattr(trainer, TRL_TOKENS, saved["trl_tokens"])
    return True


def train_loss(trainer, step: int) -> float:
    """The mean loss of every step from the first, as an uninterrupted Trainer computes it at the
    end (the resumed Trainer's own figure divides by the steps of its attempt only)."""
    return getattr(trainer, LOSS_SUM) / max(step, 0.001)


def unlogged_loss(trainer) -> float:
    """This process's loss summed since the last log line."""
    return float(getattr(trainer, PENDING_LOSS).item())


def _plain(value):
    return value.item() if hasattr(value, "item") else value
