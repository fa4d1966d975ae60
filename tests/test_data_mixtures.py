"""A lab's data as it is: mixtures of sources, column and language mapping, answers in the
formats public datasets write them, and the counts a stage records of each source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from euro_post.data.answers import Answer, final_answer, split_answer
from euro_post.data.language_codes import to_language
from euro_post.data.mixture import largest_remainder, load_data
from euro_post.data.rows import DataError, load_rows
from euro_post.pipeline.config import DataSpec
from euro_post.pipeline.recipe import RecipeError, validate_recipe

LANGS = ["de", "fr"]


# -- three sources of different shapes -------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def conversations(tmp_path: Path, prompts: bool = False) -> str:
    """TRL's conversational format with a `lang` column: 5 de, 5 fr, 2 it (not in the recipe)."""
    rows = []
    for i, lang in enumerate(["de"] * 5 + ["fr"] * 5 + ["it"] * 2):
        user = {"role": "user", "content": f"[{lang}] {i} + 2?"}
        if prompts:
            rows.append({"lang": lang, "prompt": [user], "answer": str(i + 2)})
        else:
            rows.append({"lang": lang, "messages": [user, {"role": "assistant", "content": f"Antwort: {i + 2}"}]})
    return write_jsonl(tmp_path / "conv.jsonl", rows)


def gsm(tmp_path: Path) -> str:
    """GSM8K's shape with a BCP-47 language column: 5 de-DE, 5 fr-FR, 2 zh-CN (none of ours)."""
    rows = [
        {"question": f"[{code}] Anna hat {i} Äpfel und kauft 18 dazu.",
         "answer": f"Sie hat {i} + 18 = <<{i}+18={i + 18}>>{i + 18} Äpfel.\n#### {i + 18}", "locale": code}
        for i, code in enumerate(["de-DE"] * 5 + ["fr-FR"] * 5 + ["zh-CN"] * 2)
    ]
    return write_jsonl(tmp_path / "gsm.jsonl", rows)


