"""The caption model: a GGUF language model through llama-cpp-python.

Three things are asked of it: `score` (the log-probability of finished lines after a prompt,
each line evaluated as one batch with the logits of every position), `fill` (a short slot
of a meme format, sampled under a token mask: lower-case word pieces only, ending only after
a word that can end a clause) and `sample` (free continuation to the end of the line).

The prompt comes in segments (the fixed few-shot block, the video's scene, the candidate's
opener). Each segment is evaluated once, as one batch, and kept in the KV cache; a new
candidate only evaluates what differs. Because every segment is always evaluated the same
way, a seed gives the same caption whatever ran before. Sampling (temperature, top-k,
top-p, repetition penalty) is done here in NumPy from the model's logits, with a seeded
generator, which also gives each token's log-probability for reranking.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.captions import Sample
from ..core.meme_formats import OPEN_END as DANGLING

_WORD_PIECE = re.compile(r"^ ?[a-z']+$")
_SPECIAL_LIKE = re.compile(r"<(\|?[/\w.-]{1,40}\|?)>")


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
        vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        for getter in ("llama_vocab_eot", "llama_vocab_eos"):
            token = getattr(llama_cpp, getter, lambda _v: -1)(vocab)
            if token is not None and token >= 0:
                self._eos.add(int(token))
        self._vocab = vocab
        self._pieces: dict[int, str] = {}
        self._segments: list[tuple[int, ...]] = []
        self._seg_logits: list[np.ndarray] = []  # the logits after each cached segment
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
        # the template's own markers become special tokens (see _tokens); text that only
        # looks like one, in the video's words, must not: "<|im_end|>" -> "‹|im_end|›"
        safe = [{**m, "content": _SPECIAL_LIKE.sub(
            lambda x: "\u2039" + x.group(1) + "\u203a", str(m.get("content", "")))}
                for m in messages]
        prompt = formatter(messages=safe).prompt
        if bos and prompt.startswith(bos):
            prompt = prompt[len(bos):]  # tokenize adds it
        return prompt

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
                if token in self._eos or self._is_eog(token):
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

    def score(self, segments: Sequence[str],
              lines: Sequence[Sequence[tuple[str, bool]]]) -> list[tuple[float, int]]:
        """(log-probability, tokens scored) of each line after the prompt. A line is a list of
        (text, scored) parts: only the tokens of scored parts, and the end of the line after
        them, are scored (a line that should go on scores lower). Logits only where they are
        needed: Gemma's output layer over 262k tokens costs more than the rest of the model.

        All the lines go in one batch, each as its own sequence over the shared prompt (a
        second llama.cpp context with several sequences in one KV buffer), so the weights
        are read once for all of them rather than once a line; where that context cannot be
        made, one batch a line in the main context."""
        prefix = [self._tokens(s, i == 0) for i, s in enumerate(segments)]
        pieces = [self._line_tokens(parts) for parts in lines]
        scorer = self._batch_scorer()
        if scorer is not None:
            out = scorer.score([t for seg in prefix for t in seg], pieces,
                               self._newline_token)
            self.tokens_evaluated += scorer.evaluated
            scorer.evaluated = 0
            return out
        return self._score_one_by_one(prefix, lines)

    def _line_tokens(self, parts) -> tuple[list[int], list[bool]]:
        """A line's tokens, and for each whether it is in a scored part."""
        tokens: list[int] = []
        wanted: list[bool] = []
        for text, scored in parts:
            piece = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            tokens.extend(piece)
            wanted.extend([scored] * len(piece))
        return tokens, wanted

    def _batch_scorer(self):
        if not hasattr(self, "_scorer"):
            try:
                self._scorer = _BatchScorer(self.llm, self.n_vocab)
            except Exception:  # noqa: BLE001 - an older llama.cpp: the one-by-one path
                self._scorer = None
        return self._scorer

    def _score_one_by_one(self, prefix, lines) -> list[tuple[float, int]]:
        import llama_cpp

        newline = self._newline_token
        out = []
        for parts in lines:
            end_logits = self._prepare(prefix)
            base = self.llm.n_tokens
            tokens, wanted = self._line_tokens(parts)
            if not tokens:
                out.append((-99.0, 0))
                continue
            if base + len(tokens) + 2 > self.llm.n_ctx():
                raise ValueError("the caption prompt is longer than the model's context")
            # the row at position i predicts token i + 1; the last row predicts the newline
            rows = [i for i in range(len(tokens)) if i + 1 == len(tokens) or wanted[i + 1]]
            batch = self.llm._batch
            batch.set_batch(tokens, n_past=base, logits_all=False)
            for i in range(len(tokens)):
                batch.batch.logits[i] = i in rows
            total, scored = 0.0, 0
            try:
                self.llm._ctx.kv_cache_seq_rm(-1, base, -1)  # what a fill or sample left
                self.llm._ctx.decode(batch)
                if wanted[0]:
                    total, scored = _logprob(end_logits, tokens[0]), 1
                for i in rows:
                    row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, i),
                                                shape=(self.n_vocab,))
                    target = tokens[i + 1] if i + 1 < len(tokens) else newline
                    total += _logprob(row, target)
                    scored += 1
            finally:
                self.llm._ctx.kv_cache_seq_rm(-1, base, -1)
                self.llm.n_tokens = base
            self.tokens_evaluated += len(tokens)
            out.append((float(total), scored))
        return out

    def fill(self, segments: Sequence[str], *, seed: int, min_words: int = 2,
             max_words: int = 6, max_tokens: int = 12, temperature: float = 0.8,
             top_k: int = 40, top_p: float = 0.95) -> Sample:
        """A short slot after the prompt, under a token mask: only pieces of lower-case words
        (a leading space starts a new word), at most `max_words` words; the line may end
        (a newline, the end of text or a full stop) only after `min_words` words and never on
        a word that leaves the clause open ("the", "to", "and", ...). Returns "" when no
        allowed token is left."""
        logits = self._prepare([self._tokens(s, i == 0) for i, s in enumerate(segments)])
        rng = np.random.default_rng(seed)
        base = self.llm.n_tokens
        out: list[int] = []
        words: list[str] = []
        total = 0.0
        ended = False
        try:
            while len(out) < max_tokens:
                last = words[-1] if words else ""
                can_end = len(words) >= min_words and last not in DANGLING

                def allowed(tok: int) -> bool:
                    piece = self._piece(tok)
                    if tok in self._eos or "\n" in piece or self._is_eog(tok):
                        return can_end
                    if piece == ".":
                        return can_end
                    if not _WORD_PIECE.match(piece):
                        return False
                    if piece.startswith(" "):
                        return len(words) < max_words
                    return bool(words)  # a piece that continues the word
                token, logprob = _pick_masked(logits, rng, temperature, top_k, top_p, allowed)
                if token is None:
                    break
                total += logprob
                if (token in self._eos or "\n" in self._piece(token) or self._is_eog(token)
                        or self._piece(token) == "."):
                    ended = True
                    break
                piece = self._piece(token)
                if piece.startswith(" "):
                    words.append(piece.strip())
                else:
                    words[-1] += piece
                out.append(token)
                self.llm.eval([token])
                logits = self._logits()
        finally:
            self.llm.n_tokens = base
        text = self.llm.detokenize(out).decode("utf-8", errors="replace").strip()
        if not ended:
            text = ""  # it never reached an allowed end: not a whole clause
        return Sample(text, total, len(out) + 1)

    # -- internals -------------------------------------------------------------------------

    def _piece(self, token: int) -> str:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self.llm.detokenize([token]).decode("utf-8", errors="replace")
            self._pieces[token] = piece
        return piece

    def _is_eog(self, token: int) -> bool:
        try:
            return bool(self._llama_cpp.llama_vocab_is_eog(self._vocab, token))
        except (AttributeError, TypeError):
            return False

    @property
    def _newline_token(self) -> int:
        return next(iter(self._newline)) if self._newline else self.llm.token_eos()

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
            # a chat prompt's first segment is the rendered template: its markers
            # (<|im_start|>, <start_of_turn>) are special tokens, not characters
            self._token_cache[key] = tuple(self.llm.tokenize(
                text.encode("utf-8"), add_bos=first, special=first and self.chat))
        return self._token_cache[key]

    def _prepare(self, segments: list[tuple[int, ...]]) -> np.ndarray:
        """Bring the KV cache to exactly these segments; return the logits after the last.

        The logits after each segment are kept: going back to a shorter prefix (a score
        after a fill) must hand back the logits at the end of that prefix, not those of the
        last token decoded, or a seed's captions would depend on what ran before."""
        keep = 0
        while (keep < len(segments) and keep < len(self._segments)
               and segments[keep] == self._segments[keep]):
            keep += 1
        if keep and keep == len(segments):  # the prefix is in the cache already
            self.llm.n_tokens = sum(map(len, segments))
            del self._segments[keep:], self._seg_logits[keep:]
            self._end_logits = self._seg_logits[-1]
            return self._end_logits
        if sum(map(len, segments)) + 64 > self.llm.n_ctx():
            raise ValueError("the caption prompt is longer than the model's context")
        self.llm.n_tokens = sum(map(len, segments[:keep]))
        del self._segments[keep:], self._seg_logits[keep:]
        for segment in segments[keep:]:
            self.llm.eval(list(segment))
            self.tokens_evaluated += len(segment)
            self._segments.append(segment)
            self._seg_logits.append(self._logits().copy())
        self._end_logits = self._seg_logits[-1]
        return self._end_logits

    def _logits(self) -> np.ndarray:
        pointer = self._llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))


