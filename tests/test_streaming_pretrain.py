"""base_pretrain on a corpus read as a stream: shards with language codes as real corpora write
them, exact resume after SIGKILL, continued pretraining, bad shards refused before any work, and
a reader that holds a bounded number of tokens whatever the corpus size."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
import yaml
from conftest import SAMPLE_TEXT
from euro_post.base_pretrain import stream as stream_module
from euro_post.base_pretrain.config import BasePretrainConfig
from euro_post.base_pretrain.stream_setup import StreamingCorpus, max_rows_limits
from safetensors.torch import load_file

from euro_post.data.rows import DataError
from euro_post.pipeline.recipe import validate_recipe
from euro_post.pipeline.runner import run_recipe
from euro_post.training import trainer_checkpoints

ROOT = Path(__file__).resolve().parent.parent
# How the shards name each language: FineWeb-2 / HPLT style and BCP-47, mixed within one corpus.
CODES = {"de": ["deu_Latn", "de-DE"], "fr": ["fra_Latn", "fr-FR"], "mt": ["mlt_Latn"], "el": ["ell_Grek", "el-GR"]}
UNMAPPABLE = ["zho_Hans", "bul_Latn"]  # not one of the 24; Bulgarian, but not in its own script
LANGS = sorted(CODES)
STEPS = 8


def documents(seed: int, count: int):
    """(language, code, text) of `count` documents of 100 to 1500 characters."""
    rng = random.Random(seed)
    for _ in range(count):
        lang = rng.choice(LANGS + ["zz"])
        sentence = SAMPLE_TEXT.get(lang, "这是一个句子。")
        text = " ".join(sentence.replace("12", str(rng.randint(2, 999))) for _ in range(rng.randint(3, 40)))
        yield lang, rng.choice(CODES.get(lang, UNMAPPABLE)), text


def write_corpus(folder: Path, shards: int, per_shard: int, parquet: bool = True) -> dict[str, int]:
    """JSONL shards (and one Parquet shard) with a `language` column; returns documents per language."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for shard in range(shards):
        rows = [{"text": text, "language": code} for lang, code, text in documents(shard, per_shard)]
        for lang, _, _ in documents(shard, per_shard):
            if lang != "zz":
                counts[lang] = counts.get(lang, 0) + 1
        if parquet and shard == shards - 1:
            pq.write_table(pa.Table.from_pylist(rows), folder / f"train-{shard:03d}.parquet", row_group_size=97)
            continue
        with open(folder / f"train-{shard:03d}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return counts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """About 3 MB in five shards."""
    folder = tmp_path_factory.mktemp("shards")
    return folder, write_corpus(folder, shards=5, per_shard=1000)


def stage_options(data: str, **extra) -> dict:
    return {"preset": "tiny", "max_steps": STEPS, "per_device_batch_size": 4, "max_length": 32, "vocab_size": 400,
            "tokenizer_sample_size": 500, "tokenizer_sample_bytes": 40_000, "eval_steps": 4, "save_steps": 3,
            "logging_steps": 1, "validation_fraction": 0.01, "validation_blocks": 2, "learning_rate": 3e-3,
            "data": {"path": data, "lang": {"column": "language"}}, **extra}


def recipe(run_dir: Path, data: str, **extra) -> dict:
    return {"name": "streaming", "run_dir": str(run_dir), "languages": LANGS, "stages": {"base_pretrain": stage_options(data, **extra)}}


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(run_dir / "base_pretrain" / "checkpoint" / "model.safetensors")


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    """An uninterrupted run over the shards."""
    run_dir = tmp_path_factory.mktemp("reference")
    manifest = run_recipe(validate_recipe(recipe(run_dir, str(corpus[0]))), run_dir)["base_pretrain"]
    return run_dir, manifest


# -- the stream through the stage ---------------------------------------------------------------------
@pytest.mark.slow
def test_shards_with_iso639_3_and_bcp47_codes_stream_through_base_pretrain(corpus, reference):
    folder, counts = corpus
    assert sum(p.stat().st_size for p in folder.iterdir()) > 2_000_000
    run_dir, manifest = reference
    summary = manifest["summary"]
    assert manifest["status"] == "complete" and manifest["tokens_processed"] == STEPS * 4 * 32
    assert summary["corpus_documents_per_language"] == counts  # every usable row found, in every code
    assert set(summary["rows_left_out_language_codes"]) == set(UNMAPPABLE)
    assert sum(summary["rows_left_out_language_codes"].values()) == 5000 - sum(counts.values())
    assert set(summary["mixing_weights"]) == set(LANGS) and set(summary["validation_loss"]) == set(LANGS)
    assert sum(summary["tokens_per_language"].values()) == STEPS * 4 * 32
    # The tokenizer saw a sample, not the corpus: 40 kB per language.
    sample = summary["tokenizer_sample_documents"]
    assert all(0 < sample[lang] < counts[lang] / 4 for lang in LANGS), sample
    checkpoint = run_dir / "base_pretrain" / "trainer" / "checkpoint-6"
    position = json.loads((checkpoint / "data_position_rank0.json").read_text())
    assert position["blocks"] == 6 * 4 and set(position["languages"]) <= set(LANGS)
    assert "data_position_rank0.json" in trainer_checkpoints.read_marker(checkpoint)["files"]  # hashed with the rest
    evals = [json.loads(line) for line in (run_dir / "base_pretrain" / "metrics.jsonl").read_text().splitlines()]
    evals = [e for e in evals if "eval/loss" in e]
    assert evals[-1]["eval/loss"] < evals[0]["eval/loss"]


DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from euro_post.training import trainer_checkpoints
    recipe, flag = sys.argv[1], Path(sys.argv[2])
    publish = trainer_checkpoints.publish
    def paused(folder, final, log=print):
        done = publish(folder, final, log)
        if final.name == "checkpoint-6":
            flag.write_text("saved")
            time.sleep(300)
        return done
    trainer_checkpoints.publish = paused
    from euro_post.cli import main
    sys.exit(main(["run", recipe]))
    """
)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_weights_bitwise(corpus, reference, tmp_path):
    reference_dir, reference_manifest = reference
    run_dir = tmp_path / "run"
    recipe_file, flag, driver = tmp_path / "recipe.yaml", tmp_path / "saved.flag", tmp_path / "driver.py"
    recipe_file.write_text(yaml.safe_dump(recipe(run_dir, str(corpus[0]))))
    driver.write_text(DRIVER)
    # Bitwise equality with the in-process reference needs the same number of threads.
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    with open(tmp_path / "killed.log", "w") as log:
        proc = subprocess.Popen([sys.executable, str(driver), str(recipe_file), str(flag)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while not flag.exists():
                assert proc.poll() is None, (tmp_path / "killed.log").read_text()[-3000:]
                assert time.monotonic() < deadline
                time.sleep(0.1)
            proc.send_signal(signal.SIGKILL)  # step 6 of 8 is saved; the loader had read beyond it
            proc.wait(timeout=60)
        finally:
            proc.kill()
    assert not (run_dir / "base_pretrain" / "checkpoint").exists()

    manifest = run_recipe(validate_recipe(recipe(run_dir, str(corpus[0]))), run_dir)["base_pretrain"]
    assert manifest["status"] == "complete" and manifest["resumed"] is True
    expected, got = weights(reference_dir), weights(run_dir)
    assert expected.keys() == got.keys()
    for name in expected:
        assert torch.equal(expected[name], got[name]), name
    for key in ("tokens_per_language", "rows_per_language", "validation_loss"):
        assert manifest["summary"][key] == reference_manifest["summary"][key], key


@pytest.mark.slow
def test_continued_pretraining_streams_from_an_existing_checkpoint(corpus, tiny_checkpoint, tmp_path):
    run_dir = tmp_path / "run"
    raw = recipe(run_dir, str(corpus[0]), init_from=tiny_checkpoint, max_steps=12, eval_steps=6)
    manifest = run_recipe(validate_recipe(raw), run_dir)["base_pretrain"]
    summary = manifest["summary"]
    assert summary["from"] == tiny_checkpoint and not (run_dir / "base_pretrain" / "tokenizer").exists()
    assert "tokenizer_sample_documents" not in summary  # the checkpoint's tokenizer: no sample read for one
    before, after = load_file(Path(tiny_checkpoint) / "model.safetensors"), weights(run_dir)
    assert before.keys() == after.keys() and any(not torch.equal(before[k], after[k]) for k in before)
    evals = [json.loads(x) for x in (run_dir / "base_pretrain" / "metrics.jsonl").read_text().splitlines()]
    evals = [e for e in evals if "eval/loss" in e]
    assert [e["step"] for e in evals] == [6, 12] and evals[-1]["eval/loss"] < evals[0]["eval/loss"]


# -- bad input: refused before any work ---------------------------------------------------------------
def refused(tmp_path: Path, data: str, **extra) -> str:
    run_dir = tmp_path / "run"
    with pytest.raises(DataError) as err:
        run_recipe(validate_recipe(recipe(run_dir, data, **extra)), run_dir)
    assert not (run_dir / "base_pretrain" / "tokenizer").exists() and not (run_dir / "base_pretrain" / "trainer").exists()
    return str(err.value)


def test_a_shard_with_a_bad_line_is_refused_naming_file_and_line(tmp_path):
    folder = tmp_path / "shards"
    write_corpus(folder, shards=3, per_shard=50, parquet=False)
    shard = folder / "train-001.jsonl"
    lines = shard.read_text(encoding="utf-8").splitlines()
    lines[6] = '{"text": "Anna hat 12 Äpfel", "language": "deu_Latn"'  # line 7: cut off inside
    shard.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refused(tmp_path, str(folder))
    assert f"{shard}, line 7: not valid JSON" in message
    with pytest.raises(DataError, match=f"{shard}, line 7: not valid JSON"):
        streaming_corpus(folder)

    lines[6] = '{"body": "Anna hat 12 Äpfel", "language": "deu_Latn"}'
    shard.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = refused(tmp_path, str(folder))
    assert f"{shard}, line 7:" in message and "text" in message
    with pytest.raises(DataError, match=f"{shard}, line 7: a pretrain row needs text"):
        streaming_corpus(folder)


def test_a_corpus_whose_codes_name_none_of_the_24_is_refused(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"text": f"文本 {i}", "language": code}) + "\n"
                            for i, code in enumerate(["zho_Hans", "bul_Latn", "xx-YY"] * 4)), encoding="utf-8")
    message = refused(tmp_path, str(path))
    assert f"{path}: no usable rows" in message and "unknown_language 12" in message
    with pytest.raises(DataError) as err:  # the stage's own scan, as a benchmark or a library call meets it
        streaming_corpus(path)
    assert f"{path}: no document in any of the 24 EU languages" in str(err.value) and "'zho_Hans' (4 rows)" in str(err.value)


