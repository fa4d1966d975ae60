"""recipes/smoke.yaml end to end: every stage runs, and one seed gives byte-identical results."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from euro_post.pipeline.recipe import load_recipe
from euro_post.pipeline.runner import run_recipe

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_two_runs_of_one_seed_are_identical(tmp_path):
    recipe = load_recipe(ROOT / "recipes" / "smoke.yaml")
    first = run_recipe(recipe, tmp_path / "a")
    second = run_recipe(recipe, tmp_path / "b")
    assert list(first) == recipe.enabled_stages()
    for name in recipe.enabled_stages():
        assert first[name]["status"] == second[name]["status"] == "complete"
        a, b = tmp_path / "a" / name, tmp_path / "b" / name
        assert (a / "metrics.jsonl").read_bytes() == (b / "metrics.jsonl").read_bytes(), name
        if first[name].get("checkpoint"):
            assert first[name]["output_fingerprint"] == second[name]["output_fingerprint"], name
            assert (a / "checkpoint" / "model.safetensors").read_bytes() == (
                b / "checkpoint" / "model.safetensors"
            ).read_bytes(), name

    # The last checkpoint is a plain Hugging Face model that loads and chats.
    last = [first[n]["checkpoint"] for n in recipe.enabled_stages() if first[n].get("checkpoint")][-1]
    model = AutoModelForCausalLM.from_pretrained(last)
    tokenizer = AutoTokenizer.from_pretrained(last)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Anna hat 3 Äpfel."}], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    out = model.generate(**prompt, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]
