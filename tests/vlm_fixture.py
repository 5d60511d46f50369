"""Random-weight vision-language model pairs (a language model GGUF plus a "clip"
projector GGUF, the "mmproj") that llama.cpp's multimodal library, libmtmd, loads and runs.

- `write_tiny_pair`: a pair of about 1 MB, a one-layer llama and a two-block ViT, with a
  LLaVA-style "mlp" projector (ChatML template, 32 px images, 16 image tokens) or, with
  projector="idefics3", SmolVLM's projector, template and image markers in miniature.
- `write_smolvlm_256m_pair`: the shapes and hyperparameters of SmolVLM-256M-Instruct as
  llama.cpp's convert_hf_to_gguf.py writes them (SmolLM2-135M language model; SigLIP
  base-patch16-512 vision tower; "idefics3" projector, pixel shuffle by 4), F16 weights
  (F32 for norms, biases and the patch/position embeddings, as the converter keeps them).

The vocabularies are generated, SentencePiece-style ("llama" tokenizer model) with byte
fallback: any text tokenizes; common English words are single tokens. Only numpy and gguf.
"""

from __future__ import annotations

import string
from pathlib import Path

import gguf
import numpy as np

# Words that become single tokens (with every prefix, so the SentencePiece merges reach them).
WORDS = """the a an and or of to in on at for with from by is are was were be been it
this that these those there here what which who how why when where not no yes do does did
have has had can could will would should may might must i you he she we they me him her us
them my your his its our their image picture photo caption describe describes shows show
cat dog coffee cup man woman people person child tree sky water red green blue white black
small large big little one two three first last over under left right top bottom middle
front back side near next like just very some many more most other new old good bad day
night time way make made see look looks looking sitting standing holding wearing meme
funny pov user assistant system text write short sentence""".split()

SPM_SPECIALS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

# SmolVLM-Instruct's template (images as '<image>'), also taking plain string contents.
SMOLVLM_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}{{ ': ' + message['content'] }}"
    "{% else %}{% if message['content'][0]['type'] == 'image' %}{{ ':' }}"
    "{% else %}{{ ': ' }}{% endif %}{% for line in message['content'] %}"
    "{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}{% endif %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}")