def test_an_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    message = refused(tmp_path, str(tmp_path / "empty"))
    assert f"{tmp_path / 'empty'}: no .jsonl/.json/.parquet file for split 'train'" in message


# -- the reader: exact positions, bounded memory --------------------------------------------------------
def streaming_corpus(folder: Path, cache_dir=None, **options) -> StreamingCorpus:
    cfg = BasePretrainConfig(**{**stage_options(str(folder)), **options})
    return StreamingCorpus(cfg, LANGS, seed=3, cache_dir=cache_dir)


def blocks(items, n: int) -> list[tuple[str, int, tuple[int, ...]]]:
    items = iter(items)
    return [(b["block_language"], b["block_documents"], tuple(b["input_ids"].tolist())) for _, b in zip(range(n), items)]


def test_a_saved_position_restarts_the_stream_on_the_same_blocks(tiny_tokenizer, tmp_path):
    folder = tmp_path / "shards"
    write_corpus(folder, shards=2, per_shard=40)  # a JSON Lines and a Parquet shard: a few passes in 900 blocks
    stream, _, _ = streaming_corpus(folder).training_blocks(tiny_tokenizer, 48)
    reading = iter(stream)
    straight: list = []
    for saved_at in (150, 300, 450):
        straight += blocks(reading, saved_at + 2 - len(straight))
        stream.save_position(tmp_path / str(saved_at), saved_at)  # a data loader reads ahead: two blocks here
    straight += blocks(reading, 900 - len(straight))
    assert {lang for lang, _, _ in straight} == set(LANGS)
    assert sum(n for _, n, _ in straight) > 100  # more documents than the 80 rows hold: new passes began
    for saved_at in (150, 300, 450):
        again, _, _ = streaming_corpus(folder).training_blocks(tiny_tokenizer, 48)
        again.load_position(tmp_path / str(saved_at))
        assert blocks(again, 900 - saved_at) == straight[saved_at:], saved_at

    (folder / "train-extra.jsonl").write_text(json.dumps({"text": "Anna hat 3 Äpfel.", "language": "de"}) + "\n")
    changed, _, _ = streaming_corpus(folder).training_blocks(tiny_tokenizer, 48)
    with pytest.raises(DataError, match="the corpus changed"):
        changed.load_position(tmp_path / "300")


