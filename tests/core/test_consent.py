"""Consent: the effective permission, the gate, bulk changes, audit, undo and previews."""

from __future__ import annotations

import sqlite3

import pytest

from remix_desktop.core import audit
from remix_desktop.core.consent import ALL, Consent
from remix_desktop.core.consent_rule import (SENTENCES, ConsentState, Reason, VideoFacts,
                                            verdict)
from remix_desktop.core.errors import RemixNotAllowed, UsageError
from remix_desktop.core.library import Library, NewVideo
from remix_desktop.core.video_files import fingerprint


def add_videos(library: Library, n: int, *, real: bool = False) -> list[int]:
    """Rows for videos /videos/clip{i}.mp4 with fingerprints fp{i}; `real`: for small real
    files in the home instead (the gate checks a video's file against its fingerprint)."""
    rows = []
    folder = library.home.root / "videos"
    for i in range(n):
        path, fp, size = f"/videos/clip{i}.mp4", f"fp{i}", 1000 + i
        if real:
            folder.mkdir(exist_ok=True)
            file = folder / f"clip{i}.mp4"
            file.write_bytes(b"clip %d " % i * (100 + i))
            path, fp, size = str(file), fingerprint(file), file.stat().st_size
        rows.append(NewVideo(path=path, fingerprint=fp, size=size, mtime=0.0, duration_s=3.0,
                             fps=30.0, width=1920, height=1080, rotation=0, codec="h264",
                             face_share=0.0, face_samples=12))  # looked at: no face
    with library.write() as conn:
        return [Library.insert_video(conn, row) for row in rows]


def expected_verdict(own, default, optout, likeness, face, original):
    """The rule as the creator reads it, written out for one combination."""
    if optout:
        return "deny", Reason.OPTED_OUT
    if own != "default":
        return own, Reason.OWN_ALLOW if own == "allow" else Reason.OWN_DENY
    if original == "deny":
        return "deny", Reason.COPY_OF_DENIED
    if likeness and face == "face":
        return "deny", Reason.SHOWS_FACE
    if likeness and face == "?" and default == "allow":
        return "deny", Reason.FACE_UNCHECKED
    return default, Reason.DEFAULT_ALLOW if default == "allow" else Reason.DEFAULT_DENY


COMBINATIONS = [
    (own, default, optout, likeness, face, original)
    for own in ("allow", "deny", "default") for default in ("allow", "deny")
    for optout in (False, True) for likeness in (True, False) for face in ("face", "", "?")
    for original in ("", "allow", "deny", "default")]


@pytest.mark.parametrize("own, default, optout, likeness, face, original", COMBINATIONS)
def test_the_rule_over_every_combination(own, default, optout, likeness, face, original):
    facts = VideoFacts(own, face, "7" if original else "", original)
    said = verdict(facts, ConsentState(default, optout, likeness))
    assert (said.permission, said.reason) == expected_verdict(own, default, optout, likeness,
                                                              face, original)
    assert said.sentence
    # a face or a denied original never turns a "no" into a "yes", and an own allow wins
    # over both unless the whole library is opted out
    plain = verdict(VideoFacts(own, "", "", ""), ConsentState(default, optout, likeness))
    assert not said.allowed or plain.allowed
    if own == "allow":
        assert said.allowed == (not optout)


def test_every_reason_is_said_and_the_rule_reaches_each():
    assert set(SENTENCES) == set(Reason)
    reached = {verdict(VideoFacts(own, face, "7" if original else "", original),
                       ConsentState(default, optout, likeness)).reason
               for own, default, optout, likeness, face, original in COMBINATIONS}
    assert reached == set(Reason)


def test_new_library_denies_by_default(library):
    [vid] = add_videos(library, 1)
    consent = Consent(library)
    assert consent.state().default == "deny"
    with pytest.raises(RemixNotAllowed) as caught:
        consent.gate(vid)
    assert caught.value.reason == "it follows the library default, which is deny"
    assert "not allowed" in str(caught.value)


def test_gate_follows_every_kind_of_change(library):
    a, b = add_videos(library, 2, real=True)
    consent = Consent(library)
    consent.set_permission([a], "allow")
    assert consent.gate(a).video.id == a
    consent.set_default("allow")
    assert consent.gate(b)
    consent.set_optout(True)
    for vid in (a, b):
        with pytest.raises(RemixNotAllowed, match="bulk opt-out"):
            consent.gate(vid)
    consent.set_optout(False)
    consent.set_permission([b], "deny")
    assert consent.gate(a)
    with pytest.raises(RemixNotAllowed, match="creator denied"):
        consent.gate(b)
    with pytest.raises(UsageError, match="no video with id 999"):
        consent.gate(999)


