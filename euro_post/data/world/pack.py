"""The language-pack interface of the embedded world.

The generator (`euro_post.data.world.generator`) draws a language-independent `ProblemSpec`: a
story kind, indices of a person, a friend and an object, an opening quantity and a chain of
`StepSpec` (one binary operation each). A `LanguagePack` turns that spec into text: the
problem's sentences, one sentence per solution step, and the instruction line. Each of the 24
languages lives in `euro_post/data/world/lang_<code>.py`, which exposes `PACK = LanguagePack(...)`
(or an instance of a subclass that overrides a method where the language needs code).

What a pack provides
--------------------
- `names`: at least 6 `Person`s typical for the country (first names, both genders). Each has
  its base form and, where the language declines names, the case forms the templates use
  (`person("Anna", "f", dat="Annie")` -> `{name:dat}`).
- `objects`: for each story kind a list (at least 4) of `Noun`s:
    * "collection": the counted things (apples, stamps, ...). Templates write counts of
      them through `{x:q}` / `{n:q.<case>}` (see below), so each needs its plural/case forms.
    * "shopping": the things bought (a book, a cake, ...), used as `{item:<form>}`.
    * "journey": destinations (the lake, the coast, ...), used as `{obj:<form>}`.
- `nouns`: count nouns shared by the templates, keyed by a name the pack chooses ("box",
  "friend", "hour", "day", "km", ...). "km" is required: it is the unit of the journey story.
- `questions[story][event]`: lists of variant templates (one is picked per problem) for the
  sentences of the problem text, for every event in `QUESTION_EVENTS`.
- `steps[story][event]`: lists of templates for the solution step sentences, for every event in
  `STEP_EVENTS`. Each must contain `{calc}` exactly once: the framework fills it with the
  explicit computation ("4 × 12 = 48") written with the language's number format. A step line
  is then "<step_word> <i>: <sentence>", e.g. "Schritt 1: Anna hat 4 Kisten: 4 × 12 = 48."
- `instruction`: the sentence that follows every problem, asking for a step-by-step solution
  that ends with the answer line, e.g. 'Solve it step by step and finish with "Answer: <number>".'
- `plural`: a function Decimal -> plural category name (e.g. "one", "few", "many", "other");
  the language's rule for the noun form after a numeral. See "Plural categories" below.
- `money_format`: how an amount in euro is written around the number, "{n} €" with a no-break
  space by default; en, ga and mt use "€{n}".

Events (the story's plot; the meaning is fixed, the wording is the pack's)
-------------------------------------------------------------------------
The running quantity Q is: collection -> how many objects the person has; shopping -> how much
money the person has; journey -> how many km of the trip are still ahead (before riding
anything: the whole route).
- "start": opens with Q = {start}.                                  (no step)
- "groups": opens with {x} groups of {n} each; Q = x × n.            (step "groups")
    collection: x boxes/bags of n objects; shopping: works x hours at n € an hour;
    journey: the route has x stages (or days) of n km each.
- "gain": Q + n. collection: gets n more; shopping: gets/earns n €; journey: a detour adds n km.
- "lose": Q - n. collection: gives n away; shopping: buys {item} for n €; journey: rides n km.
- "share": Q / n, equally among n (friends, bags, days); asked: the size of one share.
- "pct_part": Q × n % (n is a percentage); asked: that part (e.g. money put into savings).
- "pct_off": Q × n % is used up/sold/ridden, then Q - part; two steps: "pct_off" computes the
  part, "pct_off_rest" the rest; asked: the rest.
- "ask_total" / "ask_share" / "ask_part": the closing question, chosen by the last event.
The problem text is: opening sentence, one sentence per event, the closing question.

Template fields (Python `str.format` syntax)
-------------------------------------------
- `{name}`, `{friend}`: `Person`s. `{name}` is the base form, `{name:dat}` a case form from
  `person(..., dat=...)`, `{name:g:er|sie}` picks by gender: "g:<masculine>|<feminine>".
- `{obj}`: the story's object (constant through a problem); `{item}`: an object of the same
  story that changes from event to event (shopping uses it for each purchase). Both are
  `Noun`s: `{obj:gen.other}` gives that form; the form keys are the pack's own.
- `{start}`, `{x}`, `{n}`, `{c}`: numbers (`start`: the opening quantity; for an event or step:
  x = the left operand, usually Q before the event, n = the right operand, c = the result).
  Their format spec says how to write them:
    `{n}`          the bare number in the language's format ("12,5")
    `{n:%}`        a percentage ("20 %")
    `{n:€}`        an amount of money ("12,50 €")
    `{n:q}`        a quantity in the story's unit: collection -> count phrase of `obj`
                   ("5 jabłek"), shopping -> money, journey -> count phrase of nouns["km"]
    `{n:q.gen}`    the same with the nouns' forms of case "gen" (keys "gen.<category>")
    `{n:box}`      a count phrase of `nouns["box"]`; `{n:box.dat}` in case "dat"
- `{calc}` (step templates only): the computation, "45 × 20 % = 9".

Plural categories and count phrases
-----------------------------------
`count_phrase(value, noun, case)` writes "<number> <noun form>" where the form is
`noun.forms["<case>.<category>"]` (or `noun.forms["<category>"]` when case is ""), and
`category = plural(value)`. Each pack defines its categories, e.g. English "one"/"other",
Polish "one"/"few"/"many" (1 jabłko, 2 jabłka, 5 jabłek, 22 jabłka), Slovene adds "two",
Finnish "one"/"other" where "other" is the partitive singular (5 omenaa), Hungarian only "one"
(5 alma). Non-integers reach `plural` too (money, km): return the category the language uses
after a decimal number (Polish: "2,5 jabłka" -> "few"). A language whose numerals change the
noun in other ways (Irish mutations, Maltese) overrides `count_phrase` in a subclass.
Numbers are written only with `euro_post.data.languages.format_number` / `format_percent` (done by
the framework through the format specs above); a pack never formats digits itself.

Checking a pack
---------------
`PACK.check()` reports missing stories/events/forms; `python -m euro_post.data.world <code> 5`
prints five rendered problems with their solutions.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Callable, NamedTuple

from euro_post.data.languages import NBSP, answer_line, get_language
from euro_post.data.languages import format_number as _format_number
from euro_post.data.languages import format_percent as _format_percent


# The same few thousand numbers are written over and over; caching them keeps generation fast.
@lru_cache(maxsize=1 << 16)
def format_number(value: Decimal, lang: str, decimals: int | None = None) -> str:
    return _format_number(value, lang, decimals)


@lru_cache(maxsize=1 << 12)
def format_percent(value: Decimal, lang: str) -> str:
    return _format_percent(value, lang)

STORIES: tuple[str, ...] = ("collection", "shopping", "journey")
QUESTION_EVENTS: tuple[str, ...] = (
    "start", "groups", "gain", "lose", "share", "pct_part", "pct_off", "ask_total", "ask_share", "ask_part",
)
STEP_EVENTS: tuple[str, ...] = ("groups", "gain", "lose", "share", "pct_part", "pct_off", "pct_off_rest")
_QUESTION_SLOT = {event: i for i, event in enumerate(QUESTION_EVENTS)}
_STEP_SLOT = {event: i for i, event in enumerate(STEP_EVENTS)}
# One symbol set for every language; "pct" is written "45 × 20 % = 9".
OP_SYMBOLS: dict[str, str] = {"add": "+", "sub": "-", "mul": "×", "div": "/", "pct": "×"}


class StepSpec(NamedTuple):
    """One binary operation of the solution: `left op right = result`, caused by `event`."""

    op: str  # "add" | "sub" | "mul" | "div" | "pct"
    left: Decimal
    right: Decimal  # for "pct": the percentage (20 means 20 %)
    result: Decimal
    event: str  # one of STEP_EVENTS


class ProblemSpec(NamedTuple):
    """A language-independent problem; a pack renders it in its language."""

    story: str  # one of STORIES
    start: Decimal  # the opening quantity (for a "groups" opening: the first step's result)
    steps: tuple[StepSpec, ...]
    person: int  # any non-negative int; the pack takes it modulo its number of names
    friend: int
    obj: int
    style: int  # drives the choice of template variants

    @property
    def answer(self) -> Decimal:
        return self.steps[-1].result

    @property
    def question_events(self) -> list[tuple[str, StepSpec | None]]:
        """The problem's sentences in order: (event, the step it introduces or None)."""
        events: list[tuple[str, StepSpec | None]] = []
        if self.steps[0].event != "groups":
            events.append(("start", None))
        for step in self.steps:
            if step.event != "pct_off_rest":
                events.append((step.event, step))
        last = self.steps[-1].event
        ask = {"share": "ask_share", "pct_part": "ask_part"}.get(last, "ask_total")
        events.append((ask, self.steps[-1]))
        return events


