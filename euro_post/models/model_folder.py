"""What a model folder must hold before transformers reads it, and a clear error for each way it can fail.

A checkpoint path in a recipe can be mistyped, half copied, or a folder that asks to run its own
code. transformers would answer with a hub lookup for a local path, a traceback from deep in its
loader, or (for custom code) a question on the terminal. `check_model_source` answers first, with
one line naming the path and what is wrong:

- a local-looking path that does not exist: "not found" (never a hub lookup);
- a folder without config.json, without weights, or without tokenizer files: what is missing;
- custom code (`auto_map` in config.json or tokenizer_config.json): refused unless the stage
  sets `trust_remote_code: true`;
- pickle weights only (pytorch_model.bin): refused unless the stage sets `allow_pickle_weights:
  true`, since unpickling runs code from the file; safetensors is the supported format;
- a damaged or truncated safetensors file (its header read, the file size checked): named.

Hub ids are left to transformers (nothing is downloaded here).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CONFIG = "config.json"
SAFETENSORS, SAFETENSORS_INDEX = "model.safetensors", "model.safetensors.index.json"
PICKLE, PICKLE_INDEX = "pytorch_model.bin", "pytorch_model.bin.index.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt", "spiece.model")
# A safetensors header larger than this is not a header: the file is damaged.
MAX_HEADER_BYTES = 100 * 1024 * 1024


class ModelLoadError(ValueError):
    """A checkpoint that cannot be loaded as given; the message names the path and what is wrong."""


def looks_local(checkpoint: str) -> bool:
    """Whether `checkpoint` is meant as a local path rather than a hub id (`org/name` or `name`)."""
    text = str(checkpoint)
    if os.path.isabs(text) or text in (".", "..") or text.startswith(("./", "../", "." + os.sep, ".." + os.sep)):
        return True
    if text.count(os.sep) > 1 or text.count("/") > 1:  # a hub id has one slash at most
        return True
    parent = os.path.dirname(text)
    return bool(parent) and os.path.isdir(parent)


def check_model_source(checkpoint: str, *, trust_remote_code: bool = False, allow_pickle: bool = False,
                       weights: bool = True) -> None:
    """Raise ModelLoadError when the checkpoint cannot be loaded as given (see the module doc).

    `weights=False` checks what a tokenizer needs only (config, custom code, tokenizer files)."""
    path = Path(checkpoint)
    if not path.exists():
        if looks_local(str(checkpoint)):
            raise ModelLoadError(f"{checkpoint}: model folder not found")
        return  # a hub id: transformers resolves it
    if not path.is_dir():
        raise ModelLoadError(f"{checkpoint}: is a file; give the folder that holds config.json and the weights")
    config = _read_json(path / CONFIG, checkpoint, required=True)
    tokenizer_config = _read_json(path / "tokenizer_config.json", checkpoint, required=False)
    if not trust_remote_code and ("auto_map" in config or "auto_map" in tokenizer_config):
        where = CONFIG if "auto_map" in config else "tokenizer_config.json"
        raise custom_code_error(checkpoint, where)
    if not any((path / name).exists() for name in TOKENIZER_FILES):
        raise ModelLoadError(
            f"{checkpoint}: no tokenizer files (tokenizer.json or tokenizer_config.json); save the tokenizer with the model"
        )
    if weights:
        check_weights(path, checkpoint, allow_pickle)


def custom_code_error(checkpoint: str, where: str = CONFIG) -> ModelLoadError:
    return ModelLoadError(
        f"{checkpoint}: needs custom code (auto_map in {where}); set trust_remote_code: true on this stage to run it"
    )


def check_weights(path: Path, checkpoint: str, allow_pickle: bool) -> None:
    """The folder's weights exist and their safetensors files are whole; pickle only when allowed."""
    if (path / SAFETENSORS).exists():
        check_safetensors(path / SAFETENSORS)
        return
    if (path / SAFETENSORS_INDEX).exists():
        for shard in _shards(path / SAFETENSORS_INDEX, checkpoint):
            if not (path / shard).exists():
                raise ModelLoadError(f"{path / SAFETENSORS_INDEX}: names the shard {shard}, which is missing")
            check_safetensors(path / shard)
        return
    if (path / PICKLE).exists() or (path / PICKLE_INDEX).exists():
        if allow_pickle:
            return
        raise ModelLoadError(
            f"{checkpoint}: has only pickle weights ({PICKLE}), which run code when loaded; safetensors is the "
            "supported format: convert them, or set allow_pickle_weights: true on this stage if you trust the file"
        )
    raise ModelLoadError(f"{checkpoint}: no weights ({SAFETENSORS}, or shards listed in {SAFETENSORS_INDEX})")


def check_safetensors(file: Path) -> None:
    """Raise ModelLoadError unless `file` has a readable safetensors header and every byte it promises."""
    size = file.stat().st_size
    try:
        with file.open("rb") as handle:
            head = handle.read(8)
            header_bytes = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 0 < header_bytes <= min(size - 8, MAX_HEADER_BYTES):
                raise ValueError("no readable header")
            header = json.loads(handle.read(header_bytes))
        ends = [entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"]
        expected = 8 + header_bytes + max(ends, default=0)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise ModelLoadError(f"{file}: damaged safetensors file ({err})") from None
    if expected != size:
        raise ModelLoadError(
            f"{file}: damaged or truncated safetensors file: it holds {size} bytes, its header describes {expected}"
        )


def _shards(index: Path, checkpoint: str) -> list[str]:
    content = _read_json(index, checkpoint, required=True)
    weight_map = content.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise ModelLoadError(f"{index}: no weight_map naming the shards")
    return sorted(set(map(str, weight_map.values())))


def _read_json(file: Path, checkpoint: str, required: bool) -> dict:
    if not file.exists():
        if required:
            raise ModelLoadError(f"{checkpoint}: no {file.name}; a model folder needs {CONFIG}, the weights and the tokenizer")
        return {}
    try:
        content = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise ModelLoadError(f"{file}: not readable JSON ({err})") from None
    if not isinstance(content, dict):
        raise ModelLoadError(f"{file}: expected a JSON object, got {type(content).__name__}")
    return content