def test_the_reader_holds_a_bounded_number_of_tokens_whatever_the_corpus_size(tiny_tokenizer, tmp_path, monkeypatch):
    monkeypatch.setattr(stream_module, "BATCH_CHARACTERS", 5000)  # a batch far smaller than the corpus
    peaks, samples = [], []
    for shards in (1, 6):  # 0.6 MB and 3.6 MB
        folder = tmp_path / f"corpus-{shards}"
        write_corpus(folder, shards=shards, per_shard=1000, parquet=False)
        corpus = streaming_corpus(folder, tokenizer_sample_bytes=20_000)
        stream, tokens, _ = corpus.training_blocks(tiny_tokenizer, 64)
        read = blocks(stream, 3000)  # several passes over the small corpus' languages
        assert len(read) == 3000 and len(stream.recent) <= stream.recent.maxlen
        peaks.append(stream.peak_held_tokens)
        samples.append(sum(len(t.encode()) for texts in corpus.tokenizer_texts().values() for t in texts))
    # At most one tokenization batch (and the document that overflows it) per language, never the corpus.
    bound = len(LANGS) * 2 * (5000 + 2000)
    assert sum(tokens.values()) > 10 * bound
    assert all(0 < peak <= bound for peak in peaks), peaks
    assert all(sample <= len(LANGS) * (20_000 + 5000) for sample in samples), samples


