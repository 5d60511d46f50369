"""A diffusion preview's quick look (256 px, the fewest steps) before its full render,
through the real engine worker and stable-diffusion.cpp on the all-zero SDXS-512 fixture:
handed over first, kept when the creator stops after it (before or during the full render),
and never left as a preview when the full render completes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import Cancelled
from remix_desktop.core.importer import run_import
from remix_desktop.core.model_store import ModelStore
from remix_desktop.core.remix import DIFFUSION, QUICK_SIZE, Remixer, quick_request
from remix_desktop.engine.client import EngineImages
from tests.sd_fixture import build_sdxs_fixture


@pytest.fixture
def remixer(library, good_clips, client, tmp_path_factory):
    model, taesd = build_sdxs_fixture(tmp_path_factory.mktemp("sdxs-quick-look"))
    store = ModelStore(library)
    store.add(model)
    store.add(taesd)
    video = run_import(library, [good_clips / "h264.mp4"]).imported[0]
    Consent(library).set_permission([video.id], "allow")
    jobs = []
    real_run = client.run

    def counting(make, **kw):
        jobs.append(make(0))
        return real_run(make, **kw)

    client.run = counting
    remixer = Remixer(library, images=EngineImages(client, n_threads=2))
    [request] = remixer.plan(video.id, [("POV: the first look", None)], [0.5],
                             style=DIFFUSION, image_model=model.name)
    return remixer, request, jobs


def test_the_quick_look_comes_first_then_the_full_render_is_the_preview(remixer):
    remixer, request, jobs = remixer
    quick = quick_request(request)
    assert (quick.diffusion_size, quick.steps) == (QUICK_SIZE, 1)
    assert request.diffusion_size == 512 and request.prompt == "comic book"
    looks = []
    preview = remixer.render(request, quick_look=looks.append)
    assert len(looks) == 1
    with Image.open(io.BytesIO(looks[0])) as look:
        assert look.size == (1080, 1080), "composed with its caption, like the preview"
    assert [(j.width, j.height) for j in jobs] == [(256, 128), (512, 256)], "16:9 clip"
    assert preview.params["diffusion_size"] == 512
    assert [p.id for p in remixer.previews()] == [preview.id], "the quick look is not kept"


def test_keeping_the_quick_look_skips_the_full_render(remixer):
    remixer, request, jobs = remixer
    preview = remixer.render(request, quick_look=lambda png: None, keep_quick=lambda: True)
    assert [(j.width, j.height) for j in jobs] == [(256, 128)]
    assert (preview.params["diffusion_size"], preview.params["steps"]) == (256, 1)
    assert remixer.render(request, keep_quick=lambda: True).id == preview.id, \
        "kept once: asked again, the same preview"
    assert len(jobs) == 1


def test_stopping_during_the_full_render_keeps_the_quick_look(remixer):
    remixer, request, jobs = remixer
    keep = []

    def progress(step, steps, message=""):
        keep.append(True)  # the creator presses "Keep quick look" as the full render runs

    preview = remixer.render(request, progress=progress, quick_look=lambda png: None,
                             keep_quick=lambda: bool(keep))
    assert keep, "the full render had started"
    assert [(j.width, j.height) for j in jobs] == [(256, 128), (512, 256)], "16:9 clip"
    assert preview.params["diffusion_size"] == QUICK_SIZE
    assert [p.id for p in remixer.previews()] == [preview.id]


def test_a_cancel_after_the_quick_look_keeps_nothing(remixer):
    remixer, request, jobs = remixer
    stop = []
    with pytest.raises(Cancelled):
        remixer.render(request, quick_look=lambda png: stop.append(True),
                       cancelled=lambda: bool(stop))
    assert remixer.previews() == []
