"""What the window does when the library database is damaged: say so, and offer the newest
good backup (or a new library, the damaged file kept) instead of starting empty; and
File > Restore from backup… while it runs."""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView,
                               QLabel, QMessageBox, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..core.backups import list_backups, restore
from ..core.errors import LibraryDamaged, RemixDesktopError
from ..core.home import Home


def damaged_box(home: Home, error: LibraryDamaged, parent: QWidget | None = None) -> QMessageBox:
    """The question, with a Restore button when a good backup exists, otherwise Start new."""
    best = error.backup  # found (and checked) when the damage was: not looked for again
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("The library is damaged")
    box.setText("Remix Desktop's library file is damaged on disk, so it was not opened.")
    if best:
        when = best.taken_at.strftime("%d %B %Y at %H:%M")
        box.setInformativeText(
            f"The newest good backup is from {when} and holds {best.videos} "
            f"video{'' if best.videos == 1 else 's'} with "
            f"their permissions. Changes made after it are not in it.\n\nThe damaged file is "
            f"kept in {home.backups}, whichever you choose.")
        restore_button = box.addButton("Restore backup", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(restore_button)
        restore_button.setObjectName("restore")
    else:
        box.setInformativeText(
            f"There is no good backup to restore. You can start a new, empty library; the "
            f"damaged file is kept in {home.backups}.")
        new_button = box.addButton("Start a new library", QMessageBox.ButtonRole.AcceptRole)
        new_button.setObjectName("empty")
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    quit_button.setObjectName("quit")
    box.setEscapeButton(quit_button)
    box.setDetailedText(str(error))
    return box


def recover(home: Home, error: LibraryDamaged, parent: QWidget | None = None,
            *, ask=None) -> bool:
    """Ask, then restore or start empty. False when the creator quits. `ask` (for tests)
    takes the box and returns the objectName of the chosen button."""
    box = damaged_box(home, error, parent)
    if ask is None:
        box.exec()
        clicked = box.clickedButton()
        choice = clicked.objectName() if clicked else "quit"
    else:
        choice = ask(box)
    if choice not in ("restore", "empty"):
        return False
    try:
        restore(home, None if choice == "empty" else error.backup.path,
                empty=choice == "empty")
    except (RemixDesktopError, OSError) as exc:
        QMessageBox.critical(parent, "The library could not be restored", str(exc))
        return False
    return True


class BackupsDialog(QDialog):
    """File > Restore from backup…: the backups, newest first, each checked, and Restore."""

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.items: list = []
        self.setWindowTitle("Restore from backup")
        self.resize(640, 360)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(("Taken", "Videos", "Kind", "State"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update)
        self.note = QLabel("Restoring replaces the library (every permission, the audit trail "
                           "and the list of videos) with the backup. The library it replaces "
                           "is kept in the backups folder.")
        self.note.setWordWrap(True)
        self.restore_button = QPushButton("&Restore")
        self.restore_button.clicked.connect(lambda: self.restore())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self._update()

    def refresh(self):
        """Read and check the backups on a job (each is opened and quick-checked)."""
        def work(control):
            return list_backups(self.context.home)

        return self.context.jobs.run("list backups", work, finished=self._fill,
                                     failed=self.note.setText)

    def _fill(self, items) -> None:
        self.items = list(items)
        self.table.setRowCount(len(self.items))
        labels = {"auto": "daily", "manual": "on request", "replaced-by-restore":
                  "replaced by a restore"}
        for row, b in enumerate(self.items):
            kind = labels.get(b.label, "before an update" if b.label.startswith("before-")
                              else b.label)
            values = (b.taken_at.strftime("%Y-%m-%d %H:%M"),
                      "" if b.videos is None else str(b.videos), kind,
                      "good" if b.ok else f"unusable: {b.problem}")
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setToolTip(str(b.path))
                self.table.setItem(row, col, cell)
        if self.items:
            self.table.selectRow(0)
        self._update()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows and rows[0].row() < len(self.items) else None

    def _update(self) -> None:
        item = self.selected()
        self.restore_button.setEnabled(item is not None and item.ok)

    def restore(self, confirm: bool = True) -> bool:
        item = self.selected()
        if item is None or not item.ok:
            return False
        when = item.taken_at.strftime("%d %B %Y at %H:%M")
        if confirm and QMessageBox.question(
                self, "Restore from backup",
                f"Replace the library with the backup from {when} ({item.videos} video{'' if item.videos == 1 else 's'})? "
                f"Changes made since then are not in it; the current library is kept in the "
                f"backups folder.") != QMessageBox.StandardButton.Yes:
            return False
        try:
            _chosen, moved = self.context.restore_backup(item.path)
        except (RemixDesktopError, OSError) as exc:
            self.note.setText(f"The backup was not restored: {exc}")
            return False
        self.note.setText(f"Restored the backup from {when}: {item.videos} video{'' if item.videos == 1 else 's'}. The "
                          f"library it replaced is kept as {moved.name if moved else 'nothing'}.")
        self.refresh()
        return True
