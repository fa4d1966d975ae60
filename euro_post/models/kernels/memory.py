"""Measuring what a computation allocates, on CPU as well as on CUDA.

``torch.cuda.max_memory_allocated`` has no CPU twin and ``tracemalloc`` does not see torch's
allocator, so :class:`AllocationTracker` watches the dispatcher instead: every ATen op that
runs inside it (forward and backward alike, on the calling thread) reports its outputs, and
each output that owns fresh storage is counted until that storage is freed (a finalizer on
the storage object). That gives

* ``peak_bytes``: the peak of live bytes allocated inside the block, relative to its start;
* ``max_numel`` / ``max_shape`` / ``max_op``: the largest single tensor created and by which op,
  the direct check that a ``tokens x vocab`` logits tensor never exists.

What it cannot see: scratch buffers a kernel allocates and frees internally without returning
them (small for the ops used here) and tensors created before the block. For an OS-level
cross-check, :func:`peak_rss_bytes` / :func:`reset_peak_rss` read and reset the process's
high-water mark (``VmHWM``), which does include every byte the allocator touched.
"""

from __future__ import annotations

import re
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class AllocationTracker(TorchDispatchMode):
    """Context manager recording live-tensor memory and the largest tensor created inside it.

    Example::

        with AllocationTracker() as tracker:
            loss = chunked_linear_cross_entropy(h, w, y)
            loss.backward()
        assert tracker.max_numel < h.shape[0] * w.shape[0]
    """

    def __init__(self) -> None:
        super().__init__()
        self.live_bytes = 0
        self.peak_bytes = 0
        self.max_numel = 0
        self.max_shape: tuple[int, ...] = ()
        self.max_op = ""
        self._owned: set[int] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
        for tensor in tree_flatten(out)[0]:
            if isinstance(tensor, torch.Tensor):
                self._record(tensor, func, inputs)
        return out

    def _record(self, tensor: torch.Tensor, func, input_ptrs: set[int]) -> None:
        storage = tensor.untyped_storage()
        ptr = storage.data_ptr()
        nbytes = storage.nbytes()
        if nbytes == 0 or ptr in input_ptrs or ptr in self._owned:
            return  # views and in-place results alias memory that is already counted (or not ours)
        if tensor.numel() > self.max_numel:
            self.max_numel = tensor.numel()
            self.max_shape = tuple(tensor.shape)
            self.max_op = str(func)
        self._owned.add(ptr)
        self.live_bytes += nbytes
        self.peak_bytes = max(self.peak_bytes, self.live_bytes)
        weakref.finalize(storage, self._release, ptr, nbytes)

    def _release(self, ptr: int, nbytes: int) -> None:
        self._owned.discard(ptr)
        self.live_bytes -= nbytes


def peak_rss_bytes() -> int:
    """The process's resident-set high-water mark (Linux ``VmHWM``), in bytes; 0 elsewhere."""
    try:
        with open("/proc/self/status") as status:
            match = re.search(r"VmHWM:\s+(\d+)\s+kB", status.read())
    except OSError:
        return 0
    return int(match.group(1)) * 1024 if match else 0


def current_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as status:
            match = re.search(r"VmRSS:\s+(\d+)\s+kB", status.read())
    except OSError:
        return 0
    return int(match.group(1)) * 1024 if match else 0


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False where not permitted."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True
