"""One loader for every stage: a checkpoint comes back ready to train or generate, and a folder
that cannot be loaded as given is one clear line naming it (never a traceback, a hub lookup for a
local path, or a question on the terminal)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from euro_post.models.chat_template import CHAT_TEMPLATE, EOS, PAD
from euro_post.models.loading import ModelLoadError, load_model, load_policy, load_tokenizer
from euro_post.models.model_folder import looks_local


@pytest.fixture(scope="module")
def base_checkpoint(tmp_path_factory):
    """A base model as many are published: no chat template, no pad token, EOS `</s>`, and an
    embedding matrix exactly as large as its tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    texts = ["Anna hat 12 Äpfel und kauft noch 5 dazu.", "Léa a 12 pommes et en achète 5 de plus."] * 10
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    path = tmp_path_factory.mktemp("base") / "model"
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def copy_of(checkpoint, tmp_path, name="model") -> Path:
    return Path(shutil.copytree(checkpoint, tmp_path / name))


def test_a_base_checkpoint_comes_back_ready_to_chat_and_train(base_checkpoint):
    logs: list[str] = []
    policy = load_policy(str(base_checkpoint), "bf16", log=logs.append)
    model, tokenizer = policy.model, policy.tokenizer
    assert tokenizer.chat_template == CHAT_TEMPLATE and tokenizer.eos_token == EOS and tokenizer.pad_token == PAD
    # The four special tokens of the template were added; the embeddings cover them.
    assert len(tokenizer) == 304 and policy.added_tokens == 4
    assert model.get_input_embeddings().num_embeddings == 304 and model.get_output_embeddings().weight.shape[0] == 304
    eos, old_eos = tokenizer.convert_tokens_to_ids(EOS), tokenizer.convert_tokens_to_ids("</s>")
    assert model.config.pad_token_id == model.generation_config.pad_token_id == tokenizer.convert_tokens_to_ids(PAD)
    assert model.config.eos_token_id == eos and model.generation_config.eos_token_id == [eos, old_eos]
    # Full fine-tuning keeps fp32 master weights whatever the training precision.
    assert next(model.parameters()).dtype == torch.float32 and policy.peft_config is None
    assert sum("resized the embeddings from 300 to 304 rows" in line for line in logs) == 1
    # The original rows are the checkpoint's own.
    saved = load_file(base_checkpoint / "model.safetensors")["model.embed_tokens.weight"]
    assert torch.equal(model.get_input_embeddings().weight[:300], saved)


def test_precision_and_lora_follow_the_stage(base_checkpoint):
    lora = load_policy(str(base_checkpoint), "bf16", lora=_lora_spec())
    assert next(lora.model.parameters()).dtype == torch.bfloat16  # a frozen LoRA base sits in the training precision
    assert lora.peft_config.r == 4 and not lora.quantized
    generating = load_policy(str(base_checkpoint), "bf16", for_training=False)
    assert next(generating.model.parameters()).dtype == torch.bfloat16 and generating.peft_config is None
    grpo = load_policy(str(base_checkpoint), "bf16", fp32_master_weights=False, eos_at_turn_end=False)
    assert next(grpo.model.parameters()).dtype == torch.bfloat16
    assert grpo.tokenizer.eos_token == "</s>"  # its own EOS kept, and still in the generation config
    assert grpo.model.generation_config.eos_token_id == grpo.tokenizer.eos_token_id


def test_a_project_checkpoint_loads_as_saved(tiny_checkpoint):
    policy = load_policy(tiny_checkpoint, "fp32")
    assert policy.added_tokens == 0 and len(policy.tokenizer) == policy.model.get_input_embeddings().num_embeddings
    saved = load_file(Path(tiny_checkpoint) / "model.safetensors")
    assert all(torch.equal(policy.model.state_dict()[name], tensor) for name, tensor in saved.items())


def test_trust_remote_code_is_always_explicit(tiny_checkpoint, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    calls = []
    for auto in (AutoModelForCausalLM, AutoTokenizer):
        original = auto.from_pretrained

        def recording(path, *args, _original=original, _name=auto.__name__, **kwargs):
            calls.append((_name, kwargs))
            return _original(path, *args, **kwargs)

        monkeypatch.setattr(auto, "from_pretrained", recording)
    load_policy(tiny_checkpoint, "fp32")
    assert [name for name, _ in calls] == ["AutoTokenizer", "AutoModelForCausalLM"]
    assert all(kwargs["trust_remote_code"] is False for _, kwargs in calls)
    assert calls[1][1]["use_safetensors"] is True


def _lora_spec(**extra):
    from euro_post.pipeline.config import LoraSpec

    return LoraSpec(r=4, alpha=8, **extra)


# -- checkpoints that cannot be loaded as given ------------------------------------------------


def no_config(folder: Path):
    (folder / "config.json").unlink()


def no_weights(folder: Path):
    (folder / "model.safetensors").unlink()


def truncated_weights(folder: Path):
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) - 1000])


