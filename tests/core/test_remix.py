"""The remix pipeline behind the gate: no path reads a frame of a denied video."""

from __future__ import annotations

import pytest
from PIL import Image

from remix_desktop.core import frames, remix
from remix_desktop.core.captions import Caption, CaptionRun
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import RemixNotAllowed, UsageError
from remix_desktop.core.export import parse_xmp, read_xmp
from remix_desktop.core.importer import run_import
from remix_desktop.core.remix import Remixer, RemixRequest


class SpyCaptions:
    """Records every call; the gate tests check that a denied video never reaches it."""

    def __init__(self):
        self.calls = []

    def captions(self, context, *, count=4, seed=0, progress=None, cancelled=lambda: False,
                 model=None):
        self.calls.append(context)
        return CaptionRun([Caption(f"Me when test {i}", "Me when", seed, 0.0)
                           for i in range(count)], count)


@pytest.fixture
def setup(library, good_clips, monkeypatch):
    video = run_import(library, [good_clips / "h264.mp4"]).imported[0]
    reads = []
    real_grab, real_grabs = frames.grab_frame, frames.grab_frames
    monkeypatch.setattr(frames, "grab_frame", lambda *a, **k: reads.append(a) or
                        real_grab(*a, **k))
    monkeypatch.setattr(frames, "grab_frames", lambda *a, **k: reads.append(a) or
                        real_grabs(*a, **k))
    spy = SpyCaptions()
    return Remixer(library, spy), video, reads, spy


def request_for(video, **kw):
    return RemixRequest(video_id=video.id, fingerprint=video.fingerprint, frame_s=1.0,
                        caption=kw.pop("caption", "When the coffee kicks in"), **kw)


def test_denied_video_is_refused_before_any_frame_is_read(setup):
    remixer, video, reads, spy = setup
    attempts = [lambda: remixer.render(request_for(video)),
                lambda: remixer.write_captions(video.id, 1.0),
                lambda: remixer.suggest(video.id, 2),
                lambda: remixer.frame(video.id, 1.0)]
    for attempt in attempts:
        with pytest.raises(RemixNotAllowed, match="library default, which is deny"):
            attempt()
    assert reads == [] and spy.calls == []


def test_allowed_video_makes_a_cached_preview(setup):
    remixer, video, reads, spy = setup
    Consent(remixer.library).set_permission([video.id], "allow")
    request = request_for(video, style="cartoon", layout="modern", size="portrait")
    preview = remixer.render(request)
    with Image.open(preview.path) as image:
        assert image.size == (1080, 1920)
    assert preview.params["style"] == "cartoon" and preview.caption == request.caption
    reads_before = len(reads)
    again = remixer.render(request)
    assert again.id == preview.id and len(reads) == reads_before, "a repeated request is free"
    assert [p.id for p in remixer.previews(video.id)] == [preview.id]


def test_captions_see_the_video_info_and_what_the_frame_shows(setup):
    remixer, video, reads, spy = setup
    Consent(remixer.library).set_permission([video.id], "allow")
    run = remixer.write_captions(video.id, 1.0, count=3, seed=4)
    assert len(run.captions) == 3
    context = spy.calls[0]
    assert context.title == "First morning coffee"
    assert any(p.startswith("mostly") for p in context.seen)


def test_revoking_permission_deletes_the_previews(setup):
    remixer, video, reads, spy = setup
    consent = Consent(remixer.library)
    consent.set_permission([video.id], "allow")
    paths = [remixer.render(request_for(video, caption=f"POV: take {i}")).path for i in range(3)]
    change = consent.set_optout(True)
    assert change.previews_removed == 3
    assert not any(p.exists() for p in paths)
    assert remixer.previews(video.id) == []


def test_a_change_says_beforehand_how_many_previews_it_deletes_and_its_row_keeps_it(setup):
    remixer, video, reads, spy = setup
    consent = Consent(remixer.library)
    consent.set_permission([video.id], "allow")
    for i in range(2):
        remixer.render(request_for(video, caption=f"POV: take {i}"))
    assert consent.previews_lost(selection=[video.id], permission="deny") == 2
    assert consent.previews_lost(selection=[video.id], permission="default") == 2  # deny default
    assert consent.previews_lost(selection=[video.id], permission="allow") == 0
    assert consent.previews_lost(optout=True) == 2
    assert consent.previews_lost(default="allow") == 0  # its own allow keeps it allowed
    change = consent.set_permission([video.id], "deny")
    entry = consent.audit_entries(limit=1)[0]
    assert change.previews_removed == entry.previews_removed == 2
    undone = consent.undo()
    assert undone.previews_not_restored == 2 and remixer.previews(video.id) == []


def test_permission_revoked_during_a_render_leaves_nothing(setup, monkeypatch):
    remixer, video, reads, spy = setup
    consent = Consent(remixer.library)
    consent.set_permission([video.id], "allow")
    real_compose = remix.compose

    def compose_then_revoke(*args, **kwargs):
        image = real_compose(*args, **kwargs)
        consent.set_permission([video.id], "deny")
        return image

    monkeypatch.setattr(remix, "compose", compose_then_revoke)
    with pytest.raises(RemixNotAllowed):
        remixer.render(request_for(video))
    assert remixer.previews() == []
    assert list(remixer.library.home.previews.iterdir()) == []


def test_export_carries_the_caption_models_and_data_mining(setup, tmp_path):
    remixer, video, reads, spy = setup
    Consent(remixer.library).set_permission([video.id], "allow")
    preview = remixer.render(request_for(video, caption="Me when the café opens", style="sketch"))
    target = remixer.export(preview.id, tmp_path / "meme.webp")
    props = parse_xmp(read_xmp(target))
    values = " ".join(props.values())
    assert "compositeWithTrainedAlgorithmicMedia" in values
    assert "DMI-PROHIBITED-AIMLTRAINING" in values
    assert "Me when the café opens" in values and "OpenCV sketch style" in values
    with pytest.raises(UsageError, match="exists"):
        remixer.export(preview.id, target)


def test_bad_requests_are_clear_errors(setup):
    remixer, video, reads, spy = setup
    with pytest.raises(UsageError, match="not a style"):
        request_for(video, style="vaporwave")
    with pytest.raises(UsageError, match="needs a caption"):
        request_for(video, caption="  ")


def test_a_preview_number_is_never_used_twice(setup):
    remixer, video, reads, spy = setup
    consent = Consent(remixer.library)
    consent.set_permission([video.id], "allow")
    first = remixer.render(request_for(video, caption="POV: the first one"))
    consent.set_permission([video.id], "deny")  # its previews are deleted, the last one too
    consent.set_permission([video.id], "allow")
    second = remixer.render(request_for(video, caption="POV: another picture"))
    assert second.id > first.id  # so "clip-remix-N.png" names one picture only
