"""The sft stage: label masks, packing boundaries, drops, templates, LoRA merge, resume, learning."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import torch
from euro_post.sft.encode import IGNORE, Encoder
from euro_post.sft.mixing import apportion, mix_languages, mixing_weights, split_holdout
from euro_post.sft.stage import DataQualityError, check_drops
from euro_post.sft.template import check_template, choose_template
from euro_post.sft.trainer import LOSS_PATHS, default_loss_path

from euro_post.models.chat_template import CHAT_TEMPLATE
from euro_post.pipeline.recipe import validate_recipe
from euro_post.pipeline.runner import read_manifest, run_recipe
from euro_post.training import trainer_setup

CONVERSATIONS = {
    "de": [
        {"role": "system", "content": "Antworte Schritt für Schritt."},
        {"role": "user", "content": "Anna hat 12 Äpfel und kauft noch 5 dazu. Wie viele hat sie?"},
        {"role": "assistant", "content": "Schritt 1: 12 + 5 = 17.\nAntwort: 17"},
        {"role": "user", "content": "Und mit 2,5 mehr?"},
        {"role": "assistant", "content": "Schritt 1: 17 + 2,5 = 19,5.\nAntwort: 19,5"},
    ],
    "el": [
        {"role": "user", "content": "Η Μαρία έχει 12 μήλα και αγοράζει άλλα 5. Πόσα έχει;"},
        {"role": "assistant", "content": "Βήμα 1: 12 + 5 = 17.\nΑπάντηση: 17"},
    ],
}

# A ChatML template like those other projects ship: it renders the same text, but cannot mark
# which tokens the assistant wrote.
FOREIGN_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def conversation_rows(n_per_lang: int, langs=("de", "el")) -> list[dict]:
    """Short arithmetic conversations in the style of the world's, in two scripts."""
    rows = []
    for lang in langs:
        for i in range(n_per_lang):
            a, b = 3 + i % 17, 2 + (7 * i) % 11
            if lang == "de":
                q, s = f"Anna hat {a} Äpfel und kauft {b} dazu. Wie viele?", f"Schritt 1: {a} + {b} = {a + b}.\nAntwort: {a + b}"
            else:
                q, s = f"Η Μαρία έχει {a} μήλα και αγοράζει {b}. Πόσα;", f"Βήμα 1: {a} + {b} = {a + b}.\nΑπάντηση: {a + b}"
            messages = [{"role": "user", "content": q}, {"role": "assistant", "content": s}]
            rows.append({"id": f"{lang}-{i}", "lang": lang, "messages": messages})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def sft_recipe(tmp_path: Path, checkpoint: str, languages=("de", "el"), name="sft", **sft):
    stage = {
        "init_from": checkpoint,
        "max_steps": 4,
        "per_device_batch_size": 4,
        "max_length": 256,
        "learning_rate": 3e-3,
        "logging_steps": 1,
        "save_steps": 50,
        "eval_rows_per_language": 4,
    }
    stage.update(sft)
    return validate_recipe(
        {"name": name, "languages": list(languages), "run_dir": str(tmp_path / name), "stages": {"sft": stage}}
    )


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory) -> str:
    return write_jsonl(tmp_path_factory.mktemp("sft-data") / "sft.jsonl", conversation_rows(40))


