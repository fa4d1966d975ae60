"""The Slavic language packs of the world: bg, cs, hr, pl, sk, sl.

Checks the plural rule of each language at the numbers where Slavic grammars differ, the noun
forms count phrases produce, that every template variant fills for every name and every
plural category, and that problems made by `World` are written in the language's script,
with no English story words, and worked solutions whose arithmetic is right.
"""

from __future__ import annotations

import re
import string
import unicodedata
from decimal import Decimal

import pytest

from euro_post.data.languages import answer_line, format_number, get_language
from euro_post.data.world.config import WorldConfig
from euro_post.data.world.generator import draw_spec
from euro_post.data.world.pack import QUESTION_EVENTS, STEP_EVENTS, STORIES, ProblemSpec, StepSpec
from euro_post.data.world.packs import get_pack
from euro_post.data.world.world import World

LANGS = ("bg", "cs", "hr", "pl", "sk", "sl")
NUMBERS = (1, 2, 4, 5, 11, 12, 21, 22, 25, 101, 102, 105)

# The category after each number: Polish and Croatian look at the last digits (22 like 2,
# but 12 like 5), Czech and Slovak only at 1 and 2-4, Slovenian at the last two digits with a
# dual, Bulgarian only at 1.
PLURALS = {
    "pl": ["one", "few", "few", "many", "many", "many", "many", "few", "many", "many", "few", "many"],
    "cs": ["one", "few", "few", "other", "other", "other", "other", "other", "other", "other", "other", "other"],
    "sk": ["one", "few", "few", "other", "other", "other", "other", "other", "other", "other", "other", "other"],
    "hr": ["one", "few", "few", "other", "other", "other", "one", "few", "other", "one", "few", "other"],
    "sl": ["one", "two", "few", "other", "other", "other", "other", "other", "other", "one", "two", "other"],
    "bg": ["one", "other", "other", "other", "other", "other", "other", "other", "other", "other", "other", "other"],
}
# After a decimal number: the genitive singular ("fraction"; in Croatian it is the paucal form).
DECIMAL_PLURALS = {"pl": "fraction", "cs": "fraction", "sk": "fraction", "hr": "few", "sl": "fraction", "bg": "other"}

# (collection noun by its "one" form, number -> the phrase a native speaker writes after "has").
COUNT_PHRASES = {
    "pl": ("jabłko", {1: "1 jabłko", 2: "2 jabłka", 4: "4 jabłka", 5: "5 jabłek", 12: "12 jabłek",
                      21: "21 jabłek", 22: "22 jabłka", 25: "25 jabłek", 101: "101 jabłek", 102: "102 jabłka"}),
    "cs": ("známku", {1: "1 známku", 2: "2 známky", 4: "4 známky", 5: "5 známek", 12: "12 známek",
                      21: "21 známek", 22: "22 známek", 101: "101 známek"}),
    "sk": ("známku", {1: "1 známku", 2: "2 známky", 4: "4 známky", 5: "5 známok", 12: "12 známok",
                      21: "21 známok", 22: "22 známok", 101: "101 známok"}),
    "hr": ("jabuku", {1: "1 jabuku", 2: "2 jabuke", 4: "4 jabuke", 5: "5 jabuka", 11: "11 jabuka",
                      12: "12 jabuka", 21: "21 jabuku", 22: "22 jabuke", 25: "25 jabuka", 101: "101 jabuku"}),
    "sl": ("jabolko", {1: "1 jabolko", 2: "2 jabolki", 3: "3 jabolka", 4: "4 jabolka", 5: "5 jabolk",
                       21: "21 jabolk", 22: "22 jabolk", 101: "101 jabolko", 102: "102 jabolki",
                       103: "103 jabolka", 104: "104 jabolka", 105: "105 jabolk"}),
    "bg": ("молив", {1: "1 молив", 2: "2 молива", 5: "5 молива", 21: "21 молива", 101: "101 молива"}),
}
# Shared count nouns: hours and days, the classic irregular ones.
NOUN_PHRASES = {
    "pl": {("hour", 1): "1 godzinę", ("hour", 3): "3 godziny", ("hour", 12): "12 godzin", ("day", 2): "2 dni",
           ("bag", 3, "gen"): "3 torebek", ("bag", 1, "gen"): "1 torebki"},
    "cs": {("hour", 1): "1 hodinu", ("hour", 3): "3 hodiny", ("hour", 5): "5 hodin", ("day", 3): "3 dny",
           ("day", 7): "7 dní", ("bag", 3, "gen"): "3 sáčků"},
    "sk": {("hour", 1): "1 hodinu", ("hour", 3): "3 hodiny", ("hour", 5): "5 hodín", ("day", 3): "3 dni",
           ("day", 7): "7 dní", ("bag", 4, "gen"): "4 vrecúšok"},
    "hr": {("hour", 1): "1 sat", ("hour", 3): "3 sata", ("hour", 5): "5 sati", ("hour", 21): "21 sat",
           ("day", 2): "2 dana"},
    "sl": {("hour", 1): "1 uro", ("hour", 2): "2 uri", ("hour", 3): "3 ure", ("hour", 5): "5 ur",
           ("day", 2): "2 dneva", ("day", 3): "3 dni"},
    "bg": {("hour", 1): "1 час", ("hour", 3): "3 часа", ("day", 3): "3 дни", ("stage", 4): "4 етапа",
           ("box", 4): "4 кутии"},
}
SCRIPT = {"bg": "CYRILLIC", "cs": "LATIN", "hr": "LATIN", "pl": "LATIN", "sk": "LATIN", "sl": "LATIN"}


