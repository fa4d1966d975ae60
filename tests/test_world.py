"""The embedded world: determinism, held-out eval, number formats, arithmetic, plurals, files.

Every check runs on all 24 languages; the language packs live in euro_post/data/world/lang_*.py.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from euro_post.rewards.formatting import format_score
from euro_post.rewards.language_id import consistency_score
from pydantic import ValidationError

from euro_post.data.languages import LANGUAGE_CODES, NNBSP, answer_line, format_number, format_percent, get_language
from euro_post.data.world import World, WorldConfig, get_pack, is_eval_key, problem_key, write_world
from euro_post.data.world.generator import draw_spec
from euro_post.data.world.pack import OP_SYMBOLS, STORIES

SMALL = dict(pretrain_documents_per_language=20, sft_per_language=40, rl_per_language=20, eval_per_language=15)
TRAIN_SPLITS = ("pretrain", "sft", "rl")


CONFIG = WorldConfig(seed=3, **SMALL)
_WORLDS: dict[str, World] = {}


def world_of(lang: str) -> World:
    """A one-language world; its rows equal those of any world holding `lang` (same config)."""
    if lang not in _WORLDS:
        _WORLDS[lang] = World(CONFIG, [lang])
    return _WORLDS[lang]


# -- parsing the worked solutions back ------------------------------------------------------
def number_pattern(lang: str) -> str:
    info = get_language(lang)
    group, dec = re.escape(info.group), re.escape(info.decimal)
    return rf"(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)(?:{dec}\d+)?"


def parse_number(text: str, lang: str) -> Decimal:
    info = get_language(lang)
    return Decimal(text.replace(info.group, "").replace(info.decimal, "."))


def calc_pattern(lang: str) -> re.Pattern:
    num = number_pattern(lang)
    percent_suffix = re.escape(format_percent(1, lang)[1:])
    ops = "|".join(re.escape(s) for s in sorted(set(OP_SYMBOLS.values())))
    return re.compile(rf"(?<![\d.,])({num}) ({ops}) ({num})({percent_suffix})? = ({num})(?![\d])")


def check_solution(problem, lang: str) -> list[Decimal]:
    """Assert every step's "a op b = c" is exact and chains to the answer; return the results."""
    info = get_language(lang)
    pattern = calc_pattern(lang)
    lines = problem.solution.split("\n")
    assert lines[:-1] == problem.steps
    assert lines[-1] == answer_line(lang, problem.answer_text)
    assert len(problem.steps) == problem.num_operations
    results = []
    for i, line in enumerate(problem.steps, start=1):
        assert line.startswith(f"{info.step_word} {i}: "), line
        found = pattern.findall(line)
        assert len(found) == 1, f"{problem.id}: expected one computation in {line!r}"
        a_text, op, b_text, percent, c_text = found[0]
        a, b, c = (parse_number(t, lang) for t in (a_text, b_text, c_text))
        for text, value in ((a_text, a), (b_text, b), (c_text, c)):
            assert format_number(value, lang) == text, f"{problem.id}: {text!r} is not written as {lang} writes it"
        if percent:
            assert op == "×"
            expected = a * b / 100
        else:
            expected = {"+": a + b, "-": a - b, "×": a * b, "/": a / b}[op]
        assert expected == c, f"{problem.id}: {line!r}"
        assert c >= 0
        results.append(c)
    assert results[-1] == Decimal(problem.answer)
    assert problem.answer_text == format_number(Decimal(problem.answer), lang)
    return results


# -- determinism -----------------------------------------------------------------------------
def test_same_seed_same_rows_and_other_seed_other_rows():
    config = WorldConfig(seed=11, **SMALL)
    a, b = World(config, ["de", "en"]), World(config, ["de", "en"])
    for split in ("pretrain", "sft", "rl", "eval"):
        assert a.rows(split, "de") == b.rows(split, "de")
    other = World(WorldConfig(seed=12, **SMALL), ["de", "en"])
    assert other.sft_rows("de") != a.sft_rows("de")
    assert {p["id"] for p in other.sft_rows("de")} == {p["id"] for p in a.sft_rows("de")}
    assert World(config, ["de"]).problem("de", "rl", 7) == a.problem("de", "rl", 7)  # other languages don't matter


