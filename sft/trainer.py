"""TRL's SFTTrainer, with the pieces the stage adds: packed batches that keep conversations apart
on any attention kernel, the loss path for the recipe's `fused_loss` and the device, and the
per-language validation keys.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from euro_post.sft.encode import IGNORE
from transformers import Trainer, TrainerCallback
from trl import SFTTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from euro_post.data.languages import LANGUAGE_CODES
from euro_post.training import trainer_setup
from euro_post.training.trainer import EuroTrainerMixin

# Each token's language (its index in LANGUAGE_CODES): packing carries it along with the tokens, so
# that a packed row's tokens count for their own conversation's language (euro_post/training/consumption.py).
LANGUAGE_FIELD = "token_languages"


def token_languages(examples: list[dict]) -> list[list[int]]:
    """The LANGUAGE_FIELD column for examples with `lang` and `input_ids`."""
    return [[LANGUAGE_CODES.index(ex["lang"])] * len(ex["input_ids"]) for ex in examples]


def consumed(examples: list[dict], batch=None) -> list[tuple[str, int, int]]:
    """(language, tokens, conversations) entries of a training batch. Every token of an example is
    fed to the model; a packed example holds one conversation per `seq_lengths` entry, counted in
    the language of its first token."""
    entries = []
    for ex in examples:
        length = len(ex["input_ids"])
        langs = ex[LANGUAGE_FIELD][:length]
        entries += [(LANGUAGE_CODES[code], count, 0) for code, count in sorted(Counter(langs).items())]
        start = 0
        for size in ex.get("seq_lengths") or [length]:
            if start < length:
                entries.append((LANGUAGE_CODES[langs[start]], 0, 1))
            start += size
    return entries


def pack_examples(dataset, max_length: int):
    """Best-fit-decreasing packing of tokenized examples into rows of at most `max_length` tokens.

    Each packed row keeps `seq_lengths`, the lengths of the conversations in it, so that the
    collator can restart positions at every conversation, and LANGUAGE_FIELD when the examples
    have it. The other columns do not change how the rows are packed (lengths come from input_ids).
    """
    from trl.data_utils import pack_dataset

    columns = ["input_ids", "labels"] + ([LANGUAGE_FIELD] if LANGUAGE_FIELD in dataset.column_names else [])
    return pack_dataset(dataset.select_columns(columns), max_length, "bfd")


@dataclass
class PackedRowsCollator:
    """Batches packed rows as (batch, length) with position ids that restart at every conversation.

    Without an attention mask, transformers reads the restarts as sequence boundaries and builds
    a block-diagonal causal mask, so packed conversations never see each other (with sdpa and
    eager attention, on CPU and GPU). TRL's padding-free packing flattens the whole batch into one
    row instead, which only FlashAttention's varlen kernels handle without a quadratic mask.
    """

    pad_token_id: int

    def __call__(self, examples: list[dict]) -> dict:
        batch = DataCollatorForLanguageModeling(pad_token_id=self.pad_token_id, return_position_ids=True)(examples)
        del batch["attention_mask"]
        # A conversation's first token is not predicted from the one packed before it.
        batch["labels"][batch["position_ids"] == 0] = IGNORE
        return batch


LOSS_PATHS = ("trl_fused", "chunked", "full_logits")


def default_loss_path(fused_loss: str, device_type: str) -> str:
    """Which loss a trainer computes for the recipe's `fused_loss` on this device.

    "off": the model's own loss on the full logits. Otherwise on CUDA/XPU TRL's fused LM head,
    whose tiles run as Triton kernels; elsewhere euro_post.models.kernels' chunked cross-entropy, since
    TRL's head falls back there to generic torch code that is slower than even the full logits.
    """
    if fused_loss == "off":
        return "full_logits"
    return "trl_fused" if device_type in ("cuda", "xpu") else "chunked"


class EuroSFTTrainer(EuroTrainerMixin, SFTTrainer):
    """SFTTrainer whose loss follows `loss_path` (see default_loss_path); all three give the same
    numbers, the fused ones without ever holding the full logits. EuroTrainerMixin: what every
    euro-post trainer adds (euro_post/training/trainer.py)."""

    def __init__(self, *args, fused_loss: str = "auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.fused_loss = fused_loss
        self.loss_path = default_loss_path(fused_loss, self.args.device.type)

    def _prepare_dataset(self, dataset, processing_class, args, packing, *rest, **kwargs):
        # Rows the stage packed itself (pack_examples: TRL's own bfd packing, keeping each token's
        # language) are ready; TRL would pack them again, dropping every column but input_ids and labels.
        if packing and "seq_lengths" in getattr(dataset, "column_names", ()):
            return dataset
        return super()._prepare_dataset(dataset, processing_class, args, packing, *rest, **kwargs)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.loss_path == "trl_fused":
            return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        if self.loss_path == "full_logits":
            inputs = {**inputs, "use_cache": False}  # a cache would make transformers skip the packed-sequence mask
            return Trainer.compute_loss(self, model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        loss = trainer_setup.causal_lm_trainer_loss(self, model, inputs, num_items_in_batch, fused=self.fused_loss)
        return (loss, None) if return_outputs else loss


class LogKeys(TrainerCallback):
    """Renames the Trainer's `eval_<lang>_loss` to `eval/loss_<lang>` (and every other eval metric
    alike), remembers the latest values per language, and drops TRL's `num_tokens`, which
    miscounts packed rows (`num_input_tokens_seen` counts them right).

    It must run before the callback that writes metrics.jsonl: it edits the log in place.
    """

    def __init__(self, languages: list[str]):
        self.languages = set(languages)
        self.latest: dict[str, dict] = {}  # lang -> {"step": int, metric: value}

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs:
            return
        logs.pop("num_tokens", None)
        pattern = re.compile(r"^eval_([a-z]{2})_(.+)$")
        langs = {m.group(1) for key in logs if (m := pattern.match(key)) and m.group(1) in self.languages}
        if len(langs) != 1:
            return
        lang = langs.pop()
        renamed = {}
        for key in list(logs):
            match = pattern.match(key)
            if match and match.group(1) == lang:
                metric = match.group(2)
            elif key.startswith("eval_"):
                metric = key[len("eval_"):]  # TRL's own eval metrics of this same evaluation
            else:
                continue
            value = logs.pop(key)
            if metric == "num_tokens":
                continue  # TRL's count of training tokens, not an eval figure
            renamed[f"eval/{metric}_{lang}"] = value
            self.latest.setdefault(lang, {})[metric] = value
        self.latest[lang]["step"] = state.global_step
        logs.update(renamed)