def _english_story_words() -> set[str]:
    """Every word of three or more letters in the English pack's templates and nouns."""
    en = get_pack("en")
    texts = [en.instruction]
    for table in (en.questions, en.steps):
        for events in table.values():
            for variants in events.values():
                texts += variants
    for nouns in list(en.objects.values()) + [list(en.nouns.values())]:
        for word in nouns:
            texts += word.forms.values()
    words = set()
    for text in texts:
        text = re.sub(r"\{[^}]*\}", " ", text)
        words |= {w.lower() for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 3}
    return words


ENGLISH_WORDS = _english_story_words()


def _number_pattern(lang: str) -> str:
    group = re.escape(get_language(lang).group)
    decimal = re.escape(get_language(lang).decimal)
    return rf"\d{{1,3}}(?:{group}\d{{3}})+(?:{decimal}\d+)?|\d+(?:{decimal}\d+)?"


def _read(text: str, lang: str) -> Decimal:
    info = get_language(lang)
    return Decimal(text.replace(info.group, "").replace(info.decimal, "."))


def _calc(line: str, lang: str) -> tuple[Decimal, str, Decimal, bool, Decimal]:
    """(left, op symbol, right, right is a percentage, result) of the computation ending a step."""
    num = _number_pattern(lang)
    percent_tail = re.escape(get_language(lang).percent.format(n=""))
    match = re.search(rf"({num}) ([+\-×/]) ({num})({percent_tail})? = ({num})\.$", line)
    assert match, f"[{lang}] no computation at the end of the step line {line!r}"
    left, op, right, pct, result = match.groups()
    return _read(left, lang), op, _read(right, lang), pct is not None, _read(result, lang)


def _letters_in_script(text: str, script: str) -> list[str]:
    return [ch for ch in text if ch.isalpha() and not unicodedata.name(ch, "").startswith(script)]


@pytest.mark.parametrize("lang", LANGS)
def test_plural_category_after_each_number(lang):
    pack = get_pack(lang)
    got = [pack.plural_category(n) for n in NUMBERS]
    assert got == PLURALS[lang], dict(zip(NUMBERS, got))
    for value in ("2.5", "1.5", "0.5", "21.5"):
        assert pack.plural_category(Decimal(value)) == DECIMAL_PLURALS[lang], value
    # The rule is a function of the number, not of how it is written.
    assert pack.plural_category(Decimal("22.0")) == pack.plural_category(22)


@pytest.mark.parametrize("lang", LANGS)
def test_count_phrases_use_the_form_the_numeral_needs(lang):
    pack = get_pack(lang)
    base, expected = COUNT_PHRASES[lang]
    word = next(w for w in pack.objects["collection"] if w.forms["one"] == base)
    for number, phrase in expected.items():
        assert pack.count_phrase(Decimal(number), word) == phrase
    for key, phrase in NOUN_PHRASES[lang].items():
        name, number, *case = key
        assert pack.count_phrase(Decimal(number), pack.nouns[name], *case) == phrase
    # Decimal distances keep the unit abbreviation and the language's decimal comma.
    unit = "км" if lang == "bg" else "km"
    assert pack.count_phrase(Decimal("2.5"), pack.nouns["km"]) == f"2,5 {unit}"


