"""The two facts consent learns from a video's pictures, on real encoded clips: a face (the
likeness rule) and a copy of another video (a "no" that survives re-encoding)."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from remix_desktop.core import copies, video_checks
from remix_desktop.core.consent import Consent
from remix_desktop.core.consent_rule import Reason
from remix_desktop.core.errors import RemixNotAllowed, UsageError
from remix_desktop.core.importer import run_import
from remix_desktop.core.remix import Remixer, RemixRequest
from tests.clips import ffmpeg, make_clip

cbook = pytest.importorskip("matplotlib.cbook")
PORTRAIT = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A clip of a real photograph of a face; an original clip ("morning espresso") and its
    re-encodes, rescale, trim and container change; and clips of other pictures."""
    root = tmp_path_factory.mktemp("likeness")
    face = root / "portrait.mp4"
    ffmpeg("-loop", "1", "-i", str(PORTRAIT), "-t", "2", "-r", "25", "-vf",
           "scale=360:420,format=yuv420p", "-c:v", "libx264", str(face))
    original = make_clip(root / "espresso.mp4", size="480x270", seconds=4, source="mandelbrot",
                         extra=("-metadata", "title=morning espresso"))
    variants = root / "variants"
    variants.mkdir()
    ffmpeg("-i", str(original), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
           "-b:v", "300k", str(variants / "reencoded.webm"))
    ffmpeg("-i", str(original), "-vf", "scale=240:136", "-c:v", "libx264", "-crf", "30",
           str(variants / "smaller.mp4"))
    ffmpeg("-ss", "0.5", "-i", str(original), "-c:v", "libx264", str(variants / "trimmed.mp4"))
    ffmpeg("-i", str(original), "-c", "copy", str(variants / "remuxed.mkv"))
    others = root / "others"
    others.mkdir()
    for name, source in (("pattern.mp4", "testsrc2"), ("bars.mp4", "smptehdbars"),
                         ("colours.mp4", "rgbtestsrc"), ("life.mp4", "life=mold=10:seed=3"),
                         ("gradient.mp4", "gradients=speed=0.05"), ("squares.mp4", "testsrc")):
        make_clip(others / name, seconds=3, source=source)
    return {"face": face, "original": original, "variants": variants, "others": others}


def _allow_by_default(library):
    Consent(library).set_default("allow")


# -- faces -----------------------------------------------------------------------------------

def test_a_real_face_is_found_and_denied_on_default_until_allowed_one_by_one(library, made):
    face = run_import(library, [made["face"]]).imported[0]
    plain = run_import(library, [made["others"] / "pattern.mp4"]).imported[0]
    assert face.face_share is not None and face.face_share >= 0.5
    assert face.face_samples == video_checks.FACE_SAMPLES
    # a test pattern may pass for a face in one sample of twelve: not enough to show one
    assert not video_checks.shows_face(plain.face_share)
    consent = Consent(library)
    _allow_by_default(library)
    said = consent.verdict(face)
    assert (said.permission, said.reason) == ("deny", Reason.SHOWS_FACE)
    with pytest.raises(RemixNotAllowed, match="it shows a face: allow it yourself"):
        consent.gate(face.id)
    assert consent.gate(plain.id).video.id == plain.id  # no face: the default allows it
    consent.set_permission([face.id], "allow")
    assert consent.gate(face.id).video.id == face.id
    assert consent.counts() == {"videos": 2, "allowed": 2, "denied": 0}


def test_the_likeness_switch_is_audited_and_undone(library, made):
    face = run_import(library, [made["face"]]).imported[0]
    consent = Consent(library)
    _allow_by_default(library)
    assert consent.affected_by(likeness=False) == 1
    change = consent.set_likeness(False)
    assert change.count == 1 and consent.state().likeness is False
    assert consent.verdict(face).reason is Reason.DEFAULT_ALLOW
    entry = consent.audit_entries(1)[0]
    assert (entry.action, entry.old, entry.new) == ("likeness", "on", "off")
    consent.undo()
    assert consent.state().likeness is True
    assert consent.verdict(face).reason is Reason.SHOWS_FACE
    with pytest.raises(UsageError):
        library.set_settings({"likeness": "0"})  # only through consent, with its audit row


def test_the_opt_out_still_denies_an_allowed_face(library, made):
    face = run_import(library, [made["face"]]).imported[0]
    consent = Consent(library)
    consent.set_permission([face.id], "allow")
    consent.set_optout(True)
    assert consent.verdict(face).reason is Reason.OPTED_OUT


# -- copies ----------------------------------------------------------------------------------

