"""A vision caption model: a GGUF language model with its vision projector ("mmproj"),
through llama.cpp's multimodal library (libmtmd, as llama-cpp-python ships it).

It reads the frame's pixels (handed over by core after the consent gate: never a path) and
says in a few words what the frame shows; the caption pipeline then writes its captions over
those words with the same language model (engine.llama_text), as it does over a video's
title and description. The multimodal context is freed before the model, when the worker
ends or loads another model (llama.cpp raises at interpreter exit otherwise).
"""

from __future__ import annotations

import ctypes
import os
import re

import numpy as np

from .llama_text import LlamaTextModel, _pick

INSTRUCTION = ("Say in one short line what this picture shows: the main subject, what is "
               "happening and the mood. No more than twelve words.")
_IMAGE_SLOT = "\u2063IMAGE\u2063"  # where the frame goes in the rendered prompt
_CHUNK_IMAGE = 1  # MTMD_INPUT_CHUNK_TYPE_IMAGE


class LlamaVisionModel(LlamaTextModel):
    def __init__(self, model_path: str | os.PathLike, *, projector_path: str | os.PathLike,
                 model_id: str | None = None, n_threads: int | None = None,
                 n_ctx: int = 2048):
        super().__init__(model_path, model_id=model_id, n_threads=n_threads, n_ctx=n_ctx)
        from llama_cpp import mtmd_cpp

        self._mtmd = mtmd_cpp
        _quiet(mtmd_cpp)
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu = False
        params.print_timings = False
        params.warmup = False
        params.n_threads = n_threads or os.cpu_count() or 1
        ctx = mtmd_cpp.mtmd_init_from_file(os.fsencode(projector_path), self.llm.model, params)
        if not ctx:
            raise ValueError(f"llama.cpp could not load the vision projector "
                             f"{os.path.basename(projector_path)} with this model")
        self._ctx = ctx
        self.llm._stack.callback(self.close)  # freed before the model it was made for
        if not mtmd_cpp.mtmd_support_vision(ctx):
            self.close()
            raise ValueError(f"{os.path.basename(projector_path)} does not read images")
        self.marker = mtmd_cpp.mtmd_default_marker().decode("utf-8")
        self.last_image_tokens = 0  # image tokens of the last frame read (for tests, benches)

    def close(self) -> None:
        if getattr(self, "_ctx", None):
            self._mtmd.mtmd_free(self._ctx)
            self._ctx = None

    def describe(self, rgb: bytes, width: int, height: int, *, seed: int = 0,
                 max_tokens: int = 24) -> str:
        """What the frame shows, in the model's words (one line, at most `max_tokens`)."""
        if self._ctx is None:
            raise ValueError("the vision projector was freed")
        if width <= 0 or height <= 0 or len(rgb) != width * height * 3:
            raise ValueError(f"the frame's pixels ({len(rgb)} bytes) are not {width}x{height} "
                             "RGB")
        m = self._mtmd
        pixels = (ctypes.c_ubyte * len(rgb)).from_buffer_copy(rgb)
        bitmap = m.mtmd_bitmap_init(width, height, pixels)
        if not bitmap:
            raise ValueError("llama.cpp could not take the frame's pixels")
        chunks = m.mtmd_input_chunks_init()
        self._forget()  # the frame goes where the caption prompt's cache was
        try:
            text = self._prompt().encode("utf-8")
            prompt = m.mtmd_input_text()
            prompt.text, prompt.text_len = text, len(text)
            prompt.add_special, prompt.parse_special = True, True
            bitmaps = (m.mtmd_bitmap_p_ctypes * 1)(bitmap)
            status = m.mtmd_tokenize(self._ctx, chunks, ctypes.byref(prompt), bitmaps, 1)
            if status != 0:
                raise ValueError(f"llama.cpp could not read the frame with the prompt "
                                 f"(mtmd_tokenize returned {status})")
            self.last_image_tokens = sum(
                m.mtmd_input_chunk_get_n_tokens(chunk) for chunk in (
                    m.mtmd_input_chunks_get(chunks, i)
                    for i in range(m.mtmd_input_chunks_size(chunks)))
                if m.mtmd_input_chunk_get_type(chunk) == _CHUNK_IMAGE)
            if m.mtmd_helper_get_n_tokens(chunks) + max_tokens > self.llm.n_ctx():
                raise ValueError("the frame and its prompt are longer than the model's context")
            n_past = self._llama_cpp.llama_pos(0)
            status = m.mtmd_helper_eval_chunks(self._ctx, self.llm.ctx, chunks, 0, 0,
                                               self.llm.n_batch, True, ctypes.byref(n_past))
            if status != 0:
                raise ValueError(f"llama.cpp could not encode the frame (status {status})")
            return self._answer(seed, max_tokens)
        finally:
            m.mtmd_input_chunks_free(chunks)
            m.mtmd_bitmap_free(bitmap)
            self._forget()

    def _prompt(self) -> str:
        """The model's own chat template around the frame's marker and the instruction."""
        text = f"{_IMAGE_SLOT}\n{INSTRUCTION}"
        if not self.chat:
            return f"{self.marker}\n{INSTRUCTION}\n"
        try:
            rendered = self.render_chat([{"role": "user", "content": text}])
        except Exception:  # noqa: BLE001 - a template that only takes lists of content parts
            return f"{self.marker}\n{INSTRUCTION}\n"  # plain: weaker, never malformed
        if _IMAGE_SLOT not in rendered:
            rendered = f"{self.marker}\n{rendered}"
        return rendered.replace(_IMAGE_SLOT, self.marker)

    def _answer(self, seed: int, max_tokens: int) -> str:
        """Sample the answer after the frame. Each token is decoded with llama.cpp's own
        positions (llama_batch_get_one): after an image those are not the token count for
        every model (Qwen2.5-VL's M-RoPE counts the image by its grid)."""
        llama_cpp = self._llama_cpp
        rng = np.random.default_rng(seed)
        out: list[int] = []
        logits = self._logits()
        token_buffer = (llama_cpp.llama_token * 1)()  # referenced while the batch is decoded
        while len(out) < max_tokens:
            token, _ = _pick(logits, rng, 0.3, 20, 0.9, 1.15, out,
                             ban=self._eos | self._newline if not out else ())
            if token in self._eos or self._is_eog(token):
                break
            if b"\n" in self.llm.detokenize([token]):
                break
            out.append(token)
            token_buffer[0] = token
            if llama_cpp.llama_decode(self.llm.ctx,
                                      llama_cpp.llama_batch_get_one(token_buffer, 1)) != 0:
                break  # the context is full: the answer so far
            logits = self._logits()
        return _one_line(self.llm.detokenize(out).decode("utf-8", errors="replace"))

    def _forget(self) -> None:
        """Drop what the caption prompt kept in the KV cache (and what the frame put there):
        the next prompt is evaluated afresh."""
        self.llm.n_tokens = 0
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)  # positions start at 0 again
        self._segments.clear()
        self._seg_logits.clear()
        self._end_logits = None


