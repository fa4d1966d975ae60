"""Model cards and training-content summaries, on run directories built by hand from stage.json files."""

from __future__ import annotations

import hashlib
import json
import shutil
import types
from pathlib import Path

import pytest
import yaml
from euro_post.base_pretrain.config import BasePretrainConfig
from euro_post.preference.config import PreferenceConfig
from euro_post.rl.config import RLConfig
from euro_post.sft.config import SFTConfig
from huggingface_hub import ModelCard

from euro_post.data.world import WorldConfig
from euro_post.pipeline.checkpoint_io import fingerprint
from euro_post.pipeline.stage import StageResult
from euro_post.provenance.card import card_command, card_files, update_cards, write_card
from euro_post.provenance.data_sources import TBC, UNKNOWN, world_hash

LANGS = ["de", "fr", "pl"]
TOKENS = {
    "base_pretrain": {"de": 12000, "fr": 11000, "pl": 9000},
    "sft": {"de": 3000, "fr": 2500, "pl": 2100},
    "preference": {"de": 800, "fr": 700, "pl": 650},
    "rl": {"de": 1500, "fr": 1400, "pl": 1300},
}
ROWS = {
    "base_pretrain": {"de": 40, "fr": 40, "pl": 40},
    "sft": {"de": 18, "fr": 17, "pl": 18},
    "preference": {"de": 9, "fr": 8, "pl": 7},
    "rl": {"de": 10, "fr": 10, "pl": 10},
}
MACHINE = {"platform": "Linux-6.1-x86_64", "cpu_count": 16, "gpu": "NVIDIA H100 80GB HBM3", "gpu_count": 1}
LIBRARIES = {"python": "3.11.9", "torch": "2.13.0", "transformers": "5.0.0", "trl": "1.16.0"}


