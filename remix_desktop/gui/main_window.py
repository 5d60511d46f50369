"""The main window: the library list (model, search, filter, per-video permissions) beside
the remix panel, the bulk opt-out switch and banner, imports, and a status bar with counts.

State that survives restarts (geometry, splitter, columns, last video, search and filter)
is kept in the library's settings under `gui.*` keys.
"""

from __future__ import annotations

import logging
import os
import time

from PySide6.QtCore import (QByteArray, QEvent, QItemSelection, QItemSelectionModel,
                            Qt, QTimer, QUrl)
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QMainWindow, QMenu, QSplitter, QStackedWidget,
                               QTableView, QToolButton, QVBoxLayout, QWidget)

from ..core.errors import RemixDesktopError
from ..core.video_files import FileState
from .actions import ActionsMixin, videos
from .context import AppContext
from .delegates import EffectiveDelegate, NameDelegate, PermissionDelegate
from .import_flow import ImportFlow, paths_from_mime
from .locate_actions import LocateMixin
from .look_flow import LookFlow
from .library_model import (COL_DURATION, COL_EFFECTIVE, COL_NAME, COL_PERMISSION,
                            COL_RESOLUTION, FILTERS, LibraryModel, LibraryProxy)
from .remix_panel import RemixPanel
from .remix_widgets import Notice
from .thumbnails import THUMB_SIZE
from .widgets import DropOverlay, EmptyState, OptOutBanner, SearchBox

log = logging.getLogger(__name__)
EMPTY_PAGE, LIBRARY_PAGE = 0, 1
SEARCH_DELAY_MS = 150  # typing in a big library filters once the typist pauses
SEARCH_DELAY_ROWS = 5000  # below this many videos each keystroke filters at once
STATE_KEYS = ("gui.geometry", "gui.window_state", "gui.splitter", "gui.header")


