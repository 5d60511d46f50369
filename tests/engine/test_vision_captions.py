"""A vision caption model through llama.cpp's real multimodal library (libmtmd): a tiny
random-weight pair (a two-block vision tower, an idefics3 or mlp projector and a one-layer
language model, written by tests/vlm_fixture.py) added with `models add`, run by the worker
on the frame's own pixels, cancelled, and refused when the pair does not fit."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

from remix_desktop.core.captions import CaptionContext
from remix_desktop.core.home import Home
from remix_desktop.core.remix import CaptionModel, FramePixels
from remix_desktop.core.model_kinds import CaptionBackend
from remix_desktop.engine.client import EngineCaptions, EngineClient, EngineError, JobCancelled
from tests import clips as make
from tests.cli.test_cli import cli
from tests.vlm_fixture import write_tiny_pair

pytest.importorskip("llama_cpp.mtmd_cpp")

CONTEXT = CaptionContext(title="Sunday", tags=("cat",))


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    """The idefics3 pair: its image token count follows the frame's shape (tiles)."""
    return write_tiny_pair(tmp_path_factory.mktemp("vlm-tiles"), projector="idefics3")


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return write_tiny_pair(tmp_path_factory.mktemp("vlm-mlp"))


def frame(width, height, seed=0) -> FramePixels:
    rgb = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    return FramePixels.of(rgb)


def test_the_model_encodes_the_pixels_it_is_handed(tiles, mlp):
    from remix_desktop.engine.llama_vision import LlamaVisionModel

    model = LlamaVisionModel(tiles[0], projector_path=tiles[1], n_threads=1)
    try:
        counts = {}
        for size in ((320, 180), (300, 100)):
            f = frame(*size)
            model.describe(f.rgb, f.width, f.height)
            counts[size] = model.last_image_tokens
        assert counts == {(320, 180): 20, (300, 100): 12}  # 2x2 tiles + overview; 2x1 + 1
        with pytest.raises(ValueError, match="not 10x10 RGB"):
            model.describe(b"\0" * 10, 10, 10)
        # the captions after the frame are written over the same model, from a clean cache
        from remix_desktop.core.captions import generate_captions

        run = generate_captions(model, CONTEXT, count=2, seed=3)
        again = generate_captions(model, CONTEXT, count=2, seed=3)
        assert [c.text for c in run.captions] == [c.text for c in again.captions]
    finally:
        model.close()
    fixed = LlamaVisionModel(mlp[0], projector_path=mlp[1], n_threads=1)
    try:
        for size in ((64, 48), (640, 360)):
            f = frame(*size)
            fixed.describe(f.rgb, f.width, f.height)
            assert fixed.last_image_tokens == 16  # resized to its 32 px square: 4x4 patches
    finally:
        fixed.close()


def test_an_untrained_models_noise_is_not_suggested_as_a_description(mlp):
    from remix_desktop.engine.llama_vision import LlamaVisionModel, _one_line

    assert _one_line("A cat asleep on a sunny windowsill.") == "A cat asleep on a sunny windowsill"
    assert _one_line("\ufffdholdin*desjustLikeTime ph loofir") == ""
    model = LlamaVisionModel(mlp[0], projector_path=mlp[1], n_threads=1)
    try:
        f = frame(32, 32)
        assert model.describe(f.rgb, f.width, f.height) == ""  # random weights say nothing
    finally:
        model.close()


@pytest.fixture
def engine(tmp_path):
    client = EngineClient(Home(tmp_path / "h").ensure(), name="caption engine")
    yield client
    client.stop()


def test_the_worker_reads_the_frame_then_writes_and_a_cancel_leaves_it_ready(engine, tiles):
    captions = EngineCaptions(engine, n_threads=1)
    model = CaptionModel("tiny-vlm", tiles[0], CaptionBackend.VISION, tiles[1])
    stages = []
    run = captions.captions(CONTEXT, count=2, seed=1, model=model, frame=frame(300, 100),
                            progress=lambda d, t, message: stages.append(message))
    assert run.backend == "vision" and len(run.captions) == 2
    assert captions.last_timings["image_tokens"] == 12
    assert stages.index("reading the frame") < stages.index("writing captions")
    old_pid, started = engine.pid, threading.Event()

    def cancel_on_reading(done, total, message):
        if message == "reading the frame":
            started.set()
            engine.cancel()

    with pytest.raises(JobCancelled):
        captions.captions(CONTEXT, count=2, seed=2, model=model, frame=frame(320, 180),
                          progress=cancel_on_reading)
    assert started.is_set()
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)
    again = captions.captions(CONTEXT, count=2, seed=2, model=model, frame=frame(320, 180))
    assert len(again.captions) == 2 and captions.last_timings["image_tokens"] == 20
    assert engine.starts == 2


