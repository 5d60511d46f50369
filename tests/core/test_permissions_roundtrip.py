"""Permissions exported to CSV/JSON and imported back."""

from __future__ import annotations

import json

import pytest

from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import UsageError
from remix_desktop.core.permissions_file import export_permissions, import_permissions
from tests.core.test_consent import add_videos


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_round_trip_restores_every_choice(library, tmp_path, suffix):
    ids = add_videos(library, 5)
    consent = Consent(library)
    consent.set_permission(ids[:2], "allow")
    consent.set_permission(ids[2:3], "deny")
    saved = [v.permission for v in library.videos()]
    target = tmp_path / f"perms{suffix}"
    assert export_permissions(consent, target) == 5
    consent.set_permission(ids, "default")
    result = import_permissions(consent, target)
    assert result.matched == 5 and not result.rejected
    assert [v.permission for v in library.videos()] == saved
    consent.undo()  # an import is one undoable change
    assert [v.permission for v in library.videos()] == ["default"] * 5


def test_entries_match_by_fingerprint_then_path_and_bad_rows_are_reported(library, tmp_path):
    ids = add_videos(library, 3)
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"videos": [
        {"fingerprint": "fp0", "path": "/elsewhere/renamed.mp4", "permission": "allow"},
        {"path": "/videos/clip1.mp4", "permission": "DENY"},
        {"fingerprint": "nope", "path": "/nope.mp4", "permission": "allow"},
        {"fingerprint": "fp2", "permission": "maybe"},
    ]}))
    result = import_permissions(Consent(library), source)
    assert [v.permission for v in library.videos()] == ["allow", "deny", "default"]
    assert [r.path for r in result.rejected] == ["/nope.mp4", "fp2"]
    assert "matches no video" in result.rejected[0].reason
    assert "no valid permission" in result.rejected[1].reason
    assert ids


def test_export_never_overwrites_without_force(library, tmp_path):
    target = tmp_path / "p.csv"
    target.write_text("keep me")
    with pytest.raises(UsageError, match="--force"):
        export_permissions(Consent(library), target)
    assert target.read_text() == "keep me"
    export_permissions(Consent(library), target, force=True)
    assert target.read_text().startswith("id,fingerprint,path,permission")


@pytest.mark.parametrize("name, content, message", [
    ("p.json", "{not json", "not valid JSON"),
    ("p.csv", "a,b\n1,2\n", "needs a header"),
    ("p.txt", "", "must end in .csv or .json"),
    ("p.json", '{"videos": 3}', "no list of videos"),
])
def test_bad_files_give_a_clear_error(library, tmp_path, name, content, message):
    source = tmp_path / name
    source.write_text(content)
    with pytest.raises(UsageError, match=message):
        import_permissions(Consent(library), source)
