"""A permission is given for a content, not a path: the gate checks the file itself, a
missing file is a state of its own, and a file moved onto a known path is handled."""

from __future__ import annotations

import os
import shutil

import pytest

from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import RemixNotAllowed, UsageError, VideoFileProblem
from remix_desktop.core.importer import run_import, sweep_thumbnails
from remix_desktop.core.library import Library
from remix_desktop.core.relink import locate, problem_videos, relink, run_locate
from remix_desktop.core.remix import Remixer, RemixRequest
from remix_desktop.core.video_files import FileState, quick_states


@pytest.fixture
def two(library, good_clips):
    """Video 1 (h264.mp4, denied) and video 2 (vp9.webm... of another size, allowed)."""
    cat, garage = good_clips / "h264.mp4", good_clips / "mpeg4.avi"
    report = run_import(library, [cat, garage])
    a, b = (v.id for v in report.imported)
    consent = Consent(library)
    consent.set_permission([a], "deny")
    consent.set_permission([b], "allow")
    return consent, library.video(a), library.video(b)


def test_a_denied_videos_file_copied_over_an_allowed_one_is_refused(two):
    consent, cat, garage = two
    shutil.copyfile(cat.path, garage.path)  # the cat's pixels under the garage's name
    with pytest.raises(VideoFileProblem) as caught:
        consent.gate(garage.id)
    assert caught.value.state == "changed"
    assert caught.value.exit_code == 3
    assert f"The file at {garage.path} has changed since it was imported" in str(caught.value)
    assert "import it again to decide about it" in str(caught.value)
    remixer = Remixer(consent.library)
    with pytest.raises(VideoFileProblem):
        remixer.frame(garage.id, 0.5)
    request = RemixRequest(video_id=garage.id, fingerprint=garage.fingerprint, frame_s=0.5,
                           caption="That first morning sip be like")
    with pytest.raises(VideoFileProblem):
        remixer.render(request)
    assert remixer.previews(garage.id) == []