def test_answer_only_share_of_sft_replies():
    """`sft_answer_only` turns that share of SFT replies into the answer line alone, in every language;
    the problems themselves, the other replies and the other splits stay as they were."""
    worked = World(WorldConfig(seed=5, **SMALL), ["de", "ga", "el"])
    mixed = World(WorldConfig(seed=5, sft_answer_only=0.5, **SMALL), ["de", "ga", "el"])
    for lang in ("de", "ga", "el"):
        short = 0
        for plain, row in zip(worked.sft_rows(lang), mixed.sft_rows(lang)):
            p = mixed.problem(lang, "sft", int(row["id"].rsplit("-", 1)[1]))
            assert plain["messages"][0] == row["messages"][0]
            assert plain["messages"][1]["content"] == p.solution
            reply = row["messages"][1]["content"]
            if reply != p.solution:
                short += 1
                assert reply == answer_line(lang, p.answer_text) == p.solution.rsplit("\n", 1)[-1]
                assert format_score(reply, lang) == 0.5 and format_score(p.solution, lang) == 1.0
        assert 10 <= short <= 30, (lang, short)  # 40 rows at one half
        for split in ("pretrain", "rl", "eval"):
            assert mixed.rows(split, lang) == worked.rows(split, lang)
    everything = World(WorldConfig(seed=5, sft_answer_only=1.0, **SMALL), ["de"])
    assert all("\n" not in row["messages"][1]["content"] for row in everything.sft_rows("de"))


def test_answer_only_share_per_language():
    """A mapping gives each language its own share; a language it does not name keeps its worked
    replies, and a language's rows are those the same share for every language gives it."""
    per_language = World(WorldConfig(seed=5, sft_answer_only={"ga": 1.0, "el": 0.5}, **SMALL), ["de", "ga", "el"])
    assert per_language.sft_rows("de") == World(WorldConfig(seed=5, **SMALL), ["de"]).sft_rows("de")
    assert all("\n" not in row["messages"][1]["content"] for row in per_language.sft_rows("ga"))
    half = World(WorldConfig(seed=5, sft_answer_only=0.5, **SMALL), ["el"])
    assert per_language.sft_rows("el") == half.sft_rows("el")


def test_english_share_of_sft_replies():
    """`sft_english_replies` writes that share of the replies to non-English questions in English: the
    same solution (same steps, same answer) in English words and number format; English rows keep theirs."""
    plain = World(WorldConfig(seed=5, **SMALL), ["de", "en"])
    drift = World(WorldConfig(seed=5, sft_english_replies=0.5, **SMALL), ["de", "en"])
    assert drift.sft_rows("en") == plain.sft_rows("en")
    english = 0
    for plain_row, row in zip(plain.sft_rows("de"), drift.sft_rows("de")):
        assert row["messages"][0] == plain_row["messages"][0]
        reply, german = row["messages"][1]["content"], plain_row["messages"][1]["content"]
        if reply == german:
            continue
        english += 1
        p = drift.problem("de", "sft", int(row["id"].rsplit("-", 1)[1]))
        assert len(reply.splitlines()) == len(german.splitlines())
        assert reply.startswith("Step 1: ")
        assert reply.splitlines()[-1] == answer_line("en", format_number(Decimal(p.answer), "en"))
        assert consistency_score(reply, "de") == 0.0 and consistency_score(german, "de") == 1.0
    assert 10 <= english <= 30, english  # 40 rows at one half
    both = World(WorldConfig(seed=5, sft_english_replies=1.0, sft_answer_only=1.0, **SMALL), ["de"])
    assert all(r["messages"][1]["content"].startswith("Answer: ") for r in both.sft_rows("de"))


def test_config_is_validated():
    with pytest.raises(ValidationError, match="min_operations"):
        WorldConfig(min_operations=4, max_operations=3)
    with pytest.raises(ValidationError):
        WorldConfig(max_operations=5)
    with pytest.raises(ValidationError):
        WorldConfig(decimals=1.5)
    with pytest.raises(ValidationError, match="sft_answer_only"):
        WorldConfig(sft_answer_only=-0.1)
    with pytest.raises(ValidationError, match=r"sft_answer_only.ga is 1.5; expected a share from 0 to 1"):
        WorldConfig(sft_answer_only={"ga": 1.5})
    with pytest.raises(ValidationError, match=r"sft_answer_only.gd: unknown language 'gd'"):
        WorldConfig(sft_answer_only={"gd": 0.5})
    with pytest.raises(ValidationError):
        WorldConfig(sft_size=3)  # unknown field


