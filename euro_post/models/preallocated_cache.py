"""A KV cache that is allocated once per batch instead of growing by concatenation.

transformers' DynamicCache appends each new token's keys and values with `torch.cat`, which
copies the whole cache of every layer at every step: on a CPU that copy was a few % of a decoding
step of a 135M model at batch 8 and grows with the batch and the sequence. Here each layer holds
buffers of the batch's final length (prompt width + new tokens), writes the new token in place
and hands attention a view of the filled part, so the cache is never copied while a batch
decodes (only when finished rows are dropped from it). Attention sees the same keys and values
as with DynamicCache, so outputs do not change.

`preallocated_cache(model, capacity)` returns such a cache, or None where the model's cache is
not made of plain DynamicLayers (sliding windows, linear attention, another transformers): the
model then builds its own.
"""

from __future__ import annotations

import torch

try:
    from transformers.cache_utils import DynamicCache, DynamicLayer
except ImportError:  # a transformers without per-layer caches: the model's own cache is used
    DynamicCache = DynamicLayer = None


if DynamicLayer is not None:

    class PreallocatedLayer(DynamicLayer):
        """A DynamicLayer whose keys and values are views of buffers `capacity` tokens long."""

        def __init__(self, capacity: int):
            super().__init__()
            self.capacity = capacity
            self.length = 0
            self.key_buffer: torch.Tensor | None = None
            self.value_buffer: torch.Tensor | None = None

        def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
            self.device = key_states.device
            batch, heads, _, key_dim = key_states.shape
            self.key_buffer = key_states.new_empty(batch, heads, self.capacity, key_dim)
            self.value_buffer = value_states.new_empty(batch, heads, self.capacity, value_states.shape[-1])
            self.is_initialized = True

        def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            end = self.length + key_states.shape[-2]
            if end > self.capacity:
                raise RuntimeError(f"the preallocated KV cache holds {self.capacity} tokens; {end} were written")
            self.key_buffer[:, :, self.length : end] = key_states
            self.value_buffer[:, :, self.length : end] = value_states
            self.length = end
            self.keys = self.key_buffer[:, :, :end]
            self.values = self.value_buffer[:, :, :end]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length

        def reset(self) -> None:
            self.length = 0
            self.key_buffer = self.value_buffer = None
            super().reset()

        def crop(self, tokens_to_remove: int) -> None:
            raise NotImplementedError("a preallocated cache is written once, in order; it is never cropped")

        def batch_repeat_interleave(self, repeats: int) -> None:
            raise NotImplementedError("a preallocated cache keeps the batch it was made for")

        def batch_select_indices(self, indices: torch.Tensor) -> None:
            """Keep the rows `indices` (rows that finished leave the batch): one copy of the buffers."""
            if self.length == 0:
                return
            self.key_buffer = self.key_buffer[indices]
            self.value_buffer = self.value_buffer[indices]
            self.keys = self.key_buffer[:, :, : self.length]
            self.values = self.value_buffer[:, :, : self.length]


def preallocated_cache(model, capacity: int):
    """A DynamicCache for `model` whose layers are PreallocatedLayers of `capacity` tokens, or None."""
    config = getattr(model, "config", None)
    if DynamicLayer is None or config is None or not hasattr(config, "get_text_config"):
        return None
    try:
        cache = DynamicCache(config=config)
    except (AttributeError, KeyError, TypeError, ValueError):  # a config it cannot read: the model's own cache
        return None
    layers = getattr(cache, "layers", None)
    # Only plain full-attention layers: sliding-window or linear-attention layers keep their own logic.
    if not layers or any(type(layer) is not DynamicLayer for layer in layers):
        return None
    cache.layers = [PreallocatedLayer(capacity) for _ in layers]
    return cache
