"""`math_accuracy`: 1.0 when the completion's final answer equals the row's gold `answer`.

Needs the dataset columns `answer` (canonical gold: "12.5", "42", "-3", or LaTeX such as
"\\frac{1}{2}") and `lang`. How answers are found and read is in extract.py, numbers.py and
verify.py. A completion without an answer scores 0.0; one the verifier could not judge
(error, timeout) scores None and is counted by the monitor.
"""

from __future__ import annotations

from typing import Any, Callable

from euro_post.rewards.base import Reward, column
from euro_post.rewards.pool import get_pool
from euro_post.rewards.verify import Outcome, VerifierSettings, verify_batch
from euro_post.rewards.worker import math_verify_engine


class MathAccuracy(Reward):
    """Answer correctness, locale-aware, verified by math-verify under a hard deadline.

    Args:
        item_timeout_s: wall-clock limit of one math-verify call; past it the worker is killed
            and the completion scores None.
        batch_timeout_s: limit of all math-verify calls of one batch together (None: no limit).
        workers: verifier worker processes (default: 2 where there are >= 2 cores, else 1).
        memory_limit_mb: address-space cap of each worker (None: no cap).
        max_error_rate, min_calls: health limit, see monitor.py.
        engine: the function run in the workers as `engine(gold, prediction) -> bool`; a
            module-level function. The default is math-verify.
    """

    name = "math_accuracy"

    def __init__(
        self,
        *,
        item_timeout_s: float = 5.0,
        batch_timeout_s: float | None = 120.0,
        workers: int | None = None,
        memory_limit_mb: int | None = 4096,
        max_error_rate: float = 0.5,
        min_calls: int = 32,
        engine: Callable[[str, str], bool] = math_verify_engine,
    ):
        if item_timeout_s <= 0:
            raise ValueError(f"math_accuracy: item_timeout_s must be > 0, got {item_timeout_s}")
        if batch_timeout_s is not None and batch_timeout_s <= 0:
            raise ValueError(f"math_accuracy: batch_timeout_s must be > 0 or None, got {batch_timeout_s}")
        if workers is not None and workers < 1:
            raise ValueError(f"math_accuracy: workers must be >= 1, got {workers}")
        super().__init__(max_error_rate=max_error_rate, min_calls=min_calls)
        self.settings = VerifierSettings(item_timeout_s, batch_timeout_s, workers, memory_limit_mb, engine)

    def warm_up(self) -> None:
        """Start the verifier workers now, without waiting: they warm up while the model generates."""
        get_pool(self.settings.workers, self.settings.memory_limit_mb).start()

    def score(self, texts: list[str], columns: dict[str, Any]) -> list[Outcome]:
        golds = column(columns, "answer", len(texts), self.name)
        langs = column(columns, "lang", len(texts), self.name)
        return verify_batch(texts, ["" if g is None else str(g) for g in golds], langs, self.settings)


math_accuracy = MathAccuracy()