def parquet(tmp_path: Path) -> str:
    """A Parquet file with FineWeb-style codes and its own column names: 4 deu_Latn, 4 fra_Latn, 2 zho_Hans."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    codes = ["deu_Latn"] * 4 + ["fra_Latn"] * 4 + ["zho_Hans"] * 2
    table = pa.table({
        "problem": [f"[{code}] Was ist {i} mal 2?" for i, code in enumerate(codes)],
        "solution": [f"{i} mal 2 ist $\\boxed{{{2 * i}}}$." if i % 2 else f"Zweimal {i}. The answer is {2 * i}."
                     for i in range(len(codes))],
        "lang_code": codes,
    })
    path = tmp_path / "math.parquet"
    pq.write_table(table, path)
    return str(path)


def mixture(tmp_path: Path, prompts: bool = False, **gsm_options) -> list[dict]:
    return [
        {"path": conversations(tmp_path, prompts), "weight": 2},
        {"path": gsm(tmp_path), "lang": {"column": "locale"}, **gsm_options},
        {"path": parquet(tmp_path), "columns": {"problem": "question", "solution": "answer"},
         "lang": {"column": "lang_code"}, "max_rows": 6},
    ]


def by_source(record: dict) -> dict[str, dict]:
    return {Path(source["source"]).name: source for source in record["sources"]}


# -- answers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72", Answer("72", "Natalia sold 48/2 = 24 clips.")),
    ("#### 1,000", Answer("1000", "")),  # GSM8K groups the English way
    ("so $x = \\boxed{\\frac{1}{2}}$.", Answer("\\frac{1}{2}", "so $x = \\boxed{\\frac{1}{2}}$.")),
    ("First 3, then \\boxed{4} and finally \\boxed{18}", Answer("18", "First 3, then \\boxed{4} and finally \\boxed{18}")),
    ("Add them.\nThe answer is 18.", Answer("18", "Add them.")),
    ("The final answer is: $3.5$", Answer("3.5", "")),
    ("18", None),
    ("3,5", None),
    (18, None),
    (None, None),
])
def test_answers_in_the_formats_datasets_write_them(text, expected):
    assert split_answer(text) == expected
    assert final_answer(text) == (text if expected is None else expected.final)


def test_language_codes_as_datasets_write_them():
    codes = ("de", "de-DE", "pt_BR", "deu_Latn", "ell_Grek", "bul_Cyrl", "ekk", "lvs", "ger", "German", "Deutsch", " fr ")
    assert [to_language(code) for code in codes] == ["de", "de", "pt", "de", "el", "bg", "et", "lv", "de", "de", "de", "fr"]
    assert [to_language(code) for code in ("zh-CN", "zho_Hans", "bul_Latn", "sr-Latn-RS", "", None, 7)] == [None] * 7


def test_largest_remainder_splits_a_total_exactly():
    assert largest_remainder(20, {0: 2 / 3, 1: 1 / 3}) == {0: 13, 1: 7}
    assert largest_remainder(10, {0: 0.5, 1: 0.5, 2: 0.0}) == {0: 5, 1: 5, 2: 0}


# -- mixtures --------------------------------------------------------------------------------------


def test_a_mixture_counts_every_source_and_language(tmp_path):
    spec = DataSpec.model_validate(mixture(tmp_path))
    data = load_data(spec, "sft", LANGS, seed=0)
    sources = by_source(data.record)
    # Weighted: conv (2) and gsm (1) share their 10 + 10 usable rows 2:1 -> 13 and 7; the Parquet
    # file gives its max_rows 6 of 8 whatever the weights.
    assert len(data.rows) == data.record["rows"] == 26
    conv, math, gsm_ = sources["conv.jsonl"], sources["math.parquet"], sources["gsm.jsonl"]
    assert (conv["read"], conv["usable"], conv["kept"], conv["repeated"]) == (12, 10, 13, 3)
    assert conv["dropped_per_language"] == {"other_language": {"it": 2}}
    assert (gsm_["read"], gsm_["usable"], gsm_["kept"]) == (12, 10, 7)
    assert gsm_["dropped"] == {"not_sampled": 3, "unknown_language": 2}
    assert gsm_["dropped_per_language"]["unknown_language"] == {"zh-CN": 2}
    assert (math["usable"], math["kept"], math["dropped"]) == (8, 6, {"max_rows": 2, "unknown_language": 2})
    assert math["kept_per_language"] == {"de": 3, "fr": 3}  # taken in turn from each language
    assert math["dropped_per_language"]["unknown_language"] == {"zho_Hans": 2}
    assert sum(data.record["rows_per_language"].values()) == 26
    assert all(row["lang"] in LANGS for row in data.rows)

    # Each shape became a conversation or prompt + completion, with the language's answer line.
    gsm_row = next(row for row in data.rows if "[de-DE] Anna hat 0 " in json.dumps(row, ensure_ascii=False))
    assert gsm_row["prompt"] == [{"role": "user", "content": "[de-DE] Anna hat 0 Äpfel und kauft 18 dazu."}]
    assert gsm_row["completion"] == [{"role": "assistant", "content": "Sie hat 0 + 18 = 18 Äpfel.\nAntwort: 18"}]
    math_row = next(row for row in data.rows if "[fra_Latn] Was ist 5 " in json.dumps(row, ensure_ascii=False))
    assert math_row["lang"] == "fr" and math_row["completion"][0]["content"].endswith("\nRéponse: 10")


def test_prompts_get_bare_answers_and_one_table(tmp_path):
    spec = DataSpec.model_validate(mixture(tmp_path, prompts=True))
    rows = load_data(spec, "prompts", LANGS, rewards=["math_accuracy"], seed=0).rows
    gsm_row = next(row for row in rows if "[fr-FR] Anna hat 7 " in json.dumps(row, ensure_ascii=False))
    assert (gsm_row["answer"], gsm_row["lang"], gsm_row["solution"]) == ("25", "fr", "Sie hat 7 + 18 = 25 Äpfel.")
    boxed = next(row for row in rows if "[deu_Latn] Was ist 1 " in json.dumps(row, ensure_ascii=False))
    spoken = next(row for row in rows if "[deu_Latn] Was ist 2 " in json.dumps(row, ensure_ascii=False))
    assert (boxed["answer"], spoken["answer"]) == ("2", "4")
    assert all(set(row) == set(rows[0]) for row in rows)  # every row has every column (None where missing)


def test_the_seed_draws_the_mixture(tmp_path):
    spec = DataSpec.model_validate(mixture(tmp_path))
    def ids(seed: int) -> list[str]:
        return [json.dumps(row, sort_keys=True) for row in load_data(spec, "sft", LANGS, seed=seed).rows]

    assert ids(0) == ids(0)
    assert ids(1) != ids(0)
    assert load_data(spec, "sft", LANGS, seed=1).record["sources"][0]["kept"] == 13  # the shares do not move


def test_one_source_reads_as_before(tmp_path):
    """A mapping is one source: file order, no draw, max_rows in turn from each language."""
    path = conversations(tmp_path)
    rows = load_rows(DataSpec(path=path), "sft", LANGS, seed=5)
    assert [row["messages"][0]["content"] for row in rows] == [f"[{lang}] {i} + 2?" for i, lang in enumerate(["de"] * 5 + ["fr"] * 5)]
    capped = load_rows(DataSpec(path=path, max_rows=4), "sft", LANGS)
    assert [row["lang"] for row in capped] == ["de", "fr", "de", "fr"]
    # A lang column written the way datasets write it is read as one of ours.
    write_jsonl(tmp_path / "bcp.jsonl", [{"lang": "de-AT", "prompt": "1+1?", "answer": "The answer is 2."}])
    row = load_rows(DataSpec(path=str(tmp_path / "bcp.jsonl")), "eval", LANGS)[0]
    assert row == {"lang": "de", "prompt": "1+1?", "answer": "2"}


def test_a_one_source_recipe_hashes_as_before():
    data = DataSpec(path="x.jsonl", max_rows=3).model_dump(mode="json")
    assert data == {"path": "x.jsonl", "name": None, "split": "train", "revision": None, "lang": None, "max_rows": 3}
    written = [{"path": "a.jsonl", "weight": 2.0}, {"path": "b.jsonl", "lang": {"column": "locale"}}]
    assert DataSpec.model_validate(written).model_dump(mode="json") == written  # a mixture is written back as given


def test_hub_sources_of_a_mixture_are_named_for_the_network_check():
    from euro_post.pipeline.network import hub_references

    data = [{"path": "world", "weight": 1}, {"path": "org/gsm8k", "name": "deu_Latn", "lang": {"from": "config"},
                                             "revision": "abc"}]
    recipe = validate_recipe({"name": "hub", "languages": LANGS, "stages": {"rl": {"init_from": "m", "data": data}}})
    assert [(ref.field, ref.repo_id, ref.revision) for ref in hub_references(recipe)] == [
        ("stages.rl.data[1].path", "org/gsm8k", "abc")]
    assert recipe.stages.rl.data.model_dump(mode="json")[0] == {"path": "world", "weight": 1.0}


def test_language_from_the_config_name_and_a_constant(tmp_path):
    path = write_jsonl(tmp_path / "q.jsonl", [{"question": "Wie viel ist 2 + 2?", "answer": "#### 4"}])
    spec = DataSpec.model_validate([{"path": path, "name": "deu_Latn", "lang": {"from": "config"}}])
    assert load_data(spec, "prompts", LANGS).rows[0]["lang"] == "de"
    assert load_rows(DataSpec(path=path, lang="fr-FR"), "prompts", LANGS)[0]["lang"] == "fr"


def test_detected_languages(tmp_path):
    rows = [{"question": "Anna hat zwölf Äpfel und kauft noch fünf dazu. Wie viele Äpfel hat sie jetzt?", "answer": "17"},
            {"question": "Léa a douze pommes et en achète encore cinq. Combien de pommes a-t-elle maintenant ?", "answer": "17"},
            {"question": "12 + 5?", "answer": "17"}]
    spec = DataSpec.model_validate([{"path": write_jsonl(tmp_path / "d.jsonl", rows), "lang": "detect"}])
    data = load_data(spec, "prompts", LANGS)
    assert sorted(row["lang"] for row in data.rows) == ["de", "fr"]
    assert data.record["sources"][0]["dropped"] == {"language_not_identified": 1}


# -- stages ----------------------------------------------------------------------------------------


def run_stage(tmp_path: Path, checkpoint: str, stage: str, data: list[dict], **options) -> Path:
    from euro_post.pipeline.runner import run_recipe

    settings = {
        "sft": {"max_steps": 2, "per_device_batch_size": 4, "max_length": 128, "eval_rows_per_language": 1},
        "rl": {"max_steps": 2, "per_device_batch_size": 4, "num_generations": 2, "max_completion_length": 8,
               "rewards": [{"name": "math_accuracy"}, {"name": "format"}]},
    }[stage]
    recipe = validate_recipe({
        "name": stage, "seed": 3, "languages": LANGS, "run_dir": str(tmp_path / "run"),
        "stages": {stage: {"init_from": checkpoint, "logging_steps": 1, "save_steps": 50, **settings, **options,
                           "data": data}},
    })
    result = run_recipe(recipe, tmp_path / "run")
    assert result[stage]["status"] == "complete"
    return tmp_path / "run" / stage


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["sft", "rl"])
def test_a_stage_trains_on_a_mixture_and_records_it(tmp_path, tiny_checkpoint, stage):
    stage_dir = run_stage(tmp_path, tiny_checkpoint, stage, mixture(tmp_path, prompts=stage == "rl"))
    manifest = json.loads((stage_dir / "stage.json").read_text())
    record = manifest["summary"]["data"]
    sources = by_source(record)
    assert (record["mixture"], record["seed"], record["rows"]) == (True, 3, 26)
    # 13 of conv's 10 rows (3 again) and 7 of gsm's 10, taken in turn from each language.
    assert sources["conv.jsonl"]["kept_per_language"] == {"de": 6, "fr": 7}
    assert sources["gsm.jsonl"]["kept_per_language"] == {"de": 3, "fr": 4}
    assert sources["gsm.jsonl"]["dropped_per_language"]["unknown_language"] == {"zh-CN": 2}
    assert sources["math.parquet"]["kept_per_language"] == {"de": 3, "fr": 3}
    # The training summary names each source with how it was read and what the stage took from it.
    summary = json.loads((stage_dir / "checkpoint" / "training_summary.json").read_text())
    files = {Path(s["location"]).name: s for s in summary["data_sources"] if s["kind"] == "local_file"}
    assert set(files) == {"conv.jsonl", "gsm.jsonl", "math.parquet"}
    assert files["conv.jsonl"]["weight"] == 2 and files["math.parquet"]["lang"] == {"column": "lang_code"}
    assert files["gsm.jsonl"]["rows"][stage]["dropped"] == {"not_sampled": 3, "unknown_language": 2}
    assert files["math.parquet"]["rows"][stage]["kept"] == 6
    assert all(s["fingerprint"].startswith("sha256:") for s in files.values())


# -- refusals --------------------------------------------------------------------------------------


def write_recipe(tmp_path: Path, data) -> str:
    import yaml

    recipe = {"name": "bad", "languages": LANGS, "run_dir": str(tmp_path / "run"),
              "stages": {"rl": {"init_from": "org/model", "rewards": [{"name": "math_accuracy"}], "data": data}}}
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return str(path)


COLUMN = "gsm.jsonl, line 1: column 'questoin' (mapped to 'prompt') is missing"
STRICT = "gsm.jsonl, line 11: column 'locale': 'zh-CN' names none of the 24 EU languages"


@pytest.mark.parametrize("options, said, loading", [
    ({"columns": {"questoin": "prompt"}}, COLUMN, COLUMN),
    ({"strict": True}, STRICT, STRICT),
    # Every row's language column holds a question, none a language: nothing is left.
    ({"lang": {"column": "question"}},
     ("gsm.jsonl (source 2 of 3): no usable rows in the recipe's languages; left out for their language: "
      "unknown_language 12"),
     "gsm.jsonl: no prompts rows for languages de, fr (of 12 rows, left out: unknown_language 12"),
])
def test_bad_sources_are_refused_alike_at_validate_and_run(tmp_path, capsys, options, said, loading):
    from euro_post.cli import main

    recipe = write_recipe(tmp_path, mixture(tmp_path, prompts=True, **options))
    assert main(["validate", recipe]) == 1
    out = capsys.readouterr().out
    assert "gsm.jsonl (source 2 of 3)" in out and said.split(": ", 1)[1] in out
    assert main(["run", recipe]) == 1
    assert f"stages.rl.data: {tmp_path}/{said}" in capsys.readouterr().err
    assert not (tmp_path / "run" / "rl").exists()  # refused before any work
    with pytest.raises(DataError) as raised:
        load_data(DataSpec.model_validate(mixture(tmp_path, prompts=True, **options)), "prompts", LANGS,
                  rewards=["math_accuracy"])
    assert f"{tmp_path}/{loading}" in str(raised.value)


@pytest.mark.parametrize("data, message", [
    ([{"path": "a.jsonl", "weight": -1}], "stages.rl.data.sources[0].weight: must be >= 0"),
    ([{"path": "a.jsonl", "weight": 0}, {"path": "b.jsonl", "weight": 0}], "the weights of the sources sum to zero"),
    ([{"path": "a.jsonl", "weight": 1, "max_rows": 5}], "sources[0] (a.jsonl): give weight or max_rows, not both"),
    ({"path": "a.jsonl", "weight": 2}, "only a source in a list of sources has a weight"),
    ([{"path": "a.jsonl", "lang": "klingon"}], "stages.rl.data.sources[0].lang: 'klingon' names none of the 24"),
    ([{"path": "a.jsonl", "lang": {"from": "config"}}], "lang: {from: config} needs the hub configuration `name`"),
    ([{"path": "world", "columns": {"q": "prompt"}}], "the embedded world's rows need no columns"),
    ([{"path": "a.jsonl", "columns": {"q": "prompt", "question": "prompt"}}], "two source columns are mapped to 'prompt'"),
    ([], "an empty list of sources"),
])
def test_bad_mixtures_are_refused_with_the_recipe(tmp_path, capsys, data, message):
    from euro_post.cli import main

    recipe = write_recipe(tmp_path, data)
    with pytest.raises(RecipeError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)").replace("{", r"\{")):
        validate_recipe({"name": "bad", "languages": LANGS, "stages": {"rl": {"init_from": "m", "data": data}}})
    for command in ("validate", "run"):
        assert main([command, recipe]) == 1
        assert message in capsys.readouterr().err


def test_the_embedded_world_mixes_with_a_file(tmp_path):
    from euro_post.data.world import World, WorldConfig

    world = World(WorldConfig(sft_per_language=4), languages=LANGS)
    spec = DataSpec.model_validate([{"path": "world", "weight": 1}, {"path": conversations(tmp_path), "weight": 1}])
    data = load_data(spec, "sft", LANGS, world=world, seed=0)
    world_count, conv = data.record["sources"]
    # 8 world rows and 10 usable conversations share 18 rows 1:1.
    assert (world_count["source"], world_count["kept"], world_count["repeated"], conv["kept"]) == ("the embedded world", 9, 1, 9)
    assert sum(1 for row in data.rows if str(row.get("id", "")).startswith(("de-sft", "fr-sft"))) == 9
