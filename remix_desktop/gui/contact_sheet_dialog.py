"""The contact sheet in the window: a grid of what a remix of each chosen video would look
like, with its permission badge (denied videos grey, never read), made on a job that shows
each tile as it comes and can be stopped; saved as one PNG or a PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QLabel,
                               QListView, QListWidget, QListWidgetItem, QProgressBar,
                               QPushButton, QVBoxLayout, QWidget)

from ..core import contact_sheet
from ..core.stylize import STYLES
from .context import AppContext
from .jobs import Job
from .remix_widgets import STYLE_LABELS, qimage_from_rgb

SHOWN = 200  # a tile's side in the grid


class ContactSheetDialog(QDialog):
    def __init__(self, context: AppContext, ids: list[int] | None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.ids = ids
        self.tiles: list[contact_sheet.Tile] = []
        self.job: Job | None = None
        self.save_job: Job | None = None
        self.saved: Path | None = None
        count = len(ids) if ids is not None else context.library.count()
        self.setWindowTitle("Contact sheet")
        which = (f"each of the {count} selected videos" if ids else
                 f"every video in the library ({count})")
        self.intro = QLabel(
            f"What a remix of {which} would look like: its suggested frame and a caption, in "
            "a fast style (no AI redraw). Denied videos are grey tiles with the reason; their "
            "files are not read.")
        self.intro.setWordWrap(True)
        self.style_combo = QComboBox()
        for style in STYLES:
            self.style_combo.addItem(STYLE_LABELS.get(style, style), style)
        self.make_button = QPushButton("Make")
        self.make_button.clicked.connect(self.make)
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.setToolTip("Stop; the tiles made so far stay and can be saved")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, max(count, 1))
        self.status = QLabel()
        self.grid = QListWidget()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(SHOWN, SHOWN))
        self.grid.setGridSize(QSize(SHOWN + 24, SHOWN + 64))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.png_button = QPushButton("Save as PNG…")
        self.pdf_button = QPushButton("Save as PDF…")
        self.png_button.clicked.connect(lambda: self.ask_save(".png"))
        self.pdf_button.clicked.connect(lambda: self.ask_save(".pdf"))
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        top = QHBoxLayout()
        top.addWidget(QLabel("Style:"))
        top.addWidget(self.style_combo)
        top.addWidget(self.make_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.png_button)
        bottom.addWidget(self.pdf_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addLayout(bottom)
        self.resize(980, 700)
        self._update()

    def refresh(self) -> None:  # a tool window's hook; the sheet is made on request
        pass

    # -- making ----------------------------------------------------------------------------

    def make(self) -> Job | None:
        if self.job is not None:
            return None
        ctx, ids, style = self.context, self.ids, self.style_combo.currentData()
        self.tiles = []
        self.grid.clear()
        self.progress.setValue(0)

        def work(control):
            with ctx.background_library() as library:
                job = contact_sheet.make_tiles(library, ids, style=style,
                                               cancelled=control.cancelled)
                while True:
                    try:
                        step = next(job)
                    except StopIteration as stop:
                        return stop.value
                    control.progress(step.done, step.total, step.tile.name)
                    control.partial((step.tile, qimage_from_rgb(np.asarray(step.tile.image))))

        self.job = ctx.jobs.run("contact sheet", work, finished=self._made,
                                failed=self._failed, cancelled=self._stopped,
                                progress=self._progress, partial=self._tile)
        self.status.setText("Making the contact sheet…")
        self._update()
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, done: int, total: int, _name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _tile(self, value) -> None:
        tile, image = value
        self.tiles.append(tile)
        item = QListWidgetItem(QIcon(QPixmap.fromImage(image)), f"{tile.name}\n{tile.badge}")
        item.setToolTip(f"{tile.name}\n{tile.badge}" + (f"\n“{tile.caption}”" if tile.caption
                                                        else "")
                        + (f"\nNo picture: {tile.problem}" if tile.problem else ""))
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.grid.addItem(item)

    def _made(self, tiles) -> None:
        self.job = None
        denied = sum(not t.allowed for t in tiles)
        self.status.setText(f"{len(tiles)} video{'s' if len(tiles) != 1 else ''}, {denied} "
                            "denied (grey, not read).")
        self._update()

    def _stopped(self) -> None:
        self.job = None
        self.status.setText(f"Stopped after {len(self.tiles)} video"
                            f"{'s' if len(self.tiles) != 1 else ''}; those can be saved.")
        self._update()

    def _failed(self, text: str) -> None:
        self.job = None
        self.status.setText(f"The contact sheet could not be made: {text}")
        self._update()

    def _update(self) -> None:
        running = self.job is not None
        self.make_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.style_combo.setEnabled(not running)
        for button in (self.png_button, self.pdf_button):
            button.setEnabled(not running and bool(self.tiles) and self.save_job is None)

    # -- saving ----------------------------------------------------------------------------

    def ask_save(self, suffix: str) -> Job | None:
        folder = self.context.last_folder("exports", Path.home())
        name = "contact sheet" + suffix
        kind = "PNG image (*.png)" if suffix == ".png" else "PDF document (*.pdf)"
        path, _ = QFileDialog.getSaveFileName(self, "Save the contact sheet",
                                              str(folder / name), kind)
        if not path:
            return None
        target = Path(path)
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        # the dialog asked before returning a file that exists
        return self.save(target, force=target.exists())

    def save(self, target: Path, *, force: bool = False) -> Job:
        tiles, title = list(self.tiles), f"Remix Desktop · {len(self.tiles)} videos"
        self.context.remember_folder("exports", Path(target).parent)

        def work(control):
            return contact_sheet.save(tiles, Path(target), force=force, title=title)

        def done(path) -> None:
            self.save_job, self.saved = None, Path(path)
            self.status.setText(f"Saved to {path}.")
            self._update()

        def failed(text: str) -> None:
            self.save_job = None
            self.status.setText(f"Not saved: {text}")
            self._update()

        self.save_job = self.context.jobs.run("save contact sheet", work, finished=done,
                                              failed=failed)
        self._update()
        return self.save_job

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt
        self.cancel()
        super().closeEvent(event)