# -- the label mask -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "el"])
def test_label_mask_is_exactly_the_assistant_tokens(tiny_tokenizer, lang):
    messages = CONVERSATIONS[lang]
    example, truncated = Encoder(tiny_tokenizer, max_length=1024).encode({"id": "x", "lang": lang, "messages": messages})
    assert not truncated and example["lang"] == lang

    # Build the expected text piece by piece, noting where each answer (with its <|im_end|>) lies.
    text, trained_spans = "", []
    for m in messages:
        if m["role"] == "assistant":
            text += "<|im_start|>assistant\n"
            trained_spans.append((len(text), len(text) + len(m["content"]) + len("<|im_end|>")))
            text += m["content"] + "<|im_end|>\n"
        else:
            text += f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
    encoding = tiny_tokenizer(text, return_offsets_mapping=True, add_special_tokens=False)
    assert example["input_ids"] == encoding["input_ids"], "the template renders something else than ChatML"

    for i, (token, (start, end)) in enumerate(zip(encoding["input_ids"], encoding["offset_mapping"])):
        inside = any(s <= start and end <= e for s, e in trained_spans)
        assert not (not inside and any(s < end and start < e for s, e in trained_spans)), "a token straddles a turn boundary"
        expected = token if inside else IGNORE
        assert example["labels"][i] == expected, f"token {i} {tiny_tokenizer.decode([token])!r}: label {example['labels'][i]}, expected {expected}"

    # The named cases, explicitly: every assistant header is masked, the <|im_end|> right after each
    # answer is trained and the newline after it is not; nothing of a user turn is trained.
    ids, labels = example["input_ids"], example["labels"]
    header = tiny_tokenizer("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    end_id = tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")
    starts = [i for i in range(len(ids)) if ids[i : i + len(header)] == header]
    assert len(starts) == len(trained_spans)
    for start in starts:
        assert all(labels[j] == IGNORE for j in range(start, start + len(header)))
        assert labels[start + len(header)] != IGNORE  # the answer's first token
        answer_end = next(j for j in range(start + len(header), len(ids)) if ids[j] == end_id)
        assert labels[answer_end] == end_id and labels[answer_end + 1] == IGNORE
    trained_text = tiny_tokenizer.decode([t for t in labels if t != IGNORE])
    expected_text = "".join(m["content"] + "<|im_end|>" for m in messages if m["role"] == "assistant")
    assert trained_text == expected_text
    for m in messages:
        if m["role"] != "assistant":
            assert m["content"] not in trained_text


def test_prompt_completion_rows_train_on_the_completion_only(tiny_tokenizer):
    encoder = Encoder(tiny_tokenizer, max_length=512)
    conv, _ = encoder.encode({"lang": "de", "prompt": CONVERSATIONS["de"][:2], "completion": CONVERSATIONS["de"][2:3]})
    assert tiny_tokenizer.decode([t for t in conv["labels"] if t != IGNORE]) == CONVERSATIONS["de"][2]["content"] + "<|im_end|>"
    plain, _ = encoder.encode({"lang": "de", "prompt": "Frage: 2 + 3 =", "completion": " 5"})
    assert tiny_tokenizer.decode([t for t in plain["labels"] if t != IGNORE]) == " 5<|im_end|>"


def test_loss_on_all_trains_every_token(tiny_tokenizer):
    example, _ = Encoder(tiny_tokenizer, 1024, loss_on="all").encode({"lang": "el", "messages": CONVERSATIONS["el"]})
    assert example["labels"] == example["input_ids"]


# -- templates ----------------------------------------------------------------------------------


def test_template_without_generation_markers_is_masked_turn_by_turn(tmp_path, tiny_checkpoint, tiny_tokenizer):
    foreign = tmp_path / "foreign"
    shutil.copytree(tiny_checkpoint, foreign)
    tokenizer_config = foreign / "tokenizer_config.json"
    config = json.loads(tokenizer_config.read_text())
    config["chat_template"] = FOREIGN_TEMPLATE
    tokenizer_config.write_text(json.dumps(config))
    for extra in foreign.glob("chat_template.*"):
        extra.unlink()

    # The same text as the project's template renders, and the same tokens trained, found turn by turn.
    tokenizer = type(tiny_tokenizer).from_pretrained(str(foreign))
    assert tokenizer.chat_template == FOREIGN_TEMPLATE
    rows = [{"id": lang, "lang": lang, "messages": messages} for lang, messages in CONVERSATIONS.items()]
    choice = check_template(tokenizer, str(foreign), "assistant", rows)
    assert (choice.masking, choice.chat_template) == ("turns", None)
    for row in rows:
        assert Encoder(tokenizer, 1024, masking=choice.masking).encode(row) == Encoder(tiny_tokenizer, 1024).encode(row)
    # Asking for the loss on whole conversations is allowed, and then every token is trained.
    assert not choose_template(tokenizer, str(foreign), "all", conversational=True).assistant_markers


