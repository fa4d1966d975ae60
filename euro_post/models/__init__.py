"""Models: size presets, the chat template, loading any checkpoint, batched generation and the memory-efficient loss kernels."""
