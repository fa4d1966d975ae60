"""causal_lm_loss / causal_lm_logprobs equal the model's own loss and logits, gradients included."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig, LlamaForCausalLM

from euro_post.models.kernels import causal_lm_logprobs, causal_lm_loss

VOCAB = 257


def tiny_llama(seed=0, **overrides):
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        **overrides,
    )
    return LlamaForCausalLM(config).eval()


def batch(seed=1, shape=(3, 19)):
    gen = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(0, VOCAB, shape, generator=gen)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, :4] = 0  # left padding
    attention_mask[2, -3:] = 0  # right padding
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    labels[:, :5] = -100  # prompt tokens are not trained on
    return input_ids, attention_mask, labels


def loss_and_grads(model, fn):
    model.zero_grad(set_to_none=True)
    loss = fn()
    loss.backward()
    return loss.detach(), {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def assert_grads_close(got, expected, rtol=1e-5, atol=1e-6):
    assert got.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=rtol, atol=atol, msg=name)


@pytest.mark.parametrize("fused", ["auto", "on", "off"])
@pytest.mark.parametrize("num_items_in_batch", [None, 41, "tensor"])
def test_loss_equals_model_loss(fused, num_items_in_batch):
    model = tiny_llama()
    input_ids, attention_mask, labels = batch()
    if num_items_in_batch == "tensor":
        num_items_in_batch = torch.tensor(29)
    kw = {} if num_items_in_batch is None else {"num_items_in_batch": num_items_in_batch}
    ref_loss, ref_grads = loss_and_grads(
        model, lambda: model(input_ids=input_ids, attention_mask=attention_mask, labels=labels, **kw).loss
    )
    loss, grads = loss_and_grads(
        model,
        lambda: causal_lm_loss(
            model, input_ids, labels, attention_mask=attention_mask, fused=fused, chunk_size=7, **kw
        ),
    )
    torch.testing.assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6)
    assert len(grads) == len(list(model.parameters()))  # every parameter got a gradient
    assert_grads_close(grads, ref_grads)


def test_shift_labels_position_ids_and_token_count():
    model = tiny_llama()
    input_ids, _, labels = batch()
    shift_labels = F.pad(labels, (0, 1), value=-100)[:, 1:]
    position_ids = torch.arange(input_ids.shape[1]).expand_as(input_ids)
    ref = model(input_ids=input_ids, position_ids=position_ids, labels=labels).loss
    loss, n_tokens = causal_lm_loss(
        model, input_ids, None, position_ids=position_ids, shift_labels=shift_labels, return_num_tokens=True
    )
    torch.testing.assert_close(loss, ref, rtol=1e-5, atol=1e-6)
    assert int(n_tokens) == int((labels[:, 1:] != -100).sum())


def reference_logprobs(model, input_ids, attention_mask, temperature):
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float() / temperature
    log_probs = logits.log_softmax(-1)
    token_logp = log_probs.gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    entropy = -(log_probs.exp() * log_probs).sum(-1)
    return token_logp, entropy


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_logprobs_and_entropy_equal_model_logits(temperature):
    model = tiny_llama()
    input_ids, attention_mask, _ = batch()
    completion_mask = attention_mask[:, 1:].clone()
    completion_mask[:, :6] = 0

    def ref_fn():
        logp, ent = reference_logprobs(model, input_ids, attention_mask, temperature)
        return ((logp * completion_mask).sum() + 0.3 * (ent * completion_mask).sum()) / 10

    def fused_fn():
        logp, ent = causal_lm_logprobs(
            model, input_ids, attention_mask, completion_mask=completion_mask, temperature=temperature,
            return_entropy=True, chunk_size=5,
        )  # fmt: skip
        assert torch.all(logp[completion_mask == 0] == 0) and torch.all(ent[completion_mask == 0] == 0)
        return (logp.sum() + 0.3 * ent.sum()) / 10

    ref, ref_grads = loss_and_grads(model, ref_fn)
    got, grads = loss_and_grads(model, fused_fn)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)
    assert_grads_close(grads, ref_grads)


def test_logprobs_logits_to_keep_and_labels():
    model = tiny_llama()
    input_ids, attention_mask, labels = batch()
    ref_logp, _ = reference_logprobs(model, input_ids, attention_mask, 1.0)
    with torch.no_grad():
        kept = causal_lm_logprobs(model, input_ids, attention_mask, logits_to_keep=6)
        masked = causal_lm_logprobs(model, input_ids, attention_mask, labels=labels)
        plain = causal_lm_logprobs(model, input_ids, attention_mask, labels=labels, fused="off")
    assert kept.shape == (3, 6)
    torch.testing.assert_close(kept, ref_logp[:, -6:].detach(), rtol=1e-5, atol=1e-6)
    expected = torch.where(labels[:, 1:] != -100, ref_logp.detach(), torch.zeros(()))
    torch.testing.assert_close(masked, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(plain, expected, rtol=1e-5, atol=1e-6)


def test_peft_lora_on_lm_head_with_dropout():
    peft = pytest.importorskip("peft")
    model = tiny_llama()
    lora = peft.LoraConfig(
        r=4, lora_alpha=8, lora_dropout=0.2, target_modules=["q_proj", "v_proj", "lm_head"], init_lora_weights=False
    )
    peft_model = peft.get_peft_model(model, lora)
    peft_model.train()  # dropout active: the fused path must draw the same mask as the model
    input_ids, attention_mask, labels = batch()

    def ref_fn():
        torch.manual_seed(123)
        return peft_model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss

    def fused_fn():
        torch.manual_seed(123)
        return causal_lm_loss(peft_model, input_ids, labels, attention_mask=attention_mask, fused="on", chunk_size=8)

    ref, ref_grads = loss_and_grads(peft_model, ref_fn)
    got, grads = loss_and_grads(peft_model, fused_fn)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)
    assert any("lm_head.lora_B" in name for name in grads)  # the head adapter is trained too
    assert_grads_close(grads, ref_grads)


def test_unfusable_head_raises_on_and_falls_back_on_auto():
    model = tiny_llama()
    input_ids, attention_mask, labels = batch()
    model.lm_head.register_forward_hook(lambda module, args, out: out * 2.0)  # a hook a fused path would skip
    ref = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
    with pytest.raises(ValueError, match="cannot be fused"):
        causal_lm_loss(model, input_ids, labels, attention_mask=attention_mask, fused="on")
    with pytest.warns(UserWarning, match="falling back to full logits"):
        loss = causal_lm_loss(model, input_ids, labels, attention_mask=attention_mask, fused="auto")
    torch.testing.assert_close(loss, ref, rtol=1e-5, atol=1e-6)


def test_config_logit_transforms_are_applied():
    from transformers import Gemma2Config, Gemma2ForCausalLM, GraniteConfig, GraniteForCausalLM

    common = dict(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1,
    )  # fmt: skip
    torch.manual_seed(0)
    models = [
        Gemma2ForCausalLM(Gemma2Config(head_dim=16, final_logit_softcapping=2.0, **common)).eval(),
        GraniteForCausalLM(GraniteConfig(logits_scaling=4.0, **common)).eval(),
    ]
    input_ids, attention_mask, labels = batch()
    for model in models:
        ref, ref_grads = loss_and_grads(
            model, lambda: model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
        )
        got, grads = loss_and_grads(
            model, lambda: causal_lm_loss(model, input_ids, labels, attention_mask=attention_mask, fused="on")
        )
        torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6, msg=type(model).__name__)
        assert_grads_close(grads, ref_grads)