def test_known_family_template_gets_trl_training_version(tiny_checkpoint):
    """Qwen3's template drops earlier answers' reasoning, so a conversation of several turns cannot be
    masked turn by turn: TRL's training version of the template is used instead."""
    from transformers import AutoTokenizer
    from trl.chat_template_utils import qwen3_chat_template

    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    tokenizer.chat_template = qwen3_chat_template
    rows = [{"id": lang, "lang": lang, "messages": messages} for lang, messages in CONVERSATIONS.items()]
    choice = check_template(tokenizer, "qwen3-like", "assistant", rows)
    assert choice.assistant_markers and choice.chat_template not in (None, qwen3_chat_template)
    example, _ = Encoder(tokenizer, 512, chat_template=choice.chat_template).encode({"lang": "el", "messages": CONVERSATIONS["el"]})
    trained = tokenizer.decode([t for t in example["labels"] if t != IGNORE])
    assert trained.endswith(CONVERSATIONS["el"][1]["content"] + "<|im_end|>\n")
    assert CONVERSATIONS["el"][0]["content"] not in trained


# -- bad data -----------------------------------------------------------------------------------


def bad_rows() -> list[dict]:
    good = conversation_rows(1, ["de"])[0]["messages"]
    return [
        {"id": "no-role", "lang": "de", "messages": [{"content": "Hallo"}, good[1]]},
        {"id": "odd-role", "lang": "de", "messages": [{"role": "narrator", "content": "Es war einmal"}, good[1]]},
        {"id": "empty", "lang": "el", "messages": [good[0], {"role": "assistant", "content": "  "}]},
        {"id": "long", "lang": "el", "messages": [{"role": "user", "content": "zwölf " * 400}, good[1]]},
    ]


def test_bad_rows_are_dropped_and_counted(tmp_path, tiny_checkpoint):
    rows = conversation_rows(20) + bad_rows()  # 4 bad of 44 rows: under the 10 % default
    recipe = sft_recipe(tmp_path, tiny_checkpoint, data={"path": write_jsonl(tmp_path / "d.jsonl", rows)}, max_steps=2)
    summary = run_recipe(recipe)["sft"]["summary"]
    assert summary["dropped"] == {"empty_assistant": 1, "missing_role": 1, "no_trainable_tokens": 1, "unknown_role": 1}
    assert sum(summary["training_set_rows_per_language"].values()) + sum(summary["held_out_per_language"].values()) == 40
    assert set(summary["eval_loss"]) == {"de", "el"}  # validated once, at the end (no eval_steps)


def test_too_many_dropped_rows_fail_clearly(tmp_path, tiny_checkpoint):
    rows = conversation_rows(10, ["de"]) + bad_rows()  # 4 bad of 14
    recipe = sft_recipe(tmp_path, tiny_checkpoint, data={"path": write_jsonl(tmp_path / "d.jsonl", rows)})
    with pytest.raises(DataQualityError, match=r"4 of 14 rows \(28.6%\).*max_drop_fraction 0.1.*missing_role 1") as err:
        run_recipe(recipe)
    assert "row no-role, turn 1: a turn needs a `role`" in str(err.value)
    assert read_manifest(tmp_path / "sft" / "sft")["status"] == "failed"

    nothing = Encoder(None, 64).encode_all([r for r in bad_rows() if r["id"] != "long"])
    with pytest.raises(DataQualityError, match="none of the 3 rows"):
        check_drops(nothing, 1.0, "d.jsonl")


# -- language mixing ----------------------------------------------------------------------------


