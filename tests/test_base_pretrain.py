"""base_pretrain: tokenizer, corpus packing and mixing, the fused loss, and whole runs through the runner."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from conftest import SAMPLE_TEXT
from euro_post.base_pretrain.config import BasePretrainConfig
from euro_post.base_pretrain.corpus import MixedBlocks, load_documents, mixing_weights, pack, split_validation, tokenize
from euro_post.base_pretrain.tokenizer import fertility, language_sample_weights

from euro_post.data.languages import LANGUAGE_CODES
from euro_post.data.rows import DataError
from euro_post.models.chat_template import CHAT_TEMPLATE, EOS
from euro_post.pipeline.config import DataSpec
from euro_post.pipeline.recipe import RecipeError, validate_recipe
from euro_post.pipeline.runner import run_recipe
from euro_post.training import trainer_setup

# Text no tokenizer here was trained on: every script and diacritic of the 24 languages, plus
# emoji, no-break spaces and odd whitespace. Byte-level BPE must give all of it back exactly.
HARD_TEXT = {
    "bg": "Щъркелът ѝ донесе 1\u00a0234,5 лв. — юнак, ъгъл, ѐ",
    "el": "Ο Ξενοφών ψήνει ψωμί· ΐ ΰ ς Ω! 3,75\u00a0€",
    "mt": "Ħabib ġab żebbuġ u għasel; Ċensu ħadem ħafna.",
    "ga": "Tá áthas ar Éanna, Íde, Órla agus Úna: fada é.",
    "lt": "Ąžuolas, čiuožėjas, ęėįšųūž — Ėglė.",
    "lv": "Ābols, čūska, ģimene, ķirbis, ļoti, ņem, šūt, žēl.",
    "et": "Jõe ääres öösel õõtsub üksik šokolaad ja žürii.",
    "fr": "L’œuvre coûte 1\u202f234,50\u202f€ à l’été. « Ça va ? »",
    "de": "Straße, Größe, Übermaß: ß ẞ Ä Ö Ü",
    "hu": "Árvíztűrő tükörfúrógép: ő ű Ő Ű",
    "pl": "Zażółć gęślą jaźń: ą ć ę ł ń ó ś ź ż",
    "ro": "Șase țânțari și încă ă â î ş ţ",
    "emoji": "🙂🚀 👩‍👩‍👧‍👦 🇪🇺 ✓ €£¥ ∑ √2 ≈ 1,41",
    "space": "tabs\tand  double  spaces\n\n\nnewlines \r\n and trailing   ",
}


def world_like_documents(seed: int = 0, per_language: int = 60) -> list[dict]:
    """Small multilingual documents: each language's sample sentence with varied numbers."""
    rng = random.Random(seed)
    rows = []
    for lang, sentence in SAMPLE_TEXT.items():
        for index in range(per_language):
            parts = [
                sentence.replace("12", str(rng.randint(2, 99))).replace("5", str(rng.randint(2, 9)))
                for _ in range(rng.randint(2, 5))
            ]
            rows.append({"id": f"{lang}-{index}", "lang": lang, "text": " ".join(parts)})
    return rows


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("corpus") / "pretrain.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for row in world_like_documents():
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return str(path)


def pretrain_recipe(run_dir: Path, data: str, **stage) -> dict:
    config = {
        "preset": "tiny",
        "max_steps": 30,
        "per_device_batch_size": 8,
        "max_length": 64,
        "vocab_size": 800,
        "tokenizer_sample_size": 2000,
        "eval_steps": 10,
        "save_steps": 10,
        "logging_steps": 5,
        "validation_fraction": 0.1,
        "validation_blocks": 2,
        "data": {"path": data},
        **stage,
    }
    return {"name": "pretrain-test", "run_dir": str(run_dir), "stages": {"base_pretrain": config}}


def eval_lines(run_dir: Path) -> list[dict]:
    lines = [json.loads(x) for x in (run_dir / "base_pretrain" / "metrics.jsonl").read_text().splitlines()]
    return [line for line in lines if "eval/loss" in line]


