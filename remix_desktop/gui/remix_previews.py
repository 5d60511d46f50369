"""The previews made for a video: a grid of thumbnails (read and scaled on a job), the chosen
one shown larger with its parameters, and its export through a save dialog (on a job)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (QDesktopServices, QGuiApplication, QIcon, QImage, QMovie,
                           QPainter, QPalette, QPixmap)
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QSplitter, QVBoxLayout, QWidget)

from ..core.export import EXPORT_FORMATS, default_export_name
from ..core.library import Video
from ..core.remix import QUICK_SIZE, Preview
from .context import AppContext
from .jobs import Job
from .remix_widgets import (ANIMATED_SIZE_LABELS, LAYOUT_LABELS, SIZE_LABELS, STYLE_LABELS,
                            ImageView, format_time, label, load_scaled)

THUMB_SIDE = 120
DETAIL_SIDE = 1080
ID_ROLE = Qt.ItemDataRole.UserRole
FILTERS = {f.name_filter: f.suffixes[0][1:] for f in EXPORT_FORMATS}  # the save dialog's
ANIMATED_FILTERS = {"Animated WebP (*.webp)": "webp", "Animated GIF (*.gif)": "gif"}


def free_name(target: Path) -> Path:
    """`target`, or "name (2).png", "name (3).png" … when that is taken."""
    n = 2
    chosen = target
    while chosen.exists():
        chosen = target.with_name(f"{target.stem} ({n}){target.suffix}")
        n += 1
    return chosen


CAPTION_SOURCES = {  # who wrote a preview's caption, as the caption list marks it
    "model": "caption by the model", "template": "caption from a meme format",
    "own": "your own caption"}


def describe(preview: Preview, source: str | None = None, *, full: bool = True) -> str:
    """The parameters of a preview in words (its tooltip and detail); `source` is who wrote
    its caption ("model", "template", "own") when the caption list knows. `full=False` (the
    detail beside the picture, where lines are few): a diffusion preview's model, size,
    steps, prompt, strength and seed on one line, without the model's file name."""
    p = preview.params
    seed = p.get("caption_seed")
    made = preview.created_at
    try:
        made = datetime.fromisoformat(made.replace("Z", "+00:00")).astimezone().strftime(
            "%d %b %Y, %H:%M")
    except ValueError:
        pass
    size = label(p.get("size", "square"), SIZE_LABELS)
    if preview.kind == "animated":  # 540 px: its own sizes
        size = label(p.get("size", "square"), ANIMATED_SIZE_LABELS)
    lines = [f"“{preview.caption}”",
             " · ".join([label(p.get("style", "none"), STYLE_LABELS),
                         label(p.get("layout", "classic"), LAYOUT_LABELS), size]),
             f"Frame at {format_time(float(p.get('frame_s', 0.0)))} · "
             + ("your own caption" if seed is None or source == "own" else
                f"{CAPTION_SOURCES.get(source, 'caption by the model')} (seed {seed})"),
             f"Preview {preview.id} · made {made}"]
    if preview.kind == "animated":
        lines.insert(1, f"Animated: {p.get('span_s', 2.0):g}\u00a0s at "
                        f"{p.get('fps', 12)}\u00a0frames a second, looping")
    if p.get("style") == "diffusion" and p.get("diffusion_size"):
        steps = p.get("steps")
        drawn = (f"Drawn by {p.get('image_model', 'the diffusion model')} at "
                 f"{p['diffusion_size']}\u00a0px"
                 + (" (a quick look)" if p["diffusion_size"] == QUICK_SIZE else "")
                 + (f", {steps}\u00a0step{'s' if steps != 1 else ''}" if steps else ""))
        settings = [f"prompt “{p['prompt']}”" if p.get("prompt") else "",
                    f"strength {p['strength']}" if p.get("strength") is not None else "",
                    f"seed {p['seed']}" if p.get("seed") is not None else ""]
        said = ", ".join(x for x in settings if x)
        if full:
            lines[2:2] = [drawn, said[:1].upper() + said[1:]]
        else:
            at = drawn.split(" at ", 1)[1]
            lines.insert(2, f"At {at}, {said}" if said else f"At {at}")
    if preview.face:
        lines.append("The frame shows a face: this remix uses a person's likeness.")
    return "\n".join(lines).replace(" × ", "\u00a0×\u00a0")  # "1080 × 1080" never split


