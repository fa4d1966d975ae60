"""Tokens and rows per language that each training stage trained on (euro_post/training/consumption.py).

Every stage runs tiny on CPU from the `tiny_checkpoint`. The test measures what the trainer
consumed on its own, from the micro-batches that reach `training_step` (GRPO: from the
completions generated for training), and the stage's stage.json, its training_summary.json and
a killed-and-resumed run must all give exactly those numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
from euro_post.base_pretrain.corpus import pack
from euro_post.rewards import guard as reward_guard
from euro_post.rl.language_metrics import LanguageMetrics
from euro_post.sft.trainer import LANGUAGE_FIELD, consumed
from trainer_hooks import on_trainer

from euro_post.data.languages import LANGUAGE_CODES
from euro_post.pipeline import runner
from euro_post.pipeline.recipe import validate_recipe
from euro_post.training import trainer_checkpoints
from euro_post.training.consumption import BATCH_KEY, FILE, ConsumptionCounter, CountingCollator

ROOT = Path(__file__).resolve().parent.parent

LANGS = ["de", "fr"]
STEPS = 4
WORLD = {"pretrain_documents_per_language": 12, "sft_per_language": 10, "rl_per_language": 6, "eval_per_language": 2,
         "max_operations": 2}
NUM_GENERATIONS = 2


def world_rows() -> dict[str, list[dict]]:
    from euro_post.data.world import World, WorldConfig

    world = World(WorldConfig(**WORLD), languages=LANGS)
    return {lang: world.sft_rows(lang) for lang in LANGS}


def pairs_file(folder: Path) -> str:
    """Offline preference pairs in two languages: the world's worked solution against a wrong answer."""
    path = folder / "pairs.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for lang, rows in world_rows().items():
            for row in rows[: 5 if lang == "de" else 3]:
                prompt, answer = row["messages"][0]["content"], row["messages"][-1]["content"]
                f.write(json.dumps({"id": row["id"], "lang": lang, "prompt": prompt, "chosen": answer,
                                    "rejected": answer.rsplit("\n", 1)[0] + "\n?"}, ensure_ascii=False) + "\n")
    return str(path)


def stage_options(stage: str, checkpoint: str, folder: Path, **extra) -> dict:
    common = {"init_from": checkpoint, "max_steps": STEPS, "logging_steps": 1, "save_steps": 2, "per_device_batch_size": 2,
              "learning_rate": 3e-3, "lr_scheduler": "constant", "warmup_ratio": 0.0}
    if stage == "base_pretrain":
        options = {**common, "max_length": 256, "eval_steps": 100, "validation_fraction": 0.1, "validation_blocks": 1}
    elif stage == "sft":
        # Rows of 1024 tokens hold about three conversations, of either language.
        options = {**common, "max_length": 1024, "eval_rows_per_language": 0}
    elif stage == "preference":
        options = {**common, "max_length": 512, "pairs": "offline", "data": {"path": pairs_file(folder)}}
    else:
        options = {**common, "per_device_batch_size": 4, "num_generations": NUM_GENERATIONS, "max_completion_length": 6,
                   "rewards": [{"name": "format"}], "zero_variance_groups": "keep"}
    return {**options, **extra}


def run(stage: str, checkpoint: str, run_dir: Path, **extra) -> dict:
    recipe = validate_recipe({"name": f"consumption-{stage}", "run_dir": str(run_dir), "languages": LANGS, "world": WORLD,
                              "stages": {stage: stage_options(stage, checkpoint, run_dir, **extra)}})
    return runner.run_recipe(recipe, run_dir)[stage]


def dense_reward(prompts, completions, completion_ids, **columns):
    """Any reward will do for counting; this one varies, so that groups have an advantage."""
    return [sum(t % 2 for t in ids) / max(len(ids), 1) for ids in completion_ids]


@pytest.fixture(autouse=True)
def cheap_rewards(monkeypatch):
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([dense_reward], [1.0]))


