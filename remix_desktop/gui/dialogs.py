"""Dialogs of the main window: settings, the audit trail, and the report after an import."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog,
                               QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QSpinBox, QTableView, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from ..core import audit, ops
from ..core.errors import RemixDesktopError, Rejection, UsageError
from ..core.export import check_target
from ..core.permissions_file import write_atomically
from ..core.settings import DATA_MINING_CHOICES, SETTINGS, declared  # noqa: F401
from .context import AppContext



class SettingsDialog(QDialog):
    """Default permission, the data-mining statement of exports, the data folder, threads.

    OK writes only the settings the creator changed here: each is compared with the value
    the dialog showed when it opened (a default changed meanwhile by the command line or
    another window is left as it is now)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Settings")
        library = context.library

        self.fields: dict[str, QWidget] = {}  # one per declared setting with a label
        for setting in SETTINGS:
            if setting.label:
                self.fields[setting.key] = self._field(setting, library)
        self.default_combo = self.fields["default_permission"]
        self.data_mining_combo = self.fields["data_mining"]
        self.threads_spin = self.fields["threads"]
        self.caption_combo = self.fields["caption_model"]
        self.diffusion_combo = self.fields["diffusion_model"]
        for combo in (self.caption_combo, self.diffusion_combo, self.data_mining_combo):
            # a long model name is shown whole: the dialog widens instead of cutting it
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.default_hint = QLabel()
        self.default_hint.setWordWrap(True)  # its sentence is never cut
        self.default_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.default_combo.currentIndexChanged.connect(self._update_hint)

        self.folder = QLineEdit(str(context.home.root))
        self.folder.setReadOnly(True)
        self.folder.setToolTip("Where the library, thumbnails, previews and models are kept")
        open_button = QPushButton("Open folder")
        open_button.setToolTip("Show the data folder in the file manager")
        open_button.clicked.connect(self.open_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(open_button)
        self.models_job = self._load_models()

        self.backup_label = QLabel()
        self.backup_label.setWordWrap(True)
        self.backup_button = QPushButton("Back up now")
        self.backup_button.setToolTip("Copy the library (every permission and the audit "
                                      "trail) into the backups folder now; a copy is also "
                                      "made every day the app is used")
        self.backup_button.clicked.connect(lambda: self.back_up())
        backup_row = QHBoxLayout()
        backup_row.addWidget(self.backup_label, 1)
        backup_row.addWidget(self.backup_button)
        self._show_backups()

        self.signer_label = QLabel()
        self.signer_label.setWordWrap(True)
        self.signer_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signer_button = QPushButton("Use my own…")
        self.signer_button.setToolTip("Sign with your own key and certificate (PEM files), "
                                      "for example one from a CA on the C2PA trust list; the "
                                      "current ones are kept in the data folder")
        self.signer_button.clicked.connect(lambda: self.choose_signer())
        signer_row = QHBoxLayout()
        signer_row.addWidget(self.signer_label, 1)
        signer_row.addWidget(self.signer_button)
        self._show_signer()

        form = QFormLayout()
        for key, widget in self.fields.items():
            if isinstance(widget, QCheckBox):  # its label is its own
                form.addRow("", widget)
            else:
                form.addRow(f"{declared(key).label}:", widget)
            if key == "default_permission":
                form.addRow(self.default_hint)
        form.addRow("Data folder:", folder_row)
        form.addRow("Backups:", backup_row)
        form.addRow("Signing certificate:", signer_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self._update_hint()
        self.shown = self._values()  # what the creator saw; caption models once read

    @staticmethod
    def _field(setting, library) -> QWidget:
        """The field a declared setting gets: a list to pick from, a number, or the models
        of its kind (filled when they have been read)."""
        current = library.setting(setting.key)
        if setting.type is bool:
            field = QCheckBox(setting.label)
            field.setChecked(setting.value(current))
            field.setToolTip(setting.help)
            return field
        if setting.type is int:
            field = QSpinBox()
            field.setRange(setting.minimum, setting.maximum)
            if setting.special:
                field.setSpecialValueText(setting.special)
            field.setValue(setting.value(current))
        else:
            field = QComboBox()
            for value, label in setting.choices:
                field.addItem(label, value)
            if setting.choices and field.findData(current) < 0 and setting.open:
                field.addItem(current.rsplit("/", 1)[-1], current)  # set elsewhere: kept
            field.setCurrentIndex(max(0, field.findData(current)))
        field.setToolTip(setting.help)
        return field

    def _values(self) -> dict[str, str | None]:
        values = {}
        for key, widget in self.fields.items():
            values[key] = (str(widget.value()) if isinstance(widget, QSpinBox)
                           else ("1" if widget.isChecked() else "0")
                           if isinstance(widget, QCheckBox) else widget.currentData())
        return values

    def _update_hint(self) -> None:
        value = self.default_combo.currentData()
        same = value == self.context.consent.state().default
        self.default_hint.setVisible(not same)
        if not same:
            n = self.context.consent.affected_by(default=value)
            lost = self.context.consent.previews_lost(default=value)
            self.default_hint.setText(
                f"This changes whether {n} video{'s' if n != 1 else ''} may be remixed"
                + (f" and deletes {lost} remix preview{'s' if lost != 1 else ''} (undo does "
                   "not bring them back)" if lost else "")
                + ". The change is audited and undoable.")

    def _load_models(self):
        """Read the models on a job: listing reads every model's header and may hash the
        default caption model again when its stamp is stale (a second or more)."""
        from ..core.model_store import ModelStore

        ctx = self.context
        for combo in (self.caption_combo, self.diffusion_combo):
            combo.setEnabled(False)

        def work(control):
            with ctx.background_library() as library:
                return ModelStore(library).list()

        return ctx.jobs.run("list models", work, finished=self._fill_models)

    def _fill_models(self, items) -> None:
        """The installed caption and diffusion models, the chosen ones selected."""
        library = self.context.library
        chosen = {"caption": library.setting("caption_model"),
                  "diffusion": library.setting("diffusion_model", "")}
        installed = [i for i in items if i.kind == "diffusion"
                     and i.status in ("installed", "verified")]
        self.diffusion_combo.addItem(
            "None installed: add or download one in File > Models…" if not installed else
            f"The one installed ({installed[0].id})" if len(installed) == 1 else
            "None chosen: choose one", "")
        from ..core.model_manifest import manifest

        embedded = {e.id for e in manifest().values() if e.source.startswith("python-package:")}
        for item in items:
            role = "caption" if item.kind in ("caption", "vision") else item.kind
            combo = {"caption": self.caption_combo,
                     "diffusion": self.diffusion_combo}.get(role)
            usable = item.status in ("installed", "verified") or (
                item.id in embedded)  # the embedded default: assembled on first use
            if combo is None or not (usable or item.id == chosen[role]):
                continue
            label = item.id if item.label == item.id else f"{item.label} ({item.id})"
            combo.addItem(label if usable else f"{label}: {item.status}", item.id)
        for kind, combo in (("caption", self.caption_combo),
                            ("diffusion", self.diffusion_combo)):
            combo.setCurrentIndex(max(0, combo.findData(chosen[kind])))
            combo.setEnabled(True)
            combo.updateGeometry()
            if hasattr(self, "shown"):
                self.shown[f"{kind}_model"] = combo.currentData()
        QTimer.singleShot(0, self._fit_width)  # the model names arrived: widen to show them

    def _fit_width(self) -> None:
        """As wide as the long model names need (adjustSize stops at 2/3 of the screen)."""
        free = self.screen().availableGeometry().width() if self.screen() else 1366
        self.resize(min(max(self.width(), self.sizeHint().width()), free - 40), self.height())

    def _show_backups(self) -> None:
        from ..core.backups import list_backups

        found = list_backups(self.context.home, check=False)
        if not found:
            self.backup_label.setText("None yet")
            return
        newest = found[0].taken_at.strftime("%d %b %Y %H:%M")
        self.backup_label.setText(f"Newest {newest}, {len(found)} kept")
        self.backup_label.setToolTip(str(self.context.home.backups))

    def _show_signer(self, used=None) -> None:
        """The certificate Content Credentials are signed with: its fingerprint, and what a
        local one means for other verifiers."""
        from ..core import credentials

        try:
            used = used or credentials.signer(self.context.home)
        except (RemixDesktopError, OSError) as exc:
            self.signer_label.setText(f"Not available: {exc}")
            return
        short = used.fingerprint[:23] + "…"
        if used.local:
            self.signer_label.setText(f"This install's own, valid but untrusted for other "
                                      f"verifiers · SHA-256 {short}")
            self.signer_label.setToolTip(
                f"{used.subject}\nSHA-256 {used.fingerprint}\nValid until {used.not_after}\n"
                "Made on this computer: other verifiers read what it signs as valid but "
                "untrusted, until you use a certificate from a CA on the C2PA trust list.")
        else:
            self.signer_label.setText(f"Your own · SHA-256 {short}")
            self.signer_label.setToolTip(f"{used.subject}\nSHA-256 {used.fingerprint}\n"
                                         f"Valid until {used.not_after}")

    def choose_signer(self, key: str | None = None, chain: str | None = None):
        """Ask for a key and a certificate chain (PEM) and use them; said in place."""
        from ..core import credentials

        if key is None:
            key, _ = QFileDialog.getOpenFileName(self, "Your private key (PEM)", str(Path.home()),
                                                 "PEM files (*.pem *.key);;All files (*)")
            if not key:
                return None
        if chain is None:
            chain, _ = QFileDialog.getOpenFileName(self, "Its certificate chain (PEM)",
                                                   str(Path(key).parent),
                                                   "PEM files (*.pem *.crt);;All files (*)")
            if not chain:
                return None
        try:
            used = credentials.replace(self.context.home, Path(key), Path(chain))
        except RemixDesktopError as exc:
            QMessageBox.warning(self, "Signing certificate", str(exc))
            return None
        self._show_signer(used)
        return used

    def back_up(self):
        """Take a backup on a job (a large library takes a moment)."""
        ctx = self.context

        def work(control):
            with ctx.background_library() as library:
                return library.backup_now()

        def done(path) -> None:
            self._show_backups()
            self.backup_label.setText(self.backup_label.text() + " (just now)")

        def failed(text: str) -> None:
            self.backup_label.setText(text)

        self.backup_button.setEnabled(False)
        job = ctx.jobs.run("back up library", work, finished=done, failed=failed)
        job.signals.stateChanged.connect(lambda _s: self.backup_button.setEnabled(True))
        return job

    def open_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.home.root)))

    def apply(self) -> list[str]:
        """Write what the creator changed in the dialog; returns what it did, in words."""
        ctx, done = self.context, []
        now = self._values()
        edited = {key: value for key, value in now.items()
                  if value is not None and value != self.shown.get(key)}
        default = edited.pop("default_permission", None)
        likeness = edited.pop("likeness", None)
        if likeness is not None and (likeness == "1") != ctx.consent.state().likeness:
            window = self.parent()
            if hasattr(window, "set_likeness"):  # the window asks and says what it did
                self.likeness_job = window.set_likeness(likeness == "1")
            else:
                self.likeness_job = ctx.run_op(
                    "likeness rule", lambda library, _c: ops.set_likeness(
                        library, likeness == "1"), initiator=self, exclusive=True)
            if self.likeness_job is not None:
                done.append("the likeness rule is being turned "
                            + ("on" if likeness == "1" else "off"))
        if default is not None and default != ctx.consent.state().default:
            self.default_job = self._set_default(default)  # on a job, like every consent change
            if self.default_job is not None:
                done.append(f"the default permission is being set to {default}")
        if edited:  # written on a job; the window hears of it from what changed
            self.settings_job = ctx.run_op(
                "save settings", lambda library, _c: ops.set_settings(library, edited),
                failed=getattr(self.parent(), "show_message", None), initiator=self)
            done.append("settings saved")
        return done

    def _set_default(self, default: str):
        """Write the library default on a job (it may change whether every video on
        Default may be remixed); the window says what changed when it is written."""
        window = self.parent()

        def say(text: str) -> None:
            if hasattr(window, "show_message"):
                window.show_message(text)
            else:
                self.default_hint.setText(text)

        def done(change) -> None:
            n = change.count
            say(f"Settings: default permission is now {default} ({n} video"
                f"{'s' if n != 1 else ''} changed). Undo with Ctrl+Z.")

        return self.context.run_op("set the default permission",
                                   lambda library, _c: ops.set_default(library, default),
                                   initiator=self, exclusive=True,
                                   finished=done, failed=say)

    def accept(self) -> None:
        try:
            self.done_messages = self.apply()
        except RemixDesktopError as exc:
            QMessageBox.warning(self, "Settings", str(exc))
            return
        super().accept()


