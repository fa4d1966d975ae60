"""Memory-efficient LM head + loss: the one place every stage gets its loss from.

In post-training the logits tensor (tokens x vocabulary, e.g. 16K x 256K x 4 bytes = 16 GiB)
dominates memory. Every function here computes the loss, or the per-token log-probs, from the
last hidden states and the LM head weight chunk by chunk, so the full logits never exist.

Public API
----------
Model level (what stages call)::

    causal_lm_loss(model, input_ids, labels, attention_mask=None, position_ids=None,
                   num_items_in_batch=None, fused="auto", *, shift_labels=None,
                   ignore_index=-100, chunk_size=None, return_num_tokens=False, **model_kwargs)
    causal_lm_logprobs(model, input_ids, attention_mask=None, *, labels=None,
                       completion_mask=None, logits_to_keep=None, temperature=1.0,
                       return_entropy=False, fused="auto", chunk_size=None, **model_kwargs)

Tensor level (hidden ``(..., H)``, weight ``(V, H)``, labels ``(...)``)::

    fused_linear_cross_entropy(hidden, weight, labels, *, bias=None, ignore_index=-100,
                               reduction="mean", chunk_size=None, num_items_in_batch=None,
                               logit_softcap=None, fused="auto")
    fused_linear_logprobs(hidden, weight, labels, *, bias=None, temperature=1.0,
                          ignore_index=-100, chunk_size=None, return_entropy=False,
                          logit_softcap=None, fused="auto")
    chunked_linear_cross_entropy(...) / chunked_linear_logprobs(...)   # our PyTorch paths
    reference_linear_cross_entropy(...) / reference_linear_logprobs(...)  # full logits

``fused``: ``"off"`` = reference with full logits; ``"on"`` = fused always (raise if a model's
LM head cannot be fused exactly); ``"auto"`` = fused, falling back to full logits with a
warning only for such a head. Fused means liger-kernel on CUDA for cross-entropy, our chunked
PyTorch path on CPU, and our chunked log-probs (with our Triton chunk kernel on CUDA).

How the stages use it
---------------------
SFT (override ``compute_loss`` of a ``transformers.Trainer`` / TRL ``SFTTrainer``)::

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = causal_lm_loss(
            model, inputs["input_ids"], inputs["labels"],
            attention_mask=inputs.get("attention_mask"),
            position_ids=inputs.get("position_ids"),  # padding-free packing
            num_items_in_batch=num_items_in_batch,     # exact gradient accumulation
            fused=self.fused_mode,
        )
        return (loss, None) if return_outputs else loss

  With ``num_items_in_batch`` the loss is ``sum / num_items_in_batch`` just like the model's
  own loss, so gradient accumulation (and ``average_tokens_across_devices``) behave the same.

DPO (concatenated forward: chosen rows then rejected rows in one batch)::

    logps = causal_lm_logprobs(model, input_ids, attention_mask,
                               completion_mask=completion_mask[:, 1:], fused=mode)
    chosen_logps, rejected_logps = logps.sum(-1).chunk(2)   # prompt/padding positions are 0

  The reference model goes through the same call under ``torch.no_grad()`` (nothing is then
  kept for backward).

GRPO (per-token log-probs of the completion, at the sampling temperature)::

    logps, entropy = causal_lm_logprobs(
        model, torch.cat([prompt_ids, completion_ids], 1), attention_mask,
        logits_to_keep=completion_ids.shape[1], completion_mask=completion_mask,
        temperature=temperature, return_entropy=True, fused=mode)

  ``logps`` has shape ``(B, completion_len)``, matching TRL's
  ``_get_per_token_logps_and_entropies``; old/reference log-probs use the same call without
  gradient.

Note: TRL >= 1.x trainers already patch the model with their own fused LM head
(``trl.trainer.utils.add_fused_lm_head``); these functions run the decoder body directly and
do not depend on that patch, so they give the same numbers with or without it.

Measuring memory: :class:`~euro_post.models.kernels.memory.AllocationTracker` records the peak live
bytes and the largest tensor created by any code run inside it, on CPU as well as CUDA.
"""

from euro_post.models.kernels.causal_lm import (
    causal_lm_logprobs,
    causal_lm_loss,
    decoder_body,
    fusable_head,
    lm_head_of,
    unwrap_causal_lm,
)
from euro_post.models.kernels.chunk_ops import DEFAULT_CHUNK_ELEMENTS
from euro_post.models.kernels.dispatch import (
    FUSED_MODES,
    FusedMode,
    check_fused_mode,
    fused_linear_cross_entropy,
    fused_linear_logprobs,
    liger_available,
)
from euro_post.models.kernels.linear_cross_entropy import (
    ChunkedLinearCrossEntropyFunction,
    chunked_linear_cross_entropy,
)
from euro_post.models.kernels.linear_logprobs import ChunkedLinearLogProbsFunction, chunked_linear_logprobs
from euro_post.models.kernels.memory import AllocationTracker
from euro_post.models.kernels.reference import (
    reference_cross_entropy,
    reference_linear_cross_entropy,
    reference_linear_logprobs,
    reference_logprobs,
)

__all__ = [
    "DEFAULT_CHUNK_ELEMENTS",
    "FUSED_MODES",
    "AllocationTracker",
    "ChunkedLinearCrossEntropyFunction",
    "ChunkedLinearLogProbsFunction",
    "FusedMode",
    "causal_lm_logprobs",
    "causal_lm_loss",
    "check_fused_mode",
    "chunked_linear_cross_entropy",
    "chunked_linear_logprobs",
    "decoder_body",
    "fusable_head",
    "fused_linear_cross_entropy",
    "fused_linear_logprobs",
    "liger_available",
    "lm_head_of",
    "reference_cross_entropy",
    "reference_linear_cross_entropy",
    "reference_linear_logprobs",
    "reference_logprobs",
    "unwrap_causal_lm",
]
