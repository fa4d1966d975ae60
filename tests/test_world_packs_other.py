"""The Baltic, Finno-Ugric, Celtic and Maltese language packs of the world: lt lv et fi hu ga mt.

Checks each language's plural rule at the numbers where these grammars differ, the noun forms
count phrases produce in every sentence role, whole sentences as a native speaker writes them,
that every template variant fills for every name, object and plural category, and that problems
made by `World` have right arithmetic, name each quantity with its grammatical form and hold no
English story words.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal

import pytest

from euro_post.data.languages import answer_line, format_number, get_language
from euro_post.data.world.config import WorldConfig
from euro_post.data.world.generator import draw_spec
from euro_post.data.world.pack import QUESTION_EVENTS, STEP_EVENTS, STORIES, ProblemSpec, StepSpec
from euro_post.data.world.packs import get_pack
from euro_post.data.world.world import World

LANGS = ("et", "fi", "ga", "hu", "lt", "lv", "mt")
NUMBERS = (1, 2, 3, 7, 10, 11, 12, 20, 21, 22, 25, 100, 101)

# The category after each number of NUMBERS.
PLURALS = {
    # ends in 1 (not 11) / ends in 2-9 (not 12-19) / 10-20 and tens: genitive plural
    "lt": ["one", "few", "few", "few", "many", "many", "many", "many", "one", "few", "few", "many", "one"],
    # ends in 1 but not 11 -> singular, everything else plural
    "lv": ["one", "other", "other", "other", "other", "other", "other", "other", "one", "other", "other", "other", "one"],
    # 1 -> nominative, every other number -> partitive singular
    "fi": ["one"] + ["other"] * 12,
    "et": ["one"] + ["other"] * 12,
    # the noun is singular after every numeral
    "hu": ["one"] * 13,
    # CLDR: 1, 2, 3-6 (lenition), 7-10 (eclipsis), the rest
    "ga": ["one", "two", "few", "many", "many", "other", "other", "other", "other", "other", "other", "other", "other"],
    # 2-10 plural, 11-19 singular with "-il", the rest singular
    "mt": ["one", "few", "few", "few", "few", "many", "many", "other", "other", "other", "other", "other", "other"],
}
DECIMAL_PLURALS = {"lt": "frac", "lv": "other", "fi": "other", "et": "other", "hu": "one", "ga": "other", "mt": "other"}

# (collection noun by its "one" form, case, number -> the phrase a native speaker writes).
COUNT_PHRASES = {
    "lt": [
        ("obuolys", "", {1: "1 obuolys", 2: "2 obuoliai", 3: "3 obuoliai", 7: "7 obuoliai", 10: "10 obuolių",
                         11: "11 obuolių", 12: "12 obuolių", 20: "20 obuolių", 21: "21 obuolys", 22: "22 obuoliai",
                         25: "25 obuoliai", 100: "100 obuolių", 101: "101 obuolys"}),
        ("saga", "acc", {1: "1 sagą", 2: "2 sagas", 7: "7 sagas", 10: "10 sagų", 11: "11 sagų", 21: "21 sagą",
                         22: "22 sagas", 100: "100 sagų", 101: "101 sagą"}),
    ],
    "lv": [
        ("ābols", "", {1: "1 ābols", 2: "2 āboli", 3: "3 āboli", 7: "7 āboli", 10: "10 āboli", 11: "11 āboli",
                       12: "12 āboli", 20: "20 āboli", 21: "21 ābols", 22: "22 āboli", 25: "25 āboli",
                       100: "100 āboli", 101: "101 ābols"}),
        ("pastmarka", "acc", {1: "1 pastmarku", 2: "2 pastmarkas", 11: "11 pastmarkas", 21: "21 pastmarku"}),
    ],
    "fi": [
        ("omena", "", {1: "1 omena", 2: "2 omenaa", 3: "3 omenaa", 7: "7 omenaa", 10: "10 omenaa",
                       11: "11 omenaa", 12: "12 omenaa", 20: "20 omenaa", 21: "21 omenaa", 22: "22 omenaa",
                       25: "25 omenaa", 100: "100 omenaa", 101: "101 omenaa"}),
        ("postimerkki", "acc", {1: "1 postimerkin", 2: "2 postimerkkiä", 21: "21 postimerkkiä"}),
    ],
    "et": [
        ("õun", "", {1: "1 õun", 2: "2 õuna", 3: "3 õuna", 7: "7 õuna", 10: "10 õuna", 11: "11 õuna",
                     12: "12 õuna", 20: "20 õuna", 21: "21 õuna", 22: "22 õuna", 25: "25 õuna", 100: "100 õuna",
                     101: "101 õuna"}),
        ("postmark", "acc", {1: "1 postmargi", 2: "2 postmarki", 21: "21 postmarki"}),
        ("pliiats", "", {1: "1 pliiats", 5: "5 pliiatsit"}),
    ],
    "hu": [
        ("alma", "", {n: f"{n} alma" for n in NUMBERS}),
        ("alma", "acc", {1: "1 almát", 5: "5 almát", 22: "22 almát"}),
        ("bélyeg", "px", {1: "1 bélyege", 12: "12 bélyege"}),
    ],
    "ga": [("stampa", "", {n: f"{n} stampa" for n in NUMBERS})],
    "mt": [
        ("tuffieħa", "", {1: "1 tuffieħa", 2: "2 tuffieħat", 3: "3 tuffieħat", 7: "7 tuffieħat", 10: "10 tuffieħat",
                          11: "11-il tuffieħa", 12: "12-il tuffieħa", 20: "20 tuffieħa", 21: "21 tuffieħa",
                          22: "22 tuffieħa", 25: "25 tuffieħa", 100: "100 tuffieħa", 101: "101 tuffieħa",
                          102: "102 tuffieħat", 111: "111-il tuffieħa", 1015: "1,015-il tuffieħa"}),
    ],
}
# Shared count nouns in the cases the templates use: (noun, number, case) -> phrase.
NOUN_PHRASES = {
    "lt": {("box", 2, "acc"): "2 dėžutes", ("box", 10, "acc"): "10 dėžučių", ("box", 21, "acc"): "21 dėžutę",
           ("friend", 4, "dat"): "4 draugams", ("friend", 12, "dat"): "12 draugų", ("friend", 21, "dat"): "21 draugui",
           ("stage", 4, ""): "4 etapai", ("day", 11, "acc"): "11 dienų"},
    "lv": {("bag", 4, "loc"): "4 maisiņos", ("bag", 21, "loc"): "21 maisiņā", ("friend", 3, "dat"): "3 draugiem",
           ("hour", 1, "acc"): "1 stundu", ("hour", 5, "acc"): "5 stundas", ("stage", 11, ""): "11 posmi"},
    "fi": {("hour", 1, "acc"): "1 tunnin", ("hour", 5, "acc"): "5 tuntia", ("bag", 4, "ill"): "4 pussiin",
           ("day", 3, "ine"): "3 päivässä", ("friend", 4, "gen"): "4 ystävän", ("box", 6, ""): "6 laatikkoa"},
    "et": {("hour", 1, "acc"): "1 tunni", ("hour", 5, "acc"): "5 tundi", ("day", 4, "kom"): "4 päevaga",
           ("bag", 3, "ill"): "3 kotti", ("friend", 4, "gen"): "4 sõbra", ("box", 6, ""): "6 karpi"},
    "hu": {("box", 4, "px"): "4 doboza", ("hour", 5, "acc"): "5 órát", ("day", 3, "on"): "3 napon",
           ("friend", 4, "px"): "4 barátja", ("bag", 4, "ill"): "4 zacskóba"},
    "ga": {("day", 7, ""): "7 lá", ("purse", 3, ""): "3 sparán", ("tin", 12, ""): "12 stán", ("stage", 2, ""): "2 stráice"},
    "mt": {("hour", 2, ""): "2 sigħat", ("hour", 11, ""): "11-il siegħa", ("day", 7, ""): "7 ijiem",
           ("day", 20, ""): "20 jum", ("friend", 15, ""): "15-il ħabib", ("km", 11, ""): "11 km"},
}

# Whole sentences: (story, event, template index, person, friend offset, object, number) -> text.
SENTENCES = {
    "fi": [(("collection", "gain", 0, 1, 0, 0, 1), "Aino antaa Matille 1 omenan."),
           (("collection", "gain", 0, 1, 0, 0, 5), "Aino antaa Matille 5 omenaa."),
           (("collection", "ask_total", 0, 0, 0, 1, 5), "Montako postimerkkiä Liisalla on nyt?")],
    "et": [(("collection", "gain", 0, 0, 0, 1, 1), "Jaan annab Marile 1 postmargi."),
           (("collection", "start", 0, 1, 0, 0, 7), "Jaanil on 7 õuna."),
           (("shopping", "groups", 0, 0, 0, 0, 5), "Mari töötab 5 tundi ja teenib 5\u00a0€ tunnis.")],
    "lt": [(("collection", "gain", 0, 0, 0, 0, 21), "Jonas duoda Rūtai 21 obuolį."),
           (("collection", "gain", 0, 0, 0, 0, 12), "Jonas duoda Rūtai 12 obuolių."),
           (("collection", "gain", 0, 0, 0, 0, 3), "Jonas duoda Rūtai 3 obuolius.")],
    "lv": [(("collection", "start", 0, 1, 0, 0, 21), "Jānim ir 21 ābols."),
           (("collection", "gain", 0, 0, 0, 0, 3), "Jānis iedod Annai 3 ābolus.")],
    "hu": [(("collection", "start", 0, 0, 0, 0, 12), "Annának 12 almája van."),
           (("collection", "gain", 0, 0, 0, 0, 5), "Péter 5 almát ad Annának."),
           (("collection", "pct_off", 0, 1, 0, 1, 20), "Péter eladja a bélyegek 20%-át.")],
    "ga": [(("collection", "gain", 0, 1, 0, 0, 7), "Tugann Aoife 7 stampa do Sheán."),
           (("collection", "start", 0, 2, 0, 0, 3), "Tá 3 stampa ag Aoife.")],
    "mt": [(("collection", "start", 0, 0, 0, 0, 12), "Marija għandha 12-il tuffieħa."),
           (("collection", "gain", 0, 0, 0, 0, 5), "Mark jagħti 5 tuffieħat lil Marija."),
           (("journey", "lose", 0, 0, 0, 0, 3), "Marija ssuq 3 km."),
           (("journey", "lose", 0, 1, 0, 0, 3), "Mark isuq 3 km.")],
}
# Words of three or more letters that are genuinely the language's own although English has
# them too: Lithuanian "per" ("per valandą", in an hour).
OWN_WORDS = {"lt": {"per"}}


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


def _read(text: str, lang: str) -> Decimal:
    info = get_language(lang)
    return Decimal(text.replace(info.group, "").replace(info.decimal, "."))


def _calc(line: str, lang: str) -> tuple[Decimal, str, Decimal, bool, Decimal]:
    """(left, op symbol, right, right is a percentage, result) of the computation ending a step."""
    info = get_language(lang)
    group, dec = re.escape(info.group), re.escape(info.decimal)
    num = rf"\d{{1,3}}(?:{group}\d{{3}})+(?:{dec}\d+)?|\d+(?:{dec}\d+)?"
    percent_tail = re.escape(info.percent.format(n=""))
    match = re.search(rf"({num}) ([+\-×/]) ({num})({percent_tail})? = ({num})\.$", line)
    assert match, f"[{lang}] no computation at the end of the step line {line!r}"
    left, op, right, pct, result = match.groups()
    for text in (left, right, result):
        assert format_number(_read(text, lang), lang) == text, f"[{lang}] {text!r} is not written as {lang} writes it"
    return _read(left, lang), op, _read(right, lang), pct is not None, _read(result, lang)


def _spec(story: str, person: int, friend: int, obj: int, value, event: str = "gain") -> ProblemSpec:
    value = Decimal(str(value))
    step = StepSpec("add", value, value, value + value, event)
    return ProblemSpec(story, value, (step,), person, friend, obj, 0)


@pytest.mark.parametrize("lang", LANGS)
def test_plural_category_after_each_number(lang):
    pack = get_pack(lang)
    got = [pack.plural_category(n) for n in NUMBERS]
    assert got == PLURALS[lang], dict(zip(NUMBERS, got))
    for value in ("2.5", "1.5", "0.5", "12.25"):
        assert pack.plural_category(Decimal(value)) == DECIMAL_PLURALS[lang], value
    assert pack.plural_category(Decimal("21.0")) == pack.plural_category(21)


def test_latvian_decimals_follow_the_last_digit():
    lv = get_pack("lv")
    assert [lv.plural_category(Decimal(v)) for v in ("0.1", "2.1", "2.11", "3.21", "2.5")] == [
        "one", "one", "other", "one", "other",
    ]
    assert get_pack("lt").count_phrase(Decimal("2.5"), get_pack("lt").objects["collection"][0]) == "2,5 obuolio"


@pytest.mark.parametrize("lang", LANGS)
def test_count_phrases_use_the_form_the_numeral_needs(lang):
    pack = get_pack(lang)
    for base, case, expected in COUNT_PHRASES[lang]:
        word = next(w for w in pack.objects["collection"] if w.forms["one"] == base)
        for number, phrase in expected.items():
            assert pack.count_phrase(Decimal(number), word, case) == phrase, (number, case)
    for (name, number, case), phrase in NOUN_PHRASES[lang].items():
        assert pack.count_phrase(Decimal(number), pack.nouns[name], case) == phrase
    decimal = get_language(lang).decimal
    assert pack.count_phrase(Decimal("2.5"), pack.nouns["km"]) == f"2{decimal}5 km"
    money = pack.money(Decimal("12.5"))
    assert money == ("€12.50" if lang in ("ga", "mt") else "12,50\u00a0€")


@pytest.mark.parametrize("lang", LANGS)
def test_sentences_read_as_a_native_speaker_writes_them(lang):
    pack = get_pack(lang)
    for (story, event, variant, person, friend, obj, number), expected in SENTENCES[lang]:
        spec = _spec(story, person, friend, obj, number, event if event in STEP_EVENTS else "gain")
        fields = pack.fields(spec, 0)
        table = pack.questions[story]
        assert pack.fill(table[event][variant], fields, event) == expected


def test_irish_counts_only_nouns_whose_initial_no_mutation_changes():
    from euro_post.data.world.lang_ga import IMMUNE_INITIALS

    ga = get_pack("ga")
    counted = list(ga.objects["collection"]) + [w for key, w in ga.nouns.items() if key != "km"]
    for word in counted:
        assert len(set(word.forms[c] for c in ("one", "two", "few", "many", "other"))) == 1, word.forms
        assert word.forms["one"].lower().startswith(IMMUNE_INITIALS), word.forms["one"]


def test_maltese_names_end_as_the_verb_forms_after_them_assume():
    mt = get_pack("mt")
    vowels = "aeiouàèìòù"
    for person in mt.names:
        assert (person.name[-1].lower() in vowels) == (person.gender == "f"), person.name


def _all_categories(pack) -> list[Decimal]:
    """One number per plural category the language has (integers 1..120 and a decimal)."""
    seen: dict[str, Decimal] = {}
    for value in [Decimal(n) for n in range(1, 121)] + [Decimal("2.5")]:
        seen.setdefault(pack.plural_category(value), value)
    return list(seen.values())


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_fills_for_every_name_object_and_category(lang):
    pack = get_pack(lang)
    pack.check()
    for story in STORIES:
        for value in _all_categories(pack):
            for person_index in range(len(pack.names)):
                for obj in range(len(pack.objects[story])):
                    spec = _spec(story, person_index, 0, obj, value)
                    fields = pack.fields(spec, 0)
                    fields["calc"] = pack.calc(spec.steps[0])
                    for table, events in ((pack.questions, QUESTION_EVENTS), (pack.steps, STEP_EVENTS)):
                        for event in events:
                            for template in table[story][event]:
                                text = pack.fill(template, fields, f"{story}/{event}")
                                assert "{" not in text and "}" not in text, text
                                assert text[0].isupper() or text[0].isdigit(), text
                                assert text.endswith((".", "?")), text
                                assert "  " not in text and " ." not in text and " ," not in text, text
    for story in STORIES:
        for event in QUESTION_EVENTS:
            for template in pack.questions[story][event]:
                assert "calc" not in {f for _, f, _, _ in string.Formatter().parse(template) if f}
        assert all(len(pack.questions[story][e]) >= 2 for e in ("start", "gain", "lose", "ask_total")), story


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
                    # The chain runs on the quantity: the previous result or, after a
                    # percentage, the amount the percentage was taken of.
                    prev_left, prev_result, prev_pct = previous
                    assert left == (prev_left if prev_pct else prev_result), problem.solution
                previous = (left, result, is_pct)
            assert Decimal(problem.answer) == result
            assert lines[-1] == answer_line(lang, problem.answer_text)
    assert stories == set(STORIES)


@pytest.mark.parametrize("lang", LANGS)
def test_world_text_is_in_the_language_only(world, lang):
    english = _english_story_words() - OWN_WORDS.get(lang, set())
    for index in range(150):
        problem = world.problem(lang, "sft", index)
        text = problem.question + "\n" + problem.solution
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 3}
        assert not words & english, (sorted(words & english), text)
        assert "{" not in text and "  " not in text and "None" not in text
        assert get_language(lang).answer_marker in problem.question


# The case of the count phrase in the gain and lose sentences: the object of giving/getting.
GAIN_LOSE_CASE = {"fi": "acc", "et": "acc", "lt": "acc", "lv": "acc", "hu": "acc", "ga": "", "mt": ""}


@pytest.mark.parametrize("lang", LANGS)
def test_problem_text_writes_each_quantity_with_its_grammatical_form(lang):
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
                assert pack.count_phrase(step.right, word, GAIN_LOSE_CASE[lang]) in text, text
                checked += 1
    assert checked > 30
