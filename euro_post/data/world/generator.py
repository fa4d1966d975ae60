"""Drawing language-independent problem specs, their identity keys and the held-out bucket.

A spec is a chain of binary operations on a running quantity (see `pack.py` for the story
meaning of each event). The arithmetic is exact: numbers are drawn as integers in hundredths
and become Decimals only once a spec is accepted. Subtractions never reach zero, divisions and
percentages are only drawn when their result has no more decimals than the problem allows
(none for counted objects and whole-number problems, two otherwise).
"""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from functools import lru_cache

from euro_post.data.world.config import WorldConfig
from euro_post.data.world.pack import STORIES, ProblemSpec, StepSpec

SPLITS = ("pretrain", "sft", "rl", "eval")
PERCENTS = (5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 80)
HUNDRED = 100  # every number is held as an integer count of hundredths while drawing
# Resolution of decimal amounts, in hundredths: money in 50, 25 or 10 cents; distances in
# halves or tenths of a km.
DECIMAL_UNITS = {"shopping": (50, 25, 10), "journey": (50, 10)}
_OP_OF_EVENT = {"groups": "mul", "gain": "add", "lose": "sub", "share": "div",
                "pct_part": "pct", "pct_off": "pct", "pct_off_rest": "sub"}


def canonical(value: Decimal) -> str:
    """Plain text of a number: dot decimal, no grouping, no trailing zeros ("12.5", "42")."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _text(hundredths: int) -> str:
    """`canonical` of hundredths, without building a Decimal."""
    whole, frac = divmod(hundredths, HUNDRED)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


@lru_cache(maxsize=1 << 16)
def _decimal(hundredths: int) -> Decimal:
    whole, frac = divmod(hundredths, HUNDRED)
    return Decimal(whole) if frac == 0 else Decimal(hundredths).scaleb(-2).normalize()


def stable_int(*parts: object) -> int:
    """A 64-bit integer from the parts' text; unlike hash() it is the same in every process."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def problem_key(spec: ProblemSpec) -> str:
    """The identity of the math problem: story kind, opening and every operation, no language."""
    ops = ";".join(f"{s.event}:{canonical(s.left)}:{canonical(s.right)}" for s in spec.steps)
    return f"{spec.story}|{canonical(spec.start)}|{ops}"