def default_size() -> tuple[int, int]:
    """1360 x 820, or less: never larger than the screen's free area (a 1366 x 768 laptop
    sees its status bar)."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return 1360, 820
    free = screen.availableGeometry()
    return min(1360, free.width()), min(820, free.height())


class MainWindow(ActionsMixin, LocateMixin, QMainWindow):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self._closed = False
        self.audit_dialog = None
        self._panel_video: int | None = None
        self.setWindowTitle("Remix Desktop")
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.resize(*default_size())

        self.model = LibraryModel(context, self)
        self.proxy = LibraryProxy(self)
        self.proxy.setSourceModel(self.model)
        self.import_flow = ImportFlow(self, context)
        self.look_flow = LookFlow(self, context)
        self._build_actions()
        self._build_locate()
        self._build_menus()
        self.toolbar = self._build_toolbar()
        self._build_body()
        self._build_status()

        self.model.message.connect(self.show_message)
        self.model.modelAboutToBeReset.connect(self._remember_view)
        self.model.modelReset.connect(self._restore_view)
        self.proxy.rowsInserted.connect(self._update_filter_note)
        self.proxy.rowsRemoved.connect(self._update_filter_note)
        self.proxy.layoutChanged.connect(self._update_filter_note)
        self.proxy.modelReset.connect(self._update_filter_note)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.banner.turnOff.connect(lambda: self.set_optout(False))
        self.empty_page.importRequested.connect(self.import_flow.choose_files)
        context.libraryChanged.connect(self._library_changed)
        context.consentChanged.connect(self._consent_changed)
        context.opChanged.connect(self._op_changed)

        self._restore_state()
        self._update_status()
        self._selection_changed()
        self.look_flow.start_soon()  # videos from before faces and copies were looked for

    # -- building --------------------------------------------------------------------------

    def _build_body(self) -> None:
        self.search = SearchBox()
        self.search.down.connect(self.enter_results)
        self.search.setPlaceholderText("Search names, titles, tags")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show only videos whose file name, title, description or tags "
                               "contain this (Ctrl+F)")
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.proxy.set_search(self.search.text()))
        self.search.textChanged.connect(self._search_typed)
        self.filter_combo = QComboBox()
        for key, label in FILTERS:
            self.filter_combo.addItem(label, key)
        self.filter_combo.setToolTip("Show videos by whether they may be remixed, or by your "
                                     "own choice")
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(self.filter_combo.currentData()))
        self.filter_note = QLabel()
        self.filter_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.clear_filter = QToolButton()
        self.clear_filter.setText("Show all")
        self.clear_filter.setObjectName("clearFilter")
        self.clear_filter.clicked.connect(self.show_all)
        self.clear_filter.hide()
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.filter_combo, 2)
        bar.addWidget(self.filter_note)
        bar.addWidget(self.clear_filter)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setObjectName("libraryTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)  # F2
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (to the remix panel)
        self.table.setIconSize(THUMB_SIZE)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.clicked.connect(self._clicked)
        self.table.doubleClicked.connect(self._double_clicked)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row size queries
        rows.setDefaultSectionSize(THUMB_SIZE.height() + 14)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        # The header paints each section with whether its whole column is selected, and Qt
        # finds that out by asking the model for the flags of every cell of the column: half
        # a million Python calls (seconds) after selecting all of 100,000 rows. Sections
        # are never highlighted here, so the header gets a selection model of its own that
        # stays empty.
        self._header_selection = QItemSelectionModel(self.proxy, self)
        header.setSelectionModel(self._header_selection)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((COL_DURATION, 62), (COL_RESOLUTION, 84), (COL_PERMISSION, 104),
                              (COL_EFFECTIVE, 160)):
            header.resizeSection(column, width)
        header.setMinimumSectionSize(60)
        self.table.setItemDelegateForColumn(COL_NAME, NameDelegate(self.table))
        self.table.setItemDelegateForColumn(COL_PERMISSION, PermissionDelegate(self.table))
        self.table.setItemDelegateForColumn(COL_EFFECTIVE, EffectiveDelegate(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)

        left = QWidget()
        left.setMinimumWidth(460)  # the name column keeps room beside the fixed ones
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table)
        self._scope_to(left, [self.remove_action, self.select_all_action])
        self.panel = RemixPanel(self.context)
        self.panel.modelsRequested.connect(lambda: self.open_models())
        for _key, combo in self._look_combos():
            combo.currentIndexChanged.connect(self._save_look)  # kept at once, not on close
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("librarySplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setCollapsible(1, True)  # the remix panel folds away: all the room for
        # the library (drag it back, or View > Remix panel)
        self.splitter.splitterMoved.connect(
            lambda *_: self.panel_action.setChecked(self.splitter.sizes()[1] > 0))
        self.splitter.setSizes([760, 520])
        self.library_page = self.splitter

        self.empty_page = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_page)
        self.stack.addWidget(self.library_page)
        self.banner = OptOutBanner()
        # a library opened for reading only (its folder is read-only): said, not discovered
        self.read_only_notice = Notice(
            f"The data folder {self.context.home.root} is read-only, so this library can be "
            "looked at and its previews exported, but nothing can be changed or added. Make "
            "the folder writable and start Remix Desktop again to change it.")
        self.read_only_notice.setVisible(self.context.library.read_only)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.read_only_notice)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)
        self.drop_overlay = DropOverlay(body)

    def _build_status(self) -> None:
        self.selection_label = QLabel()  # "6 selected": what a bulk action acts on
        self.statusBar().addPermanentWidget(self.selection_label)
        self.counts_label = QLabel()
        self.counts_label.setToolTip("Videos in the library, and how many AI may remix now")
        self.statusBar().addPermanentWidget(self.counts_label)

    # -- reacting to changes ---------------------------------------------------------------

    def _library_changed(self) -> None:
        self.model.reload()
        self._update_status()

    def _consent_changed(self) -> None:
        snapshot = self.context.snapshot  # a change's job read it: nothing to read here
        self.model.refresh_permissions(snapshot)  # swapped in place: the selection stays
        self._update_status(snapshot)

    def _search_typed(self, text: str) -> None:
        if self.model.total() < SEARCH_DELAY_ROWS:
            self._search_timer.stop()
            self.proxy.set_search(text)
        else:
            self._search_timer.start()  # again: filtered once, after the last keystroke

    def _op_changed(self, running: bool) -> None:
        """While a consent change is being written, no second one can start."""
        for action in self.consent_actions:
            action.setEnabled(not running)
        if not running:
            self._selection_changed()
            self._update_undo()

    def _update_status(self, snapshot=None) -> None:
        if snapshot is not None:
            counts, state = snapshot.counts, snapshot.state
        else:
            consent = self.context.consent
            counts, state = consent.counts(), consent.state()
        self.counts = counts
        self.counts_label.setText(
            f"{videos(counts['videos'])} · {counts['allowed']} may be remixed · "
            f"bulk opt-out {'ON' if state.optout else 'off'}")
        self.optout_action.setChecked(state.optout)
        self.banner.setVisible(state.optout)
        self.stack.setCurrentIndex(LIBRARY_PAGE if counts["videos"] else EMPTY_PAGE)
        self._update_undo(snapshot.next_undo if snapshot is not None else ...)
        self._update_filter_note()

    def _update_filter_note(self, *args) -> None:
        """'3 of 23' and a Show all button whenever a search or a filter is on (one that
        came back from the last session too), with what is on in the tooltip."""
        shown, total = self.proxy.rowCount(), self.model.total()
        search = self.search.text().strip()
        key = self.filter_combo.currentData() or "all"
        active = bool(search) or key != "all"
        on = ([f"search “{search}”"] if search else []) + (
            [f"filter: {self.filter_combo.currentText()}"] if key != "all" else [])
        self.filter_note.setText("" if not active and shown == total else
                                 "No videos match" if shown == 0 else f"{shown} of {total}")
        self.filter_note.setToolTip("Showing only videos that match: " + ", ".join(on)
                                    if active else "")
        self.clear_filter.setVisible(active)
        self.clear_filter.setToolTip("Clear the " + " and the ".join(on) if active else "")

    def show_all(self) -> None:
        """Clear the search and the filter: every video shows again."""
        self.search.clear()
        self.proxy.set_search("")
        self.filter_combo.setCurrentIndex(0)
        self._update_filter_note()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "table"):  # dark mode
            self.model.thumbnails.reset_placeholder()
            self.table.viewport().update()
        if (event.type() == QEvent.Type.ActivationChange and self.isActiveWindow()
                and hasattr(self, "model")):  # back to the app: a drive may be back
            now = time.monotonic()
            if now - getattr(self, "_files_looked", 0.0) > 10.0:
                self._files_looked = now
                self.model.check_files()
        super().changeEvent(event)

    def show_message(self, text: str, msecs: int = 8000) -> None:
        self.last_message = text
        self.statusBar().showMessage(text, msecs)

    # -- selection -------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        """Proxy rows of the selection, from its ranges (selectedRows() would ask the model
        for the flags of every selected cell: seconds for 100,000 rows)."""
        rows: set[int] = set()
        for selected in self.table.selectionModel().selection():
            rows.update(range(selected.top(), selected.bottom() + 1))
        return sorted(rows)

    def names_of(self, ids: list[int], shown: int = 3) -> str:
        """'clip.mp4', 'a.mp4 and b.mp4', or '6 videos (a.mp4, b.mp4, c.mp4 and 3 more)':
        the videos a change is about, by name (only the first few are looked up)."""
        names = []
        for video_id in ids[:shown]:
            row = self.model.row_of(video_id)
            names.append(self.model.row(row).name if row is not None else f"video {video_id}")
        if len(ids) == 1:
            return names[0]
        if len(ids) <= shown:
            return ", ".join(names[:-1]) + f" and {names[-1]}"
        return f"{len(ids)} videos ({', '.join(names)} and {len(ids) - shown} more)"

    def selected_ids(self) -> list[int]:
        ranges = [(r.top(), r.bottom()) for r in self.table.selectionModel().selection()]
        return sorted(set(self.proxy.video_ids_in(ranges)))

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.proxy.video_id(index.row()) if index.isValid() else None

    def select_ids(self, ids, current: int | None = None) -> None:
        """Select these videos (those shown), in runs of rows, and make `current` current."""
        rows = sorted(set(self.proxy.proxy_rows_of(ids)))
        selection = QItemSelection()
        last = self.proxy.columnCount() - 1
        if rows:  # runs of consecutive rows, found by comprehensions (100,000 rows: ms)
            ends = [a for a, b in zip(rows, rows[1:]) if b != a + 1] + [rows[-1]]
            starts = [rows[0]] + [b for a, b in zip(rows, rows[1:]) if b != a + 1]
            for start, end in zip(starts, ends):
                selection.select(self.proxy.index(start, 0), self.proxy.index(end, last))
        model = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag
        if current is not None and (row := self.proxy.proxy_row_of(current)) is not None:
            model.setCurrentIndex(self.proxy.index(row, 0), flags.NoUpdate)
        model.select(selection, flags.ClearAndSelect | flags.Rows)

    def select_all(self) -> None:
        self.table.setFocus()
        self.table.selectAll()

    def enter_results(self) -> None:
        """Down in the search box: into the list, on its first row unless one is chosen."""
        self.table.setFocus()
        if not self.selected_ids() and self.proxy.rowCount():
            self.table.selectRow(0)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _selection_changed(self, *args) -> None:
        ranges = self.table.selectionModel().selection()
        count = sum(r.bottom() - r.top() + 1 for r in ranges)
        if count == 2:  # perhaps one row in two overlapping ranges
            count = len(self.selected_rows())
        self.selection_label.setText(f"{count:,} selected" if count > 1 else "")
        busy = self.context.op is not None
        for action in self.selection_actions:
            action.setEnabled(bool(count) and not (busy and action in self.consent_actions))
        single = self.proxy.video_id(ranges[0].top()) if count == 1 else None
        if single is not None:
            self._last_video = single
        if single != self._panel_video:
            self._panel_video = single
            self.panel.set_video(single)

    def _remember_view(self) -> None:
        """Before a reset: the selection, the current video and the top row, by video id."""
        top = self.table.rowAt(0)
        ranges = [(r.top(), r.bottom()) for r in self.table.selectionModel().selection()]
        self._view_memory = (set(self.proxy.video_ids_in(ranges)), self.current_id(),
                             self.proxy.video_id(top) if top >= 0 else None,
                             self.table.verticalScrollBar().value())

    def _restore_view(self) -> None:
        selected, current, top, scroll = getattr(self, "_view_memory", ([], None, None, 0))
        self.select_ids(selected, current)
        row = self.proxy.proxy_row_of(top) if top is not None else None
        if row is not None:
            self.table.scrollTo(self.proxy.index(row, 0),
                                QAbstractItemView.ScrollHint.PositionAtTop)
        else:
            self.table.verticalScrollBar().setValue(scroll)
        self._selection_changed()

    # -- clicks, menus ---------------------------------------------------------------------

    def _clicked(self, index) -> None:
        if index.column() == COL_PERMISSION and len(self.selected_ids()) <= 1:
            self.table.edit(index)  # one click opens the Allow / Deny / Default choices

    def _double_clicked(self, index) -> None:
        if index.column() != COL_PERMISSION:
            self._open_file(self.proxy.video_id(index.row()), folder=False)

    def _open_file(self, video_id: int, folder: bool) -> None:
        row = self.model.row(self.model.row_of(video_id))
        path = row.folder if folder else os.path.join(row.folder, row.name)
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.addActions([self.allow_action, self.deny_action, self.default_action])
        menu.addSeparator()
        ids = self.selected_ids()
        if len(ids) == 1:
            state = self.model.file_state(ids[0])
            if state is FileState.MISSING:
                menu.addAction("Locate…", lambda: self.locate_video(ids[0]))
            elif state is FileState.OK:
                menu.addAction("Open video", lambda: self._open_file(ids[0], folder=False))
            folder = menu.addAction("Show in folder",
                                    lambda: self._open_file(ids[0], folder=True))
            folder.setEnabled(os.path.isdir(self.model.row(self.model.row_of(ids[0])).folder))
            original = self.model.original_name(ids[0])
            if original:
                unlink = menu.addAction(f"Not a copy of “{original}”",
                                        lambda: self.unlink_copy(ids[0]))
                unlink.setToolTip("Break the link: this video no longer follows that one's "
                                  "permission (undoable, recorded in the audit trail)")
                unlink.setEnabled(self.context.op is None)
            menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- import ----------------------------------------------------------------------------

    def import_paths(self, paths):
        """Import files and folders on the thread pool; returns the Job."""
        return self.import_flow.start(list(paths))

    def dragEnterEvent(self, event) -> None:
        if paths_from_mime(event.mimeData()):
            event.acceptProposedAction()
            self.drop_overlay.cover()

    def dragLeaveEvent(self, event) -> None:
        self.drop_overlay.hide()

    def dropEvent(self, event) -> None:
        self.drop_overlay.hide()
        paths = paths_from_mime(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # -- state across restarts -------------------------------------------------------------

    def _restore_state(self) -> None:
        self._restoring = True  # the look combos change here: not saved back half-restored
        try:
            self._restore_saved()
        finally:
            self._restoring = False

    def _restore_saved(self) -> None:
        setting = self.context.library.setting
        saved = self.context.window_settings()
        # the window's layout is the machine's (QSettings); a library from before kept it
        blobs = {key: saved.value(key) if saved.contains(key) else
                 QByteArray.fromBase64(setting(key, "").encode()) for key in STATE_KEYS}
        blobs = {key: b if isinstance(b, QByteArray) else QByteArray() for key, b in blobs.items()}
        if not blobs["gui.geometry"].isEmpty():
            self.restoreGeometry(blobs["gui.geometry"])
        if not blobs["gui.window_state"].isEmpty():
            self.restoreState(blobs["gui.window_state"])
        if not blobs["gui.splitter"].isEmpty():
            self.splitter.restoreState(blobs["gui.splitter"])
        share = saved.value("gui.panel_share")
        if share is not None:
            self._panel_share = min(0.75, max(0.25, float(share)))
            QTimer.singleShot(0, self._apply_panel_share)  # once the window has its size
        panel = self.panel
        for key, combo in self._look_combos():
            position = combo.findData(saved.value(key))
            if position >= 0:
                combo.setCurrentIndex(position)
        inner = saved.value("remix/splitter")
        if isinstance(inner, QByteArray) and not inner.isEmpty():
            panel.splitter.restoreState(inner)
        header = self.table.horizontalHeader()
        if not blobs["gui.header"].isEmpty() and header.restoreState(blobs["gui.header"]):
            header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
            self.table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.search.setText(setting("gui.search", ""))
        position = self.filter_combo.findData(setting("gui.filter", "all"))
        self.filter_combo.setCurrentIndex(max(position, 0))
        last = setting("gui.last_video", "")
        if last.isdigit() and self.proxy.proxy_row_of(int(last)) is not None:
            self.select_ids([int(last)], int(last))
            self.table.scrollTo(self.proxy.index(self.proxy.proxy_row_of(int(last)), 0),
                                QAbstractItemView.ScrollHint.PositionAtCenter)

    def _save_look(self, *_args) -> None:
        """The panel's style, layout and size, written as soon as they change (a window that
        is killed rather than closed keeps them too)."""
        if getattr(self, "_restoring", False):
            return
        saved = self.context.window_settings()
        for key, combo in self._look_combos():
            saved.setValue(key, combo.currentData())

    def _look_combos(self):
        """The panel's look controls and the keys they are kept under."""
        panel = self.panel
        return (("remix/style", panel.style_combo), ("remix/layout", panel.layout_combo),
                ("remix/size", panel.size_combo), ("remix/kind", panel.kind_combo))

    def _apply_panel_share(self) -> None:
        """Give the remix panel its share of the width the window has now (a window that
        was maximised when it closed opens maximised, and its panel is not squashed)."""
        total = sum(self.splitter.sizes())
        share = getattr(self, "_panel_share", None)
        if share is None or total <= 0:
            return
        panel = max(self.panel.minimumSizeHint().width(), round(total * share))
        self.splitter.setSizes([total - panel, panel])

    def save_state(self) -> None:
        values = {
            "gui.geometry": self.saveGeometry(),
            "gui.window_state": self.saveState(),
            "gui.splitter": self.splitter.saveState(),
            "gui.header": self.table.horizontalHeader().saveState(),
        }
        saved = self.context.window_settings()
        for key, value in values.items():
            saved.setValue(key, value)
        total = sum(self.splitter.sizes())
        if total > 0:  # the panel's share of the width: right whatever size the window opens at
            saved.setValue("gui.panel_share", round(self.splitter.sizes()[1] / total, 4))
        # (the look is kept as it changes: _save_look)
        saved.setValue("remix/splitter", self.panel.splitter.saveState())
        saved.sync()
        ids = self.selected_ids()
        last = ids[0] if len(ids) == 1 else getattr(self, "_last_video", None)
        self.context.library.set_settings({  # what it showed: the library's, one transaction
            "gui.last_video": str(last) if last is not None else "",
            "gui.search": self.search.text(),
            "gui.filter": self.filter_combo.currentData() or "all"})

    def closeEvent(self, event) -> None:
        if self._closed:
            event.accept()
            return
        self._closed = True
        try:
            if not self.context.library.read_only:
                self.save_state()
        except RemixDesktopError as exc:  # a full disk: the window still closes
            log.warning("window state not saved: %s", exc)
        finally:
            if self.audit_dialog is not None:
                self.audit_dialog.close()
            self.look_flow.stop()
            self.model.shutdown()
            self.context.close()
        event.accept()