_LOG_ERROR = 4  # GGML_LOG_LEVEL_ERROR
_log_callback = None  # kept referenced: libmtmd calls it for as long as the process lives


def _quiet(mtmd_cpp) -> None:
    """libmtmd writes every tensor and every image slice to stderr: keep only its errors."""
    global _log_callback
    if _log_callback is not None:
        return
    import sys

    import llama_cpp

    @llama_cpp.llama_log_callback
    def errors_only(level, text, _user_data):
        if level == _LOG_ERROR:
            sys.stderr.write(text.decode("utf-8", errors="replace"))

    _log_callback = errors_only
    mtmd_cpp.mtmd_log_set(errors_only, None)
    mtmd_cpp.mtmd_helper_log_set(errors_only, None)


def _one_line(text: str) -> str:
    """The answer as a description's words: one line, no markup, no closing full stop; ""
    when it is not words (a broken or untrained model), so nothing is suggested from it."""
    text = re.sub(r"<[^>]{1,40}>", " ", text)
    text = " ".join(text.split()).strip(" .\"'")
    words = text.split()
    plain = [w for w in words if re.fullmatch(r"[A-Za-z][a-z'-]*[,.!?]?", w)]
    if "\ufffd" in text or not words or len(plain) < 0.8 * len(words):
        return ""
    return text[:200]