def test_language_mixing_follows_temperature_and_weights():
    by_lang = {"de": [f"de{i}" for i in range(80)], "mt": [f"mt{i}" for i in range(20)]}
    natural = mixing_weights({"de": 80, "mt": 20}, temperature=1.0)
    assert natural == pytest.approx({"de": 0.8, "mt": 0.2})
    flat = mixing_weights({"de": 80, "mt": 20}, temperature=1e9)
    assert flat == pytest.approx({"de": 0.5, "mt": 0.5})
    assert apportion({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 10) == {"a": 4, "b": 3, "c": 3}

    mixed, counts = mix_languages(by_lang, 1e9, None, seed=1)
    assert counts == {"de": 50, "mt": 50} and len(mixed) == 100
    assert len(set(r for r in mixed if r.startswith("mt"))) == 20  # every mt row, repeated
    assert mix_languages(by_lang, 1e9, None, seed=1)[0] == mixed  # deterministic by seed
    assert mix_languages(by_lang, 1e9, None, seed=2)[0] != mixed

    _, counts = mix_languages(by_lang, 3.0, {"de": 3, "mt": 1}, seed=0)
    assert counts == {"de": 75, "mt": 25}
    _, counts = mix_languages(by_lang, 3.0, {"mt": 1}, seed=0)
    assert counts == {"mt": 20}  # de left out: not trained on, and the epoch is mt's rows
    with pytest.raises(ValueError, match="weight to fr, but the data has no rows"):
        mixing_weights({"de": 10}, 1.0, {"de": 1, "fr": 1})

    train, held = split_holdout(by_lang, 4, seed=0)
    assert {k: len(v) for k, v in held.items()} == {"de": 4, "mt": 2}  # at most a tenth
    assert not set(held["de"]) & set(train["de"]) and len(train["de"]) == 76


# -- QLoRA --------------------------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal is for machines without CUDA")
def test_qlora_refused_without_cuda(tmp_path, tiny_checkpoint, rows_file):
    recipe = sft_recipe(tmp_path, tiny_checkpoint, data={"path": rows_file}, lora={"quantize_4bit": True})
    with pytest.raises(RuntimeError, match="quantize_4bit.*CUDA"):
        run_recipe(recipe)


# -- packing ------------------------------------------------------------------------------------


def test_loss_path_follows_the_fused_switch_and_device():
    assert default_loss_path("auto", "cpu") == default_loss_path("on", "cpu") == "chunked"
    assert default_loss_path("auto", "cuda") == "trl_fused"
    assert default_loss_path("off", "cuda") == default_loss_path("off", "cpu") == "full_logits"


@pytest.mark.parametrize("loss_path", LOSS_PATHS)
def test_packed_batch_loss_equals_the_unpacked_losses(tmp_path, tiny_checkpoint, tiny_tokenizer, loss_path):
    import torch.nn.functional as F
    from euro_post.sft.stage import build_trainer

    from euro_post.models.loading import load_policy, policy_options
    from euro_post.pipeline.stage import StageContext

    fused_loss = "off" if loss_path == "full_logits" else "on"
    recipe = validate_recipe({
        "name": "pack", "languages": ["de", "el"], "fused_loss": fused_loss, "run_dir": str(tmp_path),
        "stages": {"sft": {"init_from": tiny_checkpoint, "max_length": 256, "per_device_batch_size": 2}},
    })
    config, ctx = recipe.stages.sft, StageContext("sft", recipe, tmp_path, tiny_checkpoint)
    examples = Encoder(tiny_tokenizer, 256).encode_all(conversation_rows(8)).examples
    model = load_policy(tiny_checkpoint, **policy_options(config), tokenizer=tiny_tokenizer).model
    trainer = build_trainer(config, ctx, model, tiny_tokenizer, examples, {}, None, [])
    trainer.loss_path = loss_path  # TRL's fused head is the CUDA default; on CPU it must agree too
    batch = next(iter(trainer.get_train_dataloader()))
    positions, labels = batch["position_ids"], batch["labels"]
    assert "attention_mask" not in batch
    assert (positions == 0).sum() > positions.shape[0], "expected several conversations per packed row"

    model.eval()
    with torch.no_grad():
        packed = trainer.compute_loss(trainer.model, dict(batch))
        # Reference: every conversation on its own, cross-entropy on the full logits.
        total, count = 0.0, 0
        for row in range(positions.shape[0]):
            starts = (positions[row] == 0).nonzero().flatten().tolist() + [positions.shape[1]]
            for start, end in zip(starts, starts[1:]):
                ids, target = batch["input_ids"][row, start:end], labels[row, start:end]
                if (target[1:] != IGNORE).sum() == 0:
                    continue  # padding
                logits = model(input_ids=ids[None], use_cache=False).logits[0]
                total += F.cross_entropy(logits[:-1], target[1:], ignore_index=IGNORE, reduction="sum").item()
                count += int((target[1:] != IGNORE).sum())
        assert count == int((labels[:, 1:] != IGNORE).sum())
        assert packed.item() * count == pytest.approx(total, rel=1e-5)

        # Letting the packed conversations see each other changes the loss: the check above can fail.
        crossed = trainer.compute_loss(trainer.model, {"input_ids": batch["input_ids"], "labels": labels,
                                                        "attention_mask": torch.ones_like(labels)})
        assert abs(crossed.item() * count - total) > 1e-4 * total


# -- whole runs ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_loss_falls_on_world_conversations(tmp_path, tiny_checkpoint):
    from transformers import AutoTokenizer

    from euro_post.data.world import available_languages

    langs = [lang for lang in ("en", "de", "el", "fr") if lang in available_languages()][:2]
    recipe = validate_recipe({
        "name": "world", "languages": langs, "run_dir": str(tmp_path / "world"),
        "world": {"sft_per_language": 100},
        "stages": {"sft": {
            "init_from": tiny_checkpoint, "max_steps": 24, "per_device_batch_size": 2, "max_length": 512,
            "learning_rate": 3e-3, "logging_steps": 4, "save_steps": 100, "eval_steps": 12, "eval_rows_per_language": 6,
        }},
    })
    manifest = run_recipe(recipe)["sft"]
    lines = [json.loads(line) for line in (tmp_path / "world" / "sft" / "metrics.jsonl").read_text().splitlines()]
    losses = [line["loss"] for line in lines if "loss" in line]
    assert len(losses) == 6 and losses[-1] < 0.8 * losses[0], losses
    summary = manifest["summary"]
    for lang in langs:
        evals = [(line["step"], line[f"eval/loss_{lang}"]) for line in lines if f"eval/loss_{lang}" in line]
        assert [step for step, _ in evals] == [12, 24]
        assert evals[-1][1] < evals[0][1]
        assert summary["eval_loss"][lang] == pytest.approx(evals[-1][1])
        assert summary["training_set_rows_per_language"][lang] == 100 - 6
    assert manifest["tokens_processed"] == max(line.get("num_input_tokens_seen", 0) for line in lines) > 24 * 2 * 100
    assert summary["dropped"] == {} and summary["training"] == "full"
    assert AutoTokenizer.from_pretrained(manifest["checkpoint"]).chat_template == CHAT_TEMPLATE


@pytest.mark.slow
def test_lora_hands_on_a_merged_checkpoint_that_matches_the_adapter(tmp_path, tiny_checkpoint, tiny_tokenizer, rows_file):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    recipe = sft_recipe(tmp_path, tiny_checkpoint, data={"path": rows_file}, max_steps=8, learning_rate=2e-2,
                        lora={"r": 8, "alpha": 16})
    manifest = run_recipe(recipe)["sft"]
    assert manifest["summary"]["training"] == "lora"
    adapter_dir = tmp_path / "sft" / "sft" / "adapter"
    assert (adapter_dir / "adapter_config.json").exists()

    merged = AutoModelForCausalLM.from_pretrained(manifest["checkpoint"]).eval()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    base = AutoModelForCausalLM.from_pretrained(tiny_checkpoint).eval()
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_checkpoint), str(adapter_dir)).eval()
    prompt = tiny_tokenizer.apply_chat_template(CONVERSATIONS["de"][1:2], add_generation_prompt=True, return_dict=True, return_tensors="pt")
    with torch.no_grad():
        merged_logits = merged(**prompt).logits
        assert torch.allclose(merged_logits, adapted(**prompt).logits, atol=1e-4)
        assert (merged_logits - base(**prompt).logits).abs().max() > 1e-2  # the adapter did learn something
        greedy = dict(max_new_tokens=16, do_sample=False, pad_token_id=tiny_tokenizer.pad_token_id)
        assert torch.equal(merged.generate(**prompt, **greedy), adapted.generate(**prompt, **greedy))


