"""The library as a Qt table model over the database (one query for every row's columns), and
the proxy that searches and filters it.

Thumbnails are asked for only by rows the view paints (DecorationRole); see thumbnails.py.
Sorting happens here, in Python with one key per row, so 10,000 rows sort in milliseconds
instead of a Python `data()` call per comparison; the proxy only filters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal

from ..core.consent import (DEFAULT_ALLOW, DEFAULT_DENY, OPTED_OUT, OWN_ALLOW, OWN_DENY,
                            ConsentState, Effective, effective_permission)
from ..core.errors import RemixDesktopError
from .context import AppContext
from .thumbnails import ThumbnailCache

COL_NAME, COL_DURATION, COL_RESOLUTION, COL_PERMISSION, COL_EFFECTIVE = range(5)
HEADERS = ("Video", "Duration", "Resolution", "Permission", "May be remixed?")

_READ_ONLY = (Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
              | Qt.ItemFlag.ItemNeverHasChildren)
_EDITABLE = _READ_ONLY | Qt.ItemFlag.ItemIsEditable

VideoIdRole = Qt.ItemDataRole.UserRole + 1
PermissionRole = Qt.ItemDataRole.UserRole + 2  # the video's own choice: allow, deny, default
EffectiveRole = Qt.ItemDataRole.UserRole + 3  # the core's Effective (permission and reason)
FolderRole = Qt.ItemDataRole.UserRole + 4  # the folder the video file is in

PERMISSION_LABELS = {"allow": "Allow", "deny": "Deny", "default": "Default"}
SHORT_REASONS = {
    OPTED_OUT: "bulk opt-out is on",
    OWN_ALLOW: "your choice",
    OWN_DENY: "your choice",
    DEFAULT_ALLOW: "library default",
    DEFAULT_DENY: "library default",
}
FILTERS = (  # key, label
    ("all", "All videos"),
    ("allowed", "May be remixed"),
    ("denied", "May not be remixed"),
    ("own:allow", "Own choice: allow"),
    ("own:deny", "Own choice: deny"),
    ("own:default", "Own choice: default"),
)


def effective_label(effective: Effective) -> str:
    """'Denied — bulk opt-out is on': the verdict and the short form of the core's reason."""
    verdict = "Allowed" if effective.allowed else "Denied"
    return f"{verdict} — {SHORT_REASONS.get(effective, effective.reason)}"


def duration_label(seconds: float) -> str:
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(slots=True)
class Row:
    id: int
    name: str
    folder: str
    duration_s: float
    width: int
    height: int
    permission: str
    thumbnail: str | None