# -- tokenizer ------------------------------------------------------------------------------
def test_tokenizer_round_trips_every_language_byte_exactly(tiny_tokenizer):
    texts = {**SAMPLE_TEXT, **HARD_TEXT}
    for name, text in texts.items():
        ids = tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tiny_tokenizer.decode(ids) == text, name
        assert tiny_tokenizer.decode(ids).encode("utf-8") == text.encode("utf-8"), name
    assert tiny_tokenizer.unk_token is None  # byte fallback: nothing is ever unknown


def test_tokenizer_is_chat_ready_and_splits_digits(tiny_tokenizer):
    assert tiny_tokenizer.chat_template == CHAT_TEMPLATE
    assert tiny_tokenizer.eos_token == EOS and tiny_tokenizer.pad_token == "<|pad|>"
    messages = [{"role": "user", "content": "Wie viel?"}, {"role": "assistant", "content": "Antwort: 17"}]
    out = tiny_tokenizer.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    marked = [t for t, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert tiny_tokenizer.decode(marked) == "Antwort: 17" + EOS
    pieces = tiny_tokenizer.convert_ids_to_tokens(tiny_tokenizer("1234567", add_special_tokens=False)["input_ids"])
    assert pieces == list("1234567")


def test_temperature_sampling_lifts_small_languages():
    sizes = {"de": 1_000_000, "mt": 10_000}
    flat = language_sample_weights(sizes, temperature=1.0)
    lifted = language_sample_weights(sizes, temperature=3.0)
    assert flat["mt"] == pytest.approx(10_000 / 1_010_000)
    assert lifted["mt"] == pytest.approx(10_000 ** (1 / 3) / (10_000 ** (1 / 3) + 1_000_000 ** (1 / 3)))
    assert lifted["mt"] > 10 * flat["mt"]


def test_fertility_counts_tokens_per_word(tiny_tokenizer):
    texts = {"en": ["Anna has 12 apples"], "de": ["Anna hat 12 Äpfel und kauft noch 5 dazu."]}
    result = fertility(tiny_tokenizer, texts)
    tokens = len(tiny_tokenizer("Anna has 12 apples", add_special_tokens=False)["input_ids"])
    assert result["en"] == pytest.approx(tokens / 4, abs=1e-4)
    assert set(result) == {"en", "de"}


# -- corpus ---------------------------------------------------------------------------------
def test_pack_ends_documents_with_eos_and_cuts_blocks():
    blocks = pack([[1, 2, 3], [4, 5]], block_size=3, eos_id=9, pad_id=0)
    assert blocks.input_ids.tolist() == [[1, 2, 3], [9, 4, 5]]  # the final EOS is a dropped tail
    kept = pack([[1, 2, 3], [4, 5]], block_size=4, eos_id=9, pad_id=0, keep_tail=True)
    assert kept.input_ids.tolist() == [[1, 2, 3, 9], [4, 5, 9, 0]] and kept.lengths.tolist() == [4, 3]
    short = pack([[1]], block_size=8, eos_id=9, pad_id=0)
    assert short.lengths.tolist() == [2]  # a stream shorter than one block is kept, padded


def test_literal_special_tokens_in_documents_stay_plain_text(tiny_tokenizer):
    ids = tokenize(tiny_tokenizer, ["Ende <|im_end|> hier"])[0]
    assert tiny_tokenizer.eos_token_id not in ids
    assert tiny_tokenizer.decode(ids) == "Ende <|im_end|> hier"


def test_mixing_weights_follow_temperature_or_explicit_weights():
    counts = {"de": 8000, "mt": 1000, "ga": 0}
    plain = mixing_weights(counts, temperature=1.0)
    assert plain["de"] == pytest.approx(8 / 9) and plain["ga"] == 0
    flat = mixing_weights(counts, temperature=3.0)
    assert flat["de"] == pytest.approx(2 / 3)  # 8000^(1/3) = 20, 1000^(1/3) = 10
    explicit = mixing_weights(counts, explicit={"de": 3, "mt": 1})
    assert explicit == {"de": 0.75, "ga": 0.0, "mt": 0.25}
    with pytest.raises(DataError, match="ga"):
        mixing_weights(counts, explicit={"ga": 1.0})


def test_mixed_blocks_draw_languages_by_weight_and_repeat_only_when_exhausted():
    ids = {lang: pack([[i] * 7 for i in range(100)], 8, eos_id=0, pad_id=0) for lang in ("de", "mt", "fr")}
    dataset = MixedBlocks(ids, {"de": 0.6, "mt": 0.4, "fr": 0.0}, num_samples=500, seed=3)
    counts = dataset.language_counts()
    assert "fr" not in counts and sum(counts.values()) == 500
    assert 0.52 < counts["de"] / 500 < 0.68
    first_pass = [bi for li, bi in dataset.plan if dataset.languages[li] == "mt"][:100]
    assert sorted(first_pass) == list(range(100))  # every mt block once before any repeats
    again = MixedBlocks(ids, {"de": 0.6, "mt": 0.4}, num_samples=500, seed=3)
    assert again.plan == dataset.plan
    item = dataset[0]
    assert item["input_ids"].dtype == torch.long and torch.equal(item["input_ids"], item["labels"])


def test_validation_split_holds_out_per_language_and_is_seeded():
    docs = {"de": [f"d{i}" for i in range(100)], "mt": ["only one"], "fr": ["a", "b"]}
    train, valid = split_validation(docs, 0.05, seed=1)
    assert len(valid["de"]) == 5 and len(train["de"]) == 95 and not set(valid["de"]) & set(train["de"])
    assert "mt" not in valid and train["mt"] == ["only one"]
    assert len(valid["fr"]) == 1
    assert split_validation(docs, 0.05, seed=1) == (train, valid)


def test_plain_text_corpus_is_one_document_per_paragraph(tmp_path):
    path = tmp_path / "malti.txt"
    path.write_text("L-ewwel paragrafu.\nIkompli hawn.\n\n\nIt-tieni: ħ ġ ż.\n", encoding="utf-8")
    docs = load_documents(DataSpec(path=str(path), lang="mt"), ["mt", "de"])
    assert docs == {"mt": ["L-ewwel paragrafu.\nIkompli hawn.", "It-tieni: ħ ġ ż."]}
    with pytest.raises(DataError, match="data.lang"):
        load_documents(DataSpec(path=str(path)), ["mt"])


def test_rows_must_carry_string_text(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"lang": "de", "text": "gut"}\n{"lang": "de", "text": 5}\n', encoding="utf-8")
    with pytest.raises(DataError, match="text"):
        load_documents(DataSpec(path=str(path)), ["de"])


# -- config ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad, message",
    [
        ({"preset": "huge"}, "unknown model preset"),
        ({"model_overrides": {"hidden": 64}}, "unknown model dimension"),
        ({"model_overrides": {"hidden_size": -4}}, "positive int"),
        ({"model_overrides": {"hidden_size": 100}}, "not divisible"),
        ({"preset": "tiny", "block_size": 1024}, "max_position_embeddings"),
        ({"language_weights": {"xx": 1.0}}, "24 EU language codes"),
        ({"lora": {"r": 4}}, "from scratch"),
    ],
)
def test_config_rejects_bad_settings(bad, message):
    with pytest.raises(RecipeError, match=message):
        validate_recipe({"name": "x", "stages": {"base_pretrain": bad}})


