"""img2img through the real stable-diffusion.cpp in the engine worker from a GGUF file: the
all-zero SDXS-512 fixture written by our own GGUF writer (tests/sd_fixture.py)."""

from __future__ import annotations

import io
import random
import struct

import pytest
from PIL import Image

from remix_desktop.engine.client import EngineError
from remix_desktop.engine.protocol import Img2ImgJob

from remix_desktop.core.model_headers import inspect_model

from ..sd_fixture import frame_png as _png
from ..sd_fixture import (build_sdxs_fixture, build_sdxs_gguf_fixture, gguf_header,
                          taesd_tensors, write_sparse_safetensors)

LOADING = "loading the image model"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """(GGUF, safetensors) of the same checkpoint: sparse, built in milliseconds."""
    folder = tmp_path_factory.mktemp("sdxs-gguf")
    return build_sdxs_gguf_fixture(folder), build_sdxs_fixture(folder)[0]


def _job(model, **kw):
    args = dict(prompt="a cat in a hat", negative_prompt="blurry", strength=0.5, steps=2,
                cfg=1.0, sampler="euler_a", seed=7, width=64, height=64, n_threads=2)
    args.update(kw)
    return lambda job_id: Img2ImgJob(job_id, str(model), None, _png(), **args)


def test_img2img_from_the_gguf_fixture_returns_the_image_with_progress(client, fixtures):
    gguf, _ = fixtures
    seen = []
    done = client.run(_job(gguf), on_progress=seen.append)
    image = Image.open(io.BytesIO(done.result))
    assert image.format == "PNG" and image.size == (64, 64) and image.mode == "RGB"
    assert seen[0].message == LOADING
    sampling = [p for p in seen if p.message == "sampling"]
    assert [p.done for p in sampling if p.done] == [1, 2]  # steps 2, strength 0.5: 2 run
    assert sampling[-1].done == sampling[-1].total == 2
    previews = [Image.open(io.BytesIO(p.preview)) for p in sampling if p.preview]
    assert previews and previews[0].size == (8, 8), "a latent-sized preview per step"
    t = done.timings
    assert t["family"] == "sdxs" and t["load_s"] > 0 and t["steps"] == 2

    again = client.run(_job(gguf, width=128, height=96, steps=1, strength=1.0))
    assert Image.open(io.BytesIO(again.result)).size == (128, 96)
    assert again.timings["load_s"] == 0.0, "the GGUF model stayed loaded"
    assert client.starts == 1


def test_the_gguf_and_the_safetensors_fixture_give_the_same_image(client, fixtures):
    """Same tensors, same zeros: the F32 norms and biases of the GGUF change nothing."""
    gguf, safetensors = fixtures
    a = client.run(_job(gguf, steps=1))
    b = client.run(_job(safetensors, steps=1))
    assert b.timings["load_s"] > 0, "a second load in the same worker"
    assert (Image.open(io.BytesIO(a.result)).tobytes()
            == Image.open(io.BytesIO(b.result)).tobytes())


def _tensor_infos(raw: bytes, at: int, count: int) -> tuple[dict, list[int]]:
    """{name: (dims, ggml type)} and the offsets, in file order, of a GGUF tensor table."""
    infos, offsets = {}, []
    for _ in range(count):
        (length,) = struct.unpack_from("<Q", raw, at)
        name = raw[at + 8:at + 8 + length].decode()
        at += 8 + length
        (n_dims,) = struct.unpack_from("<I", raw, at)
        dims = struct.unpack_from(f"<{n_dims}Q", raw, at + 4)
        at += 4 + 8 * n_dims
        ggml_type, offset = struct.unpack_from("<IQ", raw, at)
        at += 12
        infos[name] = (dims, ggml_type)
        offsets.append(offset)
    return infos, offsets


def test_our_writer_matches_stable_diffusion_cpps_own_gguf_converter(tmp_path):
    """sd.cpp's converter (src/convert.cpp, ggml's gguf writer) turns a safetensors TAESD into
    a GGUF with no KV pairs; our writer gives every tensor the same name, ggml-order dims and
    type, and the same padded data section. (The converter's tensor order follows its
    threaded loading, so it differs from run to run: tensors are compared by name.)"""
    import stable_diffusion_cpp as sd_cpp

    shapes = taesd_tensors()
    source = write_sparse_safetensors(tmp_path / "taesd.safetensors", shapes, "F16")
    converted = tmp_path / "taesd.gguf"
    assert sd_cpp.convert(str(source).encode(), b"", str(converted).encode(), 1, b"", False)
    theirs = converted.read_bytes()
    assert theirs[:24] == b"GGUF" + struct.pack("<IQQ", 3, len(shapes), 0)
    ours, size = gguf_header(shapes, "F16")
    kv = 8 + len("general.alignment") + 4 + 4  # our one KV pair, theirs has none
    our_infos, our_offsets = _tensor_infos(ours, 24 + kv, len(shapes))
    their_infos, their_offsets = _tensor_infos(theirs, 24, len(shapes))
    assert our_infos == their_infos and len(our_infos) == len(shapes)
    for offsets, infos in ((our_offsets, our_infos), (their_offsets, their_infos)):
        assert offsets[0] == 0 and offsets == sorted(offsets)  # packed in file order
    infos_bytes = sum(8 + len(name) + 4 + 8 * len(shape) + 4 + 8
                      for name, shape in shapes.items())
    data_start = -(-(24 + infos_bytes) // 32) * 32
    assert len(theirs) - data_start == size - len(ours), "the same padded data section"
    assert inspect_model(converted).family == "taesd"


def _truncated(gguf, bad):
    """The fixture cut in the middle of its tensor data (the header is whole)."""
    with open(gguf, "rb") as src, open(bad, "wb") as dst:
        dst.write(src.read(1 << 17))  # the header is about 61 KiB
        dst.truncate(gguf.stat().st_size // 2)


def _garbage(gguf, bad):
    """The GGUF magic and version 3, then random bytes where the counts and KV pairs go."""
    bad.write_bytes(b"GGUF" + struct.pack("<I", 3) + random.Random(1).randbytes(1 << 16))


@pytest.mark.parametrize("damage, reason", [
    (_truncated, r"is truncated \(the data of tensor '.+' lies past the end of the file\)"),
    (_garbage, r"has a damaged GGUF header \(it declares \d+ tensors"),
], ids=["truncated", "garbage"])
def test_a_damaged_gguf_is_refused_before_loading(client, fixtures, tmp_path, damage, reason):
    gguf, _ = fixtures
    client.run(_job(gguf, steps=1))
    pid = client.pid
    bad = tmp_path / "bad.gguf"
    damage(gguf, bad)
    seen = []
    with pytest.raises(EngineError, match=f"The model file 'bad.gguf' {reason}") as err:
        client.run(_job(bad), on_progress=seen.append)
    assert "Traceback" not in str(err.value)
    assert LOADING not in [p.message for p in seen], "refused from the header alone"
    assert client.pid == pid, "the worker lives on"
    done = client.run(_job(gguf, steps=1))
    assert done.timings["load_s"] == 0.0, "the good model was never unloaded"
    assert Image.open(io.BytesIO(done.result)).size == (64, 64)
