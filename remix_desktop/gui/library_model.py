"""The library as a Qt table model over the database (one query for every row's columns), and
the proxy that searches and filters it.

Thumbnails are asked for only by rows the view paints (DecorationRole); see thumbnails.py.
Sorting happens here, in Python with one key per row, so 10,000 rows sort in milliseconds
instead of a Python `data()` call per comparison. Searching and filtering happen here too:
the model shows the rows a search and a filter accept, computed in one pass (a lowercase
search key per row, one `in` test each), and the proxy passes them through without asking
Python about each row (a QSortFilterProxyModel filter would call filterAcceptsRow from C++
100,000 times: half a second).

Each video's own permission is kept in one dict (id -> permission) beside the rows, so a
consent change swaps in the dict its job read (`refresh_permissions(snapshot)`) and emits
one dataChanged, instead of touching 100,000 rows on the GUI thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal

from ..core import ops
from ..core.consent_rule import ConsentState, Reason, Verdict, VideoFacts, verdict
from ..core.video_files import FileState, problem_sentence
from .context import AppContext
from .thumbnails import ThumbnailCache

COL_NAME, COL_DURATION, COL_RESOLUTION, COL_PERMISSION, COL_EFFECTIVE = range(5)
HEADERS = ("Video", "Duration", "Resolution", "Permission", "May be remixed?")

_READ_ONLY = (Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
              | Qt.ItemFlag.ItemNeverHasChildren)
_EDITABLE = _READ_ONLY | Qt.ItemFlag.ItemIsEditable

VideoIdRole = Qt.ItemDataRole.UserRole + 1
PermissionRole = Qt.ItemDataRole.UserRole + 2  # the video's own choice: allow, deny, default
EffectiveRole = Qt.ItemDataRole.UserRole + 3  # the core's Verdict (permission and reason)
FolderRole = Qt.ItemDataRole.UserRole + 4  # the folder the video file is in
FileStateRole = Qt.ItemDataRole.UserRole + 5  # a FileState when the file is not usable

TitleRole = Qt.ItemDataRole.UserRole + 6  # the title the creator gave the video, or ""

_DISPLAY, _EDIT, _DECORATION, _TOOLTIP, _ALIGNMENT = (
    int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.EditRole),
    int(Qt.ItemDataRole.DecorationRole), int(Qt.ItemDataRole.ToolTipRole),
    int(Qt.ItemDataRole.TextAlignmentRole))
_VIDEO_ID, _PERMISSION, _EFFECTIVE, _FOLDER, _FILE_STATE, _TITLE = (
    int(VideoIdRole), int(PermissionRole), int(EffectiveRole), int(FolderRole),
    int(FileStateRole), int(TitleRole))
_ANSWERED = frozenset({_DISPLAY, _EDIT, _DECORATION, _TOOLTIP, _ALIGNMENT, _VIDEO_ID,
                       _PERMISSION, _EFFECTIVE, _FOLDER, _FILE_STATE, _TITLE})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

FILE_LABELS = {FileState.MISSING: "File missing", FileState.UNREADABLE: "File unreadable",
               FileState.CHANGED: "File changed"}
FILE_HINTS = {FileState.MISSING: "right-click: Locate…", FileState.UNREADABLE: "permission",
              FileState.CHANGED: "import it again"}

PERMISSION_LABELS = {"allow": "Allow", "deny": "Deny", "default": "Default"}
SHORT_REASONS = {  # the consent rule's reasons, said in the few words a column has room for
    Reason.OPTED_OUT: "bulk opt-out is on",
    Reason.OWN_ALLOW: "your choice",
    Reason.OWN_DENY: "your choice",
    Reason.COPY_OF_DENIED: "copy of a denied video",
    Reason.SHOWS_FACE: "shows a face",
    Reason.FACE_UNCHECKED: "not looked at for faces yet",
    Reason.DEFAULT_ALLOW: "library default",
    Reason.DEFAULT_DENY: "library default",
}
FILTERS = (  # key, label
    ("all", "All videos"),
    ("allowed", "May be remixed"),
    ("denied", "May not be remixed"),
    ("own:allow", "Own choice: allow"),
    ("own:deny", "Own choice: deny"),
    ("own:default", "Own choice: follows the default"),
    ("face", "Shows a face"),
    ("copy", "Copies of other videos"),
)


WINDOW_REASONS = {  # the reasons said to the creator, in the words of the row's short label
    Reason.OPTED_OUT: "the bulk opt-out is on for the whole library",
    Reason.OWN_ALLOW: "you allowed this video (your choice)",
    Reason.OWN_DENY: "you denied this video (your choice)",
    Reason.COPY_OF_DENIED: "it is a copy of a video you denied",
    Reason.SHOWS_FACE: ("it shows a face, and a video that shows a face is remixed only "
                        "when you allow it yourself (Settings)"),
    Reason.FACE_UNCHECKED: ("it has not been looked at for faces yet (that happens in the "
                            "background; remixing it looks first)"),
    Reason.DEFAULT_ALLOW: "it follows the library default, which is allow",
    Reason.DEFAULT_DENY: "it follows the library default, which is deny",
}


def reason_for_you(said: Verdict, original: str = "") -> str:
    """The verdict's reason in the window's words ("you denied this video (your choice)");
    a copy names the video it copies when `original` is given."""
    if said.reason is Reason.COPY_OF_DENIED and original:
        return f"it is a copy of “{original}”, which you denied"
    return WINDOW_REASONS[said.reason]


def effective_label(said: Verdict, original: str = "") -> str:
    """'Denied — bulk opt-out is on': the verdict and the short form of the core's reason
    (a copy: 'Denied — copy of “morning espresso”')."""
    if said.reason is Reason.COPY_OF_DENIED and original:
        return f"Denied — copy of “{original}”"
    return f"{'Allowed' if said.allowed else 'Denied'} — {SHORT_REASONS[said.reason]}"


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
    thumbnail: str | None
    key: str  # the name, title, description and tags, casefolded: what search looks in
    title: str = ""


@dataclass(frozen=True, slots=True)
class _Named:
    """What problem_sentence needs of a video, from a row."""

    row: Row

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def title(self) -> str:
        return ""

    @property
    def path(self) -> str:
        return os.path.join(self.row.folder, self.row.name)


class LibraryModel(QAbstractTableModel):
    """Every video of the library, one row each. Permission edits write through consent."""

    message = Signal(str)  # a sentence for the status bar after an edit
    filesChecked = Signal()  # the file states were looked at again (see file_problems)

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.thumbnails = ThumbnailCache(context.home.thumbnails, self)
        self.thumbnails.loaded.connect(self._thumbnail_loaded)
        self._all: list[Row] = []  # every video, sorted
        self._rows: list[Row] = []  # those the search and filter accept (often _all itself)
        self._row_of: dict[int, int] = {}  # video id -> row shown
        self._search = ""
        self._filter = "all"
        self._facts: dict[int, VideoFacts] = {}  # video id -> what the consent rule knows of it
        self._id_by_thumb: dict[str, int] = {}
        self._state = ConsentState("deny", False)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._problems: dict[int, FileState] = {}  # video id -> state, for unusable files only
        self._files_job = None
        self._files_again = False
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    def _query(self) -> tuple[list[Row], dict[int, VideoFacts]]:
        made = []
        for i, p, d, w, h, t, title, words in self.context.library.listing():
            name = os.path.basename(p)
            key = f"{name}\n{words}".casefold() if words.strip(" []") else name.casefold()
            made.append(Row(i, name, os.path.dirname(p), d, w, h, t, key, title))
        return made, self.context.consent.facts()

    def reload(self) -> None:
        """Read every row again (videos added, removed or edited). When the same videos are
        there, rows are updated in place, so selections and editors survive; otherwise the
        model is reset (the window puts the selection back by video id)."""
        with self.context.library.read():
            rows, permissions = self._query()
            self._state = self.context.consent.state()
        self._id_by_thumb = {r.thumbnail: r.id for r in rows if r.thumbnail}
        if permissions.keys() == self._facts.keys():  # the same videos
            changed = permissions != self._facts
            position = {r.id: i for i, r in enumerate(self._all)}
            renamed = False
            for r in rows:
                i = position[r.id]
                if self._all[i] != r:  # a title edit changes none of our columns
                    renamed = renamed or self._all[i].key != r.key
                    self._all[i] = r
                    changed = True
            if not changed:
                return
            if self._filtering():  # the rows shown may be others now
                self._reset(lambda: (setattr(self, "_facts", permissions),
                                     self._sort_rows()))
            else:
                self._facts = permissions
                self._rows = self._all
                self._rows_changed()
            self.check_files()  # a relinked video's file is another one
            return
        self.beginResetModel()
        self._all = rows
        self._facts = permissions
        self.thumbnails.forget_missing()
        self._sort_rows()
        self._apply_filter()
        self.endResetModel()
        self.check_files()

    # -- the video files -------------------------------------------------------------------

    def check_files(self) -> None:
        """Look at every video's file again on a job (a `stat` each: 100,000 in well under a
        second, never on the GUI thread): missing, unreadable or changed files are greyed,
        said in the tooltip and the status bar. Asked again while a look runs, it looks once
        more when that one ends."""
        if self._files_job is not None:
            self._files_again = True
            return
        context = self.context

        def work(control):
            from ..core.relink import problem_videos

            with context.background_library() as library:
                return problem_videos(library)

        self._files_job = context.jobs.run("check video files", work,
                                           finished=self._files_checked,
                                           failed=self._files_failed,
                                           cancelled=self._files_failed)

    def _files_checked(self, problems) -> None:
        self._files_job = None
        changed = problems != self._problems
        self._problems = problems
        if changed and self._rows:  # repaint only: no sort key depends on the file state
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(HEADERS) - 1))
        self.filesChecked.emit()
        if self._files_again:
            self._files_again = False
            self.check_files()

    def _files_failed(self, *_args) -> None:
        self._files_job = None
        self._files_again = False

    def file_problems(self) -> dict[int, FileState]:
        """The videos whose file is not usable, by id (as last looked at)."""
        return dict(self._problems)

    def file_state(self, video_id: int) -> FileState:
        return self._problems.get(video_id, FileState.OK)

    # -- searching and filtering -----------------------------------------------------------

    def _filtering(self) -> bool:
        return bool(self._search) or self._filter != "all"

    def set_view_filter(self, search: str, key: str) -> None:
        """Show only the rows whose casefolded name contains `search` and that pass the
        filter `key` (see FILTERS); a model reset, after which the window selects the
        same videos again."""
        if (search, key) != (self._search, self._filter):
            self._reset(lambda: (setattr(self, "_search", search),
                                 setattr(self, "_filter", key)))

    def _reset(self, change) -> None:
        self.beginResetModel()
        change()
        self._apply_filter()
        self.endResetModel()

    def _apply_filter(self) -> None:
        self._rows = self.accepted(self._search, self._filter) if self._filtering() else self._all
        self._index_rows()

    def total(self) -> int:
        """Every video of the library, shown or not."""
        return len(self._all)

    def refresh_permissions(self, snapshot=None) -> None:
        """After a consent change: every video's own permission and the library state,
        from `snapshot` (read by the change's job) or, without one, read here (one small
        query); swapped in, the rows stay where they are."""
        if snapshot is not None:
            permissions, state = snapshot.facts, snapshot.state
            if permissions is None:  # only the library's state changed: the facts stand
                permissions = self._facts
        else:
            with self.context.library.read():
                permissions = self.context.consent.facts()
                state = self.context.consent.state()
        if permissions.keys() != self._facts.keys():  # videos came or went meanwhile
            self.reload()
            return
        if self._filter != "all":  # the filter looks at permissions: the rows may change
            self._reset(lambda: (setattr(self, "_facts", permissions),
                                 setattr(self, "_state", state)))
            return
        self._facts, self._state = permissions, state
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
        """The videos shown, in order."""
        return [r.id for r in self._rows]

    def permission(self, row: int) -> str:
        """The video's own choice: allow, deny or default."""
        return self._facts[self._rows[row].id].own

    def effective(self, row: int) -> Verdict:
        return verdict(self._facts[self._rows[row].id], self._state)

    def facts(self, video_id: int) -> VideoFacts | None:
        """What the consent rule knows of a video (as last read), or None."""
        return self._facts.get(video_id)

    def original_name(self, video_id: int) -> str:
        """The title or file name of the video this one is a copy of, or ""."""
        facts = self._facts.get(video_id)
        if facts is None or not facts.copy_of:
            return ""
        row = self._row_of.get(int(facts.copy_of))
        found = self._rows[row] if row is not None else next(
            (r for r in self._all if r.id == int(facts.copy_of)), None)
        return (found.title or found.name) if found is not None else f"video {facts.copy_of}"

    def accepted(self, search: str, key: str) -> list[Row]:
        """The rows a casefolded search and a filter key (see FILTERS) accept, in order:
        one pass in Python (a comprehension: 100,000 rows in milliseconds)."""
        rows, own, state = self._all, self._facts, self._state
        if key == "all":
            return [r for r in rows if search in r.key]
        if key.startswith("own:"):
            wanted = key[4:]
            return [r for r in rows if own[r.id].own == wanted and search in r.key]
        if key == "face":
            return [r for r in rows if own[r.id].face == "face" and search in r.key]
        if key == "copy":
            return [r for r in rows if own[r.id].copy_of and search in r.key]
        allowed = key == "allowed"
        return [r for r in rows if search in r.key
                and verdict(own[r.id], state).allowed == allowed]

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
        # Called hundreds of times a repaint (a delegate asks a cell for a dozen roles):
        # roles as plain ints, the roles no column answers turned away first.
        role = int(role)
        if role not in _ANSWERED or not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == _DISPLAY:
            if col == COL_NAME:
                return r.name
            if col == COL_DURATION:
                return duration_label(r.duration_s)
            if col == COL_RESOLUTION:
                return f"{r.width}×{r.height}"
            if col == COL_PERMISSION:
                return PERMISSION_LABELS[self._facts[r.id].own]
            said = self.effective(index.row())
            return effective_label(said, self.original_name(r.id)
                                   if said.reason is Reason.COPY_OF_DENIED else "")
        if role == _FILE_STATE:
            return self._problems.get(r.id) if self._problems else None
        if role == _EDIT:
            return self._facts[r.id].own if col == COL_PERMISSION else None
        if role == _DECORATION:
            return self.thumbnails.get(r.thumbnail) if col == COL_NAME else None  # lazy load
        if role == _TOOLTIP:
            problem = self._problems.get(r.id) if self._problems else None
            if problem is not None and col in (COL_NAME, COL_EFFECTIVE):
                return (f"{os.path.join(r.folder, r.name)}\n"
                        f"{problem_sentence(_Named(r), problem, window=True)}.")
            if col == COL_NAME:
                path = os.path.join(r.folder, r.name)
                return f"{r.title}\n{path}" if r.title else path
            if col == COL_PERMISSION:
                return {"allow": "You allowed AI remixes of this video.",
                        "deny": "You denied AI remixes of this video.",
                        "default": "This video follows the library default "
                                   f"({self._state.default})."}[self._facts[r.id].own]
            if col == COL_EFFECTIVE:
                eff = self.effective(index.row())
                facts = self._facts[r.id]
                text = (f"{'Allowed' if eff.allowed else 'Denied'}: "
                        f"{reason_for_you(eff, self.original_name(r.id))}.")
                if facts.copy_of and eff.reason is not Reason.COPY_OF_DENIED:
                    text += f"\nA copy of “{self.original_name(r.id)}”."
                if facts.copy_of:
                    text += "\nRight-click > Not a copy to break the link."
                if facts.face == "face" and eff.reason is not Reason.SHOWS_FACE:
                    text += "\nIt shows a face."
                return text
            return None
        if role == _ALIGNMENT:
            return _RIGHT if col in (COL_DURATION, COL_RESOLUTION) else None
        if role == _VIDEO_ID:
            return r.id
        if role == _PERMISSION:
            return self._facts[r.id].own
        if role == _EFFECTIVE:
            return self.effective(index.row())
        if role == _FOLDER:
            return r.folder
        if role == _TITLE:
            return r.title
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
        if value == self._facts[r.id].own:
            return True
        if value not in PERMISSION_LABELS:
            self.message.emit(f"'{value}' is not a permission; use allow, deny or default.")
            return False

        def done(change) -> None:  # consentChanged has swapped the new permissions in
            row = self._row_of.get(r.id)
            if change.count and row is not None:
                eff = effective_label(self.effective(row))
                self.message.emit(f"{r.name}: permission set to {PERMISSION_LABELS[value]} "
                                  f"({eff}).")
            elif change.count:  # the filter shown no longer takes it: said, not vanished
                label = dict(FILTERS).get(self._filter, self._filter)
                self.message.emit(f"{r.name}: permission set to {PERMISSION_LABELS[value]}; "
                                  f"it is no longer shown under “{label}”.")

        job = self.context.run_op(
            "set permission", lambda library, _c: ops.set_permission(library, [r.id], value),
            finished=done, failed=self.message.emit, initiator=self, exclusive=True)
        return job is not None

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
        shown = [self._all] if self._rows is self._all else [self._all, self._rows]
        if column < 0:
            for rows in shown:
                rows.sort(key=lambda r: r.id)
            return
        rank = {"allow": 0, "default": 1, "deny": 2}
        state, own = self._state, self._facts
        keys = {
            COL_NAME: lambda r: (r.name.casefold(), r.id),
            COL_DURATION: lambda r: (r.duration_s, r.id),
            COL_RESOLUTION: lambda r: (r.width * r.height, r.width, r.id),
            COL_PERMISSION: lambda r: (rank[own[r.id].own], r.id),
            COL_EFFECTIVE: lambda r: (
                not (e := verdict(own[r.id], state)).allowed, e.reason.value,
                r.id),
        }
        for rows in shown:
            rows.sort(key=keys[column],
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
    """Search by name and filter by permission (done by the source model, which shows only
    the rows they accept); sorting is passed on to the source model too. Rows here are the
    source's rows, in the same order."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # Nothing is filtered or sorted here: a dataChanged over 100,000 rows is passed on
        # without looking at each row.
        self.setDynamicSortFilter(False)

    @property
    def search_text(self) -> str:
        return self.sourceModel()._search

    @property
    def filter_key(self) -> str:
        return self.sourceModel()._filter

    def set_search(self, text: str) -> None:
        text = text.strip().casefold()
        self.sourceModel().set_view_filter(text, self.filter_key)

    def set_filter(self, key: str) -> None:
        if key not in dict(FILTERS):
            raise ValueError(f"unknown filter {key!r}")
        self.sourceModel().set_view_filter(self.search_text, key)

    def source_rows(self) -> list[int]:
        """The source row of every proxy row: the same."""
        return list(range(self.rowCount()))

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def video_id(self, proxy_row: int) -> int:
        return self.sourceModel().video_id(proxy_row)

    def video_ids(self, proxy_rows) -> list[int]:
        rows = self.sourceModel()._rows
        return [rows[r].id for r in proxy_rows]

    def video_ids_in(self, ranges) -> list[int]:
        """The videos of runs of proxy rows [(top, bottom), ...] (a selection's ranges),
        without a Python call per row."""
        rows = self.sourceModel()._rows
        return [r.id for top, bottom in ranges for r in rows[top:bottom + 1]]

    def proxy_row_of(self, video_id: int) -> int | None:
        return self.sourceModel().row_of(video_id)

    def proxy_rows_of(self, video_ids) -> list[int]:
        """The proxy rows of these videos (those shown), for restoring big selections."""
        row_of = self.sourceModel()._row_of
        ids = video_ids if isinstance(video_ids, (set, frozenset)) else set(video_ids)
        if len(row_of) < len(ids):  # a search shows few of many selected
            return [r for i, r in row_of.items() if i in ids]
        return [row_of[i] for i in ids if i in row_of]
