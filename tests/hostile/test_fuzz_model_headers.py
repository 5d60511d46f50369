"""Fuzzing the model-file validator beyond tests/core/test_model_headers.py's byte mutations:
headers built field by field from hostile values (huge or negative lengths, counts and
shapes, JSON that is not an object, dtypes that are not strings, offsets past the end or
overlapping, unknown GGUF value and tensor types, strings longer than the file, arrays nested
past any limit, names full of terminal escapes), fixed budgets, derandomized.

For every input: `inspect_model` returns a ModelFile or raises ModelFileError (nothing else),
whose message is one printable line naming the file; it takes under PER_INPUT_S; and it never
allocates more than PEAK_BYTES (traced), so a length field of 2**63 is never allocated.
"""

from __future__ import annotations

import json
import re
import struct
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remix_desktop.core.model_headers import ModelFile, ModelFileError, inspect_model
from tests.core.test_model_headers import (ARR, BOOL, F32, STR, U8, U32, U64, gguf_bytes,
                                        gguf_string, gguf_value, safetensors_bytes)

from .conftest import fuzz_settings, record_fuzz

BUDGET_SAFETENSORS = 500
BUDGET_GGUF = 500
BUDGET_RAW = 300
PER_INPUT_S = 2.0
PEAK_BYTES = 8 << 20  # the reader's 1 MiB buffer and a small header, never a declared length

HUGE = [2**31 - 1, 2**32 - 1, 2**32, 2**62, 2**63 - 1, 2**63, 2**64 - 1]
HOSTILE_TEXT = st.sampled_from([
    "", "a", "model.diffusion_model.input_blocks.0.0.weight", "decoder.layers.0.weight",
    "x\ny", "\x1b[2J\x1b[31mred", "\u202eevil", "a\x00b", "é" * 40, "🎬" * 10, "k" * 5000])