def test_unknown_language_and_split_are_clear_errors(monkeypatch):
    with pytest.raises(ValueError, match="24 EU languages"):
        World(WorldConfig(**SMALL), ["xx"])
    with pytest.raises(ValueError, match="unknown world split"):
        world_of("de").problem("de", "test", 0)
    with pytest.raises(ValueError, match="not in this world"):
        world_of("de").problem("fr", "sft", 0)
    import euro_post.data.world.packs as packs

    real_import = packs.importlib.import_module

    def import_without_zz(name, *args):
        if name == "euro_post.data.world.lang_zz":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args)

    monkeypatch.setattr(packs.importlib, "import_module", import_without_zz)
    monkeypatch.setattr(packs, "get_language", lambda code: None)
    with pytest.raises(ValueError, match="lang_zz.py"):
        get_pack("zz")


# -- every language --------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_language_rows_have_every_split_and_right_arithmetic(lang):
    world = world_of(lang)
    counts = {split: len(world.rows(split, lang)) for split in ("pretrain", "sft", "rl", "eval")}
    assert counts == {"pretrain": 20, "sft": 40, "rl": 20, "eval": 15}
    for split in ("pretrain", "sft", "rl", "eval"):
        assert all(row["lang"] == lang for row in world.rows(split, lang))
    pack = get_pack(lang)
    stories = set()
    for split, count in (("sft", 40), ("rl", 20), ("eval", 15)):
        for index in range(count):
            problem = world.problem(lang, split, index)
            stories.add(problem.story)
            check_solution(problem, lang)
            assert problem.question == problem.text + "\n" + pack.instruction
            assert problem.id == f"{lang}-{split}-{index:06d}"
            assert 2 <= problem.num_operations <= 4
            assert "{" not in problem.question and "}" not in problem.solution
    assert stories == set(STORIES)
    sft = world.sft_rows(lang)[0]
    p = world.problem(lang, "sft", 0)
    assert sft["messages"] == [{"role": "user", "content": p.question}, {"role": "assistant", "content": p.solution}]
    rl = world.rl_rows(lang)[0]
    q = world.problem(lang, "rl", 0)
    assert rl["prompt"] == [{"role": "user", "content": q.question}]
    assert (rl["answer"], rl["answer_text"]) == (q.answer, q.answer_text)


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_numbers_follow_the_language_format(lang):
    """Big numbers and decimals: every number in a question or step is written by format_number."""
    config = WorldConfig(seed=5, max_operand=4000, max_multiplier=12, decimals=0.6, percentages=0.3, **SMALL)
    w = World(config, [lang])
    info = get_language(lang)
    seen_group = seen_decimal = False
    for index in range(60):
        p = w.problem(lang, "sft", index)
        check_solution(p, lang)
        seen_group |= info.group in p.solution
        seen_decimal |= info.decimal in p.answer_text
    assert seen_decimal and seen_group
    if info.decimal == ",":
        # a decimal comma language never writes a dot between digits except as its group mark
        assert info.group == "." or not any(
            re.search(r"\d\.\d", w.problem(lang, "sft", i).solution) for i in range(60)
        )


def test_specific_number_formats():
    config = WorldConfig(seed=5, max_operand=4000, decimals=1.0, percentages=0.5, **SMALL)
    w = World(config, ["de", "fr", "en"])
    de = " ".join(w.problem("de", "sft", i).solution for i in range(40))
    fr = " ".join(w.problem("fr", "sft", i).solution for i in range(40))
    en = " ".join(w.problem("en", "sft", i).solution for i in range(40))
    assert re.search(r"\d,\d", de) and not re.search(r"\d\.\d{1,2}(?!\d)", de)
    assert re.search(r"\d" + NNBSP + r"\d{3}", fr) and re.search(r"\d,\d", fr) and NNBSP + "%" in fr
    assert re.search(r"\d\.\d", en) and re.search(r"\d,\d{3}", en)
    money = w.problem("en", "sft", next(i for i in range(40) if w.problem("en", "sft", i).story == "shopping"))
    assert "€" in money.text and re.search(r"€\d", money.text)
    de_money = next(w.problem("de", "sft", i) for i in range(40) if w.problem("de", "sft", i).story == "shopping")
    assert re.search(r"\d\u00a0€", de_money.text)