def test_copies_of_a_denied_clip_are_denied_on_import(library, made):
    original = run_import(library, [made["original"]]).imported[0]
    consent = Consent(library)
    consent.set_permission([original.id], "deny")
    _allow_by_default(library)
    report = run_import(library, [made["variants"]])
    assert len(report.imported) == 4
    assert sorted(c.name for c, _ in report.copies) == sorted(
        os.listdir(made["variants"]))
    for copy in report.imported:
        assert copy.copy_of == original.id, copy.name
        said = consent.verdict(copy)
        assert (said.permission, said.reason) == ("deny", Reason.COPY_OF_DENIED)
        with pytest.raises(RemixNotAllowed,
                           match="a copy of 'morning espresso', which you denied"):
            consent.gate(copy.id)
    # the creator's own allow on a copy still allows it
    copy = report.imported[0]
    consent.set_permission([copy.id], "allow")
    assert consent.gate(copy.id).video.id == copy.id


def test_a_copy_follows_the_original_when_the_creator_changes_their_mind(library, made):
    original = run_import(library, [made["original"]]).imported[0]
    copy = run_import(library, [made["variants"] / "trimmed.mp4"]).imported[0]
    assert copy.copy_of == original.id  # linked whatever the original's permission
    consent = Consent(library)
    _allow_by_default(library)
    assert consent.verdict(copy).allowed
    consent.set_permission([original.id], "deny")  # denied later: the copy is denied too
    assert consent.verdict(copy).reason is Reason.COPY_OF_DENIED
    consent.set_permission([original.id], "allow")
    assert consent.verdict(copy).reason is Reason.DEFAULT_ALLOW


def test_unrelated_clips_are_never_linked(library, made):
    report = run_import(library, [made["others"], made["face"], made["original"]])
    assert len(report.imported) == 8
    assert report.copies == []
    assert all(v.copy_of is None for v in library.videos())
    # every pair, both ways, by the fingerprints the library kept
    index = {}
    for video in library.videos():
        seen = video_checks.look(video.path, video.duration_s)
        index[video.id] = seen.fingerprint
    for a, b in itertools.permutations(index, 2):
        share, matched = copies.compare(index[a].kept, index[b])
        assert not copies.is_copy(share, matched, len(index[a].kept), len(index[b].kept)), (
            library.video(a).name, library.video(b).name, share)


def test_the_creator_breaks_a_link_and_undo_mends_it(library, made):
    original = run_import(library, [made["original"]]).imported[0]
    consent = Consent(library)
    consent.set_permission([original.id], "deny")
    _allow_by_default(library)
    copy = run_import(library, [made["variants"] / "smaller.mp4"]).imported[0]
    assert not consent.verdict(copy).allowed
    change = consent.unlink_copy(copy.id)
    assert change.count == 1
    unlinked = library.video(copy.id)
    assert unlinked.copy_of is None and unlinked.not_copy_of == original.id
    assert consent.verdict(unlinked).reason is Reason.DEFAULT_ALLOW
    entry = consent.audit_entries(1)[0]
    assert entry.action == "unlink-copy" and entry.undoable
    # looked at again, the pair the creator separated is not linked again
    video_checks.run_checks(library, [copy.id])
    assert library.video(copy.id).copy_of is None
    consent.undo()
    assert library.video(copy.id).copy_of == original.id
    assert consent.verdict(library.video(copy.id)).reason is Reason.COPY_OF_DENIED
    with pytest.raises(UsageError, match="not linked as a copy"):
        consent.unlink_copy(original.id)


def test_removing_the_original_leaves_the_copy_on_its_own(library, made):
    original = run_import(library, [made["original"]]).imported[0]
    copy = run_import(library, [made["variants"] / "remuxed.mkv"]).imported[0]
    library.remove([original.id])
    assert library.video(copy.id).copy_of is None


def test_a_changed_file_at_a_known_path_does_not_inherit_allow(library, made, tmp_path):
    path = tmp_path / "take.mp4"
    shutil.copy(made["others"] / "bars.mp4", path)
    first = run_import(library, [path]).imported[0]
    consent = Consent(library)
    consent.set_permission([first.id], "allow")
    shutil.copy(made["others"] / "life.mp4", path)  # another recording under the same name
    os.utime(path, (1, 1))
    report = run_import(library, [path])
    second = report.imported[0]
    assert second.id != first.id and second.permission == "default"
    assert not consent.verdict(second).allowed  # the default (deny), not the old allow
    assert report.replaced


# -- videos already in the library -----------------------------------------------------------

def _forget_looks(library):
    """A library from before the looks: nothing known of any video's pictures."""
    with library.write() as conn:
        conn.execute("UPDATE videos SET face_share = NULL, face_samples = 0, faces_at = '[]', "
                     "copy_of = NULL")
        conn.execute("DELETE FROM frame_hashes")