def check(data: bytes, suffix: str, name: str = "fuzz") -> ModelFile | ModelFileError:
    """Inspect `data` as a file and check the contract; return the model or the error."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}{suffix}"
        path.write_bytes(data)
        tracemalloc.start()
        start = time.monotonic()
        try:
            result = inspect_model(path)
        except ModelFileError as exc:
            result = exc
        finally:
            took = time.monotonic() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    assert took < PER_INPUT_S, f"took {took:.1f} s"
    assert peak < PEAK_BYTES, f"allocated {peak / 1e6:.0f} MB for a {len(data)}-byte file"
    if isinstance(result, ModelFileError):
        text = str(result)
        assert text.startswith(f"The model file '{name}{suffix}' ") and text.endswith(".")
        assert result.reason and text.isprintable(), repr(text)  # one line, no escapes
        assert len(text) < 600, text[:200]
    else:
        assert isinstance(result, ModelFile) and result.size == len(data)
        assert result.label.isprintable() and result.kind in ("diffusion", "taesd", "caption")
    return result


class Case(tuple):
    def __repr__(self) -> str:
        data, suffix, how = self
        return f"Case({how!r}, {suffix!r}, {len(data)} bytes: {data[:48]!r}...)"


# --------------------------------------------------------------------------- safetensors

def _counts():
    return st.one_of(st.integers(0, 4096), st.sampled_from(HUGE), st.integers(-2**63, -1),
                     st.sampled_from([True, False, 1.5, None, "8", [1], {"a": 1}]))


_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                       st.floats(allow_nan=False), HOSTILE_TEXT)
_json = st.recursive(_json_leaf, lambda c: st.lists(c, max_size=4)
                     | st.dictionaries(HOSTILE_TEXT, c, max_size=4), max_leaves=12)


@st.composite
def tensor_entries(draw, offset: int):
    """One tensor entry: valid (contiguous at `offset`) or with any field made hostile."""
    dtype = draw(st.sampled_from(["F16", "F32", "BF16", "U8", "I64", "F8_E4M3"]))
    size = {"F32": 4, "I64": 8}.get(dtype, 1 if dtype in ("U8", "F8_E4M3") else 2)
    shape = draw(st.lists(st.integers(1, 8), min_size=0, max_size=4))
    n = size
    for d in shape:
        n *= d
    entry = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
    hostile = draw(st.sampled_from([None, None, "dtype", "shape", "offsets", "overlap",
                                    "past_end", "entry", "extra"]))
    if hostile == "dtype":
        entry["dtype"] = draw(st.one_of(HOSTILE_TEXT, _json))
    elif hostile == "shape":
        entry["shape"] = draw(st.one_of(st.lists(_counts(), max_size=7), _json))
    elif hostile == "offsets":
        entry["data_offsets"] = draw(st.one_of(st.lists(_counts(), max_size=3), _json))
    elif hostile == "overlap":
        back = draw(st.integers(1, max(1, offset)))
        entry["data_offsets"] = [max(0, offset - back), max(0, offset - back) + n]
    elif hostile == "past_end":
        start = draw(st.sampled_from(HUGE[:5]))
        entry["data_offsets"] = [start, start + n]
    elif hostile == "entry":
        return draw(_json), 0
    elif hostile == "extra":
        entry[draw(HOSTILE_TEXT)] = draw(_json)
    return entry, n


@st.composite
def safetensors_files(draw) -> Case:
    header: dict = {}
    how = []
    if draw(st.booleans()):
        header["__metadata__"] = draw(st.one_of(st.dictionaries(HOSTILE_TEXT, HOSTILE_TEXT,
                                                                max_size=3), _json))
    offset = 0
    for _ in range(draw(st.integers(0, 6))):
        entry, n = draw(tensor_entries(offset))
        name = draw(HOSTILE_TEXT)
        header[name if name not in header else f"{name}{len(header)}"] = entry
        offset += n
    body: object = header
    shape = draw(st.sampled_from(["object"] * 5 + ["not_object", "deep", "bad_json"]))
    if shape == "not_object":
        body = draw(st.one_of(st.lists(_json, max_size=3), HOSTILE_TEXT, st.integers(),
                              st.none()))
    raw = json.dumps(body).encode("utf-8", "surrogatepass")
    if shape == "deep":
        depth = draw(st.integers(100, 200_000))
        raw = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    elif shape == "bad_json":
        raw = raw[:draw(st.integers(0, len(raw)))] + draw(st.binary(max_size=8))
    how.append(shape)
    length = len(raw)
    lie = draw(st.sampled_from([None] * 4 + ["huge", "short", "long", "zero"]))
    if lie == "huge":
        length = draw(st.sampled_from(HUGE))
    elif lie == "short":
        length = max(0, length - draw(st.integers(1, 16)))
    elif lie == "long":
        length += draw(st.integers(1, 4096))
    elif lie == "zero":
        length = 0
    how.append(f"length={lie or 'true'}")
    data_bytes = max(0, offset + draw(st.integers(-4, 8)))
    data = struct.pack("<Q", length) + raw + bytes(min(data_bytes, 1 << 16))
    suffix = draw(st.sampled_from([".safetensors"] * 8 + [".bin", ".gguf"]))
    return Case((data, suffix, "+".join(how)))


# --------------------------------------------------------------------------- GGUF

VALUE_TYPES = st.one_of(st.integers(0, 12), st.sampled_from([13, 255, 2**31, 2**32 - 1]))


@st.composite
def gguf_values(draw, depth: int = 0) -> tuple[int, bytes]:
    """(type id, encoded value) for a metadata value, often hostile."""
    vtype = draw(VALUE_TYPES)
    if vtype == STR:
        text = draw(HOSTILE_TEXT).encode("utf-8", "surrogatepass")
        lie = draw(st.sampled_from([None, None, "huge", "long"]))
        n = len(text) if lie is None else (draw(st.sampled_from(HUGE)) if lie == "huge"
                                           else len(text) + draw(st.integers(1, 64)))
        return vtype, struct.pack("<Q", n) + text
    if vtype == ARR:
        etype = draw(VALUE_TYPES)
        if depth < 12 and etype == ARR and draw(st.booleans()):
            items = [draw(gguf_values(depth + 1)) for _ in range(draw(st.integers(0, 2)))]
            body = b"".join(v[1][0:0] + struct.pack("<I", v[0])[0:0] + v[1] for v in items)
            count = len(items)
        else:
            count = draw(st.integers(0, 300))
            body = draw(st.binary(max_size=64)) if etype not in (U8, U32) else bytes(
                count * (1 if etype == U8 else 4))
        if draw(st.integers(0, 4)) == 0:
            count = draw(st.sampled_from(HUGE))
        return vtype, struct.pack("<IQ", etype, count) + body
    if vtype in (U8, U32, U64, F32, BOOL):
        return vtype, gguf_value(vtype, draw({U8: st.integers(0, 255),
                                             U32: st.integers(0, 2**32 - 1),
                                             U64: st.integers(0, 2**64 - 1),
                                             F32: st.floats(width=32),
                                             BOOL: st.booleans()}[vtype]))
    return vtype, draw(st.binary(min_size=0, max_size=8))


@st.composite
def gguf_files(draw) -> Case:
    how = []
    kv = []
    if draw(st.booleans()):
        kv.append(gguf_string("general.architecture") + struct.pack("<I", STR)
                  + gguf_string(draw(st.sampled_from(["llama", "gemma3", "x\x1b[0m", ""]))))
    if draw(st.booleans()):
        alignment = draw(st.sampled_from([32, 0, 3, 64, 2**31, 2**32 - 1]))
        kv.append(gguf_string("general.alignment") + struct.pack("<II", U32, alignment))
    for _ in range(draw(st.integers(0, 5))):
        vtype, body = draw(gguf_values())
        key = draw(HOSTILE_TEXT).encode("utf-8", "surrogatepass")
        key_len = len(key) if draw(st.integers(0, 5)) else draw(st.sampled_from(HUGE))
        kv.append(struct.pack("<Q", key_len) + key + struct.pack("<I", vtype) + body)
    tensors = []
    for i in range(draw(st.integers(0, 4))):
        n_dims = draw(st.one_of(st.integers(0, 4), st.sampled_from([5, 2**32 - 1])))
        dims = [draw(st.one_of(st.integers(0, 64), st.sampled_from(HUGE)))
                for _ in range(min(n_dims, 4))]
        gtype = draw(st.one_of(st.sampled_from([0, 1, 2, 8, 12, 30, 39]),
                               st.integers(0, 2**32 - 1)))
        offset = draw(st.one_of(st.just(i * 32), st.integers(0, 2**64 - 1)))
        tensors.append(gguf_string(draw(HOSTILE_TEXT) + str(i)) + struct.pack("<I", n_dims)
                       + b"".join(struct.pack("<Q", d) for d in dims)
                       + struct.pack("<IQ", gtype, offset))
    n_kv, n_tensors = len(kv), len(tensors)
    if draw(st.integers(0, 3)) == 0:
        n_kv = draw(st.one_of(st.sampled_from(HUGE), st.integers(0, 10)))
        how.append("n_kv lies")
    if draw(st.integers(0, 3)) == 0:
        n_tensors = draw(st.one_of(st.sampled_from(HUGE), st.integers(0, 10)))
        how.append("n_tensors lies")
    version = draw(st.sampled_from([3] * 12 + [2] * 3 + [1, 0, 4, 2**32 - 1]))
    data = b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv) + b"".join(kv) \
        + b"".join(tensors)
    data += bytes(-len(data) % 32 + draw(st.integers(0, 256)))
    if draw(st.integers(0, 4)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
        how.append("cut")
    return Case((data, draw(st.sampled_from([".gguf"] * 8 + [".safetensors", ".bin"])),
                 "+".join(how) or "gguf"))


@st.composite
def raw_files(draw) -> Case:
    magic = draw(st.sampled_from([b"", b"GGUF", b"GGUF\x03\x00\x00\x00", b"{",
                                  struct.pack("<Q", 2**63) + b"{", b"\x00" * 8 + b"{"]))
    return Case((magic + draw(st.binary(max_size=1024)),
                 draw(st.sampled_from([".gguf", ".safetensors", ".bin"])), "raw"))


# --------------------------------------------------------------------------- the runs

def _run(name: str, strategy, budget: int, target: str) -> dict[str, int]:
    tried, outcomes = [0], {}

    @fuzz_settings(budget)
    @given(case=strategy)
    def one(case):
        data, suffix, _how = case
        tried[0] += 1
        result = check(data, suffix)
        kind = "refused" if isinstance(result, ModelFileError) else "accepted"
        outcomes[kind] = outcomes.get(kind, 0) + 1
        reason = re.split(r"[(;]| \d", result.reason)[0].strip() if kind == "refused" \
            else result.kind
        outcomes[reason] = outcomes.get(reason, 0) + 1

    start = time.monotonic()
    one()
    seconds = time.monotonic() - start
    record_fuzz(name, target, tried[0], budget, seconds)
    print(f"\n{name}: {tried[0]} inputs in {seconds:.1f} s: {outcomes}")
    return outcomes


def test_fuzz_safetensors_headers():
    outcomes = _run("modelfiles-safetensors", safetensors_files(), BUDGET_SAFETENSORS,
                    "inspect_model on hostile safetensors headers")
    assert outcomes.get("refused", 0) > 0


def test_fuzz_gguf_headers():
    outcomes = _run("modelfiles-gguf", gguf_files(), BUDGET_GGUF,
                    "inspect_model on hostile GGUF headers")
    assert outcomes.get("refused", 0) > 0


def test_fuzz_raw_bytes_behind_a_magic():
    _run("modelfiles-raw", raw_files(), BUDGET_RAW, "inspect_model on random bytes")


# --------------------------------------------------------------------------- one per trick

def _st(header, *, length: int | None = None, data: int = 64) -> bytes:
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(raw) if length is None else length) + raw + bytes(data)


def _entry(dtype="F16", shape=(4,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


@pytest.mark.parametrize("data, reason", [
    (_st({"a": _entry()}, length=2**63), "is not a safetensors or GGUF file"),
    (_st({"a": _entry()}, length=2**64 - 1), "is not a safetensors or GGUF file"),
    (_st({"a": _entry()}, length=50 << 20), "has a truncated header"),
    (_st(b"[1, 2]"), "is not a safetensors or GGUF file"),  # must start with '{'
    (_st(b'{"a": 1'), "has a damaged header (it is not valid JSON)"),
    (_st(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"), "has a damaged header"),
    (_st({"a": _entry(dtype=["F16"])}), "has an unknown dtype ['F16']"),
    (_st({"a": _entry(dtype={"x": 1})}), "has an unknown dtype {'x': 1}"),
    (_st({"a": _entry(dtype=None)}), "has an unknown dtype None"),
    (_st({"a": _entry(dtype="F128")}), "has an unknown dtype 'F128'"),
    (_st({"a": _entry(shape=(-4,))}), "has an invalid shape"),
    (_st({"a": _entry(shape=(2**64,), offsets=(0, 2**65))}), "is truncated"),
    (_st({"a": _entry(offsets=(2**63, 2**63 + 8))}), "is truncated"),
    (_st({"a": _entry(offsets=(56, 64))}, data=60), "is truncated"),
    (_st({"a": _entry(offsets=(-8, 0))}), "has invalid data offsets"),
    (_st({"a": _entry(), "b": _entry(offsets=(4, 12))}, data=64),
     "tensors 'a' and 'b' share bytes"),
    (_st({"a": _entry(), "b": _entry()}, data=64), "tensors 'a' and 'b' share bytes"),
    (_st({"__metadata__": [1]}), "__metadata__ is not an object"),
    (_st({"__metadata__": {}}), "holds no tensors"),
    (_st({"a\n\x1b[2Jb": _entry(shape=(1,) * 6)}), "tensor 'a??[2Jb' has 6 dimensions"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_hostile_safetensors_headers_are_refused_with_a_reason(data, reason):
    result = check(data, ".safetensors")
    assert isinstance(result, ModelFileError) and reason in str(result), result


def _gguf(kv: bytes = b"", tensors: bytes = b"", n_kv: int = 0, n_tensors: int = 0,
          pad: int = 64) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv) + kv + tensors + bytes(pad)


def _kv(key: str, vtype: int, body: bytes) -> bytes:
    return gguf_string(key) + struct.pack("<I", vtype) + body


def _nested_arrays(depth: int) -> bytes:
    body = struct.pack("<IQ", U8, 0)
    for _ in range(depth):
        body = struct.pack("<IQ", ARR, 1) + body
    return body


@pytest.mark.parametrize("data, reason", [
    (_gguf(n_kv=2**64 - 1, n_tensors=2**63), "more than the file can hold"),
    (_gguf(_kv("k", STR, struct.pack("<Q", 2**63) + b"abc"), n_kv=1), "truncated GGUF"),
    (_gguf(struct.pack("<Q", 2**63) + b"k", n_kv=1), "a name is 9223372036854775808 bytes"),
    (_gguf(_kv("k", 13, b""), n_kv=1), "unknown value type 13"),
    (_gguf(_kv("k", 2**32 - 1, b""), n_kv=1), "unknown value type 4294967295"),
    (_gguf(_kv("k", ARR, struct.pack("<IQ", 99, 1)), n_kv=1), "unknown array element type"),
    (_gguf(_kv("k", ARR, struct.pack("<IQ", ARR, 2**62)), n_kv=1), "truncated GGUF"),
    (_gguf(_kv("k", ARR, struct.pack("<IQ", STR, 2**60)), n_kv=1), "truncated GGUF"),
    (_gguf(_kv("k", ARR, _nested_arrays(9)), n_kv=1), "arrays are nested too deeply"),
    (_gguf(_kv("k", ARR, _nested_arrays(5000)), n_kv=1), "arrays are nested too deeply"),
    (_gguf(_kv("general.alignment", U32, struct.pack("<I", 3)), n_kv=1),
     "general.alignment 3 is not a power of two"),
    (_gguf(_kv("general.alignment", STR, gguf_string("x" * 100_000)), n_kv=1),
     "is not a power of two"),
    (_gguf(tensors=gguf_string("t") + struct.pack("<I", 2**32 - 1), n_tensors=1),
     "tensor 't' has 4294967295 dimensions"),
    (_gguf(tensors=gguf_string("t") + struct.pack("<IQIQ", 1, 2**63, 0, 0), n_tensors=1),
     "is truncated"),
    (_gguf(tensors=gguf_string("t") + struct.pack("<IQIQ", 1, 4, 0, 2**64 - 32),
           n_tensors=1), "is truncated"),
    (_gguf(tensors=gguf_string("t") + struct.pack("<IQIQ", 1, 4, 0, 5), n_tensors=1),
     "is not aligned"),
    (_gguf(tensors=gguf_string("t") + struct.pack("<IQIQ", 1, 33, 2, 0), n_tensors=1),
     "does not fill whole blocks"),
    (_gguf(_kv("general.architecture", STR, gguf_string("llama\x1b[31m")), n_kv=1,
           tensors=gguf_string("t") + struct.pack("<IQIQ", 1, 4, 0, 0), n_tensors=1),
     "general.architecture 'llama?[31m' is not a plain name"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_hostile_gguf_headers_are_refused_with_a_reason(data, reason):
    result = check(data, ".gguf")
    assert isinstance(result, ModelFileError) and reason in str(result), result


def test_a_hostile_model_name_is_kept_out_of_the_label():
    data = _gguf(_kv("general.architecture", STR, gguf_string("llama"))
                 + _kv("general.name", STR, gguf_string("Tiny\n\u202eLlama\x1b[2J" + "x" * 200)),
                 n_kv=2, tensors=gguf_string("t") + struct.pack("<IQIQ", 1, 4, 0, 0),
                 n_tensors=1)
    model = check(data, ".gguf")
    assert isinstance(model, ModelFile) and model.family == "llama"
    assert model.label.startswith("Tiny??Llama?[2Jxxx") and model.label.isprintable()
    assert len(model.label) < 130


def test_the_check_can_fail():
    """The contract check itself catches a message with a newline and a slow or greedy run."""
    with pytest.raises(AssertionError):
        check(_gguf(_kv("k", 13, b""), n_kv=1), ".gguf", name="two\nlines")
    with pytest.raises(AssertionError, match="allocated"):
        tracemalloc_peak_check()


def tracemalloc_peak_check():
    tracemalloc.start()
    try:
        _hog = bytearray(PEAK_BYTES + 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"allocated {peak / 1e6:.0f} MB"


def test_a_valid_seed_of_each_format_is_accepted(tmp_path):
    """The builders make files the validator accepts, so refusals above are the mutations'."""
    head, size = safetensors_bytes({"decoder.layers.0.weight": ("F16", [4, 4, 3, 3])})
    assert check(head + bytes(size - len(head)), ".safetensors").kind == "taesd"
    head, size = gguf_bytes([("general.architecture", STR, "llama")],
                            [("token_embd.weight", [8, 4], 0)])
    assert check(head + bytes(size - len(head)), ".gguf").kind == "caption"
