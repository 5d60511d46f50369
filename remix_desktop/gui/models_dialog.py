"""The Models dialog: the manifest's models and the creator's own files, with their family,
size and status; add a file (referenced where it is, or copied into the models folder),
verify, remove, and download a manifest entry with progress and Cancel.

Everything that reads a file or the network runs as a job with its own library connection.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox,
                               QInputDialog,
                               QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ..core.download import DownloadProgress
from ..core import ops
from ..core.download import human_size
from ..core.model_kinds import FAMILIES as MODEL_FAMILIES
from ..core.model_store import ModelStatus, ModelStore, is_projector
from .context import AppContext
from .jobs import Job, JobState

COLUMNS = ("Model", "Kind", "Family", "Size", "Status")
STATUS_SENTENCES = {  # what a check found, in words (Verify)
    "verified": "verified: its SHA-256 is the one its publisher gives",
    "installed": "installed and readable: its header and size are right (there is no "
                 "published checksum to compare it with)",
    "missing": "missing: the file is not where it was",
    "damaged": "damaged: the file does not match what was added or published",
    "not downloaded": "not downloaded yet",
}
FAMILIES = {**{key: f.short for key, f in MODEL_FAMILIES.items()}, "?": "—"}


def _usable(item: ModelStatus) -> bool:
    return item.kind in ("caption", "vision", "diffusion") and item.status in ("installed",
                                                                              "verified")


def _quantizable(item: ModelStatus) -> bool:
    """An installed diffusion model not quantized here already."""
    return item.kind == "diffusion" and item.status in ("installed", "verified") \
        and not item.weight_type


def _role(kind: str) -> str:
    """What a chosen model of `kind` is for, in a sentence."""
    return "caption" if kind in ("caption", "vision") else kind




class ModelsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.items: list[ModelStatus] = []
        self.job: Job | None = None  # the add, verify, remove or download running
        self._after = None  # what to run once the job has finished (remove after quantize)
        self.list_job: Job | None = None
        self.setWindowTitle("Models")
        self.resize(820, 420)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton("&Add file…")
        self.add_button.setToolTip("Add a .safetensors or .gguf model file from this computer")
        self.copy_check = QCheckBox("&Copy into the models folder")
        self.copy_check.setToolTip("Unchecked: the file is used where it is and never deleted")
        self.verify_button = QPushButton("&Verify")
        self.verify_button.setToolTip("Read the selected model's header again and check its "
                                      "checksum when one is known (all models if none is "
                                      "selected)")
        self.remove_button = QPushButton("&Remove…")
        self.remove_button.setToolTip("Forget the selected model; a file you added from "
                                      "elsewhere is kept")
        self.download_button = QPushButton("&Download")
        self.download_button.setToolTip("Download the selected model from its publisher")
        self.use_button = QPushButton("&Use for remixes")
        self.use_button.setToolTip("Make the selected caption or diffusion model the one "
                                   "remixes use")
        self.use_button.clicked.connect(lambda: self.use())
        self.quantize_button = QPushButton("&Quantize…")
        self.quantize_button.setToolTip("Write the selected diffusion model once as a smaller "
                                        "GGUF (q8_0, q4_0…) that loads faster and needs less "
                                        "memory; the original is kept until you remove it")
        self.quantize_button.clicked.connect(lambda: self.quantize())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the download")
        self.cancel_button.clicked.connect(self.cancel)
        self.add_button.clicked.connect(lambda: self.add_file())
        self.verify_button.clicked.connect(lambda: self.verify())
        self.remove_button.clicked.connect(lambda: self.remove())
        self.download_button.clicked.connect(lambda: self.download())

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        row = QHBoxLayout()
        for widget in (self.add_button, self.copy_check):
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.use_button, self.quantize_button, self.verify_button,
                       self.remove_button, self.download_button, self.cancel_button):
            row.addWidget(widget)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self._update_buttons()

    # -- listing ---------------------------------------------------------------------------

    def refresh(self) -> Job:
        ctx = self.context

        def work(control):
            with ctx.background_library() as library:
                return ModelStore(library).list()

        self.list_job = ctx.jobs.run("list models", work, finished=self._fill,
                                     failed=self._say)
        return self.list_job

    def _fill(self, items: list[ModelStatus]) -> None:
        selected = self.selected()
        self.items = list(items)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            name = item.label if item.label == item.id else f"{item.label} ({item.id})"
            status = f"{item.status}, in use" if item.in_use else item.status
            values = (name, item.kind, FAMILIES.get(item.family, item.family),
                      human_size(item.size), status)
            tip = "\n".join(t for t in (item.path or "", item.detail) if t)
            for col, value in enumerate(values):
                cell = QTableWidgetItem(value)
                cell.setData(Qt.ItemDataRole.UserRole, item.id)
                if tip:
                    cell.setToolTip(tip)
                self.table.setItem(row, col, cell)
            if selected is not None and item.id == selected.id:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> ModelStatus | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.items):
            return None
        return self.items[rows[0].row()]

    def select(self, model_id: str) -> bool:
        for row, item in enumerate(self.items):
            if item.id == model_id:
                self.table.selectRow(row)
                return True
        return False

    def row(self, model_id: str) -> ModelStatus | None:
        return next((m for m in self.items if m.id == model_id), None)

    # -- commands --------------------------------------------------------------------------

    def add_file(self, path: str | Path | None = None, copy: bool | None = None,
                 projector: str | Path | None = None) -> Job | None:
        """Add a model file; a vision model is two files, its language model and its
        projector (chosen together, or the projector's model asked for next)."""
        if self._busy():
            return None
        if path is None:
            paths, _ = QFileDialog.getOpenFileNames(
                self, "Add a model file (a vision model: its model and its mmproj file)",
                str(self.context.last_folder("models", Path.home())),
                "Model files (*.safetensors *.gguf);;All files (*)")
            if not paths:
                return None
            if len(paths) > 2:
                self._say("Choose one model file, or a vision model's two files (its model "
                          "and its projector).")
                return None
            self.context.remember_folder("models", Path(paths[0]).parent)
            path = paths[0]
            projector = paths[1] if len(paths) == 2 else None
        copy = self.copy_check.isChecked() if copy is None else copy
        source = Path(path)
        pair = Path(projector) if projector else None

        def work(library, control):
            control.progress(0, 0, "Reading the file's header")
            if pair is None and is_projector(source):  # read here, off the GUI thread
                return source  # a projector alone: its model is asked for next
            return ModelStore(library).add(source, copy=copy, projector=pair)

        def done(status) -> None:
            if isinstance(status, Path):
                self._ask_for_model(status, copy)
                return
            family = FAMILIES.get(status.family, status.family)
            what = (f"a vision caption model ({status.label}) with its projector"
                    if status.projector else f"{status.kind}, {family}")
            self._say(f"Added {status.id}: {what}"
                      + (", copied into the models folder." if copy else
                         ", used where it is."))

        return self._run("add model", work, done, "Adding the model…")

    def _ask_for_model(self, projector: Path, copy: bool) -> None:
        """A vision projector was chosen alone: ask for the language model it pairs with."""
        model, _ = QFileDialog.getOpenFileName(
            self, f"{projector.name} is a vision projector: choose its language model",
            str(projector.parent), "GGUF models (*.gguf);;All files (*)")
        if not model:
            self._say(f"{projector.name} is a vision projector: it is added together with "
                      "its language model.")
            return
        self._after = lambda: self.add_file(model, copy, projector=projector)

    def verify(self, model_id: str | None = None) -> Job | None:
        if self._busy():
            return None
        if model_id is None and self.selected() is not None:
            model_id = self.selected().id

        def work(library, control):
            control.progress(0, 0, "Checking")
            return ModelStore(library).verify(model_id)

        def done(checked: list[ModelStatus]) -> None:
            if len(checked) == 1:
                item = checked[0]
                self._say(f"{item.id}: " + STATUS_SENTENCES.get(item.status, item.status)
                          + (f" ({item.detail})." if item.detail
                                                         else "."))
            else:
                bad = [m.id for m in checked if m.status in ("damaged", "missing")]
                self._say(f"Checked {len(checked)} models" + (
                    f"; needs attention: {', '.join(bad)}." if bad else "; all fine."))

        return self._run("verify models", work, done, "Verifying…")

    def remove(self, model_id: str | None = None) -> Job | None:
        item = self.row(model_id) if model_id else self.selected()
        if item is None or self._busy():
            return None
        if item.source == "reference" and item.projector:
            text = (f"Forget {item.id}? Its two files stay where they are:\n{item.path}\n"
                    f"{item.projector}")
        elif item.source == "reference":
            text = (f"Forget {item.id}? The file stays where it is:\n{item.path}")
        elif item.source == "manifest" and item.status == "not downloaded":
            self._say(f"{item.id} is not downloaded; there is nothing to remove.")
            return None
        else:
            text = f"Delete {item.id} from the models folder?" + (
                " Its vision projector is deleted with it." if item.projector else "")
        answer = QMessageBox.question(self, "Remove model", text)
        if answer != QMessageBox.StandardButton.Yes:
            return None

        def work(library, control):
            return ModelStore(library).remove(item.id)

        return self._run("remove model", work, lambda text: self._say(text + "."),
                         "Removing…")

    def use(self, model_id: str | None = None) -> Job | None:
        """Choose the selected caption or diffusion model for remixes (a setting)."""
        item = self.row(model_id) if model_id else self.selected()
        if item is None or self._busy() or not _usable(item):
            return None

        def work(library, control):
            return ModelStore(library).choose(item.id)

        def done(chosen: ModelStatus) -> None:
            self._say(f"Remixes now use {chosen.id} as their {_role(chosen.kind)} model.")

        return self._run("choose model", work, done, "Choosing…", settings=True)

    def download(self, model_id: str | None = None) -> Job | None:
        item = self.row(model_id) if model_id else self.selected()
        if item is None or self._busy() or item.status != "not downloaded":
            return None
        size = (f"It is {human_size(item.size)}" if item.size else
                "Its publisher states no size, so it may be large")
        answer = QMessageBox.question(
            self, "Download model",
            f"Download {item.label}?\n\n{size}; it is saved in the models folder and checked "
            "before it is used. You can cancel, and a cancelled download goes on from where "
            "it stopped next time.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return None

        def work(library, control):  # a cancel raises Cancelled
            def report(p: DownloadProgress) -> None:
                if p.total:
                    control.progress(int(p.done * 1000 / p.total), 1000,
                                     f"Downloading {item.id}: {human_size(p.done)} of "
                                     f"{human_size(p.total)}")
                else:
                    control.progress(0, 0, f"Downloading {item.id}: {human_size(p.done)}")

            return ModelStore(library).download(item.id, progress=report,
                                                cancelled=control.cancelled)

        return self._run("download model", work,
                         lambda path: self._say(f"Downloaded {item.id} to {path}."),
                         f"Downloading {item.id}…")

    def quantize(self, model_id: str | None = None, weight_type: str | None = None
                 ) -> Job | None:
        """Quantize the selected diffusion model on a job (progress in tensors, Cancel),
        then offer to remove the original."""
        from ..engine.quantize import WEIGHT_TYPES, quantize

        item = self.row(model_id) if model_id else self.selected()
        if item is None or self._busy() or not _quantizable(item):
            return None
        if weight_type is None:
            types = list(WEIGHT_TYPES)
            weight_type, ok = QInputDialog.getItem(
                self, "Quantize model", f"Write {item.id} as a GGUF of weight type (q8_0 "
                "keeps the most quality, q4_0 is the smallest):", types,
                types.index("q8_0"), False)
            if not ok:
                return None

        def work(library, control):
            store = ModelStore(library)
            source, target = store.quantize_target(item.id, weight_type)
            control.progress(0, 0, f"Quantizing {item.id} to {weight_type}…")
            part = quantize(source, target, weight_type, cancelled=control.cancelled,
                            progress=lambda done, total: control.progress(
                                done, total, f"Quantizing {item.id} to {weight_type}: "
                                f"{done} of {total} tensors"))
            return store.add_quantized(item.id, part, target, weight_type)

        def done(made: ModelStatus) -> None:
            self._say(f"Added {made.id} ({weight_type}, {human_size(made.size)}); "
                      f"{item.id} is kept.")
            answer = QMessageBox.question(
                self, "Remove the original?",
                f"{made.id} is made ({human_size(made.size)}). Remove the original "
                f"{item.id}?" + ("\n\nThe file stays where it is; it is only forgotten."
                                 if item.source == "reference" else ""),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer == QMessageBox.StandardButton.Yes:
                self._after = lambda: self._remove_now(item.id)

        return self._run("quantize model", work, done, f"Quantizing {item.id}…")

    def _remove_now(self, model_id: str) -> Job | None:
        return self._run("remove model", lambda library, control:
                         ModelStore(library).remove(model_id),
                         lambda text: self._say(text + "."), "Removing…")

    def cancel(self) -> None:
        if self._busy():
            self.job.cancel()

    # -- jobs ------------------------------------------------------------------------------

    def _run(self, kind, work, done, message: str, *, settings: bool = False) -> Job:
        """Run a change of the models as an op: the window hears what changed from it (the
        models, and for a choice the settings)."""
        def finished(result) -> None:
            done(result)
            after, self._after = self._after, None
            if after is not None:  # a second change the first one led to
                self.job = None
                after()
                return
            self.refresh()

        def cancelled() -> None:
            self._say("Stopped.")
            self.refresh()

        def failed(text: str) -> None:
            self._say(text)
            self.refresh()

        self.job = self.context.run_op(
            kind, lambda library, control: ops.model_change(work(library, control),
                                                            settings=settings),
            finished=finished, failed=failed, progress=self._progress, cancelled=cancelled,
            initiator=self)
        if self.job is None:
            return None
        self.job.signals.stateChanged.connect(self._update_buttons)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(message)
        self._update_buttons()
        return self.job

    def _progress(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        if message:
            self.message.setText(message)

    def _busy(self) -> bool:
        return self.job is not None and self.job.state in (JobState.QUEUED, JobState.RUNNING)

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def _update_buttons(self, *_args) -> None:
        busy, item = self._busy(), self.selected()
        self.progress.setVisible(busy)
        self.add_button.setEnabled(not busy)
        self.verify_button.setEnabled(not busy and (item is None
                                                    or item.status != "not downloaded"))
        self.remove_button.setEnabled(not busy and item is not None
                                      and item.status != "not downloaded")
        self.download_button.setEnabled(not busy and item is not None
                                        and item.status == "not downloaded")
        self.cancel_button.setEnabled(busy and self.job.kind in ("download model",
                                                                 "quantize model"))
        self.quantize_button.setEnabled(not busy and item is not None and _quantizable(item))
        self.use_button.setEnabled(not busy and item is not None and _usable(item)
                                   and not item.in_use)

    def done(self, result: int) -> None:  # closing cancels a download
        self.cancel()
        super().done(result)