def test_a_pair_that_does_not_fit_is_refused_before_llama_cpp(engine, tiles, tmp_path):
    from tests.core.test_vision_pairs import projector

    wide = projector(tmp_path / "mmproj-wide.gguf", width=2048)
    captions = EngineCaptions(engine, n_threads=1)
    with pytest.raises(EngineError, match="projector for another model"):
        captions.captions(CONTEXT, model=CaptionModel("x", tiles[0], CaptionBackend.VISION,
                                                      wide), frame=frame(32, 32))
    cut = tmp_path / "mmproj-cut.gguf"
    cut.write_bytes(tiles[1].read_bytes()[:5000])
    with pytest.raises(EngineError, match="truncated"):
        captions.captions(CONTEXT, model=CaptionModel("x", tiles[0], CaptionBackend.VISION,
                                                      cut), frame=frame(32, 32))
    with pytest.raises(ValueError, match="needs its projector and the frame"):
        captions.captions(CONTEXT, model=CaptionModel("x", tiles[0], CaptionBackend.VISION,
                                                      tiles[1]))


def test_remix_with_a_vision_model_from_the_cli_says_its_back_end(tmp_path, tiles):
    home = tmp_path / "home"
    wide = make.make_clip(tmp_path / "wide.mp4", size="300x100", seconds=1)
    added = cli(home, "models", "add", str(tiles[1]), str(tiles[0]))
    assert added.returncode == 0, added.stderr
    imported = json.loads(cli(home, "import", str(wide), "--json").stdout)["imported"]
    cli(home, "permission", "allow", str(imported[0]["id"]))
    result = cli(home, "remix", str(imported[0]["id"]), "--model", tiles[0].name,
                 "--candidates", "2", "--out", str(tmp_path / "out"),
                 "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["caption_model"], out["caption_backend"]) == (tiles[0].name, "vision")
    assert out["timings"]["captions_image_tokens"] == 12  # the 300x100 frame itself
    assert out["captions"] and out["previews"]
    denied = cli(home, "permission", "deny", str(imported[0]["id"]))
    assert denied.returncode == 0
    refused = cli(home, "remix", str(imported[0]["id"]), "--model", tiles[0].name, "--out",
                  str(tmp_path / "out"), "--json")
    assert refused.returncode == 3  # the gate, before any model reads the frame


def test_a_crash_or_a_kill_while_reading_the_frame_is_one_sentence_then_a_fresh_worker(
        engine, tiles):
    import signal

    from remix_desktop.engine.client import EngineCrashed

    captions = EngineCaptions(engine, n_threads=1)
    model = CaptionModel("tiny-vlm", tiles[0], CaptionBackend.VISION, tiles[1])
    for sig, said in ((signal.SIGSEGV, "crashed \\(SIGSEGV\\)"),
                      (signal.SIGKILL, "killed, perhaps for lack of memory")):
        def die(done, total, message, sig=sig):
            if message == "reading the frame":
                os.kill(engine.pid, sig)

        with pytest.raises(EngineCrashed, match=said):
            captions.captions(CONTEXT, count=2, model=model, frame=frame(64, 64),
                              progress=die)
        run = captions.captions(CONTEXT, count=2, model=model, frame=frame(64, 64))
        assert len(run.captions) == 2 and run.backend == "vision"


def test_a_template_that_refuses_plain_text_gets_a_plain_prompt_with_the_frame(mlp,
                                                                                monkeypatch):
    from remix_desktop.engine.llama_vision import INSTRUCTION, LlamaVisionModel

    model = LlamaVisionModel(mlp[0], projector_path=mlp[1], n_threads=1)
    try:
        chat = model._prompt()
        assert chat.count(model.marker) == 1 and "<|im_start|>user" in chat
        monkeypatch.setattr(model, "render_chat", lambda messages: 1 / 0)
        assert model._prompt() == f"{model.marker}\n{INSTRUCTION}\n"
        f = frame(32, 32)
        model.describe(f.rgb, f.width, f.height)
        assert model.last_image_tokens == 16
    finally:
        model.close()
