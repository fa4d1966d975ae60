"""format, language_consistency and length rewards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from euro_post.rewards import (
    LanguageConsistency,
    format_reward,
    identify_language,
    language_consistency,
    length_penalty,
)
from euro_post.rewards.length import soft_overlong_penalty

from euro_post.data.languages import LANGUAGE_CODES, LANGUAGES

SAMPLES: dict[str, list[str]] = json.loads((Path(__file__).parent / "data" / "reward_language_samples.json").read_text())


# -- format ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("Schritt 1: 7 + 5 = 12\nAntwort: 12", "de", 1.0),
        ("Schritt 1: 7 + 5 = 12\n\n**Antwort:** 12\n\n", "de", 1.0),
        ("Étape 1 : 2 × 3 = 6\nRéponse : 6", "fr", 1.0),
        ("Step 1: 1/2 + 1/2 = 1\nSo the result is \\boxed{1}", "en", 1.0),
        ("Antwort: 12", "de", 0.5),  # a marked answer without reasoning: half credit
        ("\\boxed{12}", "en", 0.5),
        ("Schritt 1: 7 + 5 = 12", "de", 0.0),  # no answer line
        ("Schritt 1: 7 + 5 = 12\nAntwort: 12\nDas war leicht.", "de", 0.0),  # text after the answer
        ("Antwort: 11\nSchritt 1: 7 + 5 = 12\nAntwort: 12", "de", 0.0),  # two answer lines
        ("Schritt 1: \\boxed{12}\nAntwort: 12", "de", 0.0),  # a boxed answer and a marker line
        ("Schritt 1: 7 + 5 = 12\nAnswer: 12", "de", 0.0),  # another language's marker
        ("Schritt 1: 7 + 5 = 12\nAntwort: keine Ahnung", "de", 0.0),  # no number in the answer
        ("", "de", 0.0),
        ("  \n\t\n", "de", 0.0),
    ],
)
def test_format(text, lang, expected):
    assert format_reward(prompts=None, completions=[text], lang=[lang]) == [expected]


def test_format_every_language_marker():
    texts = [f"{LANGUAGES[c].step_word} 1: 2 + 2 = 4\n{LANGUAGES[c].answer_marker}: 4" for c in LANGUAGE_CODES]
    assert format_reward(prompts=None, completions=texts, lang=list(LANGUAGE_CODES)) == [1.0] * 24
    # The same texts under a language with another marker fail (da/sv and hr/sl share theirs).
    shifted = LANGUAGE_CODES[1:] + LANGUAGE_CODES[:1]
    scores = format_reward(prompts=None, completions=texts, lang=list(shifted))
    for code, other, score in zip(LANGUAGE_CODES, shifted, scores):
        same_marker = LANGUAGES[code].answer_marker == LANGUAGES[other].answer_marker
        assert score == (1.0 if same_marker else 0.0), (code, other)


# -- language consistency ----------------------------------------------------------------------
def test_samples_cover_every_language():
    assert set(SAMPLES) == set(LANGUAGE_CODES)
    assert all(len(sentences) >= 4 for sentences in SAMPLES.values())


@pytest.mark.parametrize("lang", LANGUAGE_CODES)
def test_every_sentence_identified(lang):
    for sentence in SAMPLES[lang]:
        assert identify_language(sentence) == lang, sentence


def test_language_consistency_on_worked_solutions():
    # Natural sentences with arithmetic and the answer line, as a model writes them.
    texts, langs = [], []
    for code in LANGUAGE_CODES:
        info = LANGUAGES[code]
        sentences = SAMPLES[code]
        texts.append(
            f"{sentences[0]}\n{info.step_word} 1: 12 + 30 = 42\n{sentences[2]}\n"
            f"{info.step_word} 2: 42 · 2 = 84\n{info.answer_marker}: 84"
        )
        langs.append(code)
    assert language_consistency(prompts=None, completions=texts, lang=langs) == [1.0] * 24


def test_wrong_language_scores_zero():
    shifted = LANGUAGE_CODES[5:] + LANGUAGE_CODES[:5]
    texts = [" ".join(SAMPLES[code]) for code in LANGUAGE_CODES]
    assert language_consistency(prompts=None, completions=texts, lang=list(shifted)) == [0.0] * 24


def test_answer_marker_in_another_language_scores_zero():
    reasoning = " ".join(SAMPLES["de"][:2])
    assert language_consistency(prompts=None, completions=[reasoning + "\nAntwort: 5"], lang=["de"]) == [1.0]
    assert language_consistency(prompts=None, completions=[reasoning + "\nAnswer: 5"], lang=["de"]) == [0.0]
    # da and sv share "Svar": the marker does not decide there, the text does.
    swedish = " ".join(SAMPLES["sv"][:2]) + "\nSvar: 5"
    assert language_consistency(prompts=None, completions=[swedish, swedish], lang=["sv", "da"]) == [1.0, 0.0]


def test_close_relatives_on_short_text():
    # Short Danish arithmetic that py3langid ranks Swedish first: da is a close second.
    danish = "Trin 1: Clara har cyklet 73,8 km: 82,1 - 73,8 = 8,3.\nTrin 2: Clara har cyklet 4,5 km: 8,3 - 4,5 = 3,8.\nSvar: 3,8"
    assert identify_language(danish) == "sv"
    assert language_consistency(prompts=None, completions=[danish] * 3, lang=["da", "sv", "nl"]) == [1.0, 1.0, 0.0]
    strict = LanguageConsistency(accept_probability=1.0)
    assert strict(prompts=None, completions=[danish], lang=["da"]) == [0.0]


def test_too_little_text_is_none():
    texts = ["Antwort: 12", "12 + 5 = 17\n\\frac{1}{2} = 0,5", "", "Schritt 1: 3 + 4 = 7\nAntwort: 7"]
    assert language_consistency(prompts=None, completions=texts, lang=["de"] * 4) == [None] * 4
    stats = language_consistency.stats()
    assert stats["none"] >= 4 and stats["errors"] == 0  # None for lack of text is not a failure
    language_consistency.monitor.check()  # and does not trip the health check


def test_numbers_and_math_do_not_count():
    text = "Anna kaufte auf dem Markt drei Äpfel. " + "12345 + 678 = 13023; x^2 \\cdot y = z. " * 50
    assert identify_language(text) == "de"


# -- length ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "length, expected", [(0, 0.0), (6, 0.0), (7, -0.25), (8, -0.5), (9, -0.75), (10, -1.0), (11, -1.0), (500, -1.0)]
)
def test_soft_overlong_penalty(length, expected):
    assert soft_overlong_penalty(length, max_length=10, cache=4) == expected


def test_length_in_words_and_chars():
    words = length_penalty(10, 4)
    assert words.__name__ == "length"
    texts = [" ".join(["w"] * n) for n in (5, 7, 9, 12)]
    assert words(prompts=None, completions=texts) == [0.0, -0.25, -0.75, -1.0]
    chars = length_penalty(100, 50, unit="chars")
    assert chars(prompts=None, completions=["x" * 50, "x" * 75, "x" * 100, "x" * 101]) == [0.0, -0.5, -1.0, -1.0]
    hard = length_penalty(10, 0)
    assert hard(prompts=None, completions=["w " * 10, "w " * 11]) == [0.0, -1.0]


def test_length_in_tokens():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "Schritt": 1, "Antwort": 2, ":": 3}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]")
    reward = length_penalty(max_length=8, cache=4, tokenizer=tokenizer)
    # "Schritt 1: 12" -> Schritt, 1, :, 12 = 4 tokens; "Antwort:12" words=1 but tokens=3
    texts = ["Schritt 1: 12", "Schritt 1: 12 Schritt", "Schritt 1: 12 Schritt 2: 4", "Antwort:12"]
    assert reward(prompts=None, completions=texts) == [0.0, -0.25, -1.0, 0.0]
    chat = [[{"role": "assistant", "content": texts[1]}]]
    assert reward(prompts=None, completions=chat) == [-0.25]


def test_length_options_are_checked():
    with pytest.raises(ValueError, match="cache must be in"):
        length_penalty(10, 11)
    with pytest.raises(ValueError, match="needs a tokenizer"):
        length_penalty(10, 4, unit="tokens")
    with pytest.raises(ValueError, match="unit must be one of"):
        length_penalty(10, 4, unit="bytes")


# -- the embedded world's own solutions ----------------------------------------------------------
def test_world_solutions_score_full_marks():
    world_module = pytest.importorskip("euro_post.data.world.world")
    from euro_post.rewards import math_accuracy

    from euro_post.data.world.config import WorldConfig

    world = world_module.World(WorldConfig(seed=3, decimals=0.5, percentages=0.5))
    problems = [world.problem(code, "rl", i) for code in LANGUAGE_CODES for i in range(10)]
    columns = {"answer": [p.answer for p in problems], "lang": [p.lang for p in problems]}
    completions = [p.solution for p in problems]
    assert math_accuracy(prompts=None, completions=completions, **columns) == [1.0] * len(problems)
    assert format_reward(prompts=None, completions=completions, **columns) == [1.0] * len(problems)
    language = language_consistency(prompts=None, completions=completions, **columns)
    assert sum(score == 1.0 for score in language) >= 0.97 * len(problems)