class LibraryModel(QAbstractTableModel):
    """Every video of the library, one row each. Permission edits write through consent."""

    message = Signal(str)  # a sentence for the status bar after an edit

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.thumbnails = ThumbnailCache(context.home.thumbnails, self)
        self.thumbnails.loaded.connect(self._thumbnail_loaded)
        self._rows: list[Row] = []
        self._row_of: dict[int, int] = {}
        self._id_by_thumb: dict[str, int] = {}
        self._state = ConsentState("deny", False)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    def _query(self) -> list[Row]:
        rows = self.context.library.conn.execute(
            "SELECT id, path, duration_s, width, height, permission, thumbnail FROM videos")
        return [Row(i, os.path.basename(p), os.path.dirname(p), d, w, h, perm, t)
                for i, p, d, w, h, perm, t in rows]

    def reload(self) -> None:
        """Read every row again (videos added, removed or edited). When the same videos are
        there, rows are updated in place, so selections and editors survive; otherwise the
        model is reset (the window puts the selection back by video id)."""
        with self.context.library.read():
            rows = self._query()
            self._state = self.context.consent.state()
        self._id_by_thumb = {r.thumbnail: r.id for r in rows if r.thumbnail}
        if len(rows) == len(self._rows) and all(r.id in self._row_of for r in rows):
            changed = False
            for r in rows:
                position = self._row_of[r.id]
                if self._rows[position] != r:  # a title edit changes none of our columns
                    self._rows[position] = r
                    changed = True
            if changed:
                self._rows_changed()
            return
        self.beginResetModel()
        self._rows = rows
        self.thumbnails.forget_missing()
        self._sort_rows()
        self._index_rows()
        self.endResetModel()

    def refresh_permissions(self) -> None:
        """After a consent change: read each video's own permission and the library state
        (one small query) and update the rows in place."""
        with self.context.library.read():
            permissions = self.context.library.conn.execute(
                "SELECT id, permission FROM videos").fetchall()
            self._state = self.context.consent.state()
        if len(permissions) != len(self._rows):  # videos came or went meanwhile
            self.reload()
            return
        row_of, rows = self._row_of, self._rows
        for video_id, permission in permissions:
            position = row_of.get(video_id)
            if position is None:
                self.reload()
                return
            rows[position].permission = permission
        self._rows_changed((COL_PERMISSION, COL_EFFECTIVE))

    def _rows_changed(self, columns: tuple[int, int] = (0, len(HEADERS) - 1)) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, columns[0]),
                                  self.index(len(self._rows) - 1, columns[-1]))
        if self._sort_column in (COL_PERMISSION, COL_EFFECTIVE) or columns[0] == 0:
            self.sort(self._sort_column, self._sort_order)

    def _index_rows(self) -> None:
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}

    # -- reading ---------------------------------------------------------------------------

    @property
    def state(self) -> ConsentState:
        return self._state

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def row(self, row: int) -> Row:
        return self._rows[row]

    def video_id(self, row: int) -> int:
        return self._rows[row].id

    def row_of(self, video_id: int) -> int | None:
        return self._row_of.get(video_id)

    def ids(self) -> list[int]:
        return [r.id for r in self._rows]

    def effective(self, row: int) -> Effective:
        return effective_permission(self._rows[row].permission, self._state.default,
                                    self._state.optout)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return ("Your own choice for this video (Allow, Deny, or Default: follow the "
                        "library default). Click to change it." if section == COL_PERMISSION
                        else "Whether AI may remix this video now, and why."
                        if section == COL_EFFECTIVE else None)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return r.name
            if col == COL_DURATION:
                return duration_label(r.duration_s)
            if col == COL_RESOLUTION:
                return f"{r.width}×{r.height}"
            if col == COL_PERMISSION:
                return PERMISSION_LABELS[r.permission]
            return effective_label(self.effective(index.row()))
        if role == Qt.ItemDataRole.EditRole and col == COL_PERMISSION:
            return r.permission
        if role == Qt.ItemDataRole.DecorationRole and col == COL_NAME:
            return self.thumbnails.get(r.thumbnail)  # painted rows only: the lazy load
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_NAME:
                return os.path.join(r.folder, r.name)
            if col == COL_PERMISSION:
                return {"allow": "You allowed AI remixes of this video.",
                        "deny": "You denied AI remixes of this video.",
                        "default": "This video follows the library default "
                                   f"({self._state.default})."}[r.permission]
            if col == COL_EFFECTIVE:
                eff = self.effective(index.row())
                return f"{'Allowed' if eff.allowed else 'Denied'}: {eff.reason}."
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_DURATION, COL_RESOLUTION):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == VideoIdRole:
            return r.id
        if role == PermissionRole:
            return r.permission
        if role == EffectiveRole:
            return self.effective(index.row())
        if role == FolderRole:
            return r.folder
        return None

    def flags(self, index):  # called for every selected cell: keep it to one comparison
        return _EDITABLE if index.column() == COL_PERMISSION else _READ_ONLY

    # -- the per-video permission control --------------------------------------------------

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.EditRole or not index.isValid()
                or index.column() != COL_PERMISSION):
            return False
        r = self._rows[index.row()]
        value = str(value)
        if value == r.permission:
            return True
        try:
            change = self.context.consent.set_permission([r.id], value)
        except RemixDesktopError as exc:
            self.message.emit(str(exc))
            return False
        self.context.consentChanged.emit()  # every view reloads, this model in place
        if change.count:
            eff = effective_label(self.effective(self._row_of.get(r.id, index.row())))
            self.message.emit(f"{r.name}: permission set to {PERMISSION_LABELS[value]} "
                              f"({eff}).")
        return True

    # -- sorting ---------------------------------------------------------------------------

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[p.row()].id for p in persistent]
        self._sort_rows()
        self._index_rows()
        self.changePersistentIndexList(
            persistent, [self.index(self._row_of[i], p.column()) for i, p in zip(ids, persistent)])
        self.layoutChanged.emit()

    def _sort_rows(self) -> None:
        column = self._sort_column
        if column < 0:
            self._rows.sort(key=lambda r: r.id)
            return
        rank = {"allow": 0, "default": 1, "deny": 2}
        state = self._state
        keys = {
            COL_NAME: lambda r: (r.name.casefold(), r.id),
            COL_DURATION: lambda r: (r.duration_s, r.id),
            COL_RESOLUTION: lambda r: (r.width * r.height, r.width, r.id),
            COL_PERMISSION: lambda r: (rank[r.permission], r.id),
            COL_EFFECTIVE: lambda r: (
                not (e := effective_permission(r.permission, state.default, state.optout)
                     ).allowed, e.reason, r.id),
        }
        self._rows.sort(key=keys[column],
                        reverse=self._sort_order == Qt.SortOrder.DescendingOrder)

    # -- thumbnails ------------------------------------------------------------------------

    def _thumbnail_loaded(self, name: str) -> None:
        row = self._row_of.get(self._id_by_thumb.get(name, -1))
        if row is not None:
            index = self.index(row, COL_NAME)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def shutdown(self) -> None:
        self.thumbnails.shutdown()