# -- held-out eval ---------------------------------------------------------------------------
def test_eval_split_never_appears_in_training_in_any_language():
    world = World(CONFIG)  # all 24 languages
    train_keys, eval_keys, train_text = set(), set(), {}
    for lang in world.languages:
        for split in ("sft", "rl"):
            count = getattr(world.config, f"{split}_per_language")
            train_keys |= {world.problem(lang, split, i).key for i in range(count)}
        # pretraining documents use problems 0..(at most 3 per document)
        train_keys |= {world.problem(lang, "pretrain", i).key for i in range(3 * 20)}
        eval_keys |= {world.problem(lang, "eval", i).key for i in range(15)}
        train_text[lang] = "\n".join(
            [r["text"] for r in world.pretrain_rows(lang)]
            + [r["messages"][0]["content"] for r in world.sft_rows(lang)]
            + [r["prompt"][0]["content"] for r in world.rl_rows(lang)]
        )
    assert train_keys and eval_keys and not train_keys & eval_keys
    fraction = world.config.eval_bucket_fraction
    assert all(is_eval_key(k, fraction) for k in eval_keys)
    assert not any(is_eval_key(k, fraction) for k in train_keys)
    for lang in world.languages:
        for row in world.eval_rows(lang):
            text = row["prompt"][0]["content"].split("\n")[0]
            assert text not in train_text[lang]


def test_keys_are_language_independent_and_match_the_spec():
    config = WorldConfig(seed=1, **SMALL)
    for lang in ("de", "el"):
        for split in ("sft", "eval"):
            for index in range(30):
                spec, key = draw_spec(config, lang, split, index)
                assert problem_key(spec) == key
                assert lang not in key.split("|")
                assert is_eval_key(key, config.eval_bucket_fraction) == (split == "eval")
    world = World(config, ["de", "fr"])
    # eval compares languages on the same problems; training draws its own per language
    assert [world.problem("de", "eval", i).key for i in range(15)] == [world.problem("fr", "eval", i).key for i in range(15)]
    assert [world.problem("de", "sft", i).key for i in range(15)] != [world.problem("fr", "sft", i).key for i in range(15)]
    apart = World(config.model_copy(update={"eval_same_across_languages": False}), ["de", "fr"])
    assert [apart.problem("de", "eval", i).key for i in range(15)] != [apart.problem("fr", "eval", i).key for i in range(15)]
    assert len({r["id"] for r in world.eval_rows("de")}) == 15
    assert len({world.problem("de", "eval", int(r["id"][-6:])).key for r in world.eval_rows("de")}) == 15


# -- difficulty knobs ------------------------------------------------------------------------
def test_difficulty_knobs_bound_the_problems():
    config = WorldConfig(
        seed=2, min_operations=2, max_operations=2, max_operand=20, max_multiplier=5, decimals=0.0, percentages=0.0,
        division=0.0, **SMALL,
    )
    w = World(config, ["en"])
    for index in range(80):
        p = w.problem("en", "sft", index)
        assert p.num_operations == 2
        assert "." not in p.answer and "%" not in p.solution
        results = check_solution(p, "en")
        assert all(r == int(r) for r in results)
    hard = World(WorldConfig(seed=2, min_operations=4, max_operations=4, percentages=1.0, **SMALL), ["en"])
    assert all(hard.problem("en", "sft", i).num_operations == 4 for i in range(30))
    assert all("%" in hard.problem("en", "sft", i).solution for i in range(30))


# -- plural forms ----------------------------------------------------------------------------
def phrase(lang: str, n) -> str:
    pack = get_pack(lang)
    return pack.count_phrase(Decimal(str(n)), pack.objects["collection"][0])


def test_plural_forms_of_western_packs():
    assert [phrase("en", n) for n in (1, 2, 5, 22)] == ["1 apple", "2 apples", "5 apples", "22 apples"]
    assert [phrase("de", n) for n in (1, 2, 5, 22)] == ["1 Apfel", "2 Äpfel", "5 Äpfel", "22 Äpfel"]
    de = get_pack("de")
    assert de.count_phrase(Decimal(12), de.objects["collection"][0], "dat") == "12 Äpfeln"
    assert [phrase("ro", n) for n in (1, 2, 5, 22, 101)] == ["1 măr", "2 mere", "5 mere", "22 de mere", "101 mere"]
    assert [get_pack("fr").plural_category(n) for n in (1, Decimal("1.5"), 2, 22)] == ["one", "one", "other", "other"]
    assert phrase("fr", 1) == "1 pomme" and phrase("fr", 22) == "22 pommes"