def _all_categories(pack) -> list[Decimal]:
    """One number per plural category the language has (integers 1..120 and a decimal)."""
    seen: dict[str, Decimal] = {}
    for value in [Decimal(n) for n in range(1, 121)] + [Decimal("2.5")]:
        seen.setdefault(pack.plural_category(value), value)
    return list(seen.values())


def _template_placeholders(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_fills_for_every_name_object_and_category(lang):
    pack = get_pack(lang)
    pack.check()
    for story in STORIES:
        for value in _all_categories(pack):
            step = StepSpec("add", value, value, value, "gain")
            for person_index in range(len(pack.names)):
                for obj in range(len(pack.objects[story])):
                    spec = ProblemSpec(story, value, (step,), person_index, 0, obj, 0)
                    fields = pack.fields(spec, 0)
                    fields["calc"] = pack.calc(step)
                    for table, events in ((pack.questions, QUESTION_EVENTS), (pack.steps, STEP_EVENTS)):
                        for event in events:
                            for template in table[story][event]:
                                text = pack.fill(template, fields, f"{story}/{event}")
                                assert "{" not in text and "}" not in text, text
                                assert text[0].isupper() or text[0].isdigit(), text
                                assert text.endswith((".", "?")), text
                                assert "  " not in text and " ." not in text and " ," not in text, text
    # Step sentences must show the computation; question sentences must not.
    for story in STORIES:
        for event in QUESTION_EVENTS:
            for template in pack.questions[story][event]:
                assert "calc" not in _template_placeholders(template)


@pytest.fixture(scope="module")
def world():
    # More decimals, percentages and divisions than the default, to reach every event often.
    config = WorldConfig(seed=7, decimals=0.4, percentages=0.35, division=0.35)
    return World(config, languages=list(LANGS))


@pytest.mark.parametrize("lang", LANGS)
def test_world_problems_have_right_arithmetic_and_answer_line(world, lang):
    step_word = get_language(lang).step_word
    stories = set()
    for split, count in (("sft", 120), ("eval", 30)):
        for index in range(count):
            problem = world.problem(lang, split, index)
            stories.add(problem.story)
            lines = problem.solution.split("\n")
            assert lines[:-1] == problem.steps and len(problem.steps) == problem.num_operations
            result = previous = None
            for i, line in enumerate(problem.steps, start=1):
                assert line.startswith(f"{step_word} {i}: "), line
                left, op, right, is_pct, result = _calc(line, lang)
                expected = {
                    "+": left + right, "-": left - right, "/": left / right,
                    "×": left * right / 100 if is_pct else left * right,
                }[op]
                assert expected == result, f"[{lang}] wrong arithmetic in {line!r}"
                if previous is not None:
                    # Each step works on the running quantity: the previous result or, after
                    # a percentage, the amount the percentage was taken of.
                    prev_left, prev_result, prev_pct = previous
                    want = prev_left if prev_pct else prev_result
                    assert left == want, f"[{lang}] step {i} does not continue the chain: {problem.solution}"
                previous = (left, result, is_pct)
            assert Decimal(problem.answer) == result
            assert lines[-1] == answer_line(lang, problem.answer_text)
            assert problem.answer_text == format_number(Decimal(problem.answer), lang)
    assert stories == set(STORIES)


@pytest.mark.parametrize("lang", LANGS)
def test_world_text_is_in_the_language_only(world, lang):
    for index in range(150):
        problem = world.problem(lang, "sft", index)
        text = problem.question + "\n" + problem.solution
        assert not _letters_in_script(text, SCRIPT[lang]), (text, _letters_in_script(text, SCRIPT[lang]))
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 3}
        assert not words & ENGLISH_WORDS, (sorted(words & ENGLISH_WORDS), text)
        assert "{" not in text and "  " not in text
        if lang == "bg":
            assert "€" not in text
        else:
            assert "евро" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_problem_text_writes_each_quantity_with_its_grammatical_form(lang):
    """The amounts given or taken in a collection story appear as "<number> <form>"."""
    config = WorldConfig(seed=3)
    pack = get_pack(lang)
    checked = 0
    for index in range(200):
        spec, _ = draw_spec(config, lang, "sft", index)
        if spec.story != "collection":
            continue
        text = pack.render_problem(spec)
        word = pack.object_of(spec)
        for step in spec.steps:
            if step.event in ("gain", "lose"):
                form = word.forms[pack.plural_category(step.right)]
                assert f"{format_number(step.right, lang)} {form}" in text, (form, text)
                checked += 1
        assert "None" not in text
    assert checked > 30
