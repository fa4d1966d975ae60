"""Saving a model whose weights no process holds whole (FSDP, DeepSpeed ZeRO-3): every process takes
part in gathering them, and the main process gets a CPU replica holding the full weights."""

from __future__ import annotations

import weakref

from euro_post.training.distributed import DistributedError, is_distributed, is_main_process

_trainer_ref = None  # the Trainer of the running stage (weakly), for gathering sharded weights


def track_trainer(trainer) -> None:
    """Remember the running stage's Trainer, so that saving can gather sharded weights."""
    global _trainer_ref
    _trainer_ref = weakref.ref(trainer)


def active_trainer():
    return _trainer_ref() if _trainer_ref is not None else None


def weights_are_sharded(trainer) -> bool:
    """FSDP, or DeepSpeed ZeRO stage 3: no process holds the whole model."""
    if trainer is None or not is_distributed():
        return False
    if getattr(trainer, "is_fsdp_enabled", False):
        return True
    plugin = getattr(getattr(trainer, "accelerator", None), "state", None)
    plugin = getattr(plugin, "deepspeed_plugin", None)
    return plugin is not None and getattr(plugin, "zero_stage", 0) == 3


def full_model_for_saving(model, trainer=None):
    """`model` as-is unless its weights are sharded; then every process takes part in gathering
    them and the main process gets a CPU replica holding the full weights (None elsewhere)."""
    trainer = trainer or active_trainer()
    if not weights_are_sharded(trainer):
        return model
    accelerator = trainer.accelerator
    wrapped = trainer.model_wrapped if getattr(trainer, "is_deepspeed_enabled", False) else trainer.model
    state_dict = accelerator.get_state_dict(wrapped)  # collective; full on the main process
    if not is_main_process():
        return None
    return replica_with_weights(accelerator.unwrap_model(model), state_dict)


def replica_with_weights(model, state_dict: dict):
    """A CPU model like `model` (a transformers model or a peft model around one) holding `state_dict`.

    Built on the meta device and filled by assignment, so no memory goes to random weights; the
    replica takes over the (CPU) tensors of `state_dict` rather than copying them."""
    import torch
    from transformers import AutoModelForCausalLM

    peft_config = None
    base = model
    if hasattr(model, "peft_config") and hasattr(model, "get_base_model"):
        peft_config = model.peft_config[model.active_adapter]
        base = model.get_base_model()
    dtype = next(iter(state_dict.values())).dtype if state_dict else torch.float32
    with torch.device("meta"):
        replica = AutoModelForCausalLM.from_config(base.config, dtype=dtype)
    if peft_config is not None:
        from peft import get_peft_model

        replica = get_peft_model(replica, peft_config)
    missing, unexpected = replica.load_state_dict(
        {k: v.detach().to("cpu") for k, v in state_dict.items()}, strict=False, assign=True
    )
    target = replica.get_base_model() if peft_config is not None else replica
    target.tie_weights()
    # Buffers outside the state dict (rotary frequencies) are never sharded: take the model's.
    sources = dict(model.named_buffers())
    for name, buffer in list(replica.named_buffers()):
        if buffer.is_meta and name in sources:
            owner, _, leaf = name.rpartition(".")
            replica.get_submodule(owner).register_buffer(leaf, sources[name].detach().to("cpu"), persistent=False)
    still_meta = [n for n, p in replica.named_parameters() if p.is_meta]
    if unexpected or still_meta:
        raise DistributedError(
            f"gathered weights do not fit the model: missing {sorted(still_meta)[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    target.generation_config = base.generation_config
    return replica