def is_eval_key(key: str, fraction: float) -> bool:
    """Whether `key` lies in the bucket reserved for eval (independent of seed and language).

    Equal to `stable_int("euro-post-eval-bucket", key) < fraction * 2**64`, written out
    because it runs for every drawn problem.
    """
    digest = hashlib.sha256(("euro-post-eval-bucket|" + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") < fraction * 2**64


class _Chain:
    """Draws one chain of operations: (story, start, steps) in hundredths, steps being
    (event, left, right, result) tuples. `draw()` returns None when the caller should retry."""

    def __init__(self, cfg: WorldConfig, rng: random.Random):
        self.cfg = cfg
        self.uniform = rng.random
        self.decimal = self.uniform() < cfg.decimals
        self.story = self.choice(("shopping", "journey")) if self.decimal else self.choice(STORIES)
        self.unit = self.choice(DECIMAL_UNITS[self.story]) if self.decimal else HUNDRED
        self.grain = 1 if self.decimal else HUNDRED  # results must be whole multiples of this

    def randint(self, lo: int, hi: int) -> int:  # rng.randint's job at a third of its cost
        return lo + int(self.uniform() * (hi - lo + 1))

    def choice(self, options):
        return options[int(self.uniform() * len(options))]

    def amount(self, low: int, high: int, fractional: bool = False) -> int:
        unit = self.unit
        lo = max(low // unit, 1)
        hi = max(high // unit, lo)
        value = self.randint(lo, hi) * unit
        for _ in range(8):  # a decimal problem opens with a number that shows its decimals
            if not fractional or unit == HUNDRED or value % HUNDRED:
                break
            value = self.randint(lo, hi) * unit
        return value

    def draw(self) -> tuple[str, int, list[tuple]] | None:
        cfg, uniform = self.cfg, self.uniform
        ops = self.randint(cfg.min_operations, cfg.max_operations)
        final = None
        if uniform() < cfg.percentages:
            final = "pct_off" if uniform() < 0.5 else "pct_part"
        elif uniform() < cfg.division:
            final = "share"
        # The shape is fixed first and only the numbers are redrawn when a division or a
        # percentage does not come out exact, so the configured fractions of each kind hold.
        for _ in range(20):
            numbers = self.numbers(ops, final)
            if numbers is not None:
                return self.story, numbers[0], numbers[1]
        return None

    def numbers(self, ops: int, final: str | None) -> tuple[int, list[tuple]] | None:
        cfg, uniform, unit = self.cfg, self.uniform, self.unit
        middle = ops - {"pct_off": 2, "pct_part": 1, "share": 1, None: 0}[final]
        top = cfg.max_operand * HUNDRED
        steps: list[tuple] = []
        if middle >= 1 and uniform() < 0.35:
            groups = self.randint(2, cfg.max_multiplier) * HUNDRED
            each = self.amount(2 * HUNDRED, top, fractional=self.decimal)
            start = groups * each // HUNDRED
            steps.append(("groups", groups, each, start))
            middle -= 1
        else:
            start = self.amount(max(2, cfg.max_operand // 5) * HUNDRED, top, fractional=self.decimal)
        q = start
        for _ in range(middle):
            if q > unit and uniform() < 0.5:
                n = self.amount(unit, min(top, q - unit))
                steps.append(("lose", q, n, q - n))
                q -= n
            else:
                n = self.amount(unit, top)
                steps.append(("gain", q, n, q + n))
                q += n
        if final == "share":
            divisors = [d for d in range(2, cfg.max_multiplier + 1) if q % (d * self.grain) == 0]
            if not divisors:
                return None
            d = self.choice(divisors)
            steps.append(("share", q, d * HUNDRED, q // d))
        elif final is not None:
            options = [p for p in PERCENTS if (q * p) % (HUNDRED * self.grain) == 0]
            if not options:
                return None
            p = self.choice(options)
            part = q * p // HUNDRED
            steps.append((final, q, p * HUNDRED, part))
            if final == "pct_off":
                steps.append(("pct_off_rest", q, part, q - part))
        return (start, steps) if steps else None


def draw_spec(config: WorldConfig, lang: str, split: str, index: int) -> tuple[ProblemSpec, str]:
    """The spec (and its key) of problem `index` of `split` for `lang`; deterministic.

    Attempts are drawn until one is valid and lies on the right side of the eval bucket: in it
    for "eval", outside it for every training split.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown world split {split!r}; expected one of {SPLITS}")
    want_eval = split == "eval"
    rng = random.Random(stable_int("euro-post-world", config.seed, lang, split, index))
    for _ in range(10_000):
        chain = _Chain(config, rng).draw()
        if chain is None:
            continue
        story, start, steps = chain
        key = f"{story}|{_text(start)}|" + ";".join(f"{e}:{_text(a)}:{_text(b)}" for e, a, b, _ in steps)
        if is_eval_key(key, config.eval_bucket_fraction) != want_eval:
            continue
        spec = ProblemSpec(
            story=story,
            start=_decimal(start),
            steps=tuple(
                StepSpec(_OP_OF_EVENT[e], _decimal(a), _decimal(b), _decimal(c), e) for e, a, b, c in steps
            ),
            person=rng.getrandbits(30),
            friend=rng.getrandbits(30),
            obj=rng.getrandbits(30),
            style=rng.getrandbits(40),
        )
        return spec, key
    raise RuntimeError(
        f"world: no valid {split} problem found for {lang} index {index} after 10000 attempts; "
        "the config leaves too few problems (raise max_operand or max_multiplier)"
    )