# -- independent measurements: what reached the model ------------------------------------------


class Measured:
    """Tokens and rows per language, measured by the test itself."""

    def __init__(self):
        self.tokens: Counter = Counter()
        self.rows: Counter = Counter()
        self.mixed_rows = 0  # packed rows holding more than one language

    def add(self, lang: str, tokens: int, rows: int) -> None:
        self.tokens[lang] += tokens
        self.rows[lang] += rows

    def as_summary(self) -> dict:
        return {"tokens_per_language": dict(sorted(self.tokens.items())), "rows_per_language": dict(sorted(self.rows.items()))}


def measure(stage: str, patch, into: Measured) -> None:
    def change(trainer):
        tokenizer = trainer.processing_class
        if stage == "rl":
            generate = trainer._generate_and_score_completions

            def recorded_generation(inputs):
                batch = generate(inputs)
                if trainer.model.training:
                    lengths = batch["prompt_mask"].sum(1) + batch["completion_mask"].sum(1)
                    for row, n in zip(inputs, lengths.tolist(), strict=True):
                        into.add(row["lang"], n, 0)
                    for lang, n in Counter(row["lang"] for row in inputs).items():
                        into.rows[lang] += n / NUM_GENERATIONS  # a prompt's group spans the batch whole
                return batch

            trainer._generate_and_score_completions = recorded_generation
            return
        language_of = _language_lookup(stage, trainer, tokenizer)
        step = trainer.training_step

        def recorded(model, inputs, *args, **kwargs):
            for segments in language_of(inputs):
                for lang, tokens, rows in segments:
                    into.add(lang, tokens, rows)
                into.mixed_rows += len({lang for lang, _, _ in segments}) > 1
            return step(model, inputs, *args, **kwargs)

        trainer.training_step = recorded

    on_trainer(patch, change)


def _language_lookup(stage: str, trainer, tokenizer):
    if stage == "base_pretrain":
        # Every block of every language, by its tokens; a document starts at the stream's start and after each EOS.
        blocks, eos = {}, tokenizer.eos_token_id
        for lang, lang_blocks in trainer.train_dataset.blocks.items():
            stream = lang_blocks.input_ids.flatten().tolist()
            size = lang_blocks.input_ids.shape[1]
            for i, row in enumerate(lang_blocks.input_ids.tolist()):
                before = stream[i * size - 1 : (i + 1) * size - 1] if i else stream[: size - 1]
                blocks[tuple(row)] = (lang, int(i == 0) + before.count(eos))

        def language_of(inputs):  # per block: [(language, tokens, documents)]
            for ids, labels in zip(inputs["input_ids"].tolist(), inputs["labels"]):
                lang, documents = blocks[tuple(ids)]
                yield [(lang, int((labels != -100).sum()), documents)]

        return language_of

    # The user turns of the stage's own rows, per language (distinct across languages).
    texts = {lang: {row["messages"][0]["content"] for row in rows} for lang, rows in world_rows().items()}

    def lang_of(ids: list[int]) -> str:
        text = tokenizer.decode(ids)
        found = {lang for lang, known in texts.items() if any(t in text for t in known)}
        assert len(found) == 1, (found, text)
        return found.pop()

    if stage == "sft":
        pad = tokenizer.pad_token_id

        def language_of(inputs):  # per (packed) row: [(language, tokens, 1)] per conversation
            for row, ids in enumerate(inputs["input_ids"].tolist()):
                if "position_ids" in inputs:  # packed: a conversation starts wherever positions restart
                    positions = inputs["position_ids"][row].tolist()
                    real = len(ids) - next((i for i, t in enumerate(reversed(ids)) if t != pad), len(ids))
                    starts = [i for i in range(real) if positions[i] == 0] + [real]
                else:
                    starts = [0, int(inputs["attention_mask"][row].sum())]
                yield [(lang_of(ids[a:b]), b - a, 1) for a, b in zip(starts, starts[1:])]

        return language_of

    def language_of(inputs):  # preference, per pair: chosen sequences first, then rejected ones
        mask = inputs["attention_mask"].sum(1).tolist()
        half = len(mask) // 2
        for i in range(half):
            yield [(lang_of(inputs["input_ids"][i][: mask[i]].tolist()), mask[i] + mask[half + i], 1)]

    return language_of


