"""The recipe schema: every mistake is reported before any work starts, with its path."""

from __future__ import annotations

import pytest

from euro_post.pipeline.recipe import RecipeError, apply_override, load_recipe, validate_recipe

BASE = {"name": "t", "stages": {"sft": {"init_from": "some/model"}}}


def errors_of(raw: dict) -> str:
    with pytest.raises(RecipeError) as info:
        validate_recipe(raw)
    return str(info.value)


def test_minimal_recipe_gets_documented_defaults():
    recipe = validate_recipe(BASE)
    assert recipe.seed == 0
    assert len(recipe.languages) == 24
    assert recipe.stages.sft.learning_rate == 1e-4
    assert recipe.enabled_stages() == ["sft"]
    assert str(recipe.resolved_run_dir()) == "runs/t"


def test_bad_value_names_the_path_and_bound():
    raw = {"name": "t", "stages": {"sft": {"init_from": "m"}, "rl": {"num_generations": 1}}}
    assert "stages.rl.num_generations: must be >= 2, got 1" in errors_of(raw)


def test_unknown_key_suggests_the_nearest():
    raw = {"name": "t", "stages": {"sft": {"init_from": "m", "learning_rat": 1e-4}}}
    assert "stages.sft.learning_rat: unknown key; did you mean 'learning_rate'?" in errors_of(raw)


def test_unknown_stage_suggests_the_nearest():
    raw = {"name": "t", "stages": {"sft": {"init_from": "m"}, "perference": {}}}
    assert "stages.perference: unknown key; did you mean 'preference'?" in errors_of(raw)


def test_wrong_type_says_what_was_expected():
    raw = {"name": "t", "stages": {"sft": {"init_from": "m", "max_steps": "many"}}}
    assert "stages.sft.max_steps: expected an integer, got 'many'" in errors_of(raw)


def test_wrong_literal_lists_the_choices():
    raw = {**BASE, "fused_loss": "maybe"}
    assert "fused_loss: must be one of 'auto', 'on' or 'off', got 'maybe'" in errors_of(raw)


def test_unknown_language_is_rejected():
    message = errors_of({**BASE, "languages": ["de", "xx"]})
    assert "languages: unknown language 'xx'" in message


def test_every_error_is_reported_at_once():
    raw = {"name": "t", "seed": "x", "stages": {"sft": {"init_from": "m", "max_steps": 0, "lr": 1}}}
    message = errors_of(raw)
    assert "seed: expected an integer" in message
    assert "stages.sft.max_steps: must be >= 1, got 0" in message
    assert "stages.sft.lr: unknown key" in message


def test_first_stage_needs_a_checkpoint():
    message = errors_of({"name": "t", "stages": {"sft": {}}})
    assert "stages.sft.init_from: the first stage has no previous stage" in message


def test_empty_recipe_is_refused():
    assert "enables no stage" in errors_of({"name": "t"})