@dataclass(frozen=True)
class Noun:
    """A word with the forms the templates ask for, e.g. {"one": "apple", "other": "apples"}."""

    forms: dict[str, str]
    gender: str = ""  # free for the pack's own use (e.g. choosing an article in a subclass)

    def __format__(self, spec: str) -> str:
        key = spec or "base"
        try:
            return self.forms[key]
        except KeyError:
            raise KeyError(f"noun {self.forms} has no form {key!r}") from None


def noun(gender: str = "", **forms: str) -> Noun:
    """`noun(one="apple", other="apples")`; case forms as "gen.other" need a dict: `Noun({...})`."""
    return Noun(dict(forms), gender)


@dataclass(frozen=True)
class Person:
    """A first name; `forms` holds the case forms ("dat", "gen", ...) a declining language needs."""

    name: str
    gender: str  # "m" or "f"
    forms: dict[str, str] = field(default_factory=dict)

    def __format__(self, spec: str) -> str:
        if not spec:
            return self.name
        if spec.startswith("g:"):
            masculine, _, feminine = spec[2:].partition("|")
            return masculine if self.gender == "m" else feminine
        try:
            return self.forms[spec]
        except KeyError:
            raise KeyError(f"name {self.name!r} has no form {spec!r}") from None


def person(name: str, gender: str, **forms: str) -> Person:
    return Person(name, gender, dict(forms))


