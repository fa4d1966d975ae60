"""Loss and log-probs of a Hugging Face causal LM without materialising its logits.

The transformer body runs as usual; its last hidden states go straight into the fused LM
head + loss. What is matched exactly:

* :func:`causal_lm_loss` equals ``model(input_ids, labels=labels).loss`` (transformers'
  ``ForCausalLMLoss``): labels shifted left inside, last position ignored, mean over
  non-ignored tokens or sum / ``num_items_in_batch``; pre-shifted ``shift_labels`` are scored
  as given, as transformers does under context parallelism.
* :func:`causal_lm_logprobs` equals ``log_softmax(model(...).logits[:, :-1] / T)`` gathered at
  the next tokens (TRL's ``selective_log_softmax``), optionally only the last
  ``logits_to_keep`` positions as GRPO scores completions.

Wrappers are looked through: DDP / DataParallel / DeepSpeed engines (``.module``),
``torch.compile`` (``._orig_mod``) and PEFT models (``get_base_model()``). A LoRA-wrapped
``lm_head`` is fused exactly, dropout included, by widening the matmul:
``base(x) + B(A(drop(x))) * s = [x, A(drop(x)) * s] @ [W, B].T``. Note that calling through
``.module`` bypasses DDP's own forward; in multi-process DDP let accelerate/TRL drive the
wrapper and pass the unwrapped model only where that is safe.

Logit transforms from the config are applied as the model does: ``final_logit_softcapping``
(Gemma 2/3), ``logit_scale`` (Cohere), ``logits_scaling`` (Granite, divides). Anything we
cannot fuse exactly falls back to full logits under ``fused="auto"`` and raises under ``"on"``.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

from euro_post.models.kernels.dispatch import (
    FusedMode,
    check_fused_mode,
    fused_linear_cross_entropy,
    fused_linear_logprobs,
)
from euro_post.models.kernels.reference import reference_cross_entropy, reference_logprobs


def unwrap_causal_lm(model: nn.Module) -> nn.Module:
    """The ``*ForCausalLM`` module inside DDP / DeepSpeed / compile / PEFT wrappers."""
    for _ in range(8):  # wrappers nest a few levels at most
        peft_config = getattr(model, "active_peft_config", None)
        if hasattr(model, "get_base_model") and peft_config is not None:
            if getattr(peft_config, "is_prompt_learning", False):
                raise ValueError(
                    f"{type(model).__name__} uses a prompt-learning adapter ({type(peft_config).__name__}); its "
                    "virtual tokens live in the PEFT forward, so the fused loss cannot run the body alone. "
                    "Use fused='off' or a LoRA-style adapter."
                )
            model = model.get_base_model()
        elif isinstance(getattr(model, "_orig_mod", None), nn.Module):
            model = model._orig_mod
        elif isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)) or (
            type(model).__name__ == "DeepSpeedEngine"
        ):
            model = model.module
        else:
            return model
    return model


def decoder_body(causal_lm: nn.Module) -> nn.Module:
    """The transformer body that returns ``last_hidden_state`` (``LlamaModel`` for Llama)."""
    body = causal_lm.get_decoder() if hasattr(causal_lm, "get_decoder") else None
    if body is None or body is causal_lm:
        body = getattr(causal_lm, "model", None)
    if not isinstance(body, nn.Module) or body is causal_lm:
        raise ValueError(
            f"{type(causal_lm).__name__} exposes no decoder body (get_decoder() or .model); "
            "expected a Hugging Face *ForCausalLM model"
        )
    return body


def lm_head_of(causal_lm: nn.Module) -> nn.Module:
    head = causal_lm.get_output_embeddings() if hasattr(causal_lm, "get_output_embeddings") else None
    head = head if head is not None else getattr(causal_lm, "lm_head", None)
    if not isinstance(head, nn.Module):
        raise ValueError(f"{type(causal_lm).__name__} has no output embeddings / lm_head")
    return head


def logit_transforms(causal_lm: nn.Module) -> tuple[float, float | None]:
    """``(scale, softcap)`` the model applies to ``lm_head(hidden)`` before its loss."""
    config = getattr(causal_lm, "config", None)
    if config is not None and hasattr(config, "get_text_config"):
        config = config.get_text_config()
    softcap = getattr(config, "final_logit_softcapping", None)
    scale = getattr(config, "logit_scale", None)
    if scale is None and getattr(config, "logits_scaling", None) is not None:
        scale = 1.0 / config.logits_scaling
    return (1.0 if scale is None else float(scale)), (None if not softcap else float(softcap))


def _is_plain_linear(module: nn.Module) -> bool:
    return (
        isinstance(module, nn.Linear)
        and type(module).forward is nn.Linear.forward
        and "forward" not in vars(module)  # accelerate hooks replace the instance's forward
        and not module._forward_hooks
        and not module._forward_pre_hooks
        and module.weight.device.type != "meta"
    )


def fusable_head(
    head: nn.Module, hidden: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None] | None:
    """``(hidden', weight, bias)`` with ``head(hidden) == hidden' @ weight.T + bias``, or None."""
    if _is_plain_linear(head):
        return hidden, head.weight, head.bias
    lora_parts = ("base_layer", "lora_A", "lora_B", "scaling", "lora_dropout")
    if not all(hasattr(head, name) for name in lora_parts) or not _is_plain_linear(head.base_layer):
        return None
    base = head.base_layer
    if getattr(head, "disable_adapters", False) or getattr(head, "merged", False):
        return hidden, base.weight, base.bias  # merged adapters already live in base.weight
    dtype = base.weight.dtype
    hidden_parts, weight_parts, bias = [hidden.to(dtype)], [base.weight], base.bias
    for name in head.active_adapters:
        if name not in head.lora_A:
            continue
        if name in getattr(head, "lora_variant", {}):  # DoRA and friends are not a plain low-rank sum
            return None
        lora_a, lora_b, scaling = head.lora_A[name], head.lora_B[name], head.scaling[name]
        low_rank = lora_a(head.lora_dropout[name](hidden.to(lora_a.weight.dtype))) * scaling
        hidden_parts.append(low_rank.to(dtype))
        weight_parts.append(lora_b.weight.to(dtype))
        if lora_b.bias is not None:
            extra = (lora_b.bias * scaling).to(dtype)
            bias = extra if bias is None else bias + extra
    if len(hidden_parts) == 1:
        return hidden, base.weight, bias
    return torch.cat(hidden_parts, dim=-1), torch.cat(weight_parts, dim=1), bias


def _hidden_states(model, input_ids, attention_mask, position_ids, model_kwargs):
    causal_lm = unwrap_causal_lm(model)
    model_kwargs.setdefault("use_cache", False)
    outputs = decoder_body(causal_lm)(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, **model_kwargs
    )
    hidden = outputs.last_hidden_state if hasattr(outputs, "last_hidden_state") else outputs[0]
    return causal_lm, hidden


def _resolve_head(causal_lm, hidden, mode: str):
    """The fused operands, or None where the path must be the full-logits reference."""
    head = lm_head_of(causal_lm)
    if mode == "off":
        return head, None
    parts = fusable_head(head, hidden.to(_head_device(head)))
    if parts is None:
        message = (
            f"the lm_head of {type(causal_lm).__name__} ({type(head).__name__}) cannot be fused exactly "
            "(unknown wrapper, forward hooks, offloaded weights or a LoRA variant)"
        )
        if mode == "on":
            raise ValueError(message + "; use fused='auto' or 'off'")
        warnings.warn(message + "; falling back to full logits", stacklevel=3)
    return head, parts


def _head_device(head: nn.Module) -> torch.device:
    return next(head.parameters()).device


def causal_lm_loss(
    model: nn.Module,
    input_ids: torch.Tensor | None,
    labels: torch.Tensor | None,
    attention_mask: torch.Tensor | None = None,
    position_ids: torch.Tensor | None = None,
    num_items_in_batch: torch.Tensor | int | None = None,
    fused: FusedMode | bool = "auto",
    *,
    shift_labels: torch.Tensor | None = None,
    ignore_index: int = -100,
    chunk_size: int | None = None,
    return_num_tokens: bool = False,
    **model_kwargs,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Next-token cross-entropy of a causal LM, equal to ``model(..., labels=labels).loss``.

    ``labels`` are aligned with ``input_ids`` (transformers' convention, -100 = not trained on)
    and shifted here; or pass ``shift_labels`` already aligned with the positions. With
    ``num_items_in_batch`` the loss is ``sum / num_items_in_batch`` (exact gradient
    accumulation); otherwise the mean over non-ignored tokens. ``return_num_tokens`` also
    returns the number of non-ignored targets. Extra keyword arguments go to the body.
    """
    mode = check_fused_mode(fused)
    if shift_labels is None:
        if labels is None:
            raise ValueError("causal_lm_loss needs labels (aligned with input_ids) or shift_labels")
        shift_labels = F.pad(labels, (0, 1), value=ignore_index)[..., 1:]
    causal_lm, hidden = _hidden_states(model, input_ids, attention_mask, position_ids, model_kwargs)
    if tuple(shift_labels.shape) != tuple(hidden.shape[:-1]):
        raise ValueError(
            f"labels of shape {tuple(shift_labels.shape)} do not match the hidden states {tuple(hidden.shape[:-1])}"
        )
    scale, softcap = logit_transforms(causal_lm)
    head, parts = _resolve_head(causal_lm, hidden, mode)
    shift_labels = shift_labels.to(_head_device(head))
    if parts is None:
        logits = head(hidden.to(_head_device(head)))
        loss = reference_cross_entropy(
            logits * scale if scale != 1.0 else logits,
            shift_labels,
            ignore_index=ignore_index,
            num_items_in_batch=num_items_in_batch,
            logit_softcap=softcap,
        )
    else:
        fused_hidden, weight, bias = parts
        if scale != 1.0:  # (x W^T + b) * s == (x s) W^T + b s
            fused_hidden = fused_hidden * scale
            bias = None if bias is None else bias * scale
        loss = fused_linear_cross_entropy(
            fused_hidden,
            weight,
            shift_labels,
            bias=bias,
            ignore_index=ignore_index,
            num_items_in_batch=num_items_in_batch,
            chunk_size=chunk_size,
            logit_softcap=softcap,
            fused=mode,
        )
    if return_num_tokens:
        return loss, (shift_labels != ignore_index).sum()
    return loss


def causal_lm_logprobs(
    model: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    labels: torch.Tensor | None = None,
    completion_mask: torch.Tensor | None = None,
    logits_to_keep: int | None = None,
    position_ids: torch.Tensor | None = None,
    temperature: float = 1.0,
    ignore_index: int = -100,
    return_entropy: bool = False,
    fused: FusedMode | bool = "auto",
    chunk_size: int | None = None,
    **model_kwargs,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Log-probability of each next token, ``(B, T-1)`` (or ``(B, K)`` with ``logits_to_keep=K``).

    Entry ``[b, t]`` is ``log p(target[b, t+1] | tokens <= t)`` under ``softmax(logits / T)``;
    the targets are ``labels`` if given (aligned with ``input_ids``, -100 skipped) else
    ``input_ids``. ``completion_mask`` is aligned with the output (TRL's convention): 0 marks
    positions to skip. Skipped positions return 0 and cost nothing. ``return_entropy`` also
    returns the per-position entropy (0 where skipped). Differentiable.
    """
    mode = check_fused_mode(fused)
    targets = (labels if labels is not None else input_ids)[:, 1:]
    causal_lm, hidden = _hidden_states(model, input_ids, attention_mask, position_ids, model_kwargs)
    hidden = hidden[:, :-1]
    if logits_to_keep is not None:
        if not 0 < logits_to_keep <= targets.shape[1]:
            raise ValueError(f"logits_to_keep must be in [1, {targets.shape[1]}], got {logits_to_keep}")
        hidden, targets = hidden[:, -logits_to_keep:], targets[:, -logits_to_keep:]
    if completion_mask is not None:
        if tuple(completion_mask.shape) != tuple(targets.shape):
            raise ValueError(
                f"completion_mask of shape {tuple(completion_mask.shape)} must match the output {tuple(targets.shape)}"
            )
        targets = targets.masked_fill(completion_mask.to(targets.device) == 0, ignore_index)
    scale, softcap = logit_transforms(causal_lm)
    head, parts = _resolve_head(causal_lm, hidden, mode)
    targets = targets.to(_head_device(head))
    kwargs = dict(
        temperature=temperature, ignore_index=ignore_index, return_entropy=return_entropy, logit_softcap=softcap
    )
    if parts is None:
        logits = head(hidden.to(_head_device(head)))
        return reference_logprobs(logits * scale if scale != 1.0 else logits, targets, **kwargs)
    fused_hidden, weight, bias = parts
    if scale != 1.0:
        fused_hidden = fused_hidden * scale
        bias = None if bias is None else bias * scale
    return fused_linear_logprobs(fused_hidden, weight, targets, bias=bias, chunk_size=chunk_size, fused=mode, **kwargs)