def test_explicit_dimensions_replace_the_preset():
    cfg = BasePretrainConfig(preset="tiny", model_overrides={"hidden_size": 96, "num_hidden_layers": 3})
    dims = cfg.model_dimensions()
    assert dims["hidden_size"] == 96 and dims["num_hidden_layers"] == 3 and dims["num_attention_heads"] == 4
    assert cfg.sequence_length == 256 and BasePretrainConfig(block_size=128).sequence_length == 128


# -- the fused loss -------------------------------------------------------------------------
def test_fused_loss_matches_the_model_loss(tiny_tokenizer):
    from euro_post.base_pretrain.corpus import Blocks
    from euro_post.base_pretrain.training import PretrainTrainer, validation_losses
    from transformers import TrainingArguments

    from euro_post.models.presets import new_model

    torch.manual_seed(0)
    ids = torch.randint(0, len(tiny_tokenizer), (2, 32))
    labels = ids.clone()
    labels[1, 20:] = -100
    inputs = {"input_ids": ids, "labels": labels}
    args = TrainingArguments(output_dir="/tmp/unused", use_cpu=True, report_to="none")
    losses, grads, validation = [], [], []
    for fused in ("off", "on"):
        model = new_model("tiny", tiny_tokenizer, seed=1)
        trainer = PretrainTrainer(model=model, args=args, fused_loss=fused)
        loss = trainer.compute_loss(model, dict(inputs), num_items_in_batch=torch.tensor(50))
        loss.backward()
        losses.append(loss.item())
        grads.append((model.model.layers[0].mlp.up_proj.weight.grad.clone(), model.lm_head.weight.grad.clone()))
        blocks = {"en": Blocks(ids, torch.tensor([32, 20]))}
        validation.append(validation_losses(model, blocks, batch_size=1, fused=fused)["en"])
    # 50 = the tokens of a whole accumulated batch: the loss is the sum over this micro-batch / 50
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert losses[0] * 50 == pytest.approx(
        torch.nn.functional.cross_entropy(
            new_model("tiny", tiny_tokenizer, seed=1)(input_ids=ids).logits[:, :-1].reshape(-1, len(tiny_tokenizer)),
            labels[:, 1:].reshape(-1), reduction="sum",
        ).item(), rel=1e-5,
    )
    (body_off, head_off), (body_on, head_on) = grads
    assert torch.allclose(body_off, body_on, atol=1e-6, rtol=1e-4)
    assert torch.allclose(head_off, head_on, atol=1e-6, rtol=1e-4)
    assert validation[0] == pytest.approx(validation[1], rel=1e-5)