def make_run(root: Path, tiny_checkpoint: str, name: str = "demo", start: str = "scratch", sft_file: Path | None = None) -> Path:
    """runs/<name>/ with recipe.yaml, four complete training stages and their checkpoints.

    `start`: "scratch" (base_pretrain first) or a checkpoint path / hub id that sft starts from."""
    run_dir = root / "runs" / name
    world = WorldConfig(seed=3, sft_per_language=20).model_dump(mode="json")
    recipe = {"name": name, "description": "A test run.", "seed": 0, "languages": LANGS, "world": world, "stages": {}}
    run_dir.mkdir(parents=True)
    (run_dir / "recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    if sft_file is None:
        sft_file = root / f"{name}-sft.jsonl"
        sft_file.write_text('{"lang": "de", "messages": []}\n{"lang": "fr", "messages": []}\n', encoding="utf-8")
    configs = {
        "base_pretrain": BasePretrainConfig(preset="tiny", max_steps=4),
        "sft": SFTConfig(init_from="previous" if start == "scratch" else start, data={"path": str(sft_file)}, max_steps=6),
        "preference": PreferenceConfig(max_steps=3, lora={"r": 8, "alpha": 16}),
        "rl": RLConfig(data={"path": "org/prompts", "revision": "abc123"}, num_generations=4, max_steps=5),
    }
    stages = list(configs) if start == "scratch" else ["sft", "preference", "rl"]
    previous = None if start == "scratch" else start
    for i, stage in enumerate(stages):
        checkpoint = run_dir / stage / "checkpoint"
        shutil.copytree(tiny_checkpoint, checkpoint)
        config_json = json.loads((checkpoint / "config.json").read_text())
        (checkpoint / "config.json").write_text(json.dumps({**config_json, "euro_post_stage": stage}))  # distinct weights ids
        summary = {"tokens_per_language": TOKENS[stage], "rows_per_language": ROWS[stage]}
        if stage == "sft":
            summary["dropped"] = {"too_long": 2, "empty": 0}
        if stage == "preference":
            summary["skipped"] = {"all_equal": 3, "unscorable": 1}
        manifest = {
            "stage": stage, "status": "complete", "config_hash": f"hash-{stage}",
            "config": configs[stage].model_dump(mode="json"),
            "input_checkpoint": previous,
            "input_fingerprint": fingerprint(previous) if previous else "scratch",
            "seed": 0, "languages": LANGS,
            "started_at": f"2025-09-0{i + 1}T10:00:00+00:00", "ended_at": f"2025-09-0{i + 1}T11:00:00+00:00",
            "resumed": False, "libraries": LIBRARIES, "machine": MACHINE,
            "wall_time_s": 1800.0 * (i + 1), "tokens_processed": sum(TOKENS[stage].values()),
            "peak_memory_bytes": {"process_max_rss_bytes": 1}, "checkpoint": str(checkpoint),
            "output_fingerprint": fingerprint(checkpoint), "summary": summary,
        }
        if stage == "rl":
            manifest["processes"] = 4
        (run_dir / stage / "stage.json").write_text(json.dumps(manifest), encoding="utf-8")
        previous = str(checkpoint)
    return run_dir


def eval_result(label: str, checkpoint: Path, accuracy: dict[str, float], n: int = 20) -> dict:
    def stat(value):
        return {"value": value, "low": max(0.0, value - 0.1), "high": min(1.0, value + 0.1), "n": n, "interval": "wilson"}

    languages = {
        lang: {"metrics": {"accuracy": stat(acc), "format": stat(0.9), "language_consistency": stat(0.95),
                           "length": {"value": 80.0, "low": 70.0, "high": 90.0, "n": n, "interval": "t"}}}
        for lang, acc in accuracy.items()
    }
    summary = {"accuracy": sum(accuracy.values()) / len(accuracy), "format": 0.9, "language_consistency": 0.95, "length": 80.0}
    return {"label": label, "checkpoint": str(checkpoint), "fingerprint": fingerprint(checkpoint), "mode": "greedy",
            "num_samples": 1, "max_new_tokens": 256, "languages": languages, "summary": summary, "generated_tokens": 100}


@pytest.fixture
def run_dir(tmp_path, tiny_checkpoint):
    return make_run(tmp_path, tiny_checkpoint)


def load_summary(checkpoint: Path) -> dict:
    return json.loads((checkpoint / "training_summary.json").read_text(encoding="utf-8"))


def test_card_metadata_parses_with_huggingface_hub(run_dir):
    checkpoint = run_dir / "rl" / "checkpoint"
    paths = card_command(str(checkpoint))
    assert set(paths) == {"README.md", "training_summary.json", "training_summary.md"}
    card = ModelCard.load(paths["README.md"])
    data = card.data
    assert data.language == LANGS
    assert data.license == "other"  # nothing in the lineage names a license
    assert data.base_model is None  # trained from scratch
    assert data.datasets == ["org/prompts"]
    assert data.pipeline_tag == "text-generation" and data.library_name == "transformers"
    assert data.tags[0] == "euro-post"
    assert {"pretraining", "sft", "dpo", "grpo", "multilingual"} <= set(data.tags)
    assert data.eval_results is None
    assert "Not evaluated yet" in card.text
    assert "## Lineage" in card.text and "## Intended use and limitations" in card.text
    assert TBC in card.text  # the license note asks the provider
    # the lineage table carries each stage's key settings from its stage.json config
    assert "num_generations 4" in card.text and "lora r 8, alpha 16" in card.text
    assert "demo-rl" in card.text


def test_hub_base_model_goes_into_the_metadata(tmp_path, tiny_checkpoint):
    run_dir = make_run(tmp_path, tiny_checkpoint, start="utter-project/EuroLLM-1.7B")
    write_card(run_dir / "preference" / "checkpoint")
    card = ModelCard.load(run_dir / "preference" / "checkpoint" / "README.md")
    assert card.data.base_model == "utter-project/EuroLLM-1.7B"
    summary = load_summary(run_dir / "preference" / "checkpoint")
    assert [s["name"] for s in summary["lineage"]["stages"]] == ["sft", "preference"]
    assert summary["lineage"]["base_model"]["kind"] == "hub"
    assert summary["lineage"]["base_model"]["fingerprint"] == "hub:utter-project/EuroLLM-1.7B"
    assert "utter-project/EuroLLM-1.7B" in summary["general_information"]["model_dependencies"]


def test_token_and_row_counts_equal_the_stage_records(run_dir):
    write_card(run_dir / "rl" / "checkpoint")
    summary = load_summary(run_dir / "rl" / "checkpoint")
    tokens, rows = summary["data_seen"]["tokens"], summary["data_seen"]["rows"]
    assert tokens["per_stage"] == TOKENS
    assert rows["per_stage"] == ROWS
    for lang in LANGS:
        assert tokens["per_language"][lang] == sum(TOKENS[s][lang] for s in TOKENS)
    assert tokens["total"] == sum(sum(c.values()) for c in TOKENS.values()) == sum(tokens["per_language"].values())
    assert tokens["per_stage_total"]["sft"] == 3000 + 2500 + 2100
    assert tokens["complete"] and tokens["unknown_stages"] == []
    assert summary["general_information"]["training_data_size"] == {
        "text_tokens": tokens["total"], "complete": True, "range": "Less than 1 billion tokens"}
    # compute: hours from wall_time_s, rl ran in 4 processes
    stages = {s["name"]: s for s in summary["lineage"]["stages"]}
    assert stages["rl"]["compute"]["processes"] == 4 and stages["rl"]["compute"]["wall_hours"] == 2.0
    assert stages["rl"]["compute"]["device_hours"] == 8.0
    assert summary["compute"]["wall_hours"] == 0.5 + 1.0 + 1.5 + 2.0
    assert summary["compute"]["device_hours"] == {"NVIDIA H100 80GB HBM3": 0.5 + 1.0 + 1.5 + 8.0}
    # the card's table shows the same numbers
    text = (run_dir / "rl" / "checkpoint" / "README.md").read_text()
    assert f"| {tokens['total']:,} |" in text and f"| German (de) | 12,000 | 3,000 | 800 | 1,500 | {17300:,} |" in text


def test_a_stage_without_counts_is_unknown_and_left_out_of_the_totals(run_dir):
    manifest_path = run_dir / "preference" / "stage.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["summary"]["tokens_per_language"]
    manifest_path.write_text(json.dumps(manifest))
    write_card(run_dir / "rl" / "checkpoint")
    tokens = load_summary(run_dir / "rl" / "checkpoint")["data_seen"]["tokens"]
    assert tokens["per_stage"]["preference"] == UNKNOWN and tokens["per_stage_total"]["preference"] == UNKNOWN
    assert not tokens["complete"] and tokens["unknown_stages"] == ["preference"]
    assert tokens["total"] == sum(sum(TOKENS[s].values()) for s in ("base_pretrain", "sft", "rl"))
    assert "lower bound" in (run_dir / "rl" / "checkpoint" / "training_summary.md").read_text()


def test_summary_lists_every_stage_and_data_source(run_dir, tmp_path):
    write_card(run_dir / "rl" / "checkpoint")
    summary = load_summary(run_dir / "rl" / "checkpoint")
    stages = summary["lineage"]["stages"]
    assert [s["name"] for s in stages] == ["base_pretrain", "sft", "preference", "rl"]
    assert [s["method"] for s in stages] == ["pretraining", "sft", "dpo", "grpo"]
    assert stages[1]["config"]["max_steps"] == 6 and stages[3]["config"]["num_generations"] == 4
    assert stages[1]["input_checkpoint"] == stages[0]["checkpoint"]
    assert stages[2]["libraries"] == LIBRARIES and summary["libraries"] == LIBRARIES
    sources = {s["id"]: s for s in summary["data_sources"]}
    world = sources["world"]
    assert world["kind"] == "embedded_world" and world["section"] == "synthetic"
    assert world["used_by"] == ["base_pretrain", "preference"]
    assert world["splits"] == {"base_pretrain": "pretrain", "preference": "rl"}
    recipe = yaml.safe_load((run_dir / "recipe.yaml").read_text())
    assert world["fingerprint"] == f"world-config-sha256:{world_hash(recipe['world'])}"
    sft_file = tmp_path / "demo-sft.jsonl"
    local = sources[f"file:{sft_file}:train"]
    assert local["fingerprint"] == "sha256:" + hashlib.sha256(sft_file.read_bytes()).hexdigest()
    assert local["used_by"] == ["sft"] and local["license"] == TBC
    hub = sources["hub:org/prompts:None:train:abc123"]
    assert hub["kind"] == "hub_dataset" and hub["revision"] == "abc123" and hub["used_by"] == ["rl"]
    assert sources["samples:preference"]["section"] == sources["samples:rl"]["section"] == "synthetic"
    assert all(source_id in sources for s in stages for source_id in s["data_sources"])
    sections = summary["data_source_sections"]
    assert sections["publicly_available_datasets"]["sources"] == [hub["id"]]
    assert sections["other_sources"]["sources"] == [local["id"]]
    assert sections["crawled_data"]["used"] == TBC  # a local file of unknown origin could be anything
    assert summary["data_processing"]["reservation_of_rights"] == TBC
    assert {"stage": "sft", "dropped": {"too_long": 2, "empty": 0}, "skipped": UNKNOWN} in summary["data_processing"]["filtering"]
    assert "/general_information/provider/name" in summary["to_be_completed"]
    assert summary["schema_version"] == 1
    markdown = (run_dir / "rl" / "checkpoint" / "training_summary.md").read_text()
    for heading in ("## 1. General information", "### 2.5 Synthetic data", "### 3.1 Respect of reservation of rights",
                    "### 3.2 Removal of illegal content"):
        assert heading in markdown
    assert "too_long: 2" in markdown and "all_equal: 3" in markdown


def test_an_earlier_checkpoint_covers_only_its_own_lineage(run_dir):
    write_card(run_dir / "sft" / "checkpoint")
    summary = load_summary(run_dir / "sft" / "checkpoint")
    assert [s["name"] for s in summary["lineage"]["stages"]] == ["base_pretrain", "sft"]
    assert summary["data_seen"]["tokens"]["total"] == sum(TOKENS["base_pretrain"].values()) + sum(TOKENS["sft"].values())
    assert {s["id"] for s in summary["data_sources"]} == {"world", f"file:{summary['data_sources'][1]['location']}:train"}


def test_world_only_lineage_answers_the_template_itself(tmp_path, tiny_checkpoint):
    run_dir = make_run(tmp_path, tiny_checkpoint)
    manifest_path = run_dir / "sft" / "stage.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["config"]["data"]["path"] = "world"
    manifest_path.write_text(json.dumps(manifest))
    write_card(run_dir / "preference" / "checkpoint")
    summary = load_summary(run_dir / "preference" / "checkpoint")
    sections = summary["data_source_sections"]
    assert sections["crawled_data"]["used"] is False and sections["user_data"]["used"] is False
    assert sections["publicly_available_datasets"]["used"] is False and sections["synthetic_data"]["used"] is True
    assert summary["data_processing"]["reservation_of_rights"].startswith("Not applicable")
    assert summary["general_information"]["latest_data_collection"].startswith("2025-09-03")


def test_eval_results_appear_once_they_exist_for_these_weights(run_dir):
    rl, preference = run_dir / "rl" / "checkpoint", run_dir / "preference" / "checkpoint"
    write_card(rl)
    assert "Not evaluated yet" in (rl / "README.md").read_text()
    results = run_dir / "eval" / "results"
    results.mkdir(parents=True)
    (results / "rl.json").write_text(json.dumps(eval_result("rl", rl, {"de": 0.55, "fr": 0.5, "pl": 0.4})))
    (results / "preference.json").write_text(json.dumps(eval_result("preference", preference, {"de": 0.45, "fr": 0.5, "pl": 0.3})))
    written = update_cards(run_dir, "eval")
    assert written == [run_dir / s / "checkpoint" / "README.md" for s in ("base_pretrain", "sft", "preference", "rl")]
    card = ModelCard.load(rl / "README.md")
    accuracy = {r.dataset_config: r.metric_value for r in card.data.eval_results}
    assert accuracy == {"de": 0.55, "fr": 0.5, "pl": 0.4}
    assert "| German (de) | 20 | 55.0 (45.0–65.0) | 90.0 (80.0–100.0) | 95.0 (85.0–100.0) | 80.0 (70.0–90.0) | +10.0 |" in card.text
    assert "| Polish (pl) |" in card.text and "+10.0 |" in card.text
    assert "Not evaluated yet" in (run_dir / "sft" / "checkpoint" / "README.md").read_text()
    # results of other weights under the same label (an earlier attempt of the stage) are not shown
    (results / "rl.json").write_text(json.dumps({**eval_result("rl", rl, {"de": 0.9}), "fingerprint": "0123456789abcdef"}))
    write_card(rl)
    assert "Not evaluated yet" in (rl / "README.md").read_text()


def test_a_checkpoint_outside_a_run_gets_a_card_that_says_what_is_unknown(tmp_path, tiny_checkpoint):
    folder = tmp_path / "models" / "my-model"
    shutil.copytree(tiny_checkpoint, folder)
    paths = card_command(str(folder))
    card = ModelCard.load(paths["README.md"])
    assert card.data.license == "other" and card.data.language is None
    assert "not inside a euro-post run directory" in card.text
    summary = load_summary(folder)
    assert summary["lineage"] == {"known": False, "base_model": None, "stages": []}
    assert summary["model"]["name"] == "my-model"
    assert summary["model"]["parameters"] > 0 and summary["model"]["model_type"] == "llama"
    assert summary["data_source_sections"]["synthetic_data"]["used"] == TBC
    assert summary["general_information"]["model_dependencies"] == TBC


def test_a_checkpoint_outside_a_run_shows_its_euro_post_eval_results(tmp_path, tiny_checkpoint, monkeypatch):
    from euro_post.eval.standalone import default_out

    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_checkpoint, "models/mine")
    results = default_out("models/mine") / "eval" / "results"  # where `euro-post eval models/mine` writes
    results.mkdir(parents=True)
    (results / "mine.json").write_text(json.dumps(eval_result("mine", Path("models/mine"), {"sv": 0.25})))
    card = ModelCard.load(card_command("models/mine")["README.md"])
    assert [(r.dataset_config, r.metric_value) for r in card.data.eval_results] == [("sv", 0.25)]
    assert "| Swedish (sv) | 20 | 25.0 (15.0–35.0) |" in card.text