def _spm_vocab(head, tail=(), size=None):
    """(tokens, scores, types): `head` control tokens, 256 byte tokens, characters,
    WORDS and their prefixes, then (to reach `size`) letter pairs/triples, then `tail`
    (control tokens ending the vocabulary, as SmolVLM's added tokens do)."""
    pieces = list(string.ascii_letters + string.digits + string.punctuation)
    pieces += ["\u2581"] + ["\u2581" + c for c in pieces]
    pieces += ["\n\n"]  # one token, as in SmolLM2's vocabulary; libmtmd's idefics3 path looks it up
    for word in WORDS:
        for w in (word, word.capitalize()):
            pieces += [p + w[:n] for p in ("\u2581", "") for n in range(1, len(w) + 1)]
    if size is not None:
        low = string.ascii_lowercase
        pieces += ["\u2581" + a + b for a in low for b in low] + [a + b for a in low for b in low]
        pieces += ["\u2581" + a + b + c for a in low for b in low for c in low]
        pieces += [a + b + c for a in low for b in low for c in low]
        pieces += ["\u2581" + a + b + c + d for a in low for b in low for c in low for d in low]
    pieces = list(dict.fromkeys(p for p in pieces))  # keep order, drop duplicates
    n_fixed = len(head) + 256 + len(tail)
    if size is not None:
        if len(pieces) < size - n_fixed:
            raise ValueError(f"cannot fill a vocabulary of {size}")
        pieces = pieces[:size - n_fixed]
    tokens = list(head) + [f"<0x{b:02X}>" for b in range(256)] + pieces + list(tail)
    types = ([gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * (len(head) - 1)
             + [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * len(pieces)
             + [gguf.TokenType.CONTROL] * len(tail))
    scores = [0.0] * (len(head) + 256) + [-float(i) for i in range(len(pieces))] + [0.0] * len(tail)
    return tokens, scores, types


class _Rand:
    """Seeded random weights: small normals in the chosen float type; ones for norms."""

    def __init__(self, seed, dtype):
        self.rng, self.dtype = np.random.default_rng(seed), dtype

    def __call__(self, *shape, dtype=None, std=0.02):
        x = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        return x.astype(dtype or self.dtype)

    @staticmethod
    def ones(n):
        return np.ones(n, dtype=np.float32)

    @staticmethod
    def zeros(n):
        return np.zeros(n, dtype=np.float32)


def _finish(w: gguf.GGUFWriter) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _write_llama(path, *, name, vocab, bos, eos, template, n_embd, n_ff, n_head, n_head_kv,
                 n_layer, n_ctx, rope_base, tied, rand) -> None:
    """A llama-architecture language model (SmolLM2 is one)."""
    tokens, scores, types = vocab
    n_vocab, head_dim = len(tokens), n_embd // n_head
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(name)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if rand.dtype == np.float16
                    else gguf.LlamaFileType.ALL_F32)
    w.add_context_length(n_ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(rope_base)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(0)
    w.add_bos_token_id(tokens.index(bos))
    w.add_eos_token_id(tokens.index(eos))
    w.add_add_bos_token(False)
    w.add_add_space_prefix(False)  # as the BPE tokenizers of ChatML models: no " " before "\n"
    w.add_chat_template(template)
    w.add_tensor("token_embd.weight", rand(n_vocab, n_embd))
    for i in range(n_layer):
        b = f"blk.{i}."
        w.add_tensor(b + "attn_norm.weight", rand.ones(n_embd))
        w.add_tensor(b + "attn_q.weight", rand(n_embd, n_embd))
        w.add_tensor(b + "attn_k.weight", rand(n_head_kv * head_dim, n_embd))
        w.add_tensor(b + "attn_v.weight", rand(n_head_kv * head_dim, n_embd))
        w.add_tensor(b + "attn_output.weight", rand(n_embd, n_embd))
        w.add_tensor(b + "ffn_norm.weight", rand.ones(n_embd))
        w.add_tensor(b + "ffn_gate.weight", rand(n_ff, n_embd))
        w.add_tensor(b + "ffn_up.weight", rand(n_ff, n_embd))
        w.add_tensor(b + "ffn_down.weight", rand(n_embd, n_ff))
    w.add_tensor("output_norm.weight", rand.ones(n_embd))
    if not tied:  # tied: llama.cpp reads the output projection from token_embd
        w.add_tensor("output.weight", rand(n_vocab, n_embd))
    _finish(w)


def _write_clip(path, *, name, projector, n_embd, n_ff, n_head, n_layer, image_size,
                patch_size, eps, projection, rand, extra_kv=()) -> None:
    """A ViT vision tower (numpy shapes as torch's; GGUF stores them reversed) and the
    projector's tensors, `projection` being a list of (name, array)."""
    n_patches = (image_size // patch_size) ** 2
    w = gguf.GGUFWriter(str(path), "clip")
    w.add_name(name)
    w.add_type("mmproj")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if rand.dtype == np.float16
                    else gguf.LlamaFileType.ALL_F32)
    w.add_clip_has_vision_encoder(True)
    w.add_clip_projector_type(projector)
    w.add_vision_image_size(image_size)
    w.add_vision_patch_size(patch_size)
    w.add_vision_embedding_length(n_embd)
    w.add_vision_feed_forward_length(n_ff)
    w.add_vision_block_count(n_layer)
    w.add_vision_head_count(n_head)
    w.add_vision_attention_layernorm_eps(eps)
    w.add_vision_projection_dim(projection[-1][1].shape[0])
    w.add_vision_image_mean([0.5, 0.5, 0.5])
    w.add_vision_image_std([0.5, 0.5, 0.5])
    w.add_vision_use_gelu(True)
    for add, value in extra_kv:
        getattr(w, add)(value)
    w.add_tensor("v.patch_embd.weight", rand(n_embd, 3, patch_size, patch_size, dtype=np.float32))
    w.add_tensor("v.patch_embd.bias", rand.zeros(n_embd))
    w.add_tensor("v.position_embd.weight", rand(n_patches, n_embd, dtype=np.float32))
    for i in range(n_layer):
        b = f"v.blk.{i}."
        for ln in ("ln1", "ln2"):
            w.add_tensor(b + ln + ".weight", rand.ones(n_embd))
            w.add_tensor(b + ln + ".bias", rand.zeros(n_embd))
        for att in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(b + att + ".weight", rand(n_embd, n_embd))
            w.add_tensor(b + att + ".bias", rand.zeros(n_embd))
        # n_ff != n_embd, else libmtmd takes these for an old file with up/down swapped
        w.add_tensor(b + "ffn_up.weight", rand(n_ff, n_embd))
        w.add_tensor(b + "ffn_up.bias", rand.zeros(n_ff))
        w.add_tensor(b + "ffn_down.weight", rand(n_embd, n_ff))
        w.add_tensor(b + "ffn_down.bias", rand.zeros(n_embd))
    w.add_tensor("v.post_ln.weight", rand.ones(n_embd))
    w.add_tensor("v.post_ln.bias", rand.zeros(n_embd))
    for tensor_name, array in projection:
        w.add_tensor(tensor_name, array)
    _finish(w)


def write_tiny_pair(folder, *, seed=0, projector="mlp") -> tuple[Path, Path]:
    """A pair of about 1 MB, F32. Language model: one llama layer, n_embd 64, a small
    English vocabulary. Vision tower: 2 ViT blocks of width 32, 32 px images in 8 px patches.

    projector="mlp" (LLaVA: mm.0 / GELU / mm.2, ChatML template): every image is resized
    to 32x32 and gives 16 image tokens. (LLaVA's graph stops at the next-to-last block,
    so one block runs.)
    projector="idefics3" (SmolVLM's path, its template and added tokens): pixel shuffle
    by 2, 4 tokens per 32 px tile; the longest edge is scaled to 64, so an image gives
    an overview plus up to 2x2 tiles (4 + 4 per tile tokens, with marker tokens between)."""
    if projector not in ("mlp", "idefics3"):
        raise ValueError(f"projector {projector!r}: 'mlp' or 'idefics3'")
    folder = Path(folder)
    stem = "tiny-vlm" if projector == "mlp" else f"tiny-vlm-{projector}"
    model, mmproj = folder / f"{stem}.gguf", folder / f"mmproj-{stem}.gguf"
    n_text, n_vis = 64, 32
    rand = _Rand(seed, np.float32)
    if projector == "mlp":
        vocab, eos, template = _spm_vocab(SPM_SPECIALS), "<|im_end|>", CHATML
    else:
        vocab = _spm_vocab(SPM_SPECIALS, SMOLVLM_TAIL)
        eos, template = "<end_of_utterance>", SMOLVLM_TEMPLATE
    _write_llama(model, name=f"{stem}-test", vocab=vocab, bos="<s>", eos=eos,
                 template=template, n_embd=n_text, n_ff=128, n_head=4, n_head_kv=4,
                 n_layer=1, n_ctx=512, rope_base=10000.0, tied=False, rand=rand)
    if projector == "mlp":
        projection = [("mm.0.weight", rand(n_text, n_vis)), ("mm.0.bias", rand.zeros(n_text)),
                      ("mm.2.weight", rand(n_text, n_text)), ("mm.2.bias", rand.zeros(n_text))]
        extra = []
    else:
        projection = [("mm.model.fc.weight", rand(n_text, n_vis * 2 * 2))]
        extra = [("add_vision_projector_scale_factor", 2), ("add_vision_preproc_image_size", 64)]
    _write_clip(mmproj, name=f"{stem}-test mmproj", projector=projector,
                n_embd=n_vis, n_ff=96, n_head=4, n_layer=2, image_size=32, patch_size=8,
                eps=1e-6, projection=projection, rand=rand, extra_kv=extra)
    return model, mmproj


# SmolVLM's added tokens (ids 49152...): the global image, the tiles' row/column markers,
# the image markers, the end of a turn.
SMOLVLM_TAIL = (["<global-img>"] + [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
                + ["<fake_token_around_image>", "<image>"]
                + [f"<|reserved_special_token_{i}|>" for i in range(88)]
                + ["<end_of_utterance>"])


def write_smolvlm_256m_pair(folder, *, seed=0, longest_edge=2048) -> tuple[Path, Path]:
    """SmolVLM-256M-Instruct's shapes, random F16 weights (about 460 MB on disk).

    Language model (SmolLM2-135M): llama, 30 layers, n_embd 576, 9 heads / 3 KV heads,
    ff 1536, vocab 49280, tied embeddings, rope base 100000, context 8192.
    Projector "idefics3": SigLIP base (12 blocks, width 768, 12 heads, ff 3072, eps 1e-6),
    512 px tiles of 16 px patches (1024 patches), pixel shuffle by 4 -> 64 tokens per
    tile, mm.model.fc 12288 -> 576. The preprocessor scales the image's longest edge to
    `longest_edge` (preproc_image_size; 2048 is what convert_hf_to_gguf.py writes for it,
    so any image, however small, becomes up to 4x4 tiles + the overview, 17 x 64 = 1088
    tokens for a square one) and cuts 512 px tiles, plus one 512x512 overview."""
    folder = Path(folder)
    model = folder / "SmolVLM-256M-Instruct-random-f16.gguf"
    mmproj = folder / "mmproj-SmolVLM-256M-Instruct-random-f16.gguf"
    rand = _Rand(seed, np.float16)
    head = ["<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"]
    vocab = _spm_vocab(head, SMOLVLM_TAIL, size=49280)
    _write_llama(model, name="SmolVLM-256M-Instruct (random weights)", vocab=vocab,
                 bos="<|im_start|>", eos="<end_of_utterance>", template=SMOLVLM_TEMPLATE,
                 n_embd=576, n_ff=1536, n_head=9, n_head_kv=3, n_layer=30, n_ctx=8192,
                 rope_base=100000.0, tied=True, rand=rand)
    scale = 4
    projection = [("mm.model.fc.weight", rand(576, 768 * scale * scale))]
    _write_clip(mmproj, name="SmolVLM-256M-Instruct (random weights)",
                projector=gguf.VisionProjectorType.IDEFICS3, n_embd=768, n_ff=3072,
                n_head=12, n_layer=12, image_size=512, patch_size=16, eps=1e-6,
                projection=projection, rand=rand,
                extra_kv=[("add_vision_projector_scale_factor", scale),
                          ("add_vision_preproc_image_size", longest_edge)])
    return model, mmproj
