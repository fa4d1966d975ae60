"""A real pretrained instruct model end to end, from the recipe a user edits.

SmolLM2-135M-Instruct (tests/real_model.py) has a ChatML template without {% generation %}
markers and a default system prompt: `euro-post validate` checks that template on the sft rows,
then sft (loss on the assistant's tokens, found turn by turn) -> preference -> rl -> eval run a
few steps each on recipes/byo-model.yaml with its init_from pointed at the converted checkpoint.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from euro_post.sft.encode import IGNORE, Encoder
from real_model import smollm2_checkpoint  # noqa: F401  (the session fixture)

from euro_post.cli import main
from euro_post.pipeline.recipe import load_recipe
from euro_post.pipeline.runner import run_recipe

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "byo-model.yaml"

# Every stage a few steps on short sequences, in two languages: a few minutes on 2 CPU cores.
SHORT = [
    "languages=[de, fr]",
    "world.sft_per_language=16",
    "world.rl_per_language=8",
    "world.eval_per_language=4",
    "stages.sft.max_steps=3",
    "stages.sft.per_device_batch_size=2",
    "stages.sft.max_length=256",
    "stages.sft.logging_steps=1",
    "stages.sft.eval_rows_per_language=2",
    "stages.preference.max_steps=1",
    "stages.preference.per_device_batch_size=2",
    "stages.preference.samples_per_prompt=2",
    "stages.preference.max_completion_length=16",
    "stages.preference.max_length=192",
    "stages.preference.data.max_rows=4",
    "stages.preference.logging_steps=1",
    "stages.rl.max_steps=1",
    "stages.rl.per_device_batch_size=4",
    "stages.rl.num_generations=2",
    "stages.rl.max_completion_length=16",
    "stages.rl.logging_steps=1",
    "stages.eval.problems_per_language=2",
    "stages.eval.max_new_tokens=16",
    "stages.eval.batch_size=2",  # two batches per checkpoint, one sampling call per two prompts: progress
    "stages.preference.generation_batch_size=1",  # lines with an ETA in between
]


@pytest.mark.slow
def test_smollm2_instruct_masks_exactly_the_answers(smollm2_checkpoint):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2_checkpoint)
    messages = [{"role": "user", "content": "Wie viel ist 12 + 5?"}, {"role": "assistant", "content": "12 + 5 = 17.\nAntwort: 17"},
                {"role": "user", "content": "Und 3 mehr?"}, {"role": "assistant", "content": "17 + 3 = 20.\nAntwort: 20"}]
    example, _ = Encoder(tokenizer, 1024).encode({"lang": "de", "messages": messages})
    trained = [token for token in example["labels"] if token != IGNORE]
    assert tokenizer.decode(example["input_ids"]).startswith(
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n")
    # Both answers with their <|im_end|>, nothing else: not the default system prompt, a question or a header.
    assert trained == tokenizer("12 + 5 = 17.\nAntwort: 17<|im_end|>17 + 3 = 20.\nAntwort: 20<|im_end|>",
                                add_special_tokens=False)["input_ids"]


@pytest.mark.slow
def test_smollm2_instruct_through_every_stage(tmp_path, smollm2_checkpoint, capsys, monkeypatch):
    monkeypatch.setenv("EURO_POST_PROGRESS_SECONDS", "0")  # every progress line, as a terminal would show
    overrides = [f"stages.sft.init_from={smollm2_checkpoint}", *SHORT]
    assert main(["validate", str(RECIPE), *(arg for override in overrides for arg in ("--set", override))]) == 0
    assert (f"template sft      {smollm2_checkpoint}: the assistant's tokens found by rendering each conversation "
            "turn by turn") in capsys.readouterr().out

    manifests = run_recipe(load_recipe(RECIPE, overrides), tmp_path / "run")
    assert {name: m["status"] for name, m in manifests.items()} == dict.fromkeys(["sft", "preference", "rl", "eval"], "complete")
    # The long phases say how far they are and how long is left.
    shown = capsys.readouterr().err.splitlines()
    for phase in (r"\[preference\] sampling \d+/\d+ prompts .* eta \d", r"\[eval\] \w+: \d+/\d+ completions .* eta \d",
                  r"\[eval\] \d+/\d+ checkpoints .* eta \d"):
        assert any(re.search(phase, line) for line in shown), (phase, shown)

    sft = manifests["sft"]["summary"]
    assert sft["loss_on"] == "assistant" and sft["steps"] == 3 and sft["dropped"] == {}
    losses = [row["loss"] for row in map(json.loads, (tmp_path / "run" / "sft" / "metrics.jsonl").read_text().splitlines())
              if "loss" in row]
    assert len(losses) == 3 and all(math.isfinite(loss) for loss in losses)
    # A pretrained model already writes these answers well (a random one starts near ln(49152) = 10.8).
    assert losses[0] < 4, losses
    assert all(math.isfinite(loss) for loss in sft["eval_loss"].values()) and set(sft["eval_loss"]) == {"de", "fr"}

    report = (tmp_path / "run" / "report" / "report.md").read_text(encoding="utf-8")
    for label in ("start", "sft", "preference", "rl"):
        assert f"| {label} |" in report

    # The final checkpoint is a plain Hugging Face folder that loads and chats.
    from transformers import AutoModelForCausalLM, AutoTokenizer

    final = manifests["rl"]["checkpoint"]
    model, tokenizer = AutoModelForCausalLM.from_pretrained(final), AutoTokenizer.from_pretrained(final)
    assert tokenizer.chat_template == AutoTokenizer.from_pretrained(smollm2_checkpoint).chat_template
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Was ist 2 + 3?"}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    out = model.generate(**prompt, max_new_tokens=12, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]
    assert tokenizer.decode(out[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True).strip()
