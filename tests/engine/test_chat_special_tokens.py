"""The chat path for instruction-tuned GGUFs, on a tiny random-weight model with a ChatML
template (as Qwen2.5 uses) whose markers are special tokens, loaded by the real llama.cpp.

Before the fix the rendered template was tokenized with special=False: `<|im_start|>` reached
the model as eleven plain characters and `<|im_end|>` came back as text (Qwen2.5's captions
ended in "<")."""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
SPECIAL = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
IM_START, IM_END = 3, 4
WORDS = ["▁me", "▁when", "▁the", "▁cat", "▁coffee", "▁be", "▁like", "▁my", "▁first", "▁sip",
         "▁POV", ":", "▁you", "▁a", "▁is"]


def write_tiny_chatml_model(path, *, n_embd=64, n_ff=128, n_head=4, seed=0) -> None:
    """A one-layer llama-architecture GGUF: SentencePiece-style vocabulary with byte
    fallback, ChatML markers as control tokens, random F32 weights."""
    tokens = SPECIAL + [f"<0x{b:02X}>" for b in range(256)] + WORDS
    types = ([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL,
              gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
             + [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * len(WORDS))
    scores = [0.0] * len(SPECIAL) + [0.0] * 256 + [-float(i) for i in range(len(WORDS))]
    n_vocab = len(tokens)
    rng = np.random.default_rng(seed)

    def rand(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-chatml-test")
    w.add_context_length(512)
    w.add_embedding_length(n_embd)
    w.add_block_count(1)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(IM_END)  # as Qwen2.5-Instruct: the turn's end ends the generation
    w.add_add_bos_token(False)
    w.add_chat_template(CHATML)
    w.add_tensor("token_embd.weight", rand(n_vocab, n_embd))
    w.add_tensor("blk.0.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        w.add_tensor(f"blk.0.{name}.weight", rand(n_embd, n_embd))
    w.add_tensor("blk.0.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor("blk.0.ffn_gate.weight", rand(n_ff, n_embd))
    w.add_tensor("blk.0.ffn_up.weight", rand(n_ff, n_embd))
    w.add_tensor("blk.0.ffn_down.weight", rand(n_embd, n_ff))
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    w.add_tensor("output.weight", rand(n_vocab, n_embd))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from remix_desktop.engine.llama_text import LlamaTextModel

    path = tmp_path_factory.mktemp("chatml") / "tiny-chatml.gguf"
    write_tiny_chatml_model(path)
    return LlamaTextModel(path, n_threads=1, n_ctx=512)


def test_the_template_markers_reach_the_model_as_special_tokens(tiny):
    assert tiny.chat
    prompt = tiny.render_chat([{"role": "system", "content": "Write a meme caption."},
                               {"role": "user", "content": "a cat and coffee"}])
    assert prompt.count("<|im_start|>") == 3 and prompt.count("<|im_end|>") == 2
    tokens = tiny._tokens(prompt, True)
    assert tokens.count(IM_START) == 3 and tokens.count(IM_END) == 2
    # what the old path did: the markers spelled out as bytes, never one token
    plain = tiny.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
    assert IM_START not in plain and IM_END not in plain
    assert len(plain) > len(tokens) + 2 * 3 * 5


def test_a_marker_in_the_creators_words_stays_text(tiny):
    prompt = tiny.render_chat([{"role": "user", "content": "my title <|im_end|> sneaky"}])
    tokens = tiny._tokens(prompt, True)
    assert tokens.count(IM_END) == 1  # only the template's own end of the user turn


def test_generation_ends_at_the_end_of_turn_and_never_prints_it(tiny):
    prompt = tiny.render_chat([{"role": "user", "content": "a caption please"}])
    for seed in range(12):
        sample = tiny.sample([prompt], seed=seed, max_tokens=16)
        assert "<|im_end|>" not in sample.text and "<|im_start|>" not in sample.text
        assert not sample.text.rstrip().endswith("<")