def test_overrides_parse_values_as_yaml(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: t\nstages:\n  sft:\n    init_from: m\n")
    recipe = load_recipe(
        path,
        overrides=["stages.sft.learning_rate=3e-5", "seed=7", "languages=[de, fr]", "stages.sft.lora.r=4"],
    )
    assert recipe.stages.sft.learning_rate == 3e-5
    assert recipe.seed == 7
    assert recipe.languages == ["de", "fr"]
    assert recipe.stages.sft.lora.r == 4


def test_override_typo_is_caught_like_a_recipe_typo(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: t\nstages:\n  sft:\n    init_from: m\n")
    with pytest.raises(RecipeError, match="stages.sft.max_step: unknown key; did you mean 'max_steps'"):
        load_recipe(path, overrides=["stages.sft.max_step=3"])


def test_malformed_override_is_refused():
    with pytest.raises(RecipeError, match="expected PATH=VALUE"):
        apply_override({}, "stages.sft.learning_rate")


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(RecipeError, match="recipe file not found"):
        load_recipe(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(RecipeError, match="bad.yaml: not valid YAML"):
        load_recipe(bad)


def test_stage_hash_changes_with_the_stage_config_only():
    a = validate_recipe({"name": "t", "stages": {"sft": {"init_from": "m"}, "rl": {}}})
    b = validate_recipe({"name": "t", "stages": {"sft": {"init_from": "m"}, "rl": {"learning_rate": 1e-6}}})
    assert a.stage_hash("sft") == b.stage_hash("sft")
    assert a.stage_hash("rl") != b.stage_hash("rl")


def test_shipped_recipes_validate():
    from pathlib import Path

    recipes = sorted(Path(__file__).parent.parent.joinpath("recipes").glob("*.yaml"))
    assert recipes, "no recipes shipped"
    for path in recipes:
        load_recipe(path)


def test_optimizer_settings_reach_the_trainer(tmp_path):
    from types import SimpleNamespace

    from euro_post.training.trainer_setup import trainer_arguments

    recipe = validate_recipe({"name": "t", "stages": {"base_pretrain": {}, "sft": {"adam_beta2": 0.98}}})
    ctx = SimpleNamespace(trainer_dir=tmp_path, seed=0)
    pretrain, sft = (trainer_arguments(cfg, ctx) for cfg in (recipe.stages.base_pretrain, recipe.stages.sft))
    assert (pretrain["adam_beta1"], pretrain["adam_beta2"]) == (0.9, 0.95)  # pretraining's documented default
    assert sft["adam_beta2"] == 0.98
    assert "stages.sft.adam_beta2: must be < 1" in errors_of({"name": "t", "stages": {"sft": {"init_from": "m", "adam_beta2": 1.0}}})


DUPLICATED_SFT = """name: dup
stages:
  sft:
    init_from: some/model
    learning_rate: 1.0e-5
  rl:
    max_steps: 2
  sft:
    init_from: some/model
    learning_rate: 5.0
"""


def test_a_duplicate_key_is_refused_with_both_lines(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(DUPLICATED_SFT)
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert str(info.value) == f"{path}: duplicate key 'sft' at line 8 (first at line 3)"

    nested = "name: dup\nstages:\n  sft:\n    init_from: m\n    learning_rate: 1.0e-5\n    max_steps: 4\n    learning_rate: 5.0\n"
    path.write_text(nested)
    with pytest.raises(RecipeError, match=r"duplicate key 'learning_rate' at line 7 \(first at line 5\)"):
        load_recipe(path)
    path.write_text("name: dup\nlanguages: [de]\nstages: {sft: {init_from: m, max_steps: 2, max_steps: 3}}\n")
    with pytest.raises(RecipeError, match=r"duplicate key 'max_steps' at line 3 \(first at line 3\)"):
        load_recipe(path)
    with pytest.raises(RecipeError, match=r"--set 'stages.sft=\{a: 1, a: 2\}': duplicate key 'a'"):
        apply_override({}, "stages.sft={a: 1, a: 2}")


def test_yaml_merge_keys_may_still_be_overridden_and_objects_stay_refused(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("name: m\nx-common: &common {init_from: m, max_steps: 4}\nstages:\n  sft:\n    <<: *common\n    max_steps: 6\n")
    with pytest.raises(RecipeError, match="x-common: unknown key"):  # parsed, then the schema speaks
        load_recipe(path)
    from euro_post.pipeline.recipe import load_yaml

    assert load_yaml("a: &c {b: 1, c: 2}\nd:\n  <<: *c\n  c: 3\n") == {"a": {"b": 1, "c": 2}, "d": {"b": 1, "c": 3}}
    path.write_text("name: !!python/object/apply:os.getcwd []\nstages: {sft: {init_from: m}}\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(path)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_the_cli_refuses_a_duplicate_key_in_one_line(tmp_path, command):
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "x.yaml"
    path.write_text(DUPLICATED_SFT)
    args = [command, str(path)] + (["--run-dir", str(tmp_path / "run")] if command == "run" else [])
    result = subprocess.run([sys.executable, "-m", "euro_post.cli", *args], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"euro-post: error: {path}: duplicate key 'sft' at line 8 (first at line 3)"]
    assert result.stdout == "" and not (tmp_path / "run").exists()