def test_the_background_look_finds_faces_and_copies_of_older_videos(library, made):
    report = run_import(library, [made["original"], made["face"],
                                  made["variants"] / "reencoded.webm"])
    original, face, copy = report.imported
    _forget_looks(library)
    consent = Consent(library)
    _allow_by_default(library)
    assert consent.verdict(library.video(face.id)).reason is Reason.FACE_UNCHECKED
    assert video_checks.unchecked(library.conn) == [original.id, face.id, copy.id]
    steps = []
    job = video_checks.check_videos(library)
    while True:
        try:
            steps.append(next(job))
        except StopIteration as stop:
            done = stop.value
            break
    assert [s.done for s in steps] == [1, 2, 3] and steps[-1].total == 3
    assert done.checked == 3 and done.faces == 1
    assert done.linked == [(copy.id, original.id)]
    assert video_checks.unchecked(library.conn) == []
    assert consent.verdict(library.video(face.id)).reason is Reason.SHOWS_FACE
    entries = [e for e in consent.audit_entries() if e.action == "look"]
    assert len(entries) == 1
    assert entries[0].new == "3 looked at, 1 with a face, 1 copy found, 1 now denied"


def test_an_older_video_looked_at_later_becomes_the_original(library, made):
    original = run_import(library, [made["original"]]).imported[0]
    _forget_looks(library)  # the original was in the library before looks existed
    copy = run_import(library, [made["variants"] / "trimmed.mp4"]).imported[0]
    assert copy.copy_of is None  # nothing to match yet
    video_checks.run_checks(library)
    assert library.video(copy.id).copy_of == original.id


def test_the_gate_looks_at_a_video_not_looked_at_yet(library, made):
    face = run_import(library, [made["face"]]).imported[0]
    _forget_looks(library)
    _allow_by_default(library)
    with pytest.raises(RemixNotAllowed, match="it shows a face"):
        Consent(library).gate(face.id)
    assert library.video(face.id).face_share >= 0.5  # and what it found was kept


def test_a_look_that_finds_a_face_removes_previews_and_says_so(library, made):
    face = run_import(library, [made["face"]]).imported[0]
    consent = Consent(library)
    consent.set_likeness(False)
    _allow_by_default(library)
    Remixer(library).render(RemixRequest(face.id, face.fingerprint, 1.0, "POV: me"))
    consent.set_likeness(True)  # the face video is denied now: its preview goes, said so
    assert consent.audit_entries(1)[0].previews_removed == 1
    # previews of a video not looked at yet are kept through any consent change
    consent.set_likeness(False)
    Remixer(library).render(RemixRequest(face.id, face.fingerprint, 1.0, "POV: me"))
    _forget_looks(library)
    consent.set_likeness(True)
    assert consent.audit_entries(1)[0].previews_removed == 0
    assert library.conn.execute("SELECT count(*) FROM previews").fetchone()[0] == 1
    done = video_checks.run_checks(library)
    assert done.previews_removed == 1 and done.denied == 1
    entry = [e for e in consent.audit_entries() if e.action == "look"][0]
    assert entry.previews_removed == 1
    assert library.conn.execute("SELECT count(*) FROM previews").fetchone()[0] == 0


def test_the_background_look_resumes_after_a_kill(home, made, tmp_path):
    from remix_desktop.core.library import Library

    with Library(home) as library:
        folder = tmp_path / "many"
        folder.mkdir()
        for clip in sorted(made["others"].iterdir()):
            shutil.copy(clip, folder / clip.name)
        ids = [v.id for v in run_import(library, [folder]).imported]
        _forget_looks(library)
    script = textwrap.dedent(f"""
        import os, signal
        from remix_desktop.core.home import Home
        from remix_desktop.core.library import Library
        from remix_desktop.core import video_checks
        library = Library(Home({str(home.root)!r}))
        for step in video_checks.check_videos(library):
            if step.done == 3:
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    with Library(home) as library:
        left = video_checks.unchecked(library.conn)
        assert left == ids[3:]  # the three looked at were kept; the rest wait
        done = video_checks.run_checks(library)
        assert done.checked == len(ids) - 3
        assert video_checks.unchecked(library.conn) == []


def test_undoing_a_broken_link_says_which_previews_it_deletes(library, made):
    original = run_import(library, [made["original"]]).imported[0]
    consent = Consent(library)
    consent.set_permission([original.id], "deny")
    _allow_by_default(library)
    copy = run_import(library, [made["variants"] / "remuxed.mkv"]).imported[0]
    consent.unlink_copy(copy.id)
    Remixer(library).render(RemixRequest(copy.id, copy.fingerprint, 1.0, "POV: mine now"))
    entry = consent.next_undo()
    assert entry.action == "unlink-copy"
    assert consent.previews_lost_by_undo(entry) == 1
    change = consent.undo(expected=entry.id)
    assert change.previews_removed == 1