class LibraryProxy(QSortFilterProxyModel):
    """Search by name and filter by permission; sorting is passed on to the source model."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._search = ""
        self._filter = "all"
        self._source_rows: list[int] | None = None  # proxy row -> source row, when asked
        self._proxy_rows: dict[int, int] | None = None
        for signal in (self.layoutChanged, self.modelReset, self.rowsInserted,
                       self.rowsRemoved):
            signal.connect(self._forget_mapping)

    def _forget_mapping(self, *args) -> None:
        self._source_rows = self._proxy_rows = None

    def source_rows(self) -> list[int]:
        """The source row of every proxy row, computed once per layout (bulk selections)."""
        if self._source_rows is None:
            if self._search or self._filter != "all":
                self._source_rows = [self.mapToSource(self.index(r, 0)).row()
                                     for r in range(self.rowCount())]
            else:  # nothing filtered, and sorting happens in the source: the same order
                self._source_rows = list(range(self.sourceModel().rowCount()))
        return self._source_rows

    @property
    def search_text(self) -> str:
        return self._search

    @property
    def filter_key(self) -> str:
        return self._filter

    def set_search(self, text: str) -> None:
        text = text.strip().casefold()
        if text != self._search:
            self._refilter(lambda: setattr(self, "_search", text))

    def set_filter(self, key: str) -> None:
        if key not in dict(FILTERS):
            raise ValueError(f"unknown filter {key!r}")
        if key != self._filter:
            self._refilter(lambda: setattr(self, "_filter", key))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        key = self._filter
        if not self._search and key == "all":
            return True
        model: LibraryModel = self.sourceModel()
        r = model.row(source_row)
        if self._search and self._search not in r.name.casefold():
            return False
        if key == "all":
            return True
        if key.startswith("own:"):
            return r.permission == key[4:]
        return model.effective(source_row).allowed == (key == "allowed")

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def video_id(self, proxy_row: int) -> int:
        return self.sourceModel().video_id(self.mapToSource(self.index(proxy_row, 0)).row())

    def video_ids(self, proxy_rows) -> list[int]:
        source, model = self.source_rows(), self.sourceModel()
        return [model.video_id(source[r]) for r in proxy_rows]

    def proxy_row_of(self, video_id: int) -> int | None:
        source_row = self.sourceModel().row_of(video_id)
        if source_row is None:
            return None
        index = self.mapFromSource(self.sourceModel().index(source_row, 0))
        return index.row() if index.isValid() else None

    def proxy_rows_of(self, video_ids) -> list[int]:
        """The proxy rows of these videos (those shown), for restoring big selections."""
        if self._proxy_rows is None:
            self._proxy_rows = {s: p for p, s in enumerate(self.source_rows())}
        model, mapping = self.sourceModel(), self._proxy_rows
        rows = (mapping.get(model.row_of(i)) for i in video_ids)
        return [r for r in rows if r is not None]