# The noun form after 1, 2, 5, 22 (and 11, 21 where it matters): which of them must match.
SAME_FORM = {
    "pl": [(2, 22), (5, 11), (5, 21)], "cs": [(2, 4), (5, 22)], "sk": [(2, 4), (5, 22)],
    "hr": [(1, 21), (2, 22), (5, 11)], "sl": [(5, 22)], "bg": [(2, 5), (5, 22)],
    "lt": [(1, 21), (2, 22)], "lv": [(1, 21), (2, 5)], "fi": [(2, 5), (5, 22)], "et": [(2, 5), (5, 22)],
    "hu": [(1, 2), (2, 5), (5, 22)],
}
DIFFERENT_FORM = {
    "pl": [(1, 2), (2, 5), (5, 22)], "cs": [(1, 2), (2, 5)], "sk": [(1, 2), (2, 5)],
    "hr": [(1, 2), (2, 5), (21, 22)], "sl": [(1, 2), (2, 5), (1, 5)], "bg": [(1, 2)],
    "lt": [(1, 2), (2, 11)], "lv": [(1, 2)], "fi": [(1, 2)], "et": [(1, 2)],
}


@pytest.mark.parametrize("lang", sorted(set(SAME_FORM) | set(DIFFERENT_FORM)))
def test_plural_forms_after_numerals(lang):
    def form(n):
        return phrase(lang, n).replace(format_number(n, lang), "", 1).strip()

    for a, b in SAME_FORM.get(lang, []):
        assert form(a) == form(b), (lang, a, b, form(a), form(b))
    for a, b in DIFFERENT_FORM.get(lang, []):
        assert form(a) != form(b), (lang, a, b, form(a))


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_every_pack_writes_counts_with_its_numbers(lang):
    pack = get_pack(lang)
    assert len(pack.names) >= 6
    for n in (1, 2, 5, 11, 22, 100, Decimal("2.5")):
        for word in pack.objects["collection"] + [pack.nouns["km"]]:
            text = pack.count_phrase(Decimal(str(n)), word)
            assert format_number(n, lang) in text and len(text) > len(format_number(n, lang))


# -- files -----------------------------------------------------------------------------------
def test_write_produces_valid_jsonl(tmp_path, capsys):
    langs = ["en", "fr", "el"]
    paths = write_world(tmp_path / "world", WorldConfig(seed=4, **SMALL), langs, workers=2)
    assert "world written to" in capsys.readouterr().out
    assert set(paths) == {"pretrain", "sft", "rl", "eval", "stats"}
    rows = {}
    for split in ("pretrain", "sft", "rl", "eval"):
        text = paths[split].read_text(encoding="utf-8")
        assert "\\u" not in text  # ensure_ascii=False: Greek and narrow spaces stay readable
        rows[split] = [json.loads(line) for line in text.splitlines()]
    assert [r["lang"] for r in rows["sft"]] == [l for l in ("el", "en", "fr") for _ in range(40)]  # canonical order
    for r in rows["pretrain"]:
        assert set(r) == {"id", "lang", "text"} and r["text"]
    for r in rows["sft"]:
        assert set(r) == {"id", "lang", "messages"}
        assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
        assert r["messages"][1]["content"].split("\n")[-1].startswith(get_language(r["lang"]).answer_marker + ": ")
    for split in ("rl", "eval"):
        for r in rows[split]:
            assert set(r) == {"id", "lang", "prompt", "answer", "answer_text"}
            assert r["prompt"][0]["role"] == "user" and len(r["prompt"]) == 1
            assert format_number(Decimal(r["answer"]), r["lang"]) == r["answer_text"]
    stats = json.loads(paths["stats"].read_text(encoding="utf-8"))
    assert stats["counts"]["fr"] == {"pretrain": 20, "sft": 40, "rl": 20, "eval": 15}
    assert stats["totals"]["sft"] == len(rows["sft"]) == 120
    assert len({r["id"] for split in rows for r in rows[split] if split != "pretrain"}) == 3 * (40 + 20 + 15)
    one_process = World(WorldConfig(seed=4, **SMALL), langs).write(tmp_path / "again", workers=1)
    for split in ("pretrain", "sft", "rl", "eval", "stats"):
        assert one_process[split].read_bytes() == paths[split].read_bytes()