def test_a_foreign_model_card_is_kept_and_its_metadata_used(tmp_path, tiny_checkpoint):
    folder = tmp_path / "downloaded"
    shutil.copytree(tiny_checkpoint, folder)
    original = "---\nlicense: apache-2.0\nbase_model: org/parent\nlanguage: [de, fr]\n---\n# The publisher's card\n"
    (folder / "README.md").write_text(original)
    card_command(str(folder))
    assert (folder / "README.original.md").read_text() == original
    card = ModelCard.load(folder / "README.md")
    assert card.data.license == "apache-2.0" and card.data.base_model == "org/parent" and card.data.language == ["de", "fr"]
    card_command(str(folder))  # the second time README.md is ours: the original stays as it was
    assert (folder / "README.original.md").read_text() == original


def test_a_checkpoint_copied_out_of_a_run_keeps_its_lineage(run_dir, tmp_path):
    write_card(run_dir / "rl" / "checkpoint")
    copy = tmp_path / "release"
    shutil.copytree(run_dir / "rl" / "checkpoint", copy)
    card_command(str(copy))
    assert load_summary(copy) == load_summary(run_dir / "rl" / "checkpoint")
    assert ModelCard.load(copy / "README.md").data.tags[:2] == ["euro-post", "pretraining"]


def test_a_base_model_with_its_own_summary_nests_its_lineage(run_dir, tmp_path, tiny_checkpoint):
    base = run_dir / "rl" / "checkpoint"
    write_card(base)
    second = make_run(tmp_path / "second", tiny_checkpoint, name="second", start=str(base))
    write_card(second / "sft" / "checkpoint")
    summary = load_summary(second / "sft" / "checkpoint")
    nested = summary["lineage"]["base_model"]
    assert nested["kind"] == "local" and nested["fingerprint"] == fingerprint(base)
    assert [s["name"] for s in nested["training_summary"]["lineage"]["stages"]] == ["base_pretrain", "sft", "preference", "rl"]
    # the totals cover this lineage only; the base model's are in its nested summary
    assert summary["data_seen"]["tokens"]["total"] == sum(TOKENS["sft"].values())
    assert ModelCard.load(second / "sft" / "checkpoint" / "README.md").data.base_model is None  # a local path is no hub id