def kill_after_checkpoint(patch, step: int) -> None:
    """The process dies right after checkpoint-<step> became visible."""
    publish = trainer_checkpoints.publish

    def publish_then_die(folder, final, log=print):
        published = publish(folder, final, log)
        if Path(final).name == f"checkpoint-{step}":
            raise KeyboardInterrupt(f"killed after saving step {step}")
        return published

    patch.setattr(trainer_checkpoints, "publish", publish_then_die)


# -- the stages ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def references(tiny_checkpoint, tmp_path_factory):
    """Uninterrupted runs, one per stage and settings, with what they consumed measured independently."""
    made: dict[tuple, dict] = {}

    def get(stage: str, **extra) -> dict:
        key = (stage, *sorted(extra.items()))
        if key not in made:
            run_dir = tmp_path_factory.mktemp(f"{stage}-whole")
            measured = Measured()
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([dense_reward], [1.0]))
                measure(stage, patch, measured)
                manifest = run(stage, tiny_checkpoint, run_dir, **extra)
            made[key] = {"manifest": manifest, "measured": measured, "run_dir": run_dir}
        return made[key]

    return get


STAGES = ("base_pretrain", "sft", "preference", "rl")


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_counts_equal_what_reached_the_model(stage, references):
    reference = references(stage)
    manifest, measured = reference["manifest"], reference["measured"]
    summary = manifest["summary"]
    assert manifest["status"] == "complete"
    assert {k: summary[k] for k in ("tokens_per_language", "rows_per_language")} == measured.as_summary()
    assert set(summary["tokens_per_language"]) == set(summary["rows_per_language"]) == set(LANGS)
    # Every row but a pretraining document (a block may hold none starting in it) has tokens in one language.
    assert all(summary["rows_per_language"].values()) or stage == "base_pretrain"
    assert sum(summary["rows_per_language"].values()) > 0
    tokens = sum(summary["tokens_per_language"].values())
    if stage == "preference":
        assert tokens == summary["trained_tokens"] > 0
        assert summary["pairs_per_language"] == {"de": 5, "fr": 3}  # pairs built, kept as they were
        assert sum(summary["rows_per_language"].values()) == STEPS * 2  # max_steps x batch
    else:
        assert tokens == manifest["tokens_processed"] > 0
    if stage == "sft":
        assert measured.mixed_rows > 0  # packed rows mixing languages were counted token by token
        assert "training_set_rows_per_language" in summary and "held_out_per_language" in summary
    if stage == "base_pretrain":
        assert set(summary["corpus_tokens_per_language"]) == set(LANGS)
    if stage == "rl":  # 4 completions a step, 2 to a prompt
        assert sum(summary["rows_per_language"].values()) == STEPS * 4 // NUM_GENERATIONS

    # The model card's training-content summary reports the same numbers for this stage.
    card = json.loads((reference["run_dir"] / stage / "checkpoint" / "training_summary.json").read_text())
    assert card["data_seen"]["tokens"]["per_stage"][stage] == summary["tokens_per_language"]
    assert card["data_seen"]["rows"]["per_stage"][stage] == summary["rows_per_language"]
    assert card["data_seen"]["tokens"]["total"] == tokens


