"""The main window's commands: actions with shortcuts and tooltips, menus, the toolbar, and
what each command does (permissions, undo, the bulk opt-out, remove, permissions files,
settings, the audit trail). Mixed into MainWindow."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMenu, QMessageBox, QStyle,
                               QToolBar, QToolButton, QWidget)

from ..core import ops
from ..core.consent import Change, Consent
from .jobs import Job
from ..core.permissions_file import export_permissions
from .delegates import BADGE_COLORS
from .dialogs import AuditDialog, SettingsDialog, ask_save_path
from .models_dialog import ModelsDialog
from .widgets import SwitchButton

VERBS = {"allow": "Allowed", "deny": "Denied", "default": "Reset to the library default:"}


def dot_icon(color: QColor) -> QIcon:
    pixmap = QPixmap(32, 32)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(3, 3, 10, 10)
    painter.end()
    return QIcon(pixmap)


def videos(n: int) -> str:
    return f"{n} video{'s' if n != 1 else ''}"


PERMISSION_WORDS = {"allow": "Allow", "deny": "Deny", "default": "Default"}


def previews(n: int) -> str:
    return f"{n} remix preview{'s' if n != 1 else ''}"


class ActionsMixin:
    # -- building --------------------------------------------------------------------------

    def _action(self, text: str, slot, *, shortcut=None, tip: str, icon=None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(icon if isinstance(icon, QIcon) else self.style().standardIcon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            tip = f"{tip} ({keys})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work whichever page is shown
        return action

    def _build_actions(self) -> None:
        SP = QStyle.StandardPixmap
        a = self._action
        self.import_action = a("&Import videos…", self.import_flow.choose_files,
                               shortcut="Ctrl+I", icon=SP.SP_DialogOpenButton,
                               tip="Add video files to your library")
        self.import_folder_action = a("Import a &folder…", self.import_flow.choose_folder,
                                      shortcut="Ctrl+Shift+I", icon=SP.SP_DirOpenIcon,
                                      tip="Add every video in a folder and its subfolders")
        self.sheet_action = a(
            "Contact &sheet…", lambda: self.open_contact_sheet(),
            tip="What a remix of each selected video (or of every video) would look like, "
                "with its permission badge, as one picture or PDF")
        self.export_permissions_action = a(
            "&Export permissions…", self.export_permissions_file, shortcut="Ctrl+Alt+E",
            tip="Save every video's permission to a CSV or JSON file")
        self.import_permissions_action = a(
            "Import &permissions…", self.import_permissions_file, shortcut="Ctrl+Shift+E",
            tip="Apply permissions from a CSV or JSON file (one undoable change)")
        self.settings_action = a("&Settings…", self.open_settings, shortcut="Ctrl+,",
                                 icon=SP.SP_FileDialogDetailedView,
                                 tip="Default permission, export metadata, data folder")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.models_action = a("&Models…", self.open_models,
                               tip="The caption and diffusion models: add, verify, remove, "
                                   "download")
        self.restore_action = a("&Restore from backup…", self.open_backups,
                                tip="Put a backup of the library back (the daily copies and "
                                    "the ones taken on request)")
        self.quit_action = a("&Quit", self.close, shortcut=QKeySequence.StandardKey.Quit,
                             tip="Close Remix Desktop")
        self.undo_action = a("&Undo", self.undo, shortcut=QKeySequence.StandardKey.Undo,
                             icon=SP.SP_ArrowBack, tip="Undo the last permission change")
        self.select_all_action = a("Select &all", self.select_all,
                                   shortcut=QKeySequence.StandardKey.SelectAll,
                                   tip="Select every video shown in the list")
        self.find_action = a("&Search", self.focus_search, shortcut=QKeySequence.StandardKey.Find,
                             tip="Search the library by name")
        self.allow_action = a("&Allow", lambda: self.set_permission_for_selection("allow"),
                              shortcut="Ctrl+1", icon=dot_icon(BADGE_COLORS["allow"]),
                              tip="Allow AI remixes of the selected videos")
        self.deny_action = a("&Deny", lambda: self.set_permission_for_selection("deny"),
                             shortcut="Ctrl+2", icon=dot_icon(BADGE_COLORS["deny"]),
                             tip="Deny AI remixes of the selected videos")
        self.default_action = a("&Reset to default",
                                lambda: self.set_permission_for_selection("default"),
                                shortcut="Ctrl+0", icon=dot_icon(BADGE_COLORS["default"]),
                                tip="Let the selected videos follow the library default")
        self.remove_action = a("Re&move from library…", self.remove_selected,
                               shortcut=QKeySequence.StandardKey.Delete, icon=SP.SP_TrashIcon,
                               tip="Take the selected videos out of the library "
                                   "(the files are not touched)")
        self.optout_action = a("Bulk &opt-out", self._optout_triggered,
                               shortcut="Ctrl+Shift+O", checkable=True,
                               tip="Deny AI remixes of every video at once; your per-video "
                                   "choices are kept")
        self.panel_action = a("Remix &panel", self.toggle_panel, shortcut="Ctrl+Shift+R",
                              checkable=True, tip="Show or fold away the remix panel (the "
                              "library gets all the room)")
        self.panel_action.setChecked(True)
        self.shortcuts_action = a("&Keyboard shortcuts", self.open_shortcuts,
                                  shortcut="Ctrl+/", tip="Every key the window answers to")
        self.about_action = a("&About Remix Desktop", self.open_about,
                              tip="Versions of the app and its parts, and where your data is")
        self.audit_action = a("&Audit trail", self.open_audit, shortcut="Ctrl+Shift+L",
                              icon=SP.SP_FileDialogContentsView,
                              tip="Every change to permissions and the library")
        self.selection_actions = [self.allow_action, self.deny_action, self.default_action,
                                  self.remove_action]
        # disabled while a consent change is being written (one at a time)
        self.consent_actions = [self.allow_action, self.deny_action, self.default_action,
                                self.undo_action, self.optout_action]

    def _scope_to(self, widget: QWidget, actions: list[QAction]) -> None:
        """Keys like Delete and Ctrl+A act on the library only while it has the focus (the
        remix panel's own lists and text fields keep theirs)."""
        for action in actions:
            self.removeAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            widget.addAction(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.import_action, self.import_folder_action])
        file.addSeparator()
        file.addActions([self.export_permissions_action, self.import_permissions_action])
        file.addAction(self.sheet_action)
        file.addAction(self.restore_action)
        file.addAction(self.locate_action)
        file.addSeparator()
        file.addActions([self.models_action, self.settings_action, self.quit_action])
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo_action])
        edit.addSeparator()
        edit.addActions([self.select_all_action, self.find_action])
        permission = bar.addMenu("&Permission")
        permission.addActions([self.allow_action, self.deny_action, self.default_action])
        permission.addSeparator()
        permission.addActions([self.optout_action])
        permission.addSeparator()
        permission.addActions([self.remove_action])
        view = bar.addMenu("&View")
        view.addActions([self.audit_action, self.panel_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])

    def toggle_panel(self, shown: bool) -> None:
        """Fold the remix panel away (its width goes to the library) or bring it back."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if shown and sizes[1] == 0:
            panel = getattr(self, "_panel_width", 0) or total * 2 // 5
            self.splitter.setSizes([total - panel, panel])
        elif not shown and sizes[1]:
            self._panel_width = sizes[1]
            self.splitter.setSizes([total, 0])
        self.panel_action.setChecked(self.splitter.sizes()[1] > 0)

    def open_shortcuts(self):
        from .help import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.open()
        return self.shortcuts_dialog

    def open_about(self):
        from .help import AboutDialog

        self.about_dialog = AboutDialog(self, self.context.home)
        self.about_dialog.open()
        return self.about_dialog

    def _build_toolbar(self) -> QToolBar:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(16, 16))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        import_menu = QMenu(toolbar)
        import_menu.addActions([self.import_action, self.import_folder_action])
        import_button = QToolButton()
        import_button.setDefaultAction(self.import_action)
        import_button.setMenu(import_menu)
        import_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        import_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addWidget(import_button)
        toolbar.addAction(self.undo_action)
        toolbar.addSeparator()
        toolbar.addActions([self.allow_action, self.deny_action, self.default_action])
        toolbar.addSeparator()
        toolbar.addAction(self.audit_action)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().Policy.Expanding,
                             spacer.sizePolicy().Policy.Preferred)
        toolbar.addWidget(spacer)
        self.optout_switch = SwitchButton(self.optout_action)
        label = QLabel("Bulk opt-out")
        label.setToolTip(self.optout_action.toolTip())
        label.setBuddy(self.optout_switch)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(8, 0, 8, 0)
        row.addWidget(label)
        row.addWidget(self.optout_switch)
        toolbar.addWidget(box)
        self.addToolBar(toolbar)
        return toolbar

    # -- permissions -----------------------------------------------------------------------

    def _agrees(self, title: str, text: str) -> bool:
        """Ask before something the creator made or decided is changed or deleted; No is
        the default answer."""
        return QMessageBox.question(
            self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes

    def set_permission_for_selection(self, value: str) -> Job | None:
        """One `set_permission` call for every selected video, on a job; says what changed
        when it is written (the change is in `last_change` then)."""
        ids = self.selected_ids()
        if not ids:
            self.show_message("Select one or more videos first.")
            return None
        if value != "allow":  # deny, or default under a deny: previews may go with it
            lost = self.context.consent.previews_lost(selection=ids, permission=value)
            if lost and not self._agrees(
                    "Delete remix previews?",
                    f"Setting {videos(len(ids))} to {PERMISSION_WORDS[value]} means they may "
                    f"not be remixed, so their {previews(lost)} will be deleted (exported "
                    "files are kept). Undo brings the permission back, not the previews."):
                return None
        names = self.names_of(ids[:1])

        def done(change: Change) -> None:
            self.last_change = change
            if change.count == 0:
                self.show_message(f"Nothing changed: the selected {videos(len(ids))} were "
                                  f"already {'on ' if value == 'default' else ''}{value}.")
                return
            # one video by its name; a bulk change by its count (the audit trail's row
            # lists its videos by name when opened)
            text = (f"{VERBS[value]} {names}." if len(ids) == 1 and change.count == 1 else
                    f"{VERBS[value]} {videos(change.count)}.")
            if change.previews_removed:
                text += f" {change.previews_removed} cached previews deleted."
            if self.model.state.optout and value != "deny":
                text += " The bulk opt-out is on, so no video may be remixed until it is off."
            self.show_message(text + " Undo with Ctrl+Z.")

        return self.context.run_op(
            f"set permission to {value}",
            lambda library, _c: ops.set_permission(library, ids, value),
            finished=done, failed=self.show_message, initiator=self, exclusive=True)

    def undo(self) -> Job | None:
        """Undo the change the Undo action is labelled with, and only that one: when
        another window or the command line made a newer change since, nothing is undone
        and the status bar says why."""
        pending = self._undo_pending
        if pending is None:
            self.show_message("There is no change left to undo.")
            return None
        action, scope, old, new = pending.action, pending.scope, pending.old, pending.new
        lost = self.context.consent.previews_lost_by_undo(pending)
        if lost and not self._agrees(  # an undo that denies again asks, as the change would
                "Undo and delete remix previews?",
                f"Undoing this ({action} of {pending.named_scope}: {old} → {new}) means "
                f"videos may not be remixed again, so {previews(lost)} will be deleted "
                "(exported files are kept)."):
            return None
        scope = pending.named_scope  # "video 6 (concert front row.webm)": said by name

        def done(change: Change) -> None:
            self.last_change = change
            what = {"permission": "permission of", "permissions-import": "permissions",
                    "default": "library default", "optout": "bulk opt-out",
                    "likeness": "the rule for videos that show a face"}.get(action, action)
            target = "" if scope == "library" else f" {scope}"
            gone = change.previews_not_restored
            said = (f"Undone: {scope} is linked again as a {old}" if action == "unlink-copy"
                    else f"Undone: {what}{target} back from {new} to {old}")
            self.show_message(f"{said} ({videos(change.count)})."
                              + (f" The {previews(gone)} that change deleted "
                                 f"{'is' if gone == 1 else 'are'} not brought back: make "
                                 f"{'it' if gone == 1 else 'them'} again if you want." if gone
                                 else ""))

        return self.context.run_op("undo",
                                   lambda library, _c: ops.undo(library, pending.id),
                                   finished=done, failed=self.show_message, initiator=self,
                                   exclusive=True)

    def _update_undo(self, pending=...) -> None:
        """Label Undo with the change it would undo now (`pending` when the caller read
        it already); Undo remembers it and undoes nothing else."""
        if pending is ...:
            pending = self.context.consent.next_undo()
        self._undo_pending = pending
        self.undo_action.setEnabled(pending is not None and self.context.op is None)
        if pending is None:
            tip = "Nothing to undo"
        else:
            action, old, new, count = pending.action, pending.old, pending.new, pending.count
            tip = f"Undo {action} ({pending.named_scope}: {old} → {new}, {videos(count)})"
            if pending.previews_removed:
                tip += (f"; the {previews(pending.previews_removed)} it deleted "
                        "are not brought back")
        self.undo_action.setToolTip(f"{tip} (Ctrl+Z)")

    def unlink_copy(self, video_id: int) -> Job | None:
        """The creator says a video is not a copy of the one it was linked to (undoable)."""
        original = self.model.original_name(video_id)
        name = self.names_of([video_id])

        def done(change: Change) -> None:
            self.last_change = change
            said = self.model.effective(self.model.row_of(video_id)) if (
                self.model.row_of(video_id) is not None) else None
            self.show_message(f"{name} is no longer linked as a copy of “{original}”"
                              + (f"; it is {'allowed' if said.allowed else 'denied'} now"
                                 if said is not None else "") + ". Undo with Ctrl+Z.")

        return self.context.run_op("not a copy",
                                   lambda library, _c: ops.unlink_copy(library, video_id),
                                   finished=done, failed=self.show_message, initiator=self,
                                   exclusive=True)

    def set_likeness(self, on: bool) -> Job | None:
        """The likeness rule on or off (Settings); turning it on asks first when it would
        delete remix previews of videos that show a face."""
        if on == self.model.state.likeness:
            return None
        if on:
            lost = self.context.consent.previews_lost(likeness=True)
            if lost and not self._agrees(
                    "Delete remix previews?",
                    f"With the likeness rule on, videos that show a face may be remixed only "
                    f"when you allow them one by one, so {previews(lost)} of videos that "
                    "show a face and follow the default will be deleted (exported files are "
                    "kept). Undo brings the rule back, not the previews."):
                return None

        def done(change: Change) -> None:
            self.last_change = change
            self.show_message(
                ("Videos that show a face are now remixed only when you allow them one by "
                 "one" if on else "Videos that show a face now follow the library default, "
                 "like any other") + f" ({videos(change.count)} changed)"
                + (f"; {previews(change.previews_removed)} deleted"
                   if change.previews_removed else "") + ". Undo with Ctrl+Z.")

        return self.context.run_op("likeness rule " + ("on" if on else "off"),
                                   lambda library, _c: ops.set_likeness(library, on),
                                   finished=done, failed=self.show_message, initiator=self,
                                   exclusive=True)

    # -- the bulk opt-out ------------------------------------------------------------------

    def _optout_triggered(self, checked: bool) -> None:
        self.set_optout(bool(checked))

    def set_optout(self, on: bool) -> Job | None:
        """Turning on asks first (saying how many videos it affects); off does not. The
        change is written on a job; the switch shows the library's state until it is."""
        state = self.model.state
        if on == state.optout:
            self.optout_action.setChecked(on)
            return None
        self.optout_action.setChecked(state.optout)  # until the change is written
        if on:
            n = self.counts["allowed"]  # the videos that may be remixed now: all denied
            lost = self.context.consent.previews_lost(optout=True)
            if not self._agrees(
                    "Turn on the bulk opt-out?",
                    f"No video may be remixed while the bulk opt-out is on. This denies "
                    f"{videos(n)} that may be remixed now"
                    + (f" and deletes their {previews(lost)} (exported files are kept; turning "
                       "the opt-out off again does not bring previews back)" if lost else "")
                    + ".\n\nYour per-video choices are kept and come back when you turn it "
                    "off."):
                return None

        def done(change: Change) -> None:
            self.last_change = change
            if on:
                self.show_message(f"Bulk opt-out is on: {videos(change.count)} denied. "
                                  "Undo with Ctrl+Z.")
            else:
                self.show_message(f"Bulk opt-out is off: your per-video choices apply again "
                                  f"({videos(change.count)} may be remixed again).")

        def failed(text: str) -> None:
            self.optout_action.setChecked(self.model.state.optout)
            self.show_message(text)

        return self.context.run_op("bulk opt-out " + ("on" if on else "off"),
                                   lambda library, _c: ops.set_optout(library, on),
                                   finished=done, failed=failed, initiator=self,
                                   exclusive=True)

    # -- removing --------------------------------------------------------------------------

    def remove_selected(self) -> int:
        ids = self.selected_ids()
        if not ids:
            self.show_message("Select the videos to remove first.")
            return 0
        first = self.model.row(self.model.row_of(ids[0])).name
        what = f"“{first}”" if len(ids) == 1 else videos(len(ids))
        if not self._agrees(
                "Remove from the library?",
                f"Remove {what} from the library?\n\nThe video files are not touched: they "
                "stay where they are on your disk. Remix Desktop forgets their permissions and "
                "deletes only the thumbnails and previews it made. Importing them again starts "
                "over with the library default."):
            return 0
        def done(gone) -> None:
            self.show_message(f"Removed {videos(len(gone))} from the library; the files were "
                              "not touched.")

        self.remove_job = self.context.run_op(
            "remove videos", lambda library, _c: ops.remove_videos(library, ids),
            finished=done, failed=self.show_message, initiator=self)
        return len(ids) if self.remove_job is not None else 0

    # -- permissions files -----------------------------------------------------------------

    def export_permissions_file(self, target: Path | None = None):
        target = target or ask_save_path(self, "Export permissions",
                                         "remix-desktop-permissions.csv", self.context)
        if target is None:
            return None
        context = self.context

        def work(control):
            with context.background_library() as library:
                return export_permissions(Consent(library), Path(target), force=True)

        return context.jobs.run(
            "export permissions", work,
            finished=lambda n: self.show_message(f"Saved the permissions of {videos(n)} to "
                                                 f"{Path(target).name}."),
            failed=self.show_message)

    def import_permissions_file(self, source: Path | None = None):
        """Read, match and apply a permissions file on a job (a million rows take seconds);
        on the GUI thread only the summary and a report of at most SHOWN entries are made."""
        from .permissions_report import PermissionsReportDialog

        if source is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import permissions", str(Path.home()),
                                                  "Permissions (*.csv *.json)")
            if not path:
                return None
            source = Path(path)
        context = self.context

        def work(library, control):
            def progress(done: int, total: int) -> None:
                control.progress(done * 1000 // max(total, 1), 1000,
                                 f"Reading {Path(source).name}")

            return ops.import_permissions(library, Path(source), progress=progress)

        def done(result):
            n = result.matched
            head = (f"Applied {n} permission{'s' if n != 1 else ''} from {Path(source).name}: "
                    f"{videos(result.change.count)} changed."
                    + (" Undo with Ctrl+Z." if result.change.count else ""))
            text = head + "".join(f" {s.reason}."
                                  for s in result.library_settings_not_applied if s.stricter)
            left = len(result.conflicts) + len(result.rejected)
            if left:
                text += (f" {left:,} entr{'y was' if left == 1 else 'ies were'} not applied "
                         "as written.")
            self.show_message(text, 8000 if result.complete else 20000)
            if not result.complete:
                dialog = PermissionsReportDialog(result, head, context.jobs, self)
                dialog.open()
                self.permissions_report = dialog

        return context.run_op("import permissions", work, finished=done,
                              failed=self.show_message, initiator=self, exclusive=True)

    # -- dialogs ---------------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.context, self)
        dialog.accepted.connect(lambda: self.show_message(
            "Settings: " + "; ".join(dialog.done_messages) + "." if dialog.done_messages
            else "Settings unchanged."))
        dialog.open()
        self.settings_dialog = dialog
        return dialog

    def _show_tool(self, attribute: str, make):
        """A tool window made once and kept (its place and state survive closing it),
        refreshed and raised each time it is asked for."""
        dialog = getattr(self, attribute, None)
        if dialog is None:
            dialog = make(self.context, self)
            setattr(self, attribute, dialog)
        dialog.refresh()
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def open_contact_sheet(self):
        """The contact sheet of the selected videos (two or more), else of every video; it
        starts making its tiles at once."""
        from .contact_sheet_dialog import ContactSheetDialog

        if not self.context.library.count():
            self.show_message("Import videos first: the contact sheet shows each of them.")
            return None
        ids = self.selected_ids()
        dialog = ContactSheetDialog(self.context, ids if len(ids) > 1 else None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.sheet_dialog = dialog
        dialog.show()
        dialog.make()
        return dialog

    def open_audit(self) -> AuditDialog:
        return self._show_tool("audit_dialog", AuditDialog)

    def open_backups(self):
        from .recovery import BackupsDialog

        return self._show_tool("backups_dialog", BackupsDialog)

    def open_models(self) -> ModelsDialog:
        return self._show_tool("models_dialog", ModelsDialog)
