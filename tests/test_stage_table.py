"""One table of stages, and the rules every stage shares: which stage runs what, whether liger
runs, and how a recipe's rewards are guarded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from euro_post.models.kernels import dispatch
from euro_post.pipeline.recipe import STAGE_ORDER, TRAINING_STAGES, Stages, validate_recipe
from euro_post.pipeline.stages import STAGES, resolve
from euro_post.preference.offline import PairDataError, check_pair_row


def test_the_table_is_the_pipeline():
    assert STAGE_ORDER == ("base_pretrain", "sft", "preference", "rl", "eval")
    assert TRAINING_STAGES == ("base_pretrain", "sft", "preference", "rl")
    assert list(Stages.model_fields) == list(STAGE_ORDER)
    for name, stage in STAGES.items():
        assert Stages.model_fields[name].annotation == (stage.config | None)
        assert Stages.model_fields[name].description == stage.description
    recipe = validate_recipe({"name": "t", "stages": {"eval": {"checkpoints": {"x": "m"}}, "sft": {"init_from": "m"}}})
    assert recipe.enabled_stages() == ["sft", "eval"]


def test_every_stage_runs_its_own_module():
    for name, stage in STAGES.items():
        run = stage.run_function()
        assert run.__module__ == f"euro_post.{name}.stage" and run.__name__ == "run"


def test_reading_a_recipe_imports_no_training_library():
    code = ("import sys; import euro_post.pipeline.recipe, euro_post.pipeline.stages; "
            "print(sorted(m for m in ('torch', 'trl', 'transformers', 'peft') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_preference_row_check_is_the_stages_own():
    assert STAGES["preference"].row_check_function() is check_pair_row
    assert resolve("euro_post.preference.offline:check_pair_row") is check_pair_row
    assert check_pair_row({"prompt": "2+2?", "chosen": "4", "rejected": "5"}) is None
    assert check_pair_row({"prompt": "2+2?", "chosen": " 4 ", "rejected": "4"}) == "identical"
    assert check_pair_row({"prompt": [], "chosen": "4", "rejected": "5"}) == "empty_prompt"
    with pytest.raises(PairDataError, match=r"pairs.jsonl, row 7: `chosen` must be a string or a list"):
        check_pair_row({"prompt": "2+2?", "chosen": 4, "rejected": "5"}, 7, "pairs.jsonl")


def test_validate_and_the_stage_judge_pairs_alike(tmp_path):
    from euro_post.data.check import check_data
    from euro_post.preference.offline import clean_offline_rows

    rows = [
        {"prompt": "a", "chosen": "b", "rejected": "c", "lang": "de"},
        {"prompt": "a", "chosen": "b", "rejected": "b", "lang": "de"},
        {"prompt": "", "chosen": "b", "rejected": "c", "lang": "de"},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    recipe = validate_recipe({"name": "t", "languages": ["de"], "stages": {"preference": {
        "init_from": "m", "pairs": "offline", "data": {"path": str(path)}, "max_drop_fraction": 0.9}}})
    report = check_data("preference", recipe.stages.preference.data, "preference", recipe.stages.preference, ["de"])
    kept, stats = clean_offline_rows(rows, 0.9, str(path))
    assert report.usable == len(kept) == 1
    assert dict(report.dropped) == {k: v for k, v in stats["dropped"].items() if v} == {"identical": 1, "empty_prompt": 1}


@pytest.mark.parametrize("fused", ["auto", "on", "off", True, False])
def test_liger_never_runs_on_a_cpu(fused):
    assert dispatch.use_liger(fused, "cpu") is False


def test_liger_on_cuda_when_it_can_load(monkeypatch):
    logs: list[str] = []
    monkeypatch.setattr(dispatch, "liger_available", lambda: True)
    assert dispatch.use_liger("auto", "cuda") is True and dispatch.use_liger("on", "cuda") is True
    assert dispatch.use_liger("off", "cuda") is False
    monkeypatch.setattr(dispatch, "liger_available", lambda: False)
    assert dispatch.use_liger("auto", "cuda", log=logs.append) is False
    assert logs == ["liger-kernel is not installed (or its Triton kernels do not load here): training without its kernels"]
    with pytest.raises(ValueError, match="fused must be one of"):
        dispatch.use_liger("sometimes", "cuda")


def test_rewards_come_guarded(monkeypatch):
    from euro_post.rewards import guard

    def broken(prompts, completions, **columns):
        raise RuntimeError("verifier crashed")

    def halves(prompts, completions, **columns):
        return [0.5] * len(completions)

    monkeypatch.setattr(guard, "build_rewards", lambda specs, tokenizer=None: ([broken, halves], [2.0, 1.0]))
    funcs, weights, names = guard.build_guarded_rewards([{"name": "math_accuracy", "weight": 2.0}, {"name": "format"}])
    assert names == ["math_accuracy", "format"] and weights == [2.0, 1.0]
    # The broken reward leaves its completions unscored instead of stopping the run.
    assert funcs[0](["p", "p"], ["a", "b"]) == [None, None]
    assert funcs[1](["p", "p"], ["a", "b"]) == [0.5, 0.5]
    assert funcs[0].monitor is not None