def test_optout_on_and_off_keeps_every_choice(library):
    ids = add_videos(library, 6)
    consent = Consent(library)
    consent.set_permission(ids[:2], "allow")
    consent.set_permission(ids[2:4], "deny")
    before = [v.permission for v in library.videos()]
    assert consent.affected_by(optout=True) == 2
    change = consent.set_optout(True)
    assert change.count == 2
    assert consent.counts()["allowed"] == 0
    consent.set_optout(False)
    assert [v.permission for v in library.videos()] == before
    assert consent.counts()["allowed"] == 2


def test_bulk_change_is_one_audit_row_and_undo_restores_each_video(library):
    ids = add_videos(library, 10)
    consent = Consent(library)
    consent.set_permission(ids[:3], "allow")
    consent.set_permission(ids[3:5], "deny")
    change = consent.set_permission(ALL, "deny")
    assert change.count == 8  # two were deny already
    row = audit.entries(library.conn, limit=1)[0]
    assert (row.action, row.scope, row.new, row.count) == ("permission", "all videos", "deny", 8)
    assert row.old == "default ×5, allow ×3"
    consent.undo()
    assert [v.permission for v in library.videos()] == (
        ["allow"] * 3 + ["deny"] * 2 + ["default"] * 5)
    entries = audit.entries(library.conn)
    assert entries[0].action == "undo" and entries[0].undo_of == row.id
    assert entries[1].undone_by == entries[0].id


def test_undo_walks_back_through_history_then_stops(library):
    [vid] = add_videos(library, 1)
    consent = Consent(library)
    consent.set_permission([vid], "allow")
    consent.set_default("allow")
    consent.set_optout(True)
    consent.undo()
    assert consent.state().optout is False
    consent.undo()
    assert consent.state().default == "deny"
    consent.undo()
    assert library.video(vid).permission == "default"
    with pytest.raises(UsageError, match="no change left to undo"):
        consent.undo()


def test_a_change_to_an_unknown_video_changes_nothing(library):
    ids = add_videos(library, 3)
    consent = Consent(library)
    with pytest.raises(UsageError, match="no video with id 77"):
        consent.set_permission([ids[0], 77], "allow")
    assert library.video(ids[0]).permission == "default"
    assert audit.entries(library.conn) == []


def test_a_failed_change_leaves_no_audit_row(library, monkeypatch):
    ids = add_videos(library, 3)
    consent = Consent(library)

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(consent, "_drop_denied_previews", broken)
    with pytest.raises(sqlite3.OperationalError):
        consent.set_permission(ids, "allow")
    assert [v.permission for v in library.videos()] == ["default"] * 3
    assert audit.entries(library.conn) == []


def add_preview(library: Library, video_id: int, name: str):
    path = library.home.previews / name
    path.write_bytes(b"\x89PNG fake preview bytes")
    with library.write() as conn:
        conn.execute("INSERT INTO previews(video_id, request_hash, file, created_at) "
                     "VALUES (?, ?, ?, 'now')", (video_id, name, name))
    return path


@pytest.mark.parametrize("revoke", ["deny video", "optout", "default", "undo"])
def test_turning_to_deny_deletes_the_videos_previews(library, revoke):
    a, b = add_videos(library, 2)
    consent = Consent(library)
    consent.set_permission([b], "allow")
    if revoke == "undo":
        consent.set_permission([a], "allow")  # undone below: a falls back to the deny default
    else:
        consent.set_default("allow")
    kept = add_preview(library, b, "b.png")
    gone = add_preview(library, a, "a.png")
    change = {
        "deny video": lambda: consent.set_permission([a], "deny"),
        "optout": lambda: consent.set_optout(True),
        "default": lambda: consent.set_default("deny"),
        "undo": consent.undo,
    }[revoke]()
    assert change.previews_removed >= 1
    assert not gone.exists()
    remaining = {r[0] for r in library.conn.execute("SELECT file FROM previews")}
    if revoke == "optout":
        assert not kept.exists() and remaining == set()
    else:
        assert kept.exists() and remaining == {"b.png"}
