"""A damaged library at start: the window says so and offers the newest good backup."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from PySide6.QtWidgets import QMessageBox

from remix_desktop.core import backups
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import LibraryDamaged
from remix_desktop.core.library import Library
from remix_desktop.gui import app as gui_app
from remix_desktop.gui import recovery
from tests.core.test_backups import damage_pages, fill
from tests.gui.windows import questions  # noqa: F401 - fixture


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged_home(home):
    with Library(home) as library:
        ids = fill(library, 40)
        Consent(library).set_permission(ids[:10], "deny")
        library.auto_backup()
    damage_pages(home.database)
    return home


def error_for(home) -> LibraryDamaged:
    with pytest.raises(LibraryDamaged) as caught:
        Library(home, check=True)
    return caught.value


def buttons(box: QMessageBox) -> set[str]:
    return {b.objectName() for b in box.buttons()} - {""}  # "Show Details..." has no name


def test_box_offers_the_backup_with_its_date_and_count(qtbot, damaged_home):
    box = recovery.damaged_box(damaged_home, error_for(damaged_home))
    qtbot.addWidget(box)
    assert buttons(box) == {"restore", "quit"}
    assert "40 videos" in box.informativeText()  # no "(s)" (issue 13)
    assert str(damaged_home.backups) in box.informativeText()
    assert box.defaultButton().objectName() == "restore"
    assert "is damaged" in box.detailedText()


def test_restore_choice_brings_back_the_decisions(qtbot, damaged_home):
    before = digest(damaged_home.database)
    assert recovery.recover(damaged_home, error_for(damaged_home), ask=lambda box: "restore")
    with Library(damaged_home, check=True) as library:
        assert library.count() == 40
        assert sum(v.permission == "deny" for v in library.videos()) == 10
    kept = [b for b in backups.list_backups(damaged_home) if b.label == "replaced-by-restore"]
    assert len(kept) == 1 and digest(kept[0].path) == before


def test_quit_leaves_everything_as_it_was(qtbot, damaged_home):
    before = digest(damaged_home.database)
    assert not recovery.recover(damaged_home, error_for(damaged_home), ask=lambda box: "quit")
    assert digest(damaged_home.database) == before
    assert all(b.label == "auto" for b in backups.list_backups(damaged_home))


def test_without_a_backup_it_offers_a_new_library_not_a_silent_empty_one(qtbot, home):
    with Library(home) as library:
        fill(library, 5)
    damage_pages(home.database)
    error = error_for(home)
    box = recovery.damaged_box(home, error)
    qtbot.addWidget(box)
    assert buttons(box) == {"empty", "quit"}
    assert recovery.recover(home, error, ask=lambda box: "empty")
    with Library(home, check=True) as library:
        assert library.count() == 0
    assert [b.label for b in backups.list_backups(home)] == ["replaced-by-restore"]


def test_start_checks_first_and_asks_only_when_damaged(qtbot, damaged_home, monkeypatch):
    asked = []
    real = recovery.recover

    def fake_recover(home, error, parent=None):
        asked.append(str(error))
        return real(home, error, parent, ask=lambda box: "restore")

    monkeypatch.setattr(recovery, "recover", fake_recover)
    assert gui_app.open_checked(damaged_home)
    assert len(asked) == 1
    assert gui_app.open_checked(damaged_home)  # sound now: no question
    assert len(asked) == 1


def test_restore_from_backup_while_the_window_runs(qtbot, home, good_clips, questions):
    from tests.gui.windows import column, fill, finish, open_window, permissions

    fill(home, [good_clips])
    window = open_window(qtbot, home)
    ids = sorted(permissions(window))
    with Library(home) as library:
        library.backup_now()  # every video on default
    window.select_ids(ids[:3])
    finish(qtbot, window, window.set_permission_for_selection("allow"))
    assert sum(v == "allow" for v in permissions(window).values()) == 3

    dialog = window.open_backups()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=30_000)
    assert dialog.table.item(0, 1).text() == str(len(ids))
    assert dialog.table.item(0, 2).text() == "on request"
    assert dialog.restore_button.isEnabled()
    asked, _answers = questions
    assert dialog.restore()
    assert "Changes made since then are not in it" in asked[-1][1]
    assert "Restored the backup" in dialog.note.text()
    assert set(permissions(window).values()) == {"default"}, "the table shows the backup"
    assert window.context.consent.state().default == "deny"
    assert len(column(window, 0)) == len(ids)
    kept = [b for b in backups.list_backups(home) if b.label == "replaced-by-restore"]
    assert len(kept) == 1 and kept[0].videos == len(ids)
    conn = sqlite3.connect(kept[0].path)
    assert conn.execute("SELECT count(*) FROM videos WHERE permission='allow'").fetchone()[0] \
        == 3, "the replaced library, with the changes made after the backup, is kept"
    conn.close()
    # the window goes on working on the restored library
    window.select_ids(ids[:1])
    finish(qtbot, window, window.set_permission_for_selection("deny"))
    assert window.last_change.count == 1
    with Library(home) as library:
        assert library.video(ids[0]).permission == "deny"