def ask_save_path(parent: QWidget, title: str, suggested: str,
                  context: "AppContext | None" = None) -> Path | None:
    """A .csv or .json file to write. QFileDialog asks before replacing a file; a name typed
    without a suffix gets one, and then we ask ourselves if that file exists. With a
    `context`, the dialog opens in the folder it saved into last time."""
    folder = context.last_folder("files", Path.home()) if context is not None else Path.home()
    path, chosen = QFileDialog.getSaveFileName(
        parent, title, str(folder / suggested), "CSV (*.csv);;JSON (*.json)")
    if not path:
        return None
    target = Path(path)
    if context is not None:
        context.remember_folder("files", target.parent)
    if target.suffix.lower() not in (".csv", ".json"):
        target = target.with_name(target.name + (".json" if "json" in chosen.lower()
                                                 else ".csv"))
        if target.exists() and QMessageBox.question(
                parent, "Replace file?", f"{target.name} already exists. Replace it?"
        ) != QMessageBox.StandardButton.Yes:
            return None
    return target


AUDIT_HEADERS = ("When", "Action", "Scope", "Change", "Videos", "Undone", "#")


def local_time(at: str) -> str:
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


class AuditModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list[audit.AuditEntry] = []

    def set_entries(self, entries: list[audit.AuditEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(AUDIT_HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return AUDIT_HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            change = e.new if e.old in ("", "-") else f"{e.old} → {e.new}"
            if e.previews_removed:
                change += (f" · {e.previews_removed} preview"
                           f"{'s' if e.previews_removed != 1 else ''} deleted")
            return (local_time(e.at), e.action, e.named_scope, change, str(e.count),
                    f"undone by #{e.undone_by}" if e.undone_by else
                    f"undoes #{e.undo_of}" if e.undo_of else "", f"#{e.id}")[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"#{e.id} · {e.at} (UTC) · " + e.sentence()
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class AuditDialog(QDialog):
    """Every change to consent and the library, newest first; export to CSV or JSON."""

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Audit trail")
        self.model = AuditModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self.show_videos)  # double-click or Enter: which videos
        self.summary = QLabel()
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the audit trail as CSV or JSON")
        self.export_button.clicked.connect(self.export)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self.resize(900, 480)
        context.consentChanged.connect(self.refresh)
        context.libraryChanged.connect(self.refresh)
        self.refresh()

    def videos_text(self, row: int) -> str:
        """Which videos the change of `row` changed, by name (at most 200 listed)."""
        entry = self.model.entries[row]
        changed, total = self.context.consent.changed_videos(entry.id)
        if not total:
            return f"#{entry.id} {entry.action} of {entry.named_scope}: " + (
                "it changed the whole library's state, not videos one by one."
                if entry.scope == "library" else "no per-video record is kept for it.")
        lines = [f"{name or f'video {vid} (removed since)'}: was {old}"
                 for vid, name, old in changed]
        more = f"\n… and {total - len(changed)} more" if total > len(changed) else ""
        return (f"#{entry.id} {entry.action}: {entry.old} → {entry.new}, "
                f"{total} video{'s' if total != 1 else ''}\n\n" + "\n".join(lines) + more)

    def show_videos(self, index) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, "Videos in this change",
                          self.videos_text(index.row()), QMessageBox.StandardButton.Close, self)
        box.open()
        self.videos_box = box
        return box

    def refresh(self) -> None:
        self.model.set_entries(self.context.consent.audit_entries())
        n = self.model.rowCount()
        self.summary.setText(f"{n} entr{'ies' if n != 1 else 'y'}, newest first; "
                             "double-click one to see its videos")
        self.export_button.setEnabled(n > 0)

    def export(self) -> Path | None:
        """Ask where (the file dialog asks before replacing a file), then write."""
        target = ask_save_path(self, "Export the audit trail", "remix-desktop-audit.csv",
                               self.context)
        if target is None:
            return None
        try:
            self.export_to(target)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"{target} could not be written "
                                f"({exc.strerror or exc}).")
            return None
        self.summary.setText(f"Exported {len(self.model.entries)} entries to {target.name}.")
        return target

    def export_to(self, target: Path) -> None:
        items = self.context.consent.audit_entries()
        text = audit.to_json(items) if target.suffix.lower() == ".json" else audit.to_csv(items)
        write_atomically(target, text.encode("utf-8"))


SHOWN_REJECTIONS = 1000  # a report lists at most this many; the rest are saved on request


def rejections_csv(groups, header=("group", "path", "reason"),
                   row=lambda group, item: (group, item.path, item.reason)) -> str:
    """Every rejected input as CSV (by default: group, path, reason)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for group, items in groups:
        writer.writerows(row(group, item) for item in items)
    return out.getvalue()


class RejectionsDialog(QDialog):
    """A summary sentence and the files (or rows) that were not used, each with its reason.
    At most the first SHOWN_REJECTIONS are listed (a folder of a million files that are
    not videos must not build a million items on the GUI thread); "Save the full list…"
    writes all of them to a CSV file, atomically, on a job. Subclasses say what an entry
    is (`column`, `csv_header`, `csv_row`, `default_name`, `saved_text`)."""

    column = "File"
    default_name = "remix-desktop-not-imported.csv"
    csv_header = ("group", "path", "reason")

    @staticmethod
    def csv_row(group: str, item: Rejection) -> tuple:
        return group, item.path, item.reason

    @staticmethod
    def saved_text(count: int, path: Path) -> str:
        return f"Saved all {count:,} to {path.name}."

    def __init__(self, title: str, summary: str, rejected: list[Rejection],
                 parent: QWidget | None = None, *, skipped: list[Rejection] = (),
                 jobs=None, groups=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.groups = groups or (("Not imported", rejected), ("Already in the library",
                                                               skipped))
        total = sum(len(items) for _, items in self.groups)
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setHeaderLabels([self.column, "Reason"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setUniformRowHeights(True)
        rows = []
        for group, items in self.groups:
            for item in items[:SHOWN_REJECTIONS - len(rows)]:
                row = QTreeWidgetItem([Path(item.path).name or item.path, item.reason])
                row.setToolTip(0, item.path)
                row.setToolTip(1, f"{group}: {item.reason}")
                rows.append(row)
        self.list.addTopLevelItems(rows)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.list.setColumnWidth(0, 360)
        self.list.setVisible(bool(rows))
        self.more = QLabel(f"Showing the first {len(rows):,} of {total:,}; save the full "
                           "list to see them all." if total > len(rows) else "")
        self.more.setVisible(total > len(rows))
        self.save_button = QPushButton("Save the full list…")
        self.save_button.setToolTip("Write every entry and its reason to a CSV file")
        self.save_button.clicked.connect(lambda: self.save_full_list())
        self.save_button.setVisible(total > 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        buttons.accepted.connect(self.close)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.summary)
        self.layout_.addWidget(self.list)
        self.layout_.addWidget(self.more)
        self.layout_.addWidget(buttons)
        self.resize(760, 380)
        self._jobs = jobs
        self.save_job = None
        self.saved_message = ""  # what the last save said

    def rows(self) -> list[tuple[str, str]]:
        return [(self.list.topLevelItem(i).toolTip(0), self.list.topLevelItem(i).text(1))
                for i in range(self.list.topLevelItemCount())]

    def save_full_list(self, target: Path | None = None):
        """Ask where, then write every entry on a job; returns the job (None: not asked)."""
        if target is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the full list", str(Path.home() / self.default_name),
                "CSV (*.csv)")
            if not path:
                return None
            target = Path(path)
        target = Path(target)
        if self._jobs is None:
            from .jobs import JobRunner
            self._jobs = JobRunner(self, max_threads=1)
        groups, header, row = self.groups, self.csv_header, self.csv_row
        count = sum(len(items) for _, items in groups)
        self.save_button.setEnabled(False)

        def work(control):
            data = rejections_csv(groups, header, row).encode("utf-8")
            check_target(target, force=True)  # a missing folder, a long name: one sentence
            try:
                write_atomically(target, data)
            except OSError as exc:
                raise UsageError(f"{target} could not be written "
                                 f"({exc.strerror or exc})") from exc
            return target

        def said(text: str) -> None:
            self.save_button.setEnabled(True)
            self.saved_message = text
            self.more.setText(text)
            self.more.show()

        self.save_job = self._jobs.run(
            "save the full list", work, finished=lambda p: said(self.saved_text(count, p)),
            failed=lambda text: said(f"The list could not be saved: {text}"))
        return self.save_job


def import_summary(report) -> str:
    """'Imported 7 videos; 2 already in the library; 1 relinked; 9 not imported.'"""
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'s' if count != 1 else ''}"
    parts = [f"Imported {n(len(report.imported), 'video')}"]
    if report.relinked:
        parts.append(f"{len(report.relinked)} found again after a move (relinked)")
    if report.skipped:
        parts.append(f"{len(report.skipped)} already in the library")
    if report.rejected:
        parts.append(f"{n(len(report.rejected), 'file')} not imported")
    text = "; ".join(parts) + "."
    faces, found = getattr(report, "faces", 0), getattr(report, "copies", [])
    if faces:
        text += (f" {faces} show{'s' if faces == 1 else ''} a face: remixed only when you "
                 "allow it yourself.")
    if found:
        one = len(found) == 1
        text += (f" {len(found)} {'is a copy of a video' if one else 'are copies of videos'} "
                 f"already in the library, and follow{'s' if one else ''} "
                 f"{'its' if one else 'their'} original's deny (right-click > Not a copy "
                 "breaks the link).")
    if getattr(report, "cancelled", False):
        text = "The import was cancelled. " + text
    return text


class ImportReportDialog(RejectionsDialog):
    def __init__(self, report, parent: QWidget | None = None, *, jobs=None):
        super().__init__("Import report", import_summary(report)
                         + ("\nThe files below were not imported:" if report.rejected else ""),
                         report.rejected, parent, jobs=jobs)
        self.report = report