KILLS = [
    ("base_pretrain", 2, {}),
    ("sft", 2, {}),
    ("sft", STEPS, {}),  # killed after its last checkpoint: the resumed run only loads it and saves
    ("preference", 2, {}),
    ("rl", 1, {"num_iterations": 2, "save_steps": 1}),  # between two passes over one generation batch
]


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "step", "extra"), KILLS, ids=[f"{s}-step{n}{'-' + '-'.join(e) if e else ''}" for s, n, e in KILLS])
def test_killed_and_resumed_run_counts_like_an_uninterrupted_one(stage, step, extra, tiny_checkpoint, tmp_path, references,
                                                                  monkeypatch):
    whole = references(stage, **extra)
    reference = whole["manifest"]["summary"]
    assert {k: reference[k] for k in ("tokens_per_language", "rows_per_language")} == whole["measured"].as_summary()
    kill_after_checkpoint(monkeypatch, step)
    with pytest.raises(KeyboardInterrupt):
        run(stage, tiny_checkpoint, tmp_path, **extra)
    saved = json.loads((tmp_path / stage / "trainer" / f"checkpoint-{step}" / FILE.format(rank=0)).read_text())
    total = sum(reference["tokens_per_language"].values())
    assert 0 < sum(saved["tokens"].values()) <= total and (step == STEPS) == (sum(saved["tokens"].values()) == total)
    monkeypatch.undo()
    monkeypatch.setattr(reward_guard, "build_rewards", lambda specs, tokenizer=None: ([dense_reward], [1.0]))
    manifest = run(stage, tiny_checkpoint, tmp_path, **extra)
    assert manifest["resumed"] is True and manifest["status"] == "complete"
    for key in ("tokens_per_language", "rows_per_language"):
        assert manifest["summary"][key] == reference[key], key


# -- the pieces ------------------------------------------------------------------------------------


def test_a_document_counts_in_the_block_that_holds_its_first_token():
    # stream 1 2 3 E | 4 5 E 6 | E 7 8 9 | 10 E (the tail is dropped unless kept)
    docs = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]
    assert pack(docs, block_size=4, eos_id=0, pad_id=99).documents.tolist() == [1, 2, 1]
    assert pack(docs, block_size=4, eos_id=0, pad_id=99, keep_tail=True).documents.tolist() == [1, 2, 1, 0]
    assert pack([[1]], block_size=8, eos_id=0, pad_id=99).documents.tolist() == [1]


def test_packed_rows_count_each_token_for_its_own_conversation():
    de, fr = LANGUAGE_CODES.index("de"), LANGUAGE_CODES.index("fr")
    packed = {"input_ids": [5] * 7, LANGUAGE_FIELD: [de] * 3 + [fr] * 4, "seq_lengths": [3, 4]}
    plain = {"input_ids": [5] * 2, LANGUAGE_FIELD: [fr] * 5}  # the column outlived a truncation of input_ids
    counter = ConsumptionCounter()
    counter.add_entries(consumed([packed, plain]))
    assert counter.summary() == {"tokens_per_language": {"de": 3, "fr": 6}, "rows_per_language": {"de": 1, "fr": 2}}


def test_the_collator_describes_the_batch_and_hides_the_fields_from_the_model():
    seen = []

    def inner(examples):
        seen.extend(examples)
        return {"input_ids": torch.tensor([ex["input_ids"] for ex in examples])}

    collator = CountingCollator(inner, lambda examples, batch: [(ex["lang"], len(ex["input_ids"]), 1) for ex in examples], ("lang",))
    batch = collator([{"input_ids": [1, 2], "lang": "de"}, {"input_ids": [3, 4], "lang": "fr"}])
    assert [sorted(ex) for ex in seen] == [["input_ids"], ["input_ids"]]
    assert batch[BATCH_KEY] == [("de", 2, 1), ("fr", 2, 1)]


