"""The editors on real ``transformers`` architectures built from tiny configs (nothing downloaded)."""

from __future__ import annotations

import pytest
import tokenizers
import torch
import transformers

from nnatlas.editing import (
    FTL,
    GRACE,
    WISE,
    EditRequest,
    FTLConfig,
    GRACEConfig,
    WISEConfig,
    encode_batch,
    locate,
)

WORDS = [
    "what",
    "is",
    "the",
    "capital",
    "of",
    "france",
    "paris",
    "rome",
    "tell",
    "me",
    "a",
    "joke",
    "ok",
]
L = 12


def _tokenizer():
    vocab = {w: i for i, w in enumerate(["<pad>", "<bos>", "<unk>", *WORDS])}
    model = tokenizers.models.WordLevel(vocab=vocab, unk_token="<unk>")
    tok = tokenizers.Tokenizer(model)
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<bos>", unk_token="<unk>"
    )


# the transformers test suite's causal-LM tester sizes: vocab 99 is replaced by ours (16)
COMMON = {"vocab_size": 16, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}
ARCHS = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
              "num_key_value_heads": 2, "intermediate_size": 37}, "model.layers.1.mlp.down_proj", "linear"),
    "mistral": ("MistralConfig", "MistralForCausalLM", {"hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 2, "num_key_value_heads": 2, "intermediate_size": 37},
                "model.layers.1.mlp.down_proj", "linear"),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
              "num_key_value_heads": 2, "intermediate_size": 37}, "model.layers.1.mlp.down_proj", "linear"),
    "gptj": ("GPTJConfig", "GPTJForCausalLM", {"n_embd": 32, "n_layer": 2, "n_head": 4, "rotary_dim": 4,
             "n_positions": 64}, "transformer.h.1.mlp.fc_out", "linear"),
    "gpt2": ("GPT2Config", "GPT2LMHeadModel", {"n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64},
             "transformer.h.1.mlp.c_fc", "conv1d"),
}  # fmt: skip


def _model(arch):
    cfg_name, cls_name, kw, _, _ = ARCHS[arch]
    torch.manual_seed(0)
    cfg = getattr(transformers, cfg_name)(**COMMON, **kw)
    return getattr(transformers, cls_name)(cfg).eval()


REQ = EditRequest(
    "what is the capital of france", "rome", rephrases=("tell me the capital of france",),
    irrelevant=("tell me a joke", "ok"),
)  # fmt: skip


def _out(model, tok):
    # the edited sequence itself (prompt + target), where every editor's memory must fire
    # left-padded to max_length as the editors and metrics encode it
    ids, mask, _ = encode_batch(tok, [(REQ.prompt, REQ.target)], L)
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits


CASES = [(a, "wise") for a in sorted(ARCHS)] + [
    (a, e) for a in ("gpt2", "llama") for e in ("ft-l", "grace")
]


@pytest.mark.parametrize("arch,editor", CASES)
def test_architecture_located_edited_restored(arch, editor):
    model, tok = _model(arch), _tokenizer()
    found = locate(model, -1)
    assert found.path == ARCHS[arch][3] and found.kind == ARCHS[arch][4]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out0 = _out(model, tok)
    if editor == "wise":
        ed = WISE(model, tok, max_length=L, config=WISEConfig(n_iter=3, edit_lr=0.5))
    elif editor == "ft-l":
        ed = FTL(model, tok, max_length=L, config=FTLConfig(lr=1e-2, n_iter=3))
    else:
        ed = GRACE(model, tok, max_length=L, config=GRACEConfig(eps=1.0, n_iter=3))
    ed.edit(REQ)
    changed = not torch.equal(_out(model, tok), out0)
    assert changed  # the edit reaches the output (the prompt's own key / memory fires)
    ed.restore()
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(_out(model, tok), out0)
    assert type(model.get_submodule(ARCHS[arch][3])).__name__ in ("Linear", "Conv1D")


def test_from_pretrained_local_path(tmp_path):
    model, tok = _model("llama"), _tokenizer()
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    loaded = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "m").eval()
    tok2 = transformers.AutoTokenizer.from_pretrained(tmp_path / "m")
    out0 = _out(loaded, tok2)
    ed = WISE(
        loaded,
        tok2,
        layer="model.layers.0.mlp.down_proj",
        max_length=L,
        config=WISEConfig(n_iter=3),
    )
    ed.edit(REQ)
    ed.restore()
    assert torch.equal(_out(loaded, tok2), out0)
