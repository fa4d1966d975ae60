"""Assistant-only masks for published chat templates, checked token by token.

tests/data/chat_templates/ holds the templates: qwen2_5, qwen3, llama3_1 and gemma3 byte for
byte as their model repositories ship them; smollm2 as SmolLM2-135M-Instruct's GGUF carries it;
mistral_v0_3, mistral_nemo, eurollm, salamandra and phi4 written after the published ones (the
Mistral tool-calling branches left out). Each runs on the tiny test tokenizer with the family's
special tokens added. An expectation is the whole rendered conversation with the trained tokens
in [[...]]: the ids must be exactly those of the text, and the mask exactly the brackets.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from euro_post.sft.encode import IGNORE, Encoder
from euro_post.sft.template import ChatTemplateError, check_template, choose_template
from euro_post.sft.turns import turn_mask

from euro_post.cli import main
from euro_post.models.chat_template import CHAT_TEMPLATE
from euro_post.pipeline.recipe import validate_recipe
from euro_post.pipeline.runner import read_manifest, run_recipe

TEMPLATES = Path(__file__).parent / "data" / "chat_templates"

S = "Antworte Schritt für Schritt."
Q1, A1 = "Anna hat 12 Äpfel und kauft noch 5 dazu. Wie viele hat sie?", "Schritt 1: 12 + 5 = 17.\nAntwort: 17"
Q2, A2 = "Und mit 3 mehr?", "Schritt 1: 17 + 3 = 20.\nAntwort: 20"
CONVERSATIONS = {
    "one": [{"role": "user", "content": Q1}, {"role": "assistant", "content": A1}],
    "two": [{"role": "system", "content": S}, {"role": "user", "content": Q1}, {"role": "assistant", "content": A1},
            {"role": "user", "content": Q2}, {"role": "assistant", "content": A2}],
    "two_no_system": [{"role": "user", "content": Q1}, {"role": "assistant", "content": A1},
                      {"role": "user", "content": Q2}, {"role": "assistant", "content": A2}],
}


@dataclass(frozen=True)
class Family:
    template: str  # file name in tests/data/chat_templates
    bos: str | None
    eos: str
    tokens: tuple[str, ...]  # special tokens the template writes
    expected: dict  # conversation -> marked text, or the ChatTemplateError message it must raise


CHATML = ("<|im_start|>", "<|im_end|>")
SMOL_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
QWEN_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
SALAMANDRA_SYSTEM = (
    "I am Salamandra, an AI language model developed at the Barcelona Supercomputing Centre (BSC) by the Language "
    "Technologies Unit. My knowledge base was last updated on August 2023. Today Date: 2024-09-30\nSoy Salamandra, un "
    "modelo lingüístico de IA desarrollado en el Barcelona Supercomputing Centre (BSC) por la Language Technologies "
    "Unit. Mi base de conocimientos se actualizó por última vez en agosto de 2023.\nSoc Salamandra, un model de "
    "llenguatge d'IA desenvolupat al Barcelona Supercomputing Centre (BSC) per la Language Technologies Unit. La meva "
    "base de coneixement es va actualitzar per última vegada l'agost de 2023."
)


def chatml(system: str | None, *turns: str, bos: str = "", trained_newline: bool = False) -> str:
    """A ChatML conversation, the answers marked; turns alternate user, assistant."""
    nl = "\n"
    text = bos + (f"<|im_start|>system\n{system}<|im_end|>\n" if system is not None else "")
    for k, content in enumerate(turns):
        if k % 2:
            text += f"<|im_start|>assistant\n[[{content}<|im_end|>{nl if trained_newline else ''}]]{'' if trained_newline else nl}"
        else:
            text += f"<|im_start|>user\n{content}<|im_end|>\n"
    return text


def llama(system: str, *turns: str) -> str:
    text = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            f"Today Date: 26 Jul 2024\n\n{system}<|eot_id|>")
    for k, content in enumerate(turns):
        role = "assistant" if k % 2 else "user"
        body = f"[[{content}<|eot_id|>]]" if k % 2 else f"{content}<|eot_id|>"
        text += f"<|start_header_id|>{role}<|end_header_id|>\n\n{body}"
    return text


def gemma(system: str | None, *turns: str, trained_newline: bool = False) -> str:
    text = "<bos>"
    for k, content in enumerate(turns):
        if k % 2:
            text += f"<start_of_turn>model\n[[{content}<end_of_turn>" + ("\n]]" if trained_newline else "]]\n")
        else:
            prefix = f"{system}\n\n" if system and k == 0 else ""
            text += f"<start_of_turn>user\n{prefix}{content}<end_of_turn>\n"
    return text


def phi4(system: str | None, *turns: str) -> str:
    text = f"<|im_start|>system<|im_sep|>{system}<|im_end|>" if system else ""
    for k, content in enumerate(turns):
        text += f"<|im_start|>assistant<|im_sep|>[[{content}<|im_end|>]]" if k % 2 else f"<|im_start|>user<|im_sep|>{content}<|im_end|>"
    return text


def mistral(*turns: str, space: str = " ", system: str | None = None) -> str:
    text = "<s>"
    for k, content in enumerate(turns):
        if k % 2:
            text += f"[[{space}{content}</s>]]"
        else:
            last_user = k == len(turns) - 2
            text += f"[INST]{space}{system + chr(10) * 2 if system and last_user else ''}{content}[/INST]"
    return text


MOVED_SYSTEM = (r"turn 3 \(assistant\): the chat template is not prefix-preserving: the prompt of this turn renders "
                r"'Antworte Schrit' at token \d+ where the conversation through this turn renders .*loss_on: all")
THINK = "<think>\n\n</think>\n\n"

FAMILIES = {
    "smollm2": Family("smollm2.jinja", "<|im_start|>", "<|im_end|>", CHATML, {
        "one": chatml(SMOL_SYSTEM, Q1, A1),
        "two": chatml(S, Q1, A1, Q2, A2),
    }),
    "qwen2_5": Family("qwen2_5.jinja", None, "<|im_end|>", CHATML, {
        "one": chatml(QWEN_SYSTEM, Q1, A1),
        "two": chatml(S, Q1, A1, Q2, A2),
    }),
    "llama3_1": Family("llama3_1.jinja", "<|begin_of_text|>", "<|eot_id|>",
                       ("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), {
        "one": llama("", Q1, A1),
        "two": llama(S, Q1, A1, Q2, A2),
    }),
    "mistral_v0_3": Family("mistral_v0_3.jinja", "<s>", "</s>", ("<s>", "</s>", "[INST]", "[/INST]"), {
        "one": mistral(Q1, A1),
        "two_no_system": mistral(Q1, A1, Q2, A2),
        "two": MOVED_SYSTEM,
    }),
    "mistral_nemo": Family("mistral_nemo.jinja", "<s>", "</s>", ("<s>", "</s>", "[INST]", "[/INST]"), {
        "one": mistral(Q1, A1, space=""),
        "two_no_system": mistral(Q1, A1, Q2, A2, space=""),
        "two": MOVED_SYSTEM,
    }),
    "gemma3": Family("gemma3.jinja", "<bos>", "<eos>", ("<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"), {
        "one": gemma(None, Q1, A1),
        "two": gemma(S, Q1, A1, Q2, A2),
    }),
    "eurollm": Family("eurollm.jinja", "<s>", "<|im_end|>", ("<s>", "</s>", *CHATML), {
        "one": chatml(None, Q1, A1, bos="<s>"),
        "two": chatml(S, Q1, A1, Q2, A2, bos="<s>"),
    }),
    "salamandra": Family("salamandra.jinja", "<s>", "<|im_end|>", ("<s>", "</s>", *CHATML), {
        "one": chatml(SALAMANDRA_SYSTEM, Q1, A1),
        "two": chatml(S, Q1, A1, Q2, A2),
    }),
    "phi4": Family("phi4.jinja", None, "<|im_end|>", ("<|im_sep|>", "<|endoftext|>", *CHATML), {
        "one": phi4(None, Q1, A1),
        "two": phi4(S, Q1, A1, Q2, A2),
    }),
    # Qwen3 writes an empty <think> block into the last answer only, and drops it from earlier answers
    # once a later user turn follows: one answer is fine, two cannot be masked turn by turn.
    "qwen3": Family("qwen3.jinja", None, "<|im_end|>", (*CHATML, "<think>", "</think>"), {
        "one": chatml(None, Q1, THINK + A1),
        "two": r"turn 3 \(assistant\): the chat template is not prefix-preserving: the conversation through this "
               r"turn renders '<think>.*' at token \d+ where the prompt of turn 5 renders .*loss_on: last_assistant",
    }),
}


def family_tokenizer(base, family: Family):
    tokenizer = copy.deepcopy(base)
    tokenizer.add_special_tokens({"additional_special_tokens": [t for t in family.tokens if t not in base.get_vocab()]})
    tokenizer.bos_token = family.bos
    tokenizer.eos_token = family.eos
    tokenizer.chat_template = (TEMPLATES / family.template).read_text(encoding="utf-8")
    return tokenizer


def marked(tokenizer, ids: list[int], mask: list[int]) -> str:
    """The decoded ids with the trained runs in [[...]] (a run that splits a character shows as U+FFFD)."""
    text, start = "", 0
    for end in range(1, len(ids) + 1):
        if end == len(ids) or bool(mask[end]) != bool(mask[start]):
            piece = tokenizer.decode(ids[start:end], clean_up_tokenization_spaces=False)
            text += f"[[{piece}]]" if mask[start] else piece
            start = end
    return text


def check_marked(tokenizer, ids: list[int], mask: list[int], expected: str) -> None:
    plain = expected.replace("[[", "").replace("]]", "")
    assert ids == tokenizer(plain, add_special_tokens=False)["input_ids"], "the template renders another text"
    assert marked(tokenizer, ids, mask) == expected


CASES = [(name, conversation) for name, family in FAMILIES.items() for conversation in family.expected]


@pytest.mark.parametrize(("name", "conversation"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_turn_by_turn_masks_match_the_hand_marked_text(tiny_tokenizer, name, conversation):
    family = FAMILIES[name]
    tokenizer = family_tokenizer(tiny_tokenizer, family)
    expected = family.expected[conversation]
    messages = CONVERSATIONS[conversation]
    if expected.count("[[") == 0:  # a refusal
        with pytest.raises(ChatTemplateError, match=expected):
            turn_mask(tokenizer, messages, where="row r7")
        with pytest.raises(ChatTemplateError, match="row r7, " + expected):
            Encoder(tokenizer, 4096, masking="turns").encode({"id": "r7", "lang": "de", "messages": messages})
        return
    ids, mask = turn_mask(tokenizer, messages)
    check_marked(tokenizer, ids, mask, expected)
    # The Encoder's labels: the same tokens, trained where marked (the first position never is a target).
    example, _ = Encoder(tokenizer, 4096, masking="turns").encode({"lang": "de", "messages": messages})
    assert example["input_ids"] == ids
    assert example["labels"] == [token if keep else IGNORE for token, keep in zip(ids, mask)]


def test_last_assistant_trains_the_last_answer_where_earlier_turns_are_rerendered(tiny_tokenizer):
    tokenizer = family_tokenizer(tiny_tokenizer, FAMILIES["qwen3"])
    ids, mask = turn_mask(tokenizer, CONVERSATIONS["two"], last_only=True)
    expected = chatml(S, Q1, A1, Q2, THINK + A2).replace(f"[[{A1}<|im_end|>]]", f"{A1}<|im_end|>")
    check_marked(tokenizer, ids, mask, expected)
    example, _ = Encoder(tokenizer, 4096, loss_on="last_assistant").encode({"lang": "de", "messages": CONVERSATIONS["two"]})
    assert example["labels"] == [token if keep else IGNORE for token, keep in zip(ids, mask)]


def test_mistral_drops_the_system_prompt_from_finished_conversations(tiny_tokenizer):
    """Mistral's templates write the system prompt into the user turn only while it is the last
    message: a finished conversation has none, so even its last answer cannot be masked."""
    tokenizer = family_tokenizer(tiny_tokenizer, FAMILIES["mistral_v0_3"])
    with pytest.raises(ChatTemplateError, match=r"turn 5 \(assistant\): .*renders 'Antworte Schrit"):
        turn_mask(tokenizer, CONVERSATIONS["two"], last_only=True)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_the_sft_stage_masks_each_family_turn_by_turn(tiny_tokenizer, name):
    """check_template's choice, on the conversations each template can render turn by turn, trains
    exactly the marked tokens, end-of-turn token included (no warning that it is not)."""
    family = FAMILIES[name]
    tokenizer = family_tokenizer(tiny_tokenizer, family)
    logs = []
    rows = [{"id": c, "lang": "de", "messages": CONVERSATIONS[c]} for c, e in family.expected.items() if "[[" in e]
    choice = check_template(tokenizer, name, "assistant", rows, logs.append)
    assert (choice.masking, choice.chat_template) == ("turns", None)
    assert logs == [f"{name}: its chat template has no {{% generation %}} markers; the assistant's tokens are found by "
                    "rendering each conversation turn by turn"]
    encoder = Encoder(tokenizer, 4096, "assistant", choice.chat_template, choice.masking)
    for row in rows:
        example, _ = encoder.encode(row)
        mask = [int(label != IGNORE) for label in example["labels"]]
        check_marked(tokenizer, example["input_ids"], mask, family.expected[row["id"]])


def test_trl_training_version_handles_qwen3_conversations_of_several_turns(tiny_tokenizer):
    tokenizer = family_tokenizer(tiny_tokenizer, FAMILIES["qwen3"])
    row = {"id": "two", "lang": "de", "messages": CONVERSATIONS["two"]}
    logs = []
    choice = check_template(tokenizer, "qwen3", "assistant", [row], logs.append)
    assert choice.masking == "markers" and "<think>" in choice.chat_template
    assert "re-renders earlier turns (row two, turn 3 (assistant)); rendering training rows with TRL's" in logs[-1]
    example, _ = Encoder(tokenizer, 4096, "assistant", choice.chat_template, choice.masking).encode(row)
    trained = tokenizer.decode([t for t in example["labels"] if t != IGNORE])
    assert A1 in trained and A2 in trained and Q2 not in trained and S not in trained


def test_turn_by_turn_agrees_with_the_project_templates_markers(tiny_tokenizer):
    assert tiny_tokenizer.chat_template == CHAT_TEMPLATE
    for conversation in CONVERSATIONS.values():
        row = {"lang": "de", "messages": conversation}
        assert Encoder(tiny_tokenizer, 4096, masking="turns").encode(row) == Encoder(tiny_tokenizer, 4096).encode(row)
    assert choose_template(tiny_tokenizer, "own", "assistant", conversational=True).masking == "markers"


def test_check_template_finds_the_multi_turn_row_that_breaks_the_template(tiny_tokenizer):
    tokenizer = family_tokenizer(tiny_tokenizer, FAMILIES["qwen3"])
    # A fine-tune's copy of Qwen3's template, which TRL's training version does not match.
    tokenizer.chat_template = "{#- fine-tuned -#}" + tokenizer.chat_template
    rows = [{"id": f"r{i}", "lang": "de", "messages": CONVERSATIONS["one"]} for i in range(30)]
    rows[20] = {"id": "r20", "lang": "de", "messages": CONVERSATIONS["two"]}
    with pytest.raises(ChatTemplateError, match=r"^my-qwen: row r20, turn 3 \(assistant\): .*prefix-preserving"):
        check_template(tokenizer, "my-qwen", "assistant", rows)
    # Asked for, the fallbacks are allowed: the last answer only, or every token.
    assert check_template(tokenizer, "my-qwen", "last_assistant", rows).masking == "turns"
    assert check_template(tokenizer, "my-qwen", "all", rows).chat_template is None


def test_validate_and_run_refuse_a_template_they_cannot_mask(tmp_path, tiny_checkpoint, capsys):
    """`euro-post validate`, and the sft stage at its start, name the row and turn and say what to set instead."""
    import shutil

    moving = tmp_path / "moving-system"
    shutil.copytree(tiny_checkpoint, moving)
    config_file = moving / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    # ChatML that writes the system prompt into the last user turn, as Mistral's templates do.
    config["chat_template"] = (
        "{%- set system = messages[0]['content'] if messages[0]['role'] == 'system' else none -%}"
        "{%- for m in messages if m['role'] != 'system' -%}"
        "{%- set extra = system + '\\n' if system and loop.last and m['role'] == 'user' else '' -%}"
        "{{- '<|im_start|>' + m['role'] + '\\n' + extra + m['content'] + '<|im_end|>\\n' -}}"
        "{%- endfor -%}{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
    )
    config_file.write_text(json.dumps(config))
    for extra in moving.glob("chat_template.*"):
        extra.unlink()
    data = tmp_path / "sft.jsonl"
    rows = [{"id": f"r{i}", "lang": "de", "messages": CONVERSATIONS["two" if i == 3 else "one"]} for i in range(12)]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    raw = {"name": "moving", "languages": ["de"], "run_dir": str(tmp_path / "run"), "stages": {
        "sft": {"init_from": str(moving), "max_steps": 2, "per_device_batch_size": 2, "max_length": 256,
                "eval_rows_per_language": 0, "data": {"path": str(data)}}}}
    refusal = r"row r3, turn 3 \(assistant\): .*writing the answer changes the prompt.*loss_on: all"

    # `euro-post validate` loads the tokenizer and refuses the recipe, as the run would.
    recipe_file = tmp_path / "moving.yaml"
    recipe_file.write_text(json.dumps(raw), encoding="utf-8")  # JSON is YAML
    assert main(["validate", str(recipe_file)]) == 1
    out, err = capsys.readouterr()
    assert re.search(rf"  template sft +{re.escape(str(moving))}: REFUSED: {refusal}", out), out
    assert "the checkpoint of sft would stop the run" in err
    assert main(["validate", str(recipe_file), "--set", "stages.sft.loss_on=all"]) == 0

    with pytest.raises(ChatTemplateError, match=f"moving-system: {refusal}"):
        run_recipe(validate_recipe(raw))
    assert read_manifest(tmp_path / "run" / "sft")["status"] == "failed"