def test_same_size_other_content_with_the_old_mtime_is_caught_by_the_samples(two, tmp_path):
    consent, cat, garage = two
    data = bytearray(open(garage.path, "rb").read())
    data[len(data) // 2: len(data) // 2 + 4096] = bytes(4096)  # same size, middle zeroed
    before = os.stat(garage.path)
    with open(garage.path, "wb") as fh:
        fh.write(data)
    os.utime(garage.path, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -r
    with pytest.raises(VideoFileProblem) as caught:
        consent.gate(garage.id)
    assert caught.value.state == "changed"


def test_the_gate_still_refuses_a_denied_video_first(two):
    consent, cat, garage = two
    os.unlink(cat.path)
    with pytest.raises(RemixNotAllowed) as caught:
        consent.gate(cat.id)
    assert not isinstance(caught.value, VideoFileProblem)


def test_a_missing_file_is_a_state_with_a_sentence_and_no_media_error(two, tmp_path):
    consent, cat, garage = two
    moved = tmp_path / "elsewhere" / "garage.avi"
    moved.parent.mkdir()
    shutil.move(garage.path, moved)
    with pytest.raises(VideoFileProblem) as caught:
        consent.gate(garage.id)
    assert caught.value.state == "missing"
    assert caught.value.exit_code == 2
    text = str(caught.value)
    assert garage.path in text and f"remix-desktop relink {garage.id}" in text
    assert quick_states(consent.library.videos())[garage.id] is FileState.MISSING
    assert problem_videos(consent.library) == {garage.id: FileState.MISSING}

    relinked = relink(consent.library, garage.id, moved)
    assert relinked.path == str(moved)
    assert consent.gate(garage.id).video.path == str(moved)
    assert problem_videos(consent.library) == {}


def test_relink_refuses_a_file_with_other_content(two, good_clips):
    consent, cat, garage = two
    os.unlink(garage.path)
    with pytest.raises(UsageError, match="is not the file of video"):
        relink(consent.library, garage.id, good_clips / "clip.mov")
    assert consent.library.video(garage.id).path == garage.path


def test_locate_finds_moved_files_in_a_folder_by_content(two, tmp_path, good_clips):
    consent, cat, garage = two
    drive = tmp_path / "new-drive" / "deep"
    drive.mkdir(parents=True)
    shutil.move(cat.path, drive / "renamed-cat.mp4")
    shutil.move(garage.path, drive / "g.avi")
    shutil.copy(good_clips / "clip.mov", drive / "other.mov")  # not theirs
    report = run_locate(consent.library, tmp_path / "new-drive")
    assert sorted(v.id for v, _ in report.found) == sorted([cat.id, garage.id])
    assert report.still_missing == []
    assert consent.library.video(cat.id).path == str(drive / "renamed-cat.mp4")
    assert consent.library.video(cat.id).permission == "deny"  # the decision travels
    assert problem_videos(consent.library) == {}


def test_locate_can_be_cancelled_and_changes_nothing(two, tmp_path):
    consent, cat, garage = two
    drive = tmp_path / "d"
    drive.mkdir()
    shutil.move(cat.path, drive / "a.mp4")
    job = locate(consent.library, drive, cancelled=lambda: True)
    with pytest.raises(StopIteration) as stop:
        next(job)
    assert stop.value.value.cancelled and stop.value.value.found == []
    assert consent.library.video(cat.id).path == cat.path


def test_a_file_that_comes_back_is_found_again(two, tmp_path):
    consent, cat, garage = two
    aside = tmp_path / "aside.avi"
    shutil.move(garage.path, aside)
    assert problem_videos(consent.library) == {garage.id: FileState.MISSING}
    shutil.move(aside, garage.path)  # the drive is back
    assert problem_videos(consent.library) == {}
    assert consent.gate(garage.id).video.id == garage.id


def test_moving_one_video_onto_anothers_path_is_imported_not_an_integrity_error(two):
    consent, cat, garage = two
    os.replace(cat.path, garage.path)  # mv cat garage: the cat now lives at garage's path
    report = run_import(consent.library, [garage.path])
    assert not report.rejected
    assert [v.id for v in report.relinked] == [cat.id]
    assert consent.library.video(cat.id).path == garage.path
    assert consent.library.video(cat.id).permission == "deny"
    assert report.replaced and f"video {garage.id}" in report.replaced[0].reason
    # the garage video stays, with its decision, and says its file was replaced
    kept = consent.library.video(garage.id)
    assert kept.permission == "allow"
    assert problem_videos(consent.library) == {garage.id: FileState.CHANGED}
    with pytest.raises(RemixNotAllowed):
        consent.gate(cat.id)  # denied, as it was
    with pytest.raises(VideoFileProblem, match=f"it is now video {cat.id}"):
        consent.gate(garage.id)


def test_new_content_at_a_known_path_is_a_new_video_that_inherits_nothing(two, good_clips):
    consent, cat, garage = two
    shutil.copyfile(good_clips / "clip.mov", garage.path)  # a new recording, same name
    report = run_import(consent.library, [garage.path])
    assert len(report.imported) == 1
    new = report.imported[0]
    assert new.id != garage.id and new.permission == "default"
    assert consent.library.video(garage.id).permission == "allow"
    with pytest.raises(RemixNotAllowed):  # the library default is deny: not garage's allow
        consent.gate(new.id)


def test_a_thumbnail_without_its_row_is_swept(library, good_clips):
    run_import(library, [good_clips / "h264.mp4"])
    folder = library.home.thumbnails
    orphan = folder / "b2-0123456789abcdef0123456789abcdef.jpg"
    orphan.write_bytes(b"\xff\xd8 left by a killed import")
    pending = folder / ".b2-feed.999999999.pending.jpg"  # no such process
    pending.write_bytes(b"half")
    ours = folder / f".b2-beef.{os.getpid()}.pending.jpg"  # a live import of this process
    ours.write_bytes(b"in progress")
    kept = [v.thumbnail for v in library.videos()]
    assert sweep_thumbnails(library) == 2
    assert not orphan.exists() and not pending.exists() and ours.exists()
    assert all((folder / name).exists() for name in kept)


def test_an_import_leaves_no_pending_thumbnail(library, good_clips):
    run_import(library, [good_clips])
    names = os.listdir(library.home.thumbnails)
    assert names and all(not n.startswith(".") for n in names)
    assert sorted(names) == sorted(v.thumbnail for v in library.videos())


def test_migration_keeps_previews_and_drops_the_unique_path(home, good_clips):
    """Schema 4 -> current: the videos table is rebuilt without UNIQUE(path); previews,
    which reference videos with ON DELETE CASCADE, survive the rebuild."""
    import sqlite3

    from remix_desktop.core.library import MIGRATIONS

    conn = sqlite3.connect(home.database, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for index in range(4):
        for statement in MIGRATIONS[index].split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO videos(id, path, fingerprint, size, mtime, duration_s, fps, "
                 "width, height, codec, added_at, permission) VALUES (7, '/v/a.mp4', 'fp', 1, "
                 "0, 1, 25, 32, 18, 'h264', 'now', 'deny')")
    conn.execute("INSERT INTO previews(video_id, request_hash, file, created_at) "
                 "VALUES (7, 'h', 'h.png', 'now')")
    conn.close()
    with Library(home) as lib:
        assert lib.conn.execute("SELECT count(*) FROM previews").fetchone()[0] == 1
        assert lib.video(7).permission == "deny"
        with lib.write() as w:  # the same path twice is now possible
            w.execute("INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, "
                      "width, height, codec, added_at) VALUES ('/v/a.mp4', 'fp2', 1, 0, 1, 25, "
                      "32, 18, 'h264', 'now')")
        assert lib.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_path_states_ask_a_missing_folder_once_and_every_file_of_a_present_one(tmp_path,
                                                                             monkeypatch):
    from remix_desktop.core import video_files

    ok = tmp_path / "here" / "ok.mp4"
    ok.parent.mkdir()
    ok.write_bytes(b"x" * 10)
    grown = tmp_path / "here" / "grown.mp4"
    grown.write_bytes(b"x" * 11)
    a_file = tmp_path / "plain.txt"
    a_file.write_text("not a folder")
    files = [(str(ok), 10), (str(grown), 10), (str(tmp_path / "here" / "gone.mp4"), 1),
             *((str(tmp_path / "unplugged" / f"clip {i}.mp4"), 1) for i in range(50)),
             (str(a_file / "inside.mp4"), 1), ("/clip-at-the-root.mp4", 1)]
    asked = []
    real = video_files.quick_state
    monkeypatch.setattr(video_files, "quick_state",
                        lambda path, size: asked.append(path) or real(path, size))
    states = video_files.path_states(files)
    assert states[:3] == [FileState.OK, FileState.CHANGED, FileState.MISSING]
    assert set(states[3:]) == {FileState.MISSING}
    assert [s for s in states] == [real(p, size) for p, size in files]  # what one by one says
    assert not any("unplugged" in p or "plain.txt" in p for p in asked)  # the folder, once
    assert str(ok) in asked and "/clip-at-the-root.mp4" in asked
