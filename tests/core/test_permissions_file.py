"""Permissions files that disagree with themselves or with the library, files from
spreadsheets, hostile JSON, big files, and exports that cannot be written (issue 10)."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest

from remix_desktop.core import disk_errors
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import UsageError
from remix_desktop.core.library import Library
from remix_desktop.core.permissions_file import export_permissions, import_permissions
from tests.core.test_consent import add_videos


def own(library: Library) -> list[str]:
    return [v.permission for v in library.videos()]


# -- rows that disagree ---------------------------------------------------------------------

def test_two_rows_for_one_video_that_disagree_apply_the_strictest_and_say_so(library, tmp_path):
    """deny then allow for one video ended up allow: a consent leak."""
    add_videos(library, 3)
    source = tmp_path / "p.csv"
    source.write_text("fingerprint,path,permission\n"
                      "fp0,,deny\n"
                      "fp0,,allow\n"  # the same video by fingerprint
                      ",/videos/clip1.mp4,allow\n"
                      "fp1,,default\n"  # the same video by path, then by fingerprint
                      "fp2,,allow\n"
                      ",/videos/clip2.mp4,allow\n")  # agreeing rows are no conflict
    result = import_permissions(Consent(library), source)
    assert own(library) == ["deny", "default", "allow"]
    assert result.matched == 3 and not result.rejected
    [first, second] = result.conflicts
    assert first.path == "/videos/clip0.mp4"
    assert "entries 2 and 3" in first.reason and "deny" in first.reason
    assert "strictest" in first.reason
    assert second.path == "/videos/clip1.mp4" and "entries 4 and 5" in second.reason
    assert "default" in second.reason


def test_a_conflict_wins_whichever_order_the_rows_come_in(library, tmp_path):
    add_videos(library, 1)
    source = tmp_path / "p.json"
    source.write_text(json.dumps({"videos": [
        {"fingerprint": "fp0", "permission": "allow"},
        {"path": "/videos/clip0.mp4", "permission": "deny"},
        {"fingerprint": "fp0", "permission": "default"}]}))
    result = import_permissions(Consent(library), source)
    assert own(library) == ["deny"]
    assert "entries 1, 2 and 3" in result.conflicts[0].reason


def test_a_fingerprint_of_one_video_with_the_path_of_another_applies_to_neither(
        library, tmp_path):
    add_videos(library, 3)
    consent = Consent(library)
    consent.set_permission([3], "allow")
    source = tmp_path / "p.csv"
    source.write_text("fingerprint,path,permission\n"
                      "fp0,/videos/clip1.mp4,allow\n"
                      "fp2,/videos/clip2.mp4,deny\n"  # both name video 3: fine
                      "fp1,/moved/away.mp4,deny\n")  # a path that matches nothing: fine
    result = import_permissions(consent, source)
    assert own(library) == ["default", "deny", "deny"]
    [rejection] = result.rejected
    assert rejection.path == "/videos/clip1.mp4"
    assert "entry 2" in rejection.reason and "video 1" in rejection.reason
    assert "video 2" in rejection.reason and "neither" in rejection.reason
    assert result.matched == 2


# -- the library's own switches in a JSON file ---------------------------------------------

def test_a_json_files_optout_and_default_are_reported_when_not_applied(library, tmp_path):
    """optout: true and default: deny were ignored without a word: 0 -> 4 remixable."""
    ids = add_videos(library, 4)
    consent = Consent(library)
    consent.set_default("allow")
    consent.set_permission(ids[:2], "allow")
    source = tmp_path / "p.json"
    source.write_text(json.dumps({
        "format": "remix-desktop-permissions", "version": 1,
        "library": {"default": "deny", "optout": True},
        "videos": [{"fingerprint": "fp0", "permission": "allow"}]}))
    result = import_permissions(consent, source)
    notes = {n.name: n for n in result.library_settings_not_applied}
    assert set(notes) == {"optout", "default"}
    assert (notes["optout"].in_file, notes["optout"].in_library) == ("on", "off")
    assert notes["optout"].stricter and notes["default"].stricter
    assert (notes["default"].in_file, notes["default"].in_library) == ("deny", "allow")
    assert "was not applied" in notes["optout"].reason
    assert "4 videos" in notes["optout"].reason  # what it means here
    assert "2 videos" in notes["default"].reason  # the two left on default
    state = consent.state()
    assert (state.optout, state.default) == (False, "allow")  # reported, not changed


def test_a_looser_or_equal_library_section_is_said_or_silent(library, tmp_path):
    add_videos(library, 1)
    consent = Consent(library)
    consent.set_optout(True)
    source = tmp_path / "p.json"
    source.write_text(json.dumps({"library": {"default": "deny", "optout": False},
                                  "videos": []}))
    [note] = import_permissions(consent, source).library_settings_not_applied
    assert note.name == "optout" and not note.stricter and note.in_library == "on"
    source.write_text(json.dumps({"library": {"default": "maybe", "optout": True},
                                  "videos": []}))
    [note] = import_permissions(consent, source).library_settings_not_applied
    assert note.name == "default" and "maybe" in note.reason


# -- files from spreadsheets ---------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_with_any_case_headers(library, tmp_path, delimiter):
    add_videos(library, 2)
    source = tmp_path / "p.csv"
    source.write_text("\ufeff" + delimiter.join(["ID", " Fingerprint", "PATH", "Permission "])
                      + "\n" + delimiter.join(["1", "fp0", "/videos/clip0.mp4", "Allow"]) + "\n"
                      + delimiter.join(["2", "", "/videos/clip1.mp4", "deny"]) + "\n",
                      encoding="utf-8")
    result = import_permissions(Consent(library), source)
    assert not result.rejected and own(library) == ["allow", "deny"]


def test_a_windows_1252_file_is_read(library, tmp_path):
    add_videos(library, 1)
    with library.write() as conn:
        conn.execute("UPDATE videos SET path = '/videos/Café – été.mp4'")
    source = tmp_path / "p.csv"
    source.write_bytes("path;permission\r\n/videos/Café – été.mp4;deny\r\n".encode("cp1252"))
    result = import_permissions(Consent(library), source)
    assert not result.rejected and own(library) == ["deny"]


def test_a_utf16_file_from_a_spreadsheet_is_read(library, tmp_path):
    add_videos(library, 1)
    source = tmp_path / "p.csv"
    source.write_bytes("fingerprint\tpermission\r\nfp0\tdeny\r\n".encode("utf-16"))
    assert not import_permissions(Consent(library), source).rejected
    assert own(library) == ["deny"]


def test_a_file_that_is_no_text_is_one_sentence(library, tmp_path):
    source = tmp_path / "p.csv"
    source.write_bytes(b"path,permission\n\x81\x8d\x8f,deny\n")
    with pytest.raises(UsageError, match="neither UTF-8 nor Windows-1252"):
        import_permissions(Consent(library), source)


def test_blank_rows_are_skipped_and_a_huge_field_is_a_reason(library, tmp_path):
    add_videos(library, 1)
    source = tmp_path / "p.csv"
    source.write_text("fingerprint,permission\n\n,\nfp0,deny\n")
    result = import_permissions(Consent(library), source)
    assert not result.rejected and own(library) == ["deny"]
    source.write_text("fingerprint,permission\n" + "x" * 200_000 + ",deny\n")
    with pytest.raises(UsageError, match="line 2.*too long"):
        import_permissions(Consent(library), source)


# -- hostile JSON --------------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ('{"videos": [{"fingerprint": "fp0", "permission": "deny", "n": ' + "9" * 5000 + "}]}",
     "more than"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"library": ' + "[" * 100_000 + "]" * 100_000 + ', "videos": []}', "nested too deeply"),
    ('{"videos": [{"permission": "deny"} {"permission": "allow"}]}', "not valid JSON"),
    ('{"videos": [{"permission": "deny"}]} trailing', "not valid JSON"),
], ids=["5000-digit number", "100000-deep list", "100000-deep library", "no comma",
        "trailing data"])
def test_hostile_json_is_a_reason_not_an_unexpected_error(library, tmp_path, text, words):
    add_videos(library, 1)
    source = tmp_path / "p.json"
    source.write_text(text)
    with pytest.raises(UsageError, match=words):
        import_permissions(Consent(library), source)
    assert own(library) == ["default"]


def test_json_entries_that_are_not_objects_are_reported(library, tmp_path):
    add_videos(library, 2)
    source = tmp_path / "p.json"
    source.write_text(json.dumps([{"FINGERPRINT": "fp0", "Permission": "deny"}, 7, "x",
                                  {"fingerprint": "fp1", "permission": "allow"}]))
    result = import_permissions(Consent(library), source)
    assert own(library) == ["deny", "allow"]
    assert [r.path for r in result.rejected] == ["entry 2", "entry 3"]
    assert all("not an object" in r.reason for r in result.rejected)


# -- big files -----------------------------------------------------------------------------

def fill_fast(library: Library, n: int) -> None:
    with library.write() as conn:
        conn.executemany(
            "INSERT INTO videos(path, fingerprint, size, mtime, duration_s, fps, width, height, "
            "codec, added_at) VALUES (?, ?, 1000, 0, 12.5, 30, 1080, 1920, 'h264', 'now')",
            ((f"/videos/clip {i:06d}.mp4", f"fp{i}") for i in range(n)))


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_big_file_is_streamed_and_matched_in_sql(library, tmp_path, monkeypatch, suffix):
    """A file of 100,000 rows: not read whole into Python rows, not one find() per row."""
    n = 100_000
    fill_fast(library, n)
    consent = Consent(library)
    source = tmp_path / f"p{suffix}"
    export_permissions(consent, source)
    consent.set_permission("all", "deny")

    def no_find(*args, **kwargs):
        raise AssertionError("rows are matched in SQL, not one find() per row")

    monkeypatch.setattr(Library, "find", no_find)
    tracemalloc.start()
    try:
        result = import_permissions(consent, source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.matched == n and result.change.count == n and not result.rejected
    assert set(own(library)) == {"default"}
    # the file is ~8 MB; the old reading held it and 100,000 dicts (~60 MB of Python objects)
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MiB"


# -- exports that cannot be written --------------------------------------------------------

def test_an_export_into_a_missing_folder_says_so(library, tmp_path):
    with pytest.raises(UsageError, match=r"^The folder .*nope does not exist$"):
        export_permissions(Consent(library), tmp_path / "nope" / "p.csv")


def test_an_export_into_a_read_only_folder_says_so(library, tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    if os.access(folder, os.W_OK):  # root: the folder is read-only as the creator sees it
        monkeypatch.setattr(disk_errors, "read_only", lambda path: True)
        monkeypatch.setattr("tempfile.mkstemp", _refuse)
    try:
        with pytest.raises(UsageError, match="cannot be written because its folder is "
                                             "read-only.*make the folder writable"):
            export_permissions(Consent(library), folder / "p.json")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def _refuse(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_export_names_up_to_255_bytes_work_and_longer_ones_say_so(library, tmp_path):
    add_videos(library, 2)
    consent = Consent(library)
    longest = tmp_path / ("é" * 124 + "abc.csv")  # its temporary's name was too long
    assert len(longest.name.encode()) == 255
    assert export_permissions(consent, longest) == 2
    assert longest.read_text().startswith("id,fingerprint,path,permission")
    too_long = tmp_path / ("é" * 130 + ".json")
    with pytest.raises(UsageError, match="is 265 bytes long, more than the 255 a file system takes"):
        export_permissions(consent, too_long)
    assert sorted(os.listdir(tmp_path)) == sorted(["home", longest.name])


def test_export_streams_rows_and_keeps_the_library_section(library, tmp_path):
    add_videos(library, 3)
    consent = Consent(library)
    consent.set_permission([2], "deny")
    consent.set_optout(True)
    target = tmp_path / "p.json"
    assert export_permissions(consent, target) == 3
    data = json.loads(target.read_text())
    assert data["format"] == "remix-desktop-permissions" and data["version"] == 1
    assert data["library"] == {"default": "deny", "optout": True}
    assert [v["permission"] for v in data["videos"]] == ["default", "deny", "default"]
    assert data["videos"][0] == {"id": 1, "fingerprint": "fp0", "path": "/videos/clip0.mp4",
                                 "permission": "default"}
