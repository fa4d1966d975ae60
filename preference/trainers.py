"""The trainers of the preference stage: TRL's DPOTrainer, or its CPOTrainer as reference-free SimPO.

DPO computes log-probs through TRL's fused LM head (chunked, never the full logits tensor);
that is built into DPOTrainer and cannot be switched off. On CUDA, `fused_loss != "off"` also
turns on liger-kernel's layer kernels (RMSNorm, SwiGLU, RoPE); its fused cross-entropy stays
off, as it would replace the forward that carries the fused head.
"""

from __future__ import annotations

import torch
from datasets import Dataset
from euro_post.preference.config import PreferenceConfig
from trl import DPOTrainer

from euro_post.models.kernels.dispatch import apply_liger_layers, use_liger
from euro_post.models.loading import load_model, resize_embeddings
from euro_post.pipeline.stage import StageContext
from euro_post.training.trainer import EuroTrainerMixin
from euro_post.training.trainer_setup import lora_config, trainer_arguments


def consumed_pairs(examples: list[dict], batch) -> list[tuple[str, int, int]]:
    """(language, tokens, 1) per pair of a training batch: the prompt+chosen and prompt+rejected
    tokens the model reads, after truncation (euro_post/training/consumption.py). DPO's batch holds the
    chosen sequences first, then the rejected ones; SimPO's (CPO) holds them side by side."""
    if "chosen_attention_mask" in batch:
        tokens = batch["chosen_attention_mask"].sum(1) + batch["rejected_attention_mask"].sum(1)
    else:
        per_sequence = batch["attention_mask"].sum(1)
        tokens = per_sequence[: len(examples)] + per_sequence[len(examples) :]
    return [(ex["lang"], n, 1) for ex, n in zip(examples, tokens.tolist(), strict=True)]


class EuroDPOTrainer(EuroTrainerMixin, DPOTrainer):
    """TRL's DPOTrainer with what every euro-post trainer adds (euro_post/training/trainer.py)."""


def build_trainer(cfg: PreferenceConfig, ctx: StageContext, model, tokenizer, dataset: Dataset, callbacks: list):
    if use_liger(ctx.fused_loss, log=ctx.log):
        apply_liger_layers(model)  # TRL's own `use_liger_kernel` is deprecated; TRL keeps its fused LM head
    if cfg.algorithm == "simpo":
        return _simpo_trainer(cfg, ctx, model, tokenizer, dataset, callbacks)
    return _dpo_trainer(cfg, ctx, model, tokenizer, dataset, callbacks)


def _common_arguments(cfg: PreferenceConfig, ctx: StageContext) -> dict:
    return dict(
        **trainer_arguments(cfg, ctx),
        max_length=cfg.max_length,
        beta=cfg.resolved_beta,
        label_smoothing=cfg.label_smoothing,
        # Counted in the trainer state, so a resumed stage still knows the tokens of its first attempt.
        include_num_input_tokens_seen="non_padding",
    )


def _dpo_trainer(cfg: PreferenceConfig, ctx: StageContext, model, tokenizer, dataset: Dataset, callbacks: list):
    from trl import DPOConfig

    args = DPOConfig(
        **_common_arguments(cfg, ctx),
        loss_type=list(cfg.loss_type),
        loss_weights=cfg.loss_weights,
        precompute_ref_log_probs=cfg.precompute_ref_log_probs,
    )
    return EuroDPOTrainer(
        model=model,
        ref_model=reference_model(cfg, ctx, model),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config(cfg.lora),
        callbacks=callbacks,
    )


def reference_model(cfg: PreferenceConfig, ctx: StageContext, model):
    """The frozen reference policy, or None where TRL needs none.

    None with LoRA (the base model with the adapter switched off is the reference) and with
    precomputed log-probs (TRL scores the pairs with the policy before its first step).
    """
    if cfg.reference is None and (cfg.lora is not None or cfg.precompute_ref_log_probs):
        return None
    path = cfg.reference or ctx.input_checkpoint
    reference = load_model(path, cfg.precision, trust_remote_code=cfg.trust_remote_code, allow_pickle=cfg.allow_pickle_weights)
    # The policy grew rows for the chat template's special tokens; the reference must score
    # the same ids. The new rows are never in a completion the reference has to rate highly.
    resize_embeddings(reference, model.get_input_embeddings().num_embeddings)
    reference.config.pad_token_id = model.config.pad_token_id
    return reference


def _simpo_trainer(cfg: PreferenceConfig, ctx: StageContext, model, tokenizer, dataset: Dataset, callbacks: list):
    from trl.experimental.cpo import CPOConfig

    args = CPOConfig(
        **_common_arguments(cfg, ctx),
        loss_type="simpo",
        cpo_alpha=0.0,  # no behaviour-cloning term: plain SimPO
        simpo_gamma=cfg.simpo_gamma,
    )
    return _counting_cpo_trainer()(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config(cfg.lora),
        callbacks=callbacks,
    )


def _counting_cpo_trainer():
    from trl.experimental.cpo import CPOTrainer

    class CountingCPOTrainer(EuroTrainerMixin, CPOTrainer):
        """CPOTrainer that counts the tokens it trains on: its batches have no `input_ids` for the
        Trainer to count. EuroTrainerMixin: what every euro-post trainer adds (euro_post/training/trainer.py)."""

        def _track_num_input_tokens(self, inputs):
            if "chosen_attention_mask" not in inputs:
                return super()._track_num_input_tokens(inputs)
            tokens = inputs["chosen_attention_mask"].sum() + inputs["rejected_attention_mask"].sum()
            tokens = torch.as_tensor(tokens, device=self.args.device, dtype=torch.int64)
            self.state.num_input_tokens_seen += self.accelerator.gather(tokens).sum().item()

    return CountingCPOTrainer