def test_regeneration_is_idempotent(run_dir, monkeypatch):
    checkpoint = run_dir / "rl" / "checkpoint"
    first = {name: path.read_bytes() for name, path in write_card(checkpoint).items()}
    second = {name: path.read_bytes() for name, path in card_command(str(checkpoint)).items()}
    assert first == second
    assert card_files(run_dir, "rl") == {name: data.decode() for name, data in first.items()}
    monkeypatch.chdir(run_dir.parent.parent)  # the same checkpoint, named by a relative path
    third = {name: path.read_bytes() for name, path in card_command("runs/demo/rl/checkpoint").items()}
    assert third == first


def test_a_data_file_keeps_the_fingerprint_it_had_when_the_card_was_first_written(run_dir, tmp_path):
    checkpoint = run_dir / "rl" / "checkpoint"
    sft_file = tmp_path / "demo-sft.jsonl"
    trained_on = "sha256:" + hashlib.sha256(sft_file.read_bytes()).hexdigest()
    write_card(run_dir / "sft" / "checkpoint")  # the runner writes each stage's card when it completes
    sft_file.write_text('{"lang": "de", "messages": []}\n', encoding="utf-8")  # edited after training
    write_card(checkpoint)
    write_card(run_dir / "sft" / "checkpoint")
    for stage in ("sft", "rl"):
        source = next(s for s in load_summary(run_dir / stage / "checkpoint")["data_sources"] if s["kind"] == "local_file")
        assert source["fingerprint"] == trained_on