# -- whole runs -----------------------------------------------------------------------------
@pytest.mark.slow
def test_pretraining_learns_every_language_and_writes_a_loadable_checkpoint(tmp_path, corpus_file):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run_dir = tmp_path / "run"
    recipe = pretrain_recipe(run_dir, corpus_file, per_device_batch_size=4, gradient_accumulation_steps=2)
    manifest = run_recipe(validate_recipe(recipe), run_dir)["base_pretrain"]
    assert manifest["status"] == "complete"
    summary = manifest["summary"]
    assert set(summary["fertility"]) == set(LANGUAGE_CODES)
    ratio = max(summary["fertility"].values()) / min(summary["fertility"].values())
    assert summary["fertility_worst_best_ratio"] == pytest.approx(ratio, abs=1e-3)
    assert manifest["tokens_processed"] == 30 * 8 * 64
    assert summary["steps"] == 30 and summary["vocab_size"] <= 800

    evals = eval_lines(run_dir)
    assert [e["step"] for e in evals] == [10, 20, 30]
    first, last = evals[0], evals[-1]
    for lang in LANGUAGE_CODES:
        assert last[f"eval/loss_{lang}"] < first[f"eval/loss_{lang}"], lang
    assert last["eval/loss"] < first["eval/loss"] - 0.3
    assert summary["validation_loss_mean"] == pytest.approx(last["eval/loss"], abs=1e-3)
    start = json.loads((run_dir / "base_pretrain" / "metrics.jsonl").read_text().splitlines()[0])
    assert last["eval/loss"] < start["loss"]

    checkpoint = manifest["checkpoint"]
    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    assert type(model).__name__ == "LlamaForCausalLM" and model.config.use_cache
    assert tokenizer.chat_template == CHAT_TEMPLATE
    prompt = tokenizer("Anna hat", return_tensors="pt")
    out = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]
    assert isinstance(tokenizer.decode(out[0]), str)