def test_max_rows_takes_documents_in_turn_from_each_language():
    assert max_rows_limits({"de": 10, "mt": 2, "fr": 7}, 12) == {"de": 5, "mt": 2, "fr": 5}
    assert max_rows_limits({"de": 3, "mt": 2}, 100) == {"de": 3, "mt": 2}
    assert max_rows_limits({"de": 3}, None) == {"de": None}


def test_hub_configs_stream_and_resume_through_skip(tiny_tokenizer, tmp_path, monkeypatch):
    """The hub path, with `datasets.load_dataset` answered locally (tests never reach the hub)."""
    import datasets

    opened = []

    def load_dataset(path, name=None, split=None, revision=None, streaming=False):
        assert streaming and path == "org/corpus"
        opened.append(name)
        lang = {"deu_Latn": "de", "mlt_Latn": "mt"}[name]
        rows = [{"text": f"{SAMPLE_TEXT[lang]} {i} " * (1 + i % 7)} for i in range(30)]
        return datasets.Dataset.from_list(rows).to_iterable_dataset()

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    sources = [{"path": "org/corpus", "name": code, "lang": {"from": "config"}} for code in ("deu_Latn", "mlt_Latn")]
    options = {"data": sources, "language_weights": {"de": 2, "mt": 1}, "validation_fraction": 0.1}
    with pytest.raises(DataError, match="give language_weights"):
        streaming_corpus(tmp_path, **{**options, "language_weights": None}).training_blocks(tiny_tokenizer, 32)
    stream, _, weights = streaming_corpus(tmp_path, **options).training_blocks(tiny_tokenizer, 32)
    assert weights == pytest.approx({"de": 2 / 3, "mt": 1 / 3})
    reading = iter(stream)
    straight = blocks(reading, 102)
    stream.save_position(tmp_path, 100)
    straight += blocks(reading, 200)
    assert {lang for lang, _, _ in straight} == {"de", "mt"} and set(opened) == {"deu_Latn", "mlt_Latn"}
    again, _, _ = streaming_corpus(tmp_path, **options).training_blocks(tiny_tokenizer, 32)
    again.load_position(tmp_path)
    assert blocks(again, 202) == straight[100:]
