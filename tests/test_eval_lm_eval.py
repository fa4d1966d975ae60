"""lm-eval integration: the world's offline tasks run with no network, answers are checked by
the rewards' verify_answer, and results are filed under their language."""

from __future__ import annotations

import os

import pytest
import torch
import yaml
from euro_post.eval.harness import WORLD_GROUP, collect_results, process_results, run_lm_eval, task_language


@pytest.mark.parametrize(
    "task,lang,family",
    [
        ("euro_post_world_de", "de", "euro_post_world"),
        ("mgsm_native_cot_fr", "fr", "mgsm_native_cot"),
        ("belebele_deu_Latn", "de", "belebele"),
        ("belebele_lvs_Latn", "lv", "belebele"),
        ("global_mmlu_full_pt_abstract_algebra", "pt", "global_mmlu_full_abstract_algebra"),
        ("hellaswag", None, "hellaswag"),
        ("mgsm_native_cot_ja", None, "mgsm_native_cot_ja"),
    ],
)
def test_task_language(task, lang, family):
    assert task_language(task) == (lang, family)


def test_process_results_reads_locale_numbers():
    doc = {"lang": "fr", "answer": "1234.5"}
    assert process_results(doc, ["Étape 1 : 1000 + 234,5 = 1 234,5.\nRéponse : 1\u202f234,5"]) == {"acc": 1.0}
    assert process_results(doc, ["Réponse : 1234,6"]) == {"acc": 0.0}
    assert process_results({"lang": "de", "answer": "12.5"}, ["Antwort: 12,5"]) == {"acc": 1.0}


def test_collect_results_keeps_metrics_and_stderr():
    raw = {
        "configs": {"euro_post_world_de": {}, "hellaswag": {}},
        "results": {
            "euro_post_world_de": {"alias": "x", "acc,none": 0.5, "acc_stderr,none": 0.1, "sample_len": 3},
            "hellaswag": {"acc,none": 0.25, "acc_stderr,none": "N/A"},
            WORLD_GROUP: {"acc,none": 0.5},
        },
        "n-samples": {"euro_post_world_de": {"original": 10, "effective": 4}},
    }
    out = collect_results(raw)
    assert set(out) == {"euro_post_world_de", "hellaswag"}
    assert out["euro_post_world_de"] == {
        "lang": "de", "family": "euro_post_world", "n": 4, "metrics": {"acc,none": {"value": 0.5, "stderr": 0.1}}
    }
    assert out["hellaswag"]["metrics"]["acc,none"] == {"value": 0.25, "stderr": None}


def world_rows(langs=("de", "fr"), per_language=3):
    from euro_post.data.world import World, WorldConfig

    world = World(WorldConfig(eval_per_language=per_language), list(langs))
    return [row for lang in langs for row in world.eval_rows(lang)]


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    from euro_post.models.loading import load_model, load_tokenizer

    return load_model(tiny_checkpoint, "fp32"), load_tokenizer(tiny_checkpoint)


def test_world_tasks_run_offline_on_the_tiny_checkpoint(tiny, tmp_path):
    assert os.environ.get("HF_DATASETS_OFFLINE") == "1"
    model, tokenizer = tiny
    rows = world_rows()
    results = run_lm_eval(
        model, tokenizer, [WORLD_GROUP], rows=rows, work_dir=tmp_path, limit=2, max_new_tokens=8, batch_size=4
    )
    assert set(results) == {"euro_post_world_de", "euro_post_world_fr"}
    for lang in ("de", "fr"):
        result = results[f"euro_post_world_{lang}"]
        assert result["lang"] == lang and result["n"] == 2
        assert 0.0 <= result["metrics"]["acc,none"]["value"] <= 1.0
        task = yaml.safe_load((tmp_path / "tasks" / f"euro_post_world_{lang}.yaml").read_text())
        data = task["dataset_kwargs"]["data_files"]["test"]
        assert os.path.isabs(data) and len(open(data, encoding="utf-8").readlines()) == 3
        assert task["generation_kwargs"]["max_gen_toks"] == 8
    group = yaml.safe_load((tmp_path / "tasks" / f"{WORLD_GROUP}.yaml").read_text())
    assert group["task"] == ["euro_post_world_de", "euro_post_world_fr"]


def test_lm_eval_scores_known_completions(tiny, tmp_path, monkeypatch):
    """With the model's generate replaced by fixed answers, lm-eval's accuracy is exact."""
    model, tokenizer = tiny
    rows = world_rows(per_language=3)
    for i, row in enumerate(rows):
        row["answer"] = "12" if i % 3 != 2 else "13"  # 2 of 3 right in each language
    answers = {"de": "Schritt 1: 5 + 7 = 12.\nAntwort: 12", "fr": "Étape 1 : 5 + 7 = 12.\nRéponse : 12"}
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    seen_prompts = []

    def fixed_generate(input_ids, attention_mask=None, **kwargs):
        outputs = []
        for ids in input_ids.tolist():
            text = tokenizer.decode(ids)
            seen_prompts.append(text)
            lang = "de" if "Antwort" in text else "fr"
            outputs.append(ids + tokenizer(answers[lang], add_special_tokens=False).input_ids + [end])
        width = max(len(o) for o in outputs)
        return torch.tensor([o + [end] * (width - len(o)) for o in outputs])

    monkeypatch.setattr(model, "generate", fixed_generate)
    results = run_lm_eval(
        model, tokenizer, [WORLD_GROUP], rows=rows, work_dir=tmp_path, limit=None, max_new_tokens=16, batch_size=2
    )
    assert results["euro_post_world_de"]["metrics"]["acc,none"]["value"] == pytest.approx(2 / 3)
    assert results["euro_post_world_fr"]["metrics"]["acc,none"]["value"] == pytest.approx(2 / 3)
    # Prompts went through the chat template, with the assistant turn opened.
    assert seen_prompts and all(p.endswith("<|im_start|>assistant\n") for p in seen_prompts)


def test_unknown_world_language_is_a_clear_error(tiny, tmp_path):
    model, tokenizer = tiny
    with pytest.raises(ValueError, match="euro_post_world_it"):
        run_lm_eval(model, tokenizer, ["euro_post_world_it"], rows=world_rows(), work_dir=tmp_path, limit=1,
                    max_new_tokens=4, batch_size=1)


@pytest.mark.slow
def test_unknown_lm_eval_task_names_the_nearest(tiny, tmp_path):
    """Names outside the world go to lm-eval's own index (built in ~15 s): a typo gets suggestions."""
    model, tokenizer = tiny
    with pytest.raises(ValueError, match="mgsm_native_cot_de"):
        run_lm_eval(model, tokenizer, ["mgsm_native_cot_dee"], rows=world_rows(), work_dir=tmp_path, limit=1,
                    max_new_tokens=4, batch_size=1)