class PreviewGrid(QListWidget):
    """The grid of preview thumbnails, with a line of text when there are none."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.placeholder = ""

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt
        super().paintEvent(event)
        if self.count() == 0 and self.placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.placeholder)


class PreviewGallery(QWidget):
    statusMessage = Signal(str)
    selectionChanged = Signal(object)  # the selected Preview or None

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.video: Video | None = None
        self.previews: dict[int, Preview] = {}
        self.sources: dict[str, str] = {}  # caption text -> who wrote it (the caption list)
        self.export_job: Job | None = None
        self._thumbs: dict[str, QImage] = {}  # by file: a preview's file never changes
        self._blank = QPixmap(THUMB_SIDE, THUMB_SIDE)
        self._blank.fill(Qt.GlobalColor.transparent)
        self._detail_job: Job | None = None
        self.last_folder = context.last_folder("exports")  # remembered across restarts
        self.last_export: Path | None = None

        self.preview_list = PreviewGrid()
        self.preview_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.preview_list.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.preview_list.setGridSize(QSize(THUMB_SIDE + 16, THUMB_SIDE + 48))
        self.preview_list.setMovement(QListWidget.Movement.Static)
        self.preview_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.preview_list.setWordWrap(True)
        self.preview_list.setUniformItemSizes(True)
        self.preview_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        # several can be chosen (Ctrl/Shift-click) and exported into a folder at once
        self.preview_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.preview_list.setToolTip("The previews made for this video, newest first")
        self.preview_list.currentItemChanged.connect(self._current_changed)
        self.detail = ImageView("Select a preview to see it larger.", minimum=QSize(160, 120))
        self.detail.setToolTip("The selected preview")
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setToolTip("Save the selected preview as PNG, JPEG or WebP (an "
                                      "animated one as WebP or GIF), "
                                      "labelled as AI-made in its metadata (Ctrl+E)")
        self.export_button.clicked.connect(self.export_selected)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the selected preview to the clipboard, as a picture "
                                    "(a pasted picture carries no AI label: export to keep it)")
        self.copy_button.clicked.connect(self.copy_selected)
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setToolTip("Show the folder of the last export")
        self.open_folder_button.clicked.connect(self.open_export_folder)
        self.open_folder_button.setEnabled(False)

        self.side = side = QWidget()  # hidden while there is no preview: no empty pane
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.detail, 1)
        column.addWidget(self.detail_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_folder_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.export_button)
        column.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.preview_list)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)  # the larger look gets the room
        self.splitter.setSizes([1000, 2000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._show_detail(None)

    # -- contents --------------------------------------------------------------------------

    def show_previews(self, video: Video | None, previews: list[Preview],
                      empty: str = "", sources: dict[str, str] | None = None) -> None:
        """Show these previews of `video` (newest first), keeping the selection if it stays;
        `empty` is what the grid says when there are none."""
        if video is None or self.video is None or video.id != self.video.id:
            self._thumbs.clear()
        keep = self.selected()
        keep_all = {p.id for p in self.chosen()}  # a reload keeps a multiple selection too
        self.video = video
        self.sources = dict(sources or {})  # caption text -> who wrote it
        self.previews = {p.id: p for p in previews}
        self.preview_list.placeholder = empty or (
            "No previews of this video yet: write or add captions, then generate."
            if video is not None else "")
        self.preview_list.blockSignals(True)
        self.preview_list.clear()
        for preview in previews:
            item = QListWidgetItem(preview.caption)
            item.setData(ID_ROLE, preview.id)
            item.setToolTip(describe(preview, self.sources.get(preview.caption)))
            image = self._thumbs.get(str(preview.path))
            item.setIcon(QIcon(QPixmap.fromImage(image) if image is not None else self._blank))
            self.preview_list.addItem(item)
        for i in range(self.preview_list.count()):
            item = self.preview_list.item(i)
            if item.data(ID_ROLE) in keep_all:
                item.setSelected(True)
        self.preview_list.blockSignals(False)
        self.side.setVisible(bool(previews))
        if keep is not None and keep.id in self.previews and len(keep_all) > 1:
            rows = [i for i in range(self.preview_list.count())
                    if self.preview_list.item(i).data(ID_ROLE) == keep.id]
            self.preview_list.setCurrentRow(rows[0], QItemSelectionModel.SelectionFlag.NoUpdate)
            self._show_detail(self.previews[keep.id])
        elif keep is not None and keep.id in self.previews:
            self.select(keep.id)
        else:
            self._show_detail(None)
        self._load_thumbnails([p for p in previews if str(p.path) not in self._thumbs])

    def clear(self, empty: str = "") -> None:
        self.show_previews(None, [], empty)

    def preview_ids(self) -> list[int]:
        return [self.preview_list.item(i).data(ID_ROLE) for i in range(self.preview_list.count())]

    def selected(self) -> Preview | None:
        item = self.preview_list.currentItem()
        return None if item is None else self.previews.get(item.data(ID_ROLE))

    def select(self, preview_id: int) -> None:
        for i in range(self.preview_list.count()):
            if self.preview_list.item(i).data(ID_ROLE) == preview_id:
                self.preview_list.setCurrentRow(i)
                self._show_detail(self.previews[preview_id])
                return

    def _current_changed(self, *_items) -> None:
        self._show_detail(self.selected())

    def _show_detail(self, preview: Preview | None) -> None:
        self.export_button.setEnabled(preview is not None)
        self.copy_button.setEnabled(preview is not None)
        self._stop_movie()
        self.detail.set_image(None)
        if preview is None:
            self.detail_label.setText("")
            self.detail.set_placeholder("Select a preview to see it larger." if self.previews
                                        else "")
            self.selectionChanged.emit(None)
            return
        self.detail.set_placeholder("Loading the preview…")
        self.detail_label.setText(describe(preview, self.sources.get(preview.caption),
                                           full=False))
        path, preview_id = str(preview.path), preview.id
        if preview.kind == "animated":  # it plays, looping, read frame by frame by Qt
            self.movie = QMovie(path, parent=self)
            if self.movie.isValid():
                self.movie.frameChanged.connect(
                    lambda _n, movie=self.movie: self.detail.set_image(movie.currentImage()))
                self.movie.start()
            else:
                self.detail.set_placeholder("The preview's file is missing; make it again.")
            self.selectionChanged.emit(preview)
            return
        self._detail_job = self.context.jobs.run(
            "preview image", lambda control: (preview_id, load_scaled(path, DETAIL_SIDE)),
            finished=self._detail_loaded)
        self.selectionChanged.emit(preview)

    def _stop_movie(self) -> None:
        movie = getattr(self, "movie", None)
        if movie is not None:
            movie.stop()
            movie.deleteLater()
            self.movie = None

    def playing(self) -> bool:
        """Whether an animated preview plays in the detail view (tests)."""
        movie = getattr(self, "movie", None)
        return movie is not None and movie.state() == QMovie.MovieState.Running

    def _detail_loaded(self, result) -> None:
        preview_id, image = result
        chosen = self.selected()
        if chosen is not None and chosen.id == preview_id:
            if image.isNull():
                self.detail.set_placeholder("The preview's file is missing; make it again.")
            self.detail.set_image(image)

    def _load_thumbnails(self, previews: list[Preview]) -> None:
        if not previews:
            return
        paths = [str(p.path) for p in previews]

        def work(control):
            out = {}
            for i, path in enumerate(paths):
                if control.cancelled():
                    break
                out[path] = load_scaled(path, THUMB_SIDE)
            return out

        self.context.jobs.run("preview thumbnails", work, finished=self._thumbnails_loaded)

    def _thumbnails_loaded(self, images: dict) -> None:
        wanted = {str(p.path): p.id for p in self.previews.values()}
        icons = {}
        for path, image in images.items():
            if path in wanted and not image.isNull():
                self._thumbs[path] = image
                icons[wanted[path]] = QIcon(QPixmap.fromImage(image))
        for i in range(self.preview_list.count()):
            item = self.preview_list.item(i)
            if item.data(ID_ROLE) in icons:
                item.setIcon(icons[item.data(ID_ROLE)])

    def thumbnails_loaded(self) -> int:
        """How many shown previews have their thumbnail (tests)."""
        return sum(str(p.path) in self._thumbs for p in self.previews.values())

    # -- export ----------------------------------------------------------------------------

    def default_name(self, preview: Preview) -> str:
        return default_export_name(self.video.name if self.video is not None else "video",
                                   preview.id,
                                   ".webp" if preview.kind == "animated" else ".png")

    def chosen(self) -> list[Preview]:
        """Every preview selected in the grid, in the grid's order."""
        ids = {item.data(ID_ROLE) for item in self.preview_list.selectedItems()}
        return [self.previews[i] for i in self.preview_ids() if i in ids and i in self.previews]

    def export_selected(self) -> Job | None:
        """Ask where to save the selected preview, then export it on a job; several
        selected: ask for a folder and export them all into it."""
        many = self.chosen()
        if len(many) > 1:
            folder = QFileDialog.getExistingDirectory(
                self, f"Export {len(many)} previews into…", str(self.last_folder))
            return self.export_many([p.id for p in many], Path(folder)) if folder else None
        preview = self.selected()
        if preview is None:
            return None
        kinds = ANIMATED_FILTERS if preview.kind == "animated" else FILTERS
        first = next(iter(kinds.values()))
        dialog = QFileDialog(self, "Export preview")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(list(kinds))
        dialog.setDefaultSuffix(first)
        dialog.filterSelected.connect(lambda f: dialog.setDefaultSuffix(kinds.get(f, first)))
        dialog.setDirectory(str(self.last_folder))
        dialog.selectFile(self.default_name(preview))
        if not dialog.exec() or not dialog.selectedFiles():
            return None
        target = Path(dialog.selectedFiles()[0])
        confirmed = True  # the dialog asked before returning a file that exists
        if target.suffix.lower() not in {f".{v}" for v in kinds.values()}:
            target = target.with_name(
                f"{target.name}.{kinds.get(dialog.selectedNameFilter(), first)}")
            confirmed = False
        if not confirmed and target.exists():
            answer = QMessageBox.question(self, "Replace the file?",
                                          f"{target.name} already exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return None
        self._remember(target.parent)
        return self.export_preview(preview.id, target, force=target.exists())

    def _remember(self, folder: Path) -> None:
        self.last_folder = folder
        self.context.remember_folder("exports", folder)

    def export_many(self, preview_ids: list[int], folder: Path) -> Job:
        """Export these previews into `folder` on one job, each under its own name; a name
        taken already gets " (2)", " (3)" …: nothing there is replaced."""
        ctx, folder = self.context, Path(folder)
        self._remember(folder)
        names = {p: self.default_name(self.previews[p]) if p in self.previews
                 else f"preview-{p}.png" for p in preview_ids}

        def work(control):
            written = []
            with ctx.background_library() as library:
                remixer = ctx.remixer(library)
                for i, preview_id in enumerate(preview_ids):
                    if control.cancelled():
                        break
                    control.progress(i, len(preview_ids), f"Exporting {i + 1} of "
                                                          f"{len(preview_ids)}")
                    target = free_name(folder / names[preview_id])
                    written.append(remixer.export(preview_id, target))
            return written

        self.export_job = ctx.jobs.run("export previews", work, finished=self._exported_many,
                                       failed=self._export_failed)
        return self.export_job

    def _exported_many(self, written: list[Path]) -> None:
        if written:
            self.last_export = written[-1]
            self.open_folder_button.setEnabled(True)
        self.statusMessage.emit(f"Exported {len(written)} previews to {self.last_folder}, "
                                "each labelled as AI-made in its metadata.")

    def copy_selected(self) -> Job | None:
        """Put the selected preview on the clipboard (read on a job, set on the GUI
        thread)."""
        preview = self.selected()
        if preview is None:
            return None
        path = str(preview.path)

        def done(image: QImage) -> None:
            if image.isNull():
                self.statusMessage.emit("The preview's file is missing; make it again.")
                return
            QGuiApplication.clipboard().setImage(image)
            self.statusMessage.emit("Copied the preview. A pasted picture carries no AI "
                                    "label; export it to keep the label.")

        self.copy_job = self.context.jobs.run("copy preview", lambda control: QImage(path),
                                              finished=done)
        return self.copy_job

    def open_export_folder(self) -> bool:
        folder = self.last_export.parent if self.last_export else self.last_folder
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def export_preview(self, preview_id: int, path: str | Path, *, force: bool = False) -> Job:
        """Export a preview to `path` on a job (never over a file unless `force`)."""
        ctx, target = self.context, Path(path)

        def work(control):
            with ctx.background_library() as library:
                return ctx.remixer(library).export(preview_id, target, force=force)

        self.export_job = ctx.jobs.run("export preview", work, finished=self._exported,
                                       failed=self._export_failed)
        return self.export_job

    def _exported(self, target) -> None:
        self.last_export = Path(target)
        self.open_folder_button.setEnabled(True)
        self.statusMessage.emit(f"Exported to {target}, labelled as AI-made in its metadata.")

    def _export_failed(self, message: str) -> None:
        self.statusMessage.emit(f"The export failed: {message}")
