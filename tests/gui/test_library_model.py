"""The library model and its proxy over a real library: columns, permission edits through
consent, sorting, search and filters, lazy thumbnails, and 10,000 rows."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSize, Qt  # noqa: E402
from PySide6.QtGui import QPixmap  # noqa: E402

from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.core.library import Library, NewVideo  # noqa: E402
from remix_desktop.gui.context import AppContext  # noqa: E402
from remix_desktop.gui.library_model import (COL_DURATION, COL_EFFECTIVE, COL_NAME,  # noqa: E402
                                             COL_PERMISSION, COL_RESOLUTION, LibraryModel,
                                             LibraryProxy, VideoIdRole)
from remix_desktop.gui.main_window import MainWindow  # noqa: E402
from remix_desktop.gui.thumbnails import ThumbnailCache  # noqa: E402

DISPLAY = Qt.ItemDataRole.DisplayRole


def fake(i: int, *, name: str | None = None, duration: float = 10.0, size=(640, 360),
         thumbnail: str | None = None) -> NewVideo:
    return NewVideo(path=f"/videos/{name or f'clip {i:05d}.mp4'}", fingerprint=f"fp-{i}",
                    size=1000 + i, mtime=0.0, duration_s=duration, fps=25.0, width=size[0],
                    height=size[1], rotation=0, codec="h264",
                    thumbnail=thumbnail if thumbnail is not None else f"fake-{i}.jpg",
                    face_share=0.0, face_samples=12)  # looked at: no face


def insert(home, videos: list[NewVideo]) -> None:
    with Library(home) as library, library.write() as conn:  # one transaction
        for video in videos:
            Library.insert_video(conn, video)


@pytest.fixture
def context(qtbot, home):
    ctx = AppContext(home)
    yield ctx
    ctx.close()


def cell(model, row, column, role=DISPLAY):
    return model.data(model.index(row, column), role)


def test_columns_and_a_permission_edit_through_consent(qtbot, home, context):
    insert(home, [fake(1, name="b.mp4", duration=75.4, size=(1920, 1080)),
                  fake(2, name="a.mp4", duration=4.0, size=(720, 1280))])
    model = LibraryModel(context)
    assert model.rowCount() == 2 and model.columnCount() == 5
    row = model.row_of(1)
    assert cell(model, row, COL_NAME) == "b.mp4"
    assert cell(model, row, COL_DURATION) == "1:15"
    assert cell(model, row, COL_RESOLUTION) == "1920×1080"
    assert cell(model, row, COL_PERMISSION) == "Default"
    assert cell(model, row, COL_EFFECTIVE) == "Denied — library default"
    assert model.flags(model.index(row, COL_PERMISSION)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(row, COL_NAME)) & Qt.ItemFlag.ItemIsEditable

    with qtbot.waitSignal(context.consentChanged, timeout=1000):
        assert model.setData(model.index(row, COL_PERMISSION), "allow")
    assert context.library.video(1).permission == "allow"
    assert context.library.video(2).permission == "default"
    context.consentChanged.emit()  # the window does this; here the model reloads by hand
    model.reload()
    assert cell(model, model.row_of(1), COL_PERMISSION) == "Allow"
    assert cell(model, model.row_of(1), COL_EFFECTIVE) == "Allowed — your choice"
    assert not model.setData(model.index(row, COL_NAME), "allow")


def test_sorting_by_each_column_keeps_ids_with_rows(qtbot, home, context):
    insert(home, [fake(1, name="Zebra.mp4", duration=30, size=(320, 180)),
                  fake(2, name="apple.mp4", duration=5, size=(1920, 1080)),
                  fake(3, name="Mango.mp4", duration=12, size=(640, 360))])
    context.consent.set_permission([3], "allow")
    context.consent.set_permission([1], "deny")
    model = LibraryModel(context)

    def names():
        return [cell(model, r, COL_NAME) for r in range(model.rowCount())]

    model.sort(COL_NAME)
    assert names() == ["apple.mp4", "Mango.mp4", "Zebra.mp4"]
    model.sort(COL_DURATION, Qt.SortOrder.DescendingOrder)
    assert names() == ["Zebra.mp4", "Mango.mp4", "apple.mp4"]
    model.sort(COL_RESOLUTION)
    assert names() == ["Zebra.mp4", "Mango.mp4", "apple.mp4"]
    model.sort(COL_PERMISSION)  # allow, default, deny
    assert names() == ["Mango.mp4", "apple.mp4", "Zebra.mp4"]
    model.sort(COL_EFFECTIVE)  # allowed first
    assert names()[0] == "Mango.mp4"
    for r in range(model.rowCount()):
        assert model.row_of(cell(model, r, 0, VideoIdRole)) == r


def test_search_and_filters(qtbot, home, context):
    insert(home, [fake(1, name="Beach day.mp4"), fake(2, name="beach sunset.mov"),
                  fake(3, name="Cat.mp4"), fake(4, name="Dog.mp4")])
    context.consent.set_permission([1, 3], "allow")
    context.consent.set_permission([4], "deny")
    model = LibraryModel(context)
    proxy = LibraryProxy()
    proxy.setSourceModel(model)

    def ids():
        return sorted(proxy.video_id(r) for r in range(proxy.rowCount()))

    proxy.set_search("BEACH")
    assert ids() == [1, 2]
    proxy.set_filter("allowed")
    assert ids() == [1]
    proxy.set_search("")
    assert ids() == [1, 3]
    proxy.set_filter("denied")
    assert ids() == [2, 4]
    proxy.set_filter("own:default")
    assert ids() == [2]
    proxy.set_filter("own:deny")
    assert ids() == [4]
    context.consent.set_optout(True)
    model.reload()
    proxy.set_filter("allowed")
    assert ids() == []
    proxy.set_filter("own:allow")  # the creator's own choices stay visible under the opt-out
    assert ids() == [1, 3]
    with pytest.raises(ValueError):
        proxy.set_filter("nonsense")


def test_thumbnails_load_lazily_off_the_gui_thread_into_a_bounded_cache(
        qtbot, home, context, good_clips):
    run_import(context.library, [good_clips])
    model = LibraryModel(context)
    cache = model.thumbnails
    row = 0
    name = model.row(row).thumbnail
    assert cache.requests == 0, "nothing asks for a thumbnail before a row is painted"
    first = cell(model, row, COL_NAME, Qt.ItemDataRole.DecorationRole)
    assert first.cacheKey() == cache.placeholder().cacheKey()
    assert cache.requests == 1
    with qtbot.waitSignal(model.dataChanged, timeout=5000) as changed:
        pass
    assert changed.args[0].row() == row and changed.args[0].column() == COL_NAME
    loaded = cell(model, row, COL_NAME, Qt.ItemDataRole.DecorationRole)
    assert isinstance(loaded, QPixmap) and not loaded.isNull()
    assert loaded.cacheKey() != cache.placeholder().cacheKey()
    assert cache.cached(name) and cache.requests == 1  # a second paint does not load again
    model.shutdown()


def test_thumbnail_cache_is_bounded_and_remembers_missing_files(qtbot, home, good_clips,
                                                                 context):
    run_import(context.library, [good_clips])
    names = [v.thumbnail for v in context.library.videos()]
    cache = ThumbnailCache(home.thumbnails, limit=3, size=QSize(40, 24))
    for name in names + ["missing.jpg"]:
        cache.get(name)
    qtbot.waitUntil(lambda: not cache._pending and not cache._in_flight, timeout=5000)
    assert len(cache) == 3, "the LRU keeps only `limit` entries"
    assert cache.requests == len(names) + 1
    assert cache.get("missing.jpg").cacheKey() == cache.placeholder().cacheKey()
    before = cache.requests
    cache.get("missing.jpg")
    assert cache.requests == before, "a missing file is remembered, not asked for again"
    cache.shutdown()


def test_ten_thousand_videos_open_and_scroll_with_few_thumbnail_loads(qtbot, home):
    insert(home, [fake(i) for i in range(10_000)])
    context = AppContext(home)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    assert window.model.rowCount() == 10_000
    assert window.proxy.rowCount() == 10_000
    qtbot.waitUntil(lambda: window.model.thumbnails.requests > 0, timeout=3000)
    at_top = window.model.thumbnails.requests
    visible = window.table.viewport().height() // window.table.verticalHeader().defaultSectionSize() + 2
    assert 0 < at_top <= visible

    window.table.scrollToBottom()
    qtbot.wait(200)
    cache = window.model.thumbnails
    requested = set(cache.recent_requests)
    assert cache.requests <= 2 * visible + 2, "only painted rows ask for their thumbnail"
    model = window.model
    id_of = {model.row(r).thumbnail: model.row(r).id for r in range(model.rowCount())}
    rows = sorted(window.proxy.proxy_row_of(id_of[name]) for name in requested)
    assert all(r < visible or r >= 10_000 - visible for r in rows), rows
    last = model.row(model.row_of(window.proxy.video_id(9_999))).thumbnail
    assert last in requested, "the bottom rows asked for theirs"
    qtbot.waitUntil(lambda: not cache._in_flight and not cache._pending, timeout=5000)
    assert not cache.cached(last)  # the file is absent: the placeholder stays


def test_every_reason_of_the_consent_rule_has_a_short_label():
    from remix_desktop.core.consent_rule import Reason, Verdict
    from remix_desktop.gui.library_model import SHORT_REASONS, effective_label

    assert set(SHORT_REASONS) == set(Reason)
    assert effective_label(Verdict("deny", Reason.OPTED_OUT)) == "Denied — bulk opt-out is on"