def garbage_weights(folder: Path):
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)


def missing_shard(folder: Path):
    (folder / "model.safetensors").rename(folder / "model-00001-of-00002.safetensors")
    weight_map = {"model.embed_tokens.weight": "model-00001-of-00002.safetensors", "lm_head.weight": "model-00002-of-00002.safetensors"}
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))


def custom_code(folder: Path):
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_evil.py").write_text("raise SystemExit('custom code ran')\n")


def custom_tokenizer_code(folder: Path):
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["auto_map"] = {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))


def no_tokenizer(folder: Path):
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink()


def config_not_json(folder: Path):
    (folder / "config.json").write_text('{"model_type": "llama",')


BROKEN = {
    no_config: "model: no config.json; a model folder needs config.json, the weights and the tokenizer",
    no_weights: "model: no weights (model.safetensors, or shards listed in model.safetensors.index.json)",
    truncated_weights: "model.safetensors: damaged or truncated safetensors file: it holds",
    garbage_weights: "model.safetensors: damaged safetensors file (no readable header)",
    missing_shard: "names the shard model-00002-of-00002.safetensors, which is missing",
    custom_code: "model: needs custom code (auto_map in config.json); set trust_remote_code: true on this stage to run it",
    custom_tokenizer_code: "model: needs custom code (auto_map in tokenizer_config.json); set trust_remote_code: true",
    no_tokenizer: "model: no tokenizer files (tokenizer.json or tokenizer_config.json)",
    config_not_json: "config.json: not readable JSON",
}


@pytest.mark.parametrize("damage", list(BROKEN), ids=[f.__name__ for f in BROKEN])
def test_a_broken_folder_is_one_clear_error(tiny_checkpoint, tmp_path, damage):
    folder = copy_of(tiny_checkpoint, tmp_path)
    damage(folder)
    with pytest.raises(ModelLoadError) as caught:
        load_policy(str(folder), "fp32")
    message = str(caught.value)
    assert BROKEN[damage] in message and str(folder) in message and "\n" not in message


def test_pickle_weights_only_when_allowed(tiny_checkpoint, tmp_path):
    folder = copy_of(tiny_checkpoint, tmp_path)
    weights = load_file(folder / "model.safetensors")
    torch.save(weights, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=r"only pickle weights \(pytorch_model.bin\).*safetensors is the supported format"):
        load_model(str(folder), "fp32")
    model = load_model(str(folder), "fp32", allow_pickle=True)
    assert torch.equal(model.state_dict()["model.embed_tokens.weight"], weights["model.embed_tokens.weight"])


def test_custom_code_goes_to_transformers_only_when_trusted(tiny_checkpoint, tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM

    folder = copy_of(tiny_checkpoint, tmp_path)
    custom_code(folder)
    with pytest.raises(ModelLoadError, match="needs custom code"):
        load_tokenizer(str(folder))  # refused before transformers reads anything
    asked = []

    def stop_before_running_it(path, **kwargs):
        asked.append(kwargs["trust_remote_code"])
        raise OSError("stopped here")

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", stop_before_running_it)
    with pytest.raises(ModelLoadError, match="cannot load the model: stopped here"):
        load_model(str(folder), "fp32", trust_remote_code=True)
    assert asked == [True]


@pytest.mark.parametrize("path", ["/no/such/model", "./missing-model", "../missing-model", "a/b/missing-model"])
def test_a_missing_local_path_is_not_found_not_a_hub_lookup(path):
    assert looks_local(path)
    with pytest.raises(ModelLoadError, match=r"model folder not found"):
        load_tokenizer(path)


def test_local_looking_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    assert looks_local("models/missing")  # its parent folder exists
    assert not looks_local("HuggingFaceTB/SmolLM2-135M") and not looks_local("gpt2")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ModelLoadError, match="a-file: is a file"):
        load_tokenizer("a-file")


def test_a_run_on_a_broken_checkpoint_fails_with_one_line(tiny_checkpoint, tmp_path, capsys):
    from euro_post.cli import main

    folder = copy_of(tiny_checkpoint, tmp_path)
    custom_code(folder)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "broken", "languages": ["de"], "run_dir": str(tmp_path / "run"),
        "world": {"sft_per_language": 2}, "stages": {"sft": {"init_from": str(folder), "max_steps": 1}},
    }))
    assert main(["run", str(recipe)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"euro-post: error: {folder}: needs custom code (auto_map in config.json); "
                       "set trust_remote_code: true on this stage to run it")
    manifest = json.loads((tmp_path / "run" / "sft" / "stage.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["config"]["trust_remote_code"] is False and manifest["config"]["allow_pickle_weights"] is False