@pytest.mark.slow
def test_interrupted_pretraining_resumes_from_its_last_checkpoint(tmp_path, corpus_file, monkeypatch, capsys):
    from transformers import TrainerCallback

    class Interrupt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 6:
                raise KeyboardInterrupt

    seen: list[int] = []

    class FirstStep(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            seen.append(state.global_step)

    original = trainer_setup.train

    def interrupted(trainer, ctx):
        trainer.add_callback(Interrupt())
        return original(trainer, ctx)

    def watched(trainer, ctx):
        trainer.add_callback(FirstStep())
        return original(trainer, ctx)

    def recipe_for(run_dir):
        raw = pretrain_recipe(run_dir, corpus_file, max_steps=10, save_steps=4, eval_steps=5)
        return validate_recipe({**raw, "languages": ["de", "mt", "el"]})

    recipe = recipe_for(tmp_path / "run")
    monkeypatch.setattr(trainer_setup, "train", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_recipe(recipe, tmp_path / "run")
    stage_dir = tmp_path / "run" / "base_pretrain"
    assert json.loads((stage_dir / "stage.json").read_text())["status"] == "interrupted"
    assert (stage_dir / "trainer" / "checkpoint-4").is_dir() and not (stage_dir / "checkpoint").exists()

    monkeypatch.setattr(trainer_setup, "train", watched)
    capsys.readouterr()
    manifest = run_recipe(recipe, tmp_path / "run")["base_pretrain"]
    assert "resuming from " + str(stage_dir / "trainer" / "checkpoint-4") in capsys.readouterr().err
    assert manifest["status"] == "complete" and manifest["resumed"] is True
    assert seen[0] == 4 and seen[-1] == 9  # steps 5..10 ran again, 1..4 did not
    assert manifest["summary"]["steps"] == 10
    assert manifest["tokens_processed"] == 10 * 8 * 64
    assert [e["step"] for e in eval_lines(tmp_path / "run")] == [5, 10]

    # The resumed run ends where an uninterrupted one does.
    monkeypatch.setattr(trainer_setup, "train", original)
    straight = run_recipe(recipe_for(tmp_path / "straight"))
    assert straight["base_pretrain"]["summary"]["validation_loss_mean"] == pytest.approx(
        manifest["summary"]["validation_loss_mean"], abs=1e-4
    )


@pytest.mark.slow
def test_continued_pretraining_starts_from_a_checkpoint(tmp_path, corpus_file, tiny_checkpoint):
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    run_dir = tmp_path / "run"
    raw = pretrain_recipe(
        run_dir, corpus_file, init_from=tiny_checkpoint, max_steps=10, eval_steps=5, lr_scheduler="warmup_stable_decay"
    )
    raw["fused_loss"] = "off"
    raw["languages"] = ["mt", "ga", "et"]
    manifest = run_recipe(validate_recipe(raw), run_dir)["base_pretrain"]
    summary = manifest["summary"]
    assert summary["from"] == tiny_checkpoint and not (run_dir / "base_pretrain" / "tokenizer").exists()
    assert set(summary["validation_loss"]) == {"mt", "ga", "et"}
    before = load_file(str(Path(tiny_checkpoint) / "model.safetensors"))
    after = load_file(str(Path(manifest["checkpoint"]) / "model.safetensors"))
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    evals = eval_lines(run_dir)
    assert evals[-1]["eval/loss"] < evals[0]["eval/loss"]
    model = AutoModelForCausalLM.from_pretrained(manifest["checkpoint"])
    assert model.config.vocab_size == AutoModelForCausalLM.from_pretrained(tiny_checkpoint).config.vocab_size