def test_resume_gives_the_main_process_every_ranks_counts(tmp_path):
    for rank, (de, fr) in enumerate([(10, 0), (5, 7)]):
        saved = ConsumptionCounter()
        saved.rank = rank
        saved.add_entries([("de", de, 1), ("fr", fr, 2)])
        saved.save(tmp_path)
    main = ConsumptionCounter()
    main.load(tmp_path)  # any world size: the sum lands on the main process
    assert main.summary() == {"tokens_per_language": {"de": 15, "fr": 7}, "rows_per_language": {"de": 2, "fr": 4}}
    other = ConsumptionCounter()
    other.main = False
    other.add("de", 99)
    other.load(tmp_path)
    assert not other.tokens and other.known
    before_counting = ConsumptionCounter()
    before_counting.load(tmp_path / "a-checkpoint-without-counts")
    assert before_counting.totals() is None and before_counting.summary() == {}


def test_language_metrics_keep_their_single_process_means():
    metrics = LanguageMetrics({"math_accuracy": 1.0, "format": 0.5})
    accuracy = metrics.wrap(lambda p, c, **k: [1.0, 0.0, None, 1.0], "math_accuracy", first=True)
    formatting = metrics.wrap(lambda p, c, **k: [0.5, 0.5, 1.0, 0.0], "format", first=False)
    columns = {"lang": ["de", "de", "fr", "fr"], "completion_ids": [[1], [1, 2], [1, 2, 3], [1]], "id": ["a", "a", "b", "b"]}
    for func in (accuracy, formatting):
        func(["p"] * 4, ["c"] * 4, **columns)
    assert metrics.drain(1) == {
        "accuracy/de": 0.5, "reward/de": 0.75, "completion_length/de": 1.5,
        "accuracy/fr": 1.0, "reward/fr": 1.25, "completion_length/fr": 2.0,
    }
    assert metrics.drain(2) == {}


TWO_PROCESSES = """
import json, sys
from pathlib import Path
from euro_post.training import distributed
from euro_post.training.consumption import ConsumptionCounter
from euro_post.rl.language_metrics import LanguageMetrics

distributed.init()
rank, out = distributed.rank(), Path(sys.argv[1])

def counter():
    made = ConsumptionCounter(row_size=2)
    made.rank, made.main = rank, rank == 0
    return made

counted = counter()
counted.add("de", 10 * (rank + 1), 2)
if rank == 1:
    counted.add("fr", 7, 2)
counted.save(out / "checkpoint")
distributed.barrier("saved")
resumed = counter()
resumed.load(out / "checkpoint")

metrics = LanguageMetrics({"math_accuracy": 1.0})
score = metrics.wrap(lambda prompts, completions, **k: [float(rank)] * len(prompts), "math_accuracy", first=True)
n = rank + 1
score(["p"] * n, ["c"] * n, lang=["de"] * n, completion_ids=[[1] * (rank + 2)] * n, id=["x"] * n)
result = {"totals": counted.totals(), "resumed": resumed.totals(), "metrics": metrics.drain(1),
          "sum": distributed.sum_counts({"de": rank + 1})}
(out / f"rank{rank}.json").write_text(json.dumps(result))
"""


@pytest.mark.slow
def test_two_processes_sum_their_counts_and_their_language_metrics(tmp_path):
    (tmp_path / "two.py").write_text(TWO_PROCESSES)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("WORLD_SIZE", None)
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(tmp_path / "two.py"),
         str(tmp_path)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    results = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert results[0] == results[1]  # every process gets the totals
    totals = {"de": 30, "fr": 7}, {"de": 2, "fr": 1}  # rows: (2 + 2) / 2 and 2 / 2 completions per prompt
    assert [tuple(r) for r in (results[0]["totals"], results[0]["resumed"])] == [totals, totals]
    # rank 0 scored one completion 0.0 (length 2), rank 1 two completions 1.0 (length 3)
    assert results[0]["metrics"] == {"accuracy/de": round(2 / 3, 6), "reward/de": round(2 / 3, 6), "completion_length/de": 2.667}
    assert results[0]["sum"] == {"de": 3}