class _BatchScorer:
    """Scores many lines after one prompt in a single decode: a llama.cpp context of its own
    with up to MAX_SEQS sequences in one KV buffer. The prompt (all but its last token) is
    kept in sequence 0; each line is a sequence that shares those cells, starting with the
    prompt's last token so that its first row predicts the line's first token."""

    MAX_SEQS = 16

    def __init__(self, llm, n_vocab: int):
        import llama_cpp
        from llama_cpp import _internals

        self._llama_cpp = llama_cpp
        params = type(llm.context_params).from_buffer_copy(llm.context_params)
        params.n_seq_max = self.MAX_SEQS
        params.kv_unified = True
        self.n_ctx = int(params.n_ctx)
        self.n_batch = int(params.n_batch)
        self.ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=self.n_batch, embd=0,
                                           n_seq_max=self.MAX_SEQS, verbose=False)
        self.n_vocab = n_vocab
        self.cached: list[int] = []  # the tokens in sequence 0
        self.evaluated = 0

    def score(self, prompt: list[int], lines, newline: int) -> list[tuple[float, int]]:
        head, last = prompt[:-1], prompt[-1]
        self._keep(head)
        out: list[tuple[float, int] | None] = [None] * len(lines)
        todo = [i for i, (tokens, _) in enumerate(lines) if tokens]
        for i, (tokens, _) in enumerate(lines):
            if not tokens:
                out[i] = (-99.0, 0)
            elif len(head) + len(tokens) + 3 > self.n_ctx:
                raise ValueError("the caption prompt is longer than the model's context")
        while todo:
            group, size = [], 0
            while todo and len(group) < self.MAX_SEQS - 1 and (
                    not group or size + len(lines[todo[0]][0]) + 1 <= self.n_batch):
                size += len(lines[todo[0]][0]) + 1
                group.append(todo.pop(0))
            for i, total in zip(group, self._decode(head, last, [lines[i] for i in group],
                                                    newline)):
                out[i] = total
        return out  # type: ignore[return-value]

    def _decode(self, head, last, group, newline) -> list[tuple[float, int]]:
        llama_cpp = self._llama_cpp
        b = self.batch.batch
        base = len(head)
        n, wanted_rows = 0, []
        for seq, (tokens, wanted) in enumerate(group, 1):
            self.ctx.kv_cache_seq_rm(seq, 0, -1)
            if base:
                self.ctx.kv_cache_seq_cp(0, seq, 0, base)
            full = [last, *tokens]
            rows = []
            for j, token in enumerate(full):
                b.token[n] = token
                b.pos[n] = base + j
                b.n_seq_id[n] = 1
                b.seq_id[n][0] = seq
                # the row at j predicts full[j + 1]; the last one predicts the newline
                ask = j + 1 == len(full) or wanted[j]
                b.logits[n] = ask
                if ask:
                    target = full[j + 1] if j + 1 < len(full) else newline
                    rows.append((n, target))
                n += 1
            wanted_rows.append(rows)
        b.n_tokens = n
        try:
            self.ctx.decode(self.batch)
            self.evaluated += n
            out = []
            for rows in wanted_rows:
                total = 0.0
                for row, target in rows:
                    logits = np.ctypeslib.as_array(
                        llama_cpp.llama_get_logits_ith(self.ctx.ctx, row), shape=(self.n_vocab,))
                    total += _logprob(logits, target)
                out.append((float(total), len(rows)))
            return out
        finally:
            for seq in range(1, len(group) + 1):
                self.ctx.kv_cache_seq_rm(seq, 0, -1)

    def _keep(self, head: list[int]) -> None:
        """Sequence 0 holds exactly `head`: what is shared is kept, the rest decoded."""
        same = 0
        while same < min(len(head), len(self.cached)) and head[same] == self.cached[same]:
            same += 1
        if same < len(self.cached):
            self.ctx.kv_cache_seq_rm(0, same, -1)
            del self.cached[same:]
        b = self.batch.batch
        for start in range(same, len(head), self.n_batch):
            chunk = head[start:start + self.n_batch]
            for j, token in enumerate(chunk):
                b.token[j] = token
                b.pos[j] = start + j
                b.n_seq_id[j] = 1
                b.seq_id[j][0] = 0
                b.logits[j] = False
            b.n_tokens = len(chunk)
            self.ctx.decode(self.batch)
            self.evaluated += len(chunk)
            self.cached.extend(chunk)


def _logprob(logits: np.ndarray, token: int) -> float:
    peak = float(logits.max())
    log_norm = peak + float(np.log(np.exp(logits - np.float32(peak)).sum(dtype=np.float64)))
    return float(logits[token]) - log_norm


def _pick_masked(logits: np.ndarray, rng: np.random.Generator, temperature: float,
                 top_k: int, top_p: float, allowed) -> tuple[int | None, float]:
    """Sample among the best allowed tokens: the top 64, then the top 2048 when none of
    those is allowed (a mask over the whole vocabulary would cost more than the model)."""
    for width in (64, 2048):
        top = np.argpartition(logits, -width)[-width:]
        top = top[np.argsort(-logits[top])]
        keep = [int(t) for t in top if allowed(int(t))][:top_k]
        if keep:
            break
    else:
        return None, 0.0
    raw = logits[keep].astype(np.float64)
    probs = np.exp((raw - raw[0]) / max(temperature, 1e-4))
    probs /= probs.sum()
    cut = int(np.searchsorted(np.cumsum(probs), top_p)) + 1
    probs = probs[:cut] / probs[:cut].sum()
    choice = int(rng.choice(cut, p=probs))
    return keep[choice], _logprob(logits, keep[choice])


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
