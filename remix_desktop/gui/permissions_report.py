"""What a permissions-file import did, for the window: the summary, the library switches
the file carries that were not applied (prominently when they are stricter), and the
entries not applied as written (conflicts, rejections) in the capped list of every report
(dialogs.RejectionsDialog: the first 1,000 shown, the full list saved on a job)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget

from ..core.errors import Rejection
from ..core.permissions_file import PermissionsImport
from .dialogs import RejectionsDialog

WHERE = {"optout": "turn it on with Permission > Bulk opt-out",
         "default": "set it in Settings > Default permission"}


class PermissionsReportDialog(RejectionsDialog):
    column = "Entry"
    default_name = "permissions-not-applied.csv"
    csv_header = ("entry", "what", "reason")

    @staticmethod
    def csv_row(group: str, item: Rejection) -> tuple:
        return item.path, group, item.reason

    @staticmethod
    def saved_text(count: int, path: Path) -> str:
        return f"Saved {count:,} entries to {path.name}."

    def __init__(self, result: PermissionsImport, summary: str, jobs,
                 parent: QWidget | None = None):
        others = [n for n in result.library_settings_not_applied if not n.stricter]
        found = len(result.conflicts) + len(result.rejected)
        text = summary + "".join(f"\n{n.reason}." for n in others)
        if found:
            text += "\nThese entries were not applied as written:"
        super().__init__("Permissions import", text, [], parent, jobs=jobs, groups=(
            ("Conflict (strictest applied)", result.conflicts),
            ("Not applied", result.rejected)))
        self.result = result
        stricter = [n for n in result.library_settings_not_applied if n.stricter]
        self.warning = QLabel("\n".join(f"⚠ {n.reason}: {WHERE[n.name]}." for n in stricter))
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("font-weight: bold; color: #b00020;")
        self.warning.setVisible(bool(stricter))
        self.layout_.insertWidget(0, self.warning)
        self.resize(760, 420)

    def save_to(self, target: Path | None):
        """Write the full list (entry, what, reason) to a CSV file, on a job."""
        return self.save_full_list(target)
