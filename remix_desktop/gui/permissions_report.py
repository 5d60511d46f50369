"""What a permissions-file import did, for the window: the summary, the library switches
the file carries that were not applied (prominently when they are stricter), and the
entries not applied as written (conflicts, rejections). A million bad entries must not
freeze the window: the list shows the first SHOWN of them and the full list can be saved
(written on a job)."""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path
from typing import Iterator

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QLabel,
                               QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..core.errors import Rejection
from ..core.export import check_target, write_new
from ..core.transfer import PermissionsImport

SHOWN = 1000
WHERE = {"optout": "turn it on with Permission > Bulk opt-out",
         "default": "set it in Settings > Default permission"}


def entries(result: PermissionsImport) -> Iterator[tuple[str, Rejection]]:
    """Every entry not applied as written: (kind, rejection), conflicts first (an iterator:
    a million of them are not copied on the GUI thread)."""
    for r in result.conflicts:
        yield "Conflict (strictest applied)", r
    for r in result.rejected:
        yield "Not applied", r


class PermissionsReportDialog(QDialog):
    def __init__(self, result: PermissionsImport, summary: str, jobs,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Permissions import")
        self.result, self.jobs = result, jobs
        stricter = [n for n in result.library_settings_not_applied if n.stricter]
        others = [n for n in result.library_settings_not_applied if not n.stricter]
        self.warning = QLabel("\n".join(f"⚠ {n.reason}: {WHERE[n.name]}." for n in stricter))
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("font-weight: bold; color: #b00020;")
        self.warning.setVisible(bool(stricter))
        found = len(result.conflicts) + len(result.rejected)
        text = summary + "".join(f"\n{n.reason}." for n in others)
        if found:
            text += "\nThese entries were not applied as written:"
        self.summary = QLabel(text)
        self.summary.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Entry", "Reason"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformRowHeights(True)
        items = []
        for group, item in islice(entries(result), SHOWN):
            row = QTreeWidgetItem([Path(item.path).name or item.path, item.reason])
            row.setToolTip(0, item.path)
            row.setToolTip(1, f"{group}: {item.reason}")
            items.append(row)
        self.list.addTopLevelItems(items)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.list.setVisible(bool(found))
        self.more = QLabel(f"Showing the first {SHOWN:,} of {found:,} entries; save the "
                           "full list to see them all.")
        self.more.setVisible(found > SHOWN)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("Save the full list…")
        self.save_button.setToolTip("Write every entry that was not applied as written, with "
                                    "its reason, to a CSV file")
        self.save_button.setVisible(bool(found))
        self.save_button.clicked.connect(lambda: self.save_to(None))
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (self.warning, self.summary, self.list, self.more):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self.resize(760, 420)
        self.saved_message = ""

    def rows(self) -> list[tuple[str, str]]:
        return [(self.list.topLevelItem(i).toolTip(0), self.list.topLevelItem(i).text(1))
                for i in range(self.list.topLevelItemCount())]

    def save_to(self, target: Path | None):
        """Write the full list (entry, what, reason) to a CSV file, on a job."""
        if target is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the full list", str(
                Path.home() / "permissions-not-applied.csv"), "CSV (*.csv)")
            if not path:
                return None
            target = Path(path)
        result = self.result

        def work(control):
            lines = _Lines()
            writer = csv.writer(lines, lineterminator="\n")
            writer.writerow(("entry", "what", "reason"))
            writer.writerows((r.path, group, r.reason) for group, r in entries(result))
            data = "".join(lines.parts).encode("utf-8")
            check_target(Path(target), force=True)  # a failure is one sentence
            write_new(Path(target), lambda fh: fh.write(data), force=True)
            return len(result.conflicts) + len(result.rejected)

        def done(n: int) -> None:
            self.saved_message = f"Saved {n:,} entries to {Path(target).name}."
            self.more.setText(self.saved_message)
            self.more.setVisible(True)

        def failed(message: str) -> None:
            self.saved_message = message
            self.more.setText(message)
            self.more.setVisible(True)

        return self.jobs.run("save the entries not applied", work, finished=done,
                             failed=failed)


class _Lines:
    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)