@pytest.mark.slow
def test_resume_continues_from_the_interrupted_step(tmp_path, tiny_checkpoint, rows_file, monkeypatch):
    from safetensors.torch import load_file
    from transformers import TrainerCallback

    common = dict(data={"path": rows_file}, max_steps=6, save_steps=3)
    straight = run_recipe(sft_recipe(tmp_path, tiny_checkpoint, name="straight", **common))["sft"]

    original_train = trainer_setup.train
    seen: dict[str, list] = {"begin": [], "steps": []}

    class InterruptAfterSave(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 3:
                raise KeyboardInterrupt

    class Record(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            seen["begin"].append(state.global_step)

        def on_step_end(self, args, state, control, **kwargs):
            seen["steps"].append(state.global_step)

    def train_with(*callbacks):
        def train(trainer, ctx):
            for callback in callbacks:
                trainer.add_callback(callback)
            return original_train(trainer, ctx)
        return train

    recipe = sft_recipe(tmp_path, tiny_checkpoint, name="resumed", **common)
    monkeypatch.setattr(trainer_setup, "train", train_with(InterruptAfterSave()))
    with pytest.raises(KeyboardInterrupt):
        run_recipe(recipe)
    stage_dir = tmp_path / "resumed" / "sft"
    assert read_manifest(stage_dir)["status"] == "interrupted"
    assert (stage_dir / "trainer" / "checkpoint-3").is_dir() and not (stage_dir / "checkpoint").exists()

    monkeypatch.setattr(trainer_setup, "train", train_with(Record()))
    resumed = run_recipe(recipe)["sft"]
    assert resumed["resumed"] is True and resumed["status"] == "complete"
    assert seen == {"begin": [3], "steps": [4, 5, 6]}

    def losses(run):
        lines = (tmp_path / run / "sft" / "metrics.jsonl").read_text().splitlines()
        return {(r := json.loads(line))["step"]: r["loss"] for line in lines if "loss" in json.loads(line)}

    assert losses("resumed") == pytest.approx(losses("straight"), rel=1e-5)
    a = load_file(Path(straight["checkpoint"]) / "model.safetensors")
    b = load_file(Path(resumed["checkpoint"]) / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_base_checkpoint_without_chat_template_gets_the_project_template(tmp_path, capsys, rows_file):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    texts = [m["content"] for row in conversation_rows(20) for m in row["messages"]]
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>")
    torch.manual_seed(0)
    base = tmp_path / "base"
    LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
        intermediate_size=64, max_position_embeddings=512, bos_token_id=0, eos_token_id=1)).save_pretrained(base)
    tokenizer.save_pretrained(base)
    assert AutoTokenizer.from_pretrained(base).chat_template is None

    manifest = run_recipe(sft_recipe(tmp_path, str(base), data={"path": rows_file}, max_steps=2))["sft"]
    log = capsys.readouterr().err
    assert "has no chat template: using euro-post's ChatML template" in log and "resized the embeddings" in log
    out_tokenizer = AutoTokenizer.from_pretrained(manifest["checkpoint"])
    out_model = AutoModelForCausalLM.from_pretrained(manifest["checkpoint"])
    assert out_tokenizer.chat_template == CHAT_TEMPLATE and out_tokenizer.eos_token == "<|im_end|>"
    assert out_model.get_input_embeddings().num_embeddings == len(out_tokenizer) == len(tokenizer) + 4
    assert out_tokenizer.eos_token_id in out_model.generation_config.eos_token_id


def test_qlora_adapter_is_merged_into_an_unquantized_base(tmp_path, tiny_checkpoint, tiny_tokenizer):
    """save_final must not merge into (and save) the 4-bit base: it reloads the base unquantized.
    A CPU LoRA model that says it is 4-bit takes that path; the result must equal a plain merge."""
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    from euro_post.pipeline.config import LoraSpec
    from euro_post.pipeline.stage import StageContext

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_checkpoint), trainer_setup.lora_config(LoraSpec(r=4)))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    expected = copy.deepcopy(model).merge_and_unload().state_dict()
    model.get_base_model().is_loaded_in_4bit = True
    recipe = validate_recipe({"name": "q", "run_dir": str(tmp_path), "stages": {"sft": {"init_from": tiny_checkpoint}}})
    ctx = StageContext("sft", recipe, tmp_path, tiny_checkpoint)
    merged = AutoModelForCausalLM.from_pretrained(trainer_setup.save_final(model, tiny_tokenizer, ctx))
    assert merged.dtype == torch.bfloat16 and (tmp_path / "sft" / "adapter" / "adapter_config.json").exists()
    for name, value in merged.state_dict().items():
        assert torch.allclose(value.float(), expected[name], atol=2e-2, rtol=1e-2), name