def plural_one_other(value: Decimal) -> str:
    """English-like rule: "one" for exactly 1, "other" for everything else (incl. 1,5)."""
    return "one" if value == 1 else "other"


def _capitalize(text: str) -> str:
    """Upper-case the first letter of a sentence, also after opening marks such as "¿" or "«"."""
    if text[:1].isalpha():
        return text if text[0].isupper() else text[0].upper() + text[1:]
    for i, ch in enumerate(text):
        if ch.isalnum():
            return text[:i] + ch.upper() + text[i + 1:] if ch.isalpha() else text
    return text


class _Number:
    """A number in a template; its format spec chooses how it is written (see the module doc)."""

    __slots__ = ("value", "pack", "spec")

    def __init__(self, value: Decimal, pack: "LanguagePack", spec: ProblemSpec):
        self.value, self.pack, self.spec = value, pack, spec

    def __format__(self, fmt: str) -> str:
        return self.pack.render_number(self.value, fmt, self.spec)


def _money_digits(value: Decimal, lang: str) -> str:
    return format_number(value, lang, None if value == value.to_integral_value() else 2)


@dataclass
class LanguagePack:
    """Everything one language needs to render problems; see the module docstring."""

    code: str
    names: list[Person]
    objects: dict[str, list[Noun]]
    nouns: dict[str, Noun]
    questions: dict[str, dict[str, list[str]]]
    steps: dict[str, dict[str, list[str]]]
    instruction: str
    plural: Callable[[Decimal], str] = plural_one_other
    money_format: str = "{n}" + NBSP + "€"

    # -- words and numbers -------------------------------------------------------------
    def plural_category(self, value) -> str:
        return self.plural(Decimal(str(value)))

    def count_phrase(self, value: Decimal, word: Noun, case: str = "") -> str:
        category = self.plural_category(value)
        key = f"{case}.{category}" if case else category
        try:
            form = word.forms[key]
        except KeyError:
            raise KeyError(f"[{self.code}] noun {word.forms} has no form {key!r} (for the number {value})") from None
        return f"{format_number(value, self.code)} {form}"

    def money(self, value: Decimal) -> str:
        return self.money_format.format(n=_money_digits(value, self.code))

    def quantity(self, value: Decimal, spec: ProblemSpec, case: str = "") -> str:
        if spec.story == "shopping":
            return self.money(value)
        if spec.story == "journey":
            return self.count_phrase(value, self.nouns["km"], case)
        return self.count_phrase(value, self.object_of(spec), case)

    def render_number(self, value: Decimal, fmt: str, spec: ProblemSpec) -> str:
        if not fmt:
            return format_number(value, self.code)
        if fmt == "%":
            return format_percent(value, self.code)
        if fmt == "€":
            return self.money(value)
        key, _, case = fmt.partition(".")
        if key == "q":
            return self.quantity(value, spec, case)
        if key not in self.nouns:
            raise KeyError(f"[{self.code}] template asks for noun {key!r}, not in the pack's nouns {sorted(self.nouns)}")
        return self.count_phrase(value, self.nouns[key], case)

    def calc(self, step: StepSpec) -> str:
        """The explicit computation of a step; identical conventions in every language."""
        left = format_number(step.left, self.code)
        right = format_percent(step.right, self.code) if step.op == "pct" else format_number(step.right, self.code)
        return f"{left} {OP_SYMBOLS[step.op]} {right} = {format_number(step.result, self.code)}"

    # -- rendering ------------------------------------------------------------------------
    def object_of(self, spec: ProblemSpec, offset: int = 0) -> Noun:
        objs = self.objects[spec.story]
        return objs[(spec.obj + offset) % len(objs)]

    def people(self, spec: ProblemSpec) -> tuple[Person, Person]:
        k = len(self.names)
        first = spec.person % k
        second = (first + 1 + spec.friend % (k - 1)) % k
        return self.names[first], self.names[second]

    def fields(self, spec: ProblemSpec, index: int | None) -> dict:
        """Template fields for the opening (`index` None) or for step `index` (0-based).

        `item` depends only on the step, so a problem sentence and its solution step name the
        same thing. Returns a new dict the caller may extend.
        """
        return dict(self._shared_fields(spec, index))

    def _shared_fields(self, spec: ProblemSpec, index: int | None) -> dict:
        """`fields`, built once for all positions of the spec being rendered; never modify it."""
        cache = self.__dict__.get("_fields_cache")
        if cache is None or cache[0] is not spec:
            name, friend = self.people(spec)
            base = {"name": name, "friend": friend, "obj": self.object_of(spec), "start": _Number(spec.start, self, spec)}
            by_index: dict[int | None, dict] = {None: dict(base, item=self.object_of(spec, 0))}
            for i, step in enumerate(spec.steps):
                by_index[i] = dict(
                    base,
                    item=self.object_of(spec, i + 1),
                    x=_Number(step.left, self, spec),
                    n=_Number(step.right, self, spec),
                    c=_Number(step.result, self, spec),
                )
            cache = (spec, by_index)
            self.__dict__["_fields_cache"] = cache
        return cache[1][index]

    def fill(self, template: str, fields: dict, where: str | tuple = "") -> str:
        try:
            text = template.format(**fields)
        except (KeyError, IndexError, ValueError) as err:
            if isinstance(where, tuple):  # (table, story, event), formatted only when needed
                where = "{}[{}][{}]".format(*where)
            raise ValueError(f"[{self.code}] template {where} {template!r} cannot be filled: {err}") from None
        return _capitalize(text)

    @staticmethod
    def pick(variants: list[str], spec: ProblemSpec, slot: int, occurrence: int = 0) -> str:
        """A variant chosen by the problem's style; repeated events cycle through the variants."""
        return variants[((spec.style >> (4 * slot)) + occurrence) % len(variants)]

    def render_problem(self, spec: ProblemSpec) -> str:
        """The problem text (without the instruction)."""
        sentences = []
        index_of = {id(step): i for i, step in enumerate(spec.steps)}
        seen: dict[str, int] = {}
        for event, step in spec.question_events:
            occurrence = seen[event] = seen.get(event, -1) + 1
            template = self.pick(self.questions[spec.story][event], spec, _QUESTION_SLOT[event], occurrence)
            fields = self._shared_fields(spec, None if step is None else index_of[id(step)])
            sentences.append(self.fill(template, fields, ("questions", spec.story, event)))
        return " ".join(sentences)

    def render_step(self, spec: ProblemSpec, index: int) -> str:
        """The sentence of step `index` (0-based), without the "<step_word> <i>:" prefix."""
        step = spec.steps[index]
        occurrence = sum(1 for s in spec.steps[:index] if s.event == step.event)
        template = self.pick(self.steps[spec.story][step.event], spec, _STEP_SLOT[step.event], occurrence)
        fields = dict(self._shared_fields(spec, index), calc=self.calc(step))
        return self.fill(template, fields, ("steps", spec.story, step.event))

    def question(self, spec: ProblemSpec) -> str:
        """What the user asks: the problem text, a newline, the instruction."""
        return self.render_problem(spec) + "\n" + self.instruction

    def solution_lines(self, spec: ProblemSpec) -> list[str]:
        """The worked solution: one line per step, then the answer line."""
        word = get_language(self.code).step_word
        lines = [f"{word} {i + 1}: {self.render_step(spec, i)}" for i in range(len(spec.steps))]
        lines.append(answer_line(self.code, format_number(spec.answer, self.code)))
        return lines

    # -- validation ---------------------------------------------------------------------
    def check(self) -> None:
        """Raise ValueError listing everything structurally missing from the pack."""
        problems = []
        get_language(self.code)
        if len(self.names) < 6:
            problems.append(f"needs at least 6 names, has {len(self.names)}")
        if "km" not in self.nouns:
            problems.append('nouns needs "km" (the journey unit)')
        for story in STORIES:
            if len(self.objects.get(story, [])) < 4:
                problems.append(f"objects[{story!r}] needs at least 4 nouns")
            for event in QUESTION_EVENTS:
                if not self.questions.get(story, {}).get(event):
                    problems.append(f"questions[{story!r}][{event!r}] is missing")
            for event in STEP_EVENTS:
                variants = self.steps.get(story, {}).get(event)
                if not variants:
                    problems.append(f"steps[{story!r}][{event!r}] is missing")
                    continue
                for template in variants:
                    names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
                    if names.count("calc") != 1:
                        problems.append(f"steps[{story!r}][{event!r}] {template!r} must contain {{calc}} once")
        if "{" in self.instruction or get_language(self.code).answer_marker not in self.instruction:
            problems.append("instruction must name the answer marker literally and hold no fields")
        if problems:
            raise ValueError(f"language pack {self.code!r} is incomplete:\n  " + "\n  ".join(problems))
