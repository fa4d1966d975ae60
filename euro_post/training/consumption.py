"""What a training stage actually trained on, per language: tokens and rows, for stage.json.

Every training stage reports `tokens_per_language` and `rows_per_language` in its stage.json
summary (the model card's and the EU training-content summary's "data seen"). They count what
the optimizer consumed, not the size of the data set:

- base_pretrain: rows are documents, tokens the non-padding tokens of every block trained on.
  A block holds one language. A document cut across two blocks counts once, with the block
  that holds its first token; a language drawn past its blocks repeats them and counts them
  again; documents in the cut-off tail of a language's stream are never trained on and never
  counted. The token sum equals `tokens_processed` whenever no block is padded (a language
  with less text than one block gets a single padded block).
- sft: rows are conversations (examples), tokens every token of the rendered conversation fed
  to the model (prompt and answer alike, whether or not it carries the loss). In a packed row
  each token counts for its own conversation's language. Rows the language mix repeats count
  each time they are trained on. The token sum equals `tokens_processed`.
- preference: rows are pairs, tokens the prompt+chosen and prompt+rejected sequences as fed
  after max_length truncation (the model reads the prompt twice, so it counts twice). The
  token sum equals the summary's `trained_tokens`.
- rl: rows are prompts, tokens the prompt and completion tokens of every sampled completion
  (num_generations of them per prompt), counted when the completions are generated: a batch
  that several optimisation passes reuse (num_iterations) counts once. The token sum equals
  `tokens_processed`.

How a stage uses it: `trainer.count_consumption(ConsumptionCounter(), describe, fields)`
(EuroTrainerMixin, euro_post/training/trainer.py) wraps the training collator in a
`CountingCollator`, which describes each training batch as `(language, tokens, rows)` entries
that travel with the batch under `BATCH_KEY`; the trainer adds them in `training_step`, so a
batch the data loader fetched ahead but never trained on is not counted. GRPO, whose batches
are generated inside the trainer, calls `add` itself.

Resume: the counts go into every trainer checkpoint (`consumption_rank<r>.json`, written before
the completion marker, so its hashes cover them) and are read back when training resumes from
it. The Trainer skips the batches it already trained on without collating them, so this is
what keeps a killed-and-resumed run's totals equal to an uninterrupted run's. A checkpoint
without the file (written before counting existed) makes the totals unknown rather than wrong.

Processes: each process counts the batches it trains on; `totals()` sums over processes (a
collective: every process calls it). On resume the main process takes the sum of every rank's
saved file and the others start from zero, so the totals survive a change of world size.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from euro_post.training import distributed

BATCH_KEY = "euro_post_consumed"  # a training batch's [(language, tokens, rows), ...]; never reaches the model
FILE = "consumption_rank{rank}.json"
FILE_GLOB = "consumption_rank*.json"
FORMAT = 1

Entry = tuple[str, int, int]  # (language code, tokens, rows)
Describe = Callable[[list[dict], Mapping], Iterable[Entry]]  # (examples, collated batch) -> entries


class ConsumptionCounter:
    """Tokens and rows per language that this process has trained on.

    `row_size`: how many counted items make one row in the totals (GRPO counts completions,
    num_generations of them to a prompt; a prompt's group is always generated whole)."""

    def __init__(self, row_size: int = 1) -> None:
        self.row_size = int(row_size)
        self.tokens: Counter[str] = Counter()
        self.rows: Counter[str] = Counter()
        self.known = True  # False after resuming from a checkpoint that did not record its counts
        self.rank = 0
        self.main = True

    def add(self, lang: str, tokens: int, rows: int = 1) -> None:
        self.tokens[lang] += int(tokens)
        self.rows[lang] += int(rows)

    def add_entries(self, entries: Iterable[Entry]) -> None:
        for lang, tokens, rows in entries:
            self.add(lang, tokens, rows)

    # -- checkpoints ------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"format": FORMAT, "tokens": dict(sorted(self.tokens.items())), "rows": dict(sorted(self.rows.items()))}

    def save(self, folder: str | Path) -> Path:
        """Write this process's counts into a (staged) checkpoint folder."""
        path = Path(folder) / FILE.format(rank=self.rank)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.state(), f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        return path

    def load(self, folder: str | Path) -> None:
        """Continue from the counts saved in `folder`: the main process takes every rank's sum."""
        files = sorted(Path(folder).glob(FILE_GLOB))
        self.tokens, self.rows = Counter(), Counter()
        self.known = bool(files)
        if not self.main:
            return
        for file in files:
            try:
                saved = json.loads(file.read_text(encoding="utf-8"))
                tokens, rows = Counter(saved["tokens"]), Counter(saved["rows"])
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{file}: unreadable consumption counts ({err}); the checkpoint is damaged") from None
            self.tokens.update(tokens)
            self.rows.update(rows)

    # -- results ----------------------------------------------------------------------------------
    def totals(self) -> tuple[dict[str, int], dict[str, int]] | None:
        """(tokens, rows) per language summed over every process, or None when not known.
        Every process must call this (it gathers)."""
        tokens = distributed.sum_counts(self.tokens)
        rows = distributed.sum_counts(self.rows)
        unknown = distributed.sum_counts({"unknown": int(not self.known)})["unknown"]
        if unknown:
            return None
        return _sorted(tokens), {lang: n // self.row_size for lang, n in _sorted(rows).items()}

    def summary(self) -> dict:
        """stage.json's `tokens_per_language` and `rows_per_language` (absent when not known)."""
        totals = self.totals()
        if totals is None:
            return {}
        return {"tokens_per_language": totals[0], "rows_per_language": totals[1]}


class CountingCollator:
    """Collates with `inner`, then adds the batch's consumption entries under BATCH_KEY."""

    def __init__(self, inner, describe: Describe, fields: tuple[str, ...] = ()):
        self.inner = inner
        self.describe = describe
        self.fields = tuple(fields)

    def __call__(self, examples: list[dict]):
        plain = [{k: v for k, v in ex.items() if k not in self.fields} for ex in examples] if self.fields else examples
        batch = self.inner(plain)
        batch[BATCH_KEY] = [(str(lang), int(tokens), int(rows)) for lang, tokens, rows in self.describe(examples, batch)]
        return batch


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return {lang: int(n) for lang, n in sorted(counts.items())}
