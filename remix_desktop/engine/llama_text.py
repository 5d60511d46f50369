"""The caption model: a GGUF language model through llama-cpp-python.

The prompt comes in segments (the fixed few-shot block, the video's scene, the candidate's
opener). Each segment is evaluated once, as one batch, and kept in the KV cache; a new
candidate only evaluates what differs. Because every segment is always evaluated the same
way, a seed gives the same caption whatever ran before. Sampling (temperature, top-k,
top-p, repetition penalty) is done here in NumPy from the model's logits, with a seeded
generator, which also gives each token's log-probability for reranking.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.captions import Sample


class LlamaTextModel:
    def __init__(self, model_path: str | os.PathLike, *, model_id: str | None = None,
                 n_threads: int | None = None, n_ctx: int = 1024):
        import llama_cpp

        self._llama_cpp = llama_cpp
        path = Path(model_path)
        self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=512,
                                   n_threads=n_threads or os.cpu_count() or 1, verbose=False)
        self.model_id = model_id or path.stem
        meta = self.llm.metadata or {}
        self.name = meta.get("general.name", path.stem)
        self.chat_template = meta.get("tokenizer.chat_template")
        self.n_vocab = self.llm.n_vocab()
        self._eos = {self.llm.token_eos()}
        self._segments: list[tuple[int, ...]] = []
        self._end_logits: np.ndarray | None = None
        self._token_cache: dict[tuple[str, bool], tuple[int, ...]] = {}
        self.tokens_evaluated = 0  # prompt tokens actually sent to the model (for benchmarks)

    @property
    def chat(self) -> bool:
        return bool(self.chat_template)

    def render_chat(self, messages: list[dict]) -> str:
        """An instruction-tuned model's own chat template, up to the assistant's turn."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        bos = self.llm.detokenize([self.llm.token_bos()]).decode("utf-8", "ignore")
        eos = self.llm.detokenize([self.llm.token_eos()]).decode("utf-8", "ignore")
        formatter = Jinja2ChatFormatter(self.chat_template, eos_token=eos, bos_token=bos,
                                        add_generation_prompt=True)
        return formatter(messages=messages).prompt

    def sample(self, segments: Sequence[str], *, seed: int, max_tokens: int = 24,
               temperature: float = 0.9, top_k: int = 40, top_p: float = 0.95,
               repeat_penalty: float = 1.15) -> Sample:
        """Continue the prompt (the joined segments) to the end of the line."""
        logits = self._prepare([self._tokens(s, i == 0) for i, s in enumerate(segments)])
        rng = np.random.default_rng(seed)
        base = self.llm.n_tokens
        out: list[int] = []
        total_logprob = 0.0
        try:
            while len(out) < max_tokens:
                token, logprob = _pick(logits, rng, temperature, top_k, top_p, repeat_penalty,
                                       out, ban=self._eos | self._newline if not out else ())
                if token in self._eos:
                    break
                piece = self.llm.detokenize([token])
                if b"\n" in piece:
                    break
                out.append(token)
                total_logprob += logprob
                self.llm.eval([token])
                logits = self._logits()
        finally:
            self.llm.n_tokens = base  # the next eval drops what this candidate added
        text = self.llm.detokenize(out).decode("utf-8", errors="replace")
        return Sample(text, total_logprob, len(out))

    # -- internals -------------------------------------------------------------------------

    @property
    def _newline(self) -> set[int]:
        if not hasattr(self, "_nl"):
            self._nl = set(self.llm.tokenize(b"\n", add_bos=False, special=False))
        return self._nl

    def _tokens(self, text: str, first: bool) -> tuple[int, ...]:
        key = (text, first)
        if key not in self._token_cache:
            if len(self._token_cache) > 64:
                self._token_cache.clear()
            self._token_cache[key] = tuple(self.llm.tokenize(
                text.encode("utf-8"), add_bos=first, special=False))
        return self._token_cache[key]

    def _prepare(self, segments: list[tuple[int, ...]]) -> np.ndarray:
        """Bring the KV cache to exactly these segments; return the logits after the last."""
        keep = 0
        while (keep < len(segments) and keep < len(self._segments)
               and segments[keep] == self._segments[keep]):
            keep += 1
        if keep == len(segments) == len(self._segments) and self._end_logits is not None:
            self.llm.n_tokens = sum(map(len, segments))
            return self._end_logits
        if sum(map(len, segments)) + 64 > self.llm.n_ctx():
            raise ValueError("the caption prompt is longer than the model's context")
        self.llm.n_tokens = sum(map(len, segments[:keep]))
        self._segments = list(segments[:keep])
        for segment in segments[keep:]:
            self.llm.eval(list(segment))
            self.tokens_evaluated += len(segment)
            self._segments.append(segment)
        self._end_logits = self._logits().copy()
        return self._end_logits

    def _logits(self) -> np.ndarray:
        pointer = self._llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))


def _pick(logits: np.ndarray, rng: np.random.Generator, temperature: float, top_k: int,
          top_p: float, repeat_penalty: float, history: list[int],
          ban=()) -> tuple[int, float]:
    """Sample one token; return it with its log-probability under the raw logits."""
    peak = float(logits.max())
    top = np.flatnonzero(logits >= peak - 12.0)  # the rest is below e^-12 of the best
    if len(top) > top_k:
        top = top[np.argpartition(logits[top], -top_k)[-top_k:]]
    raw = logits[top].astype(np.float64)
    scaled = raw.copy()
    for i, tok in enumerate(top):
        if tok in ban:
            scaled[i] = -np.inf
        elif tok in history:
            scaled[i] = scaled[i] / repeat_penalty if scaled[i] > 0 else scaled[i] * repeat_penalty
    order = np.argsort(-scaled)
    top, raw, scaled = top[order], raw[order], scaled[order]
    probs = np.exp((scaled - scaled[0]) / max(temperature, 1e-4))
    probs /= probs.sum()
    cut = int(np.searchsorted(np.cumsum(probs), top_p)) + 1
    probs = probs[:cut] / probs[:cut].sum()
    choice = int(rng.choice(cut, p=probs))
    log_norm = peak + float(np.log(np.exp(logits - np.float32(peak)).sum(dtype=np.float64)))
    return int(top[choice]), float(raw[choice]) - log_norm