def test_card_files_for_a_stage_that_has_not_recorded_its_result(run_dir):
    manifest_path = run_dir / "rl" / "stage.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "status": "running", "summary": None}))
    ctx = types.SimpleNamespace(run_dir=run_dir, name="rl")
    counts = {"de": 7, "fr": 8, "pl": 9}
    files = card_files(ctx, result=StageResult(None, tokens_processed=24, summary={"tokens_per_language": counts}))
    summary = json.loads(files["training_summary.json"])
    assert summary["data_seen"]["tokens"]["per_stage"]["rl"] == counts
    assert summary["lineage"]["stages"][-1]["tokens_processed"] == 24
    assert ModelCard(files["README.md"]).data.language == LANGS


def test_update_cards_reports_instead_of_raising(tmp_path, tiny_checkpoint, capsys):
    run_dir = tmp_path / "broken"
    shutil.copytree(tiny_checkpoint, run_dir / "sft" / "checkpoint")  # a checkpoint but no stage.json
    assert update_cards(run_dir, "sft") == []
    captured = capsys.readouterr()
    assert "model card not written" in captured.out + captured.err


def test_cards_from_the_manifests_the_runner_writes(tmp_path, monkeypatch):
    """The real runner's stage.json (fake training) is enough for a card of every checkpoint."""
    from euro_post.pipeline import runner
    from euro_post.pipeline.recipe import validate_recipe

    def fake_stage(name):
        def run(config, ctx):
            class Saveable:
                def save_pretrained(self, path, safe_serialization=True):
                    import torch
                    from safetensors.torch import save_file

                    save_file({"w": torch.ones(3, 2)}, str(Path(path) / "model.safetensors"))
                    (Path(path) / "config.json").write_text(json.dumps({"model_type": "llama", "stage": name}))

            summary = {"tokens_per_language": {lang: 10 for lang in ctx.languages}}
            return StageResult(ctx.save_checkpoint(Saveable(), None), tokens_processed=20, summary=summary)

        return types.SimpleNamespace(run=run)

    monkeypatch.setattr(runner.importlib, "import_module", lambda path: fake_stage(path.split(".")[1]))
    recipe = validate_recipe({"name": "t", "languages": ["de", "sv"],
                              "stages": {"sft": {"init_from": "org/base"}, "preference": {}, "rl": {}}})
    runner.run_recipe(recipe, tmp_path / "run")
    for stage in ("sft", "preference", "rl"):
        update_cards(tmp_path / "run", stage)
    card = ModelCard.load(tmp_path / "run" / "rl" / "checkpoint" / "README.md")
    assert card.data.base_model == "org/base" and card.data.language == ["de", "sv"]
    summary = load_summary(tmp_path / "run" / "rl" / "checkpoint")
    assert [s["name"] for s in summary["lineage"]["stages"]] == ["sft", "preference", "rl"]
    assert summary["data_seen"]["tokens"]["per_language"] == {"de": 30, "sv": 30}
    assert summary["model"]["parameters"] == 6


def test_the_card_does_not_change_the_weights_fingerprint(run_dir):
    checkpoint = run_dir / "rl" / "checkpoint"
    before = fingerprint(checkpoint)
    write_card(checkpoint)
    assert fingerprint(checkpoint) == before == json.loads((run_dir / "rl" / "stage.json").read_text())["output_fingerprint"]
