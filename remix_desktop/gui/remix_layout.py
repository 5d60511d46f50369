"""The remix panel's widgets and their arrangement (the view half of the panel, in the way
Qt Designer's setupUi is; the panel in remix_panel.py holds the logic)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
                               QScrollArea, QSizePolicy, QSlider, QSpinBox, QSplitter,
                               QStackedWidget,
                               QTabWidget, QVBoxLayout, QWidget)

from ..core.remix import PRESETS

from .remix_captions import CaptionList
from .remix_info import AboutPrompt, ConsentBanner, FileBanner, VideoInfoEditor
from .remix_previews import PreviewGallery
from .remix_scrubber import FrameScrubber
from .remix_widgets import ImageView, choices

CAPTION_COUNT = 4  # caption candidates per model run
WIDE_MIN = 900  # narrower than this, the controls and the previews share tabs
NARROW_MIN = 420  # the narrowest the panel asks to be (the narrow arrangement)


class FitScrollArea(QScrollArea):
    """A scroll area as tall as its contents when there is room, and scrolling (up and down
    only) when there is not; it never asks for more than a few rows' height."""

    MIN_HEIGHT = 96

    def __init__(self, widget: QWidget):
        super().__init__()
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt
        inner = self.widget().sizeHint()
        return QSize(inner.width(), inner.height() + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt
        inner = self.widget().minimumSizeHint()
        return QSize(inner.width(), min(inner.height(), self.MIN_HEIGHT))


class RemixPanelUi:
    """Builds the panel's children as attributes of the panel (tests and the window use
    them by name)."""

    def _build(self) -> None:
        ctx = self.context
        self.placeholder = QLabel("Select a video to remix it.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)  # the disabled text colour of the palette
        self.denied_banner = ConsentBanner(ctx)
        self.file_banner = FileBanner(ctx)
        self.scrubber = FrameScrubber(ctx)
        self.face_warning = self.scrubber.face_warning
        self.suggest_button = self.scrubber.suggest_button
        self.info = VideoInfoEditor(ctx)
        self.info.suggestion_changed.connect(self._suggestion_shown)
        self.title_edit = self.info.title_edit
        self.description_edit = self.info.description_edit
        self.tags_edit = self.info.tags_edit

        self.caption_list = CaptionList()
        # the list takes what room is left (at least four lines): the look and Generate
        # below it are served first
        self.caption_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.caption_list.setMinimumHeight(4 * self.caption_list.fontMetrics().height() + 12)
        self.write_button = QPushButton("&Write captions")
        self.write_button.setToolTip(f"Ask the caption model on this computer for "
                                     f"{CAPTION_COUNT} captions for the chosen frame; they "
                                     "are kept with the video and checked, the earlier "
                                     "ones unchecked (Alt+W)")
        self.more_button = QPushButton("&More captions")
        self.more_button.setToolTip(f"{CAPTION_COUNT} more captions, added to the list (Alt+M)")
        self.add_button = QPushButton("Add your &own")
        self.add_button.setToolTip("Write a caption yourself (Alt+O)")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected captions from this video (Delete)")
        self.about_prompt = AboutPrompt()
        self.about_edit = self.about_prompt.line_edit
        self.captions_box = captions = QGroupBox("Captions")
        column = QVBoxLayout(captions)
        column.addWidget(self.about_prompt)
        column.addWidget(self.caption_list, 1)
        row = QHBoxLayout()
        for button in (self.write_button, self.more_button, self.add_button,
                       self.delete_button):
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)

        look = QGroupBox("Look")
        form = QFormLayout(look)
        self.style_combo, self.layout_combo, self.size_combo = QComboBox(), QComboBox(), QComboBox()
        tips = {"style": "How the frame is drawn (OpenCV, on this computer)",
                "layout": "Where the caption goes", "size": "The shape of the picture"}
        for (key, items), combo, text in zip(choices().items(), (
                self.style_combo, self.layout_combo, self.size_combo),
                ("St&yle", "&Layout", "Si&ze")):
            for name, readable in items:
                combo.addItem(readable, name)
            combo.setToolTip(tips[key])
            if key != "size":  # the size shares the Kind row: the Look keeps three rows
                form.addRow(text, combo)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Still image", "still")
        self.kind_combo.addItem("Animated", "animated")
        self.kind_combo.setToolTip("A still picture, or a short moving span of the video "
                                   "around the chosen frame (12 frames a second, 540 px, "
                                   "animated WebP; export as WebP or GIF)")
        self.span_spin = QDoubleSpinBox()
        self.span_spin.setRange(1.0, 3.0)
        self.span_spin.setSingleStep(0.5)
        self.span_spin.setDecimals(1)
        self.span_spin.setValue(2.0)
        self.span_spin.setSuffix(" s")
        self.span_spin.setToolTip("How long the animated remix lasts, centred on the chosen "
                                  "frame")
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind_combo, 1)
        kind_row.addWidget(self.span_spin)
        size_label = QLabel("Si&ze")
        size_label.setBuddy(self.size_combo)
        kind_row.addSpacing(8)
        kind_row.addWidget(size_label)
        kind_row.addWidget(self.size_combo, 1)
        self.span_spin.setVisible(False)
        kind_label = QLabel("&Kind")
        kind_label.setBuddy(self.kind_combo)
        form.insertRow(0, kind_label, kind_row)
        self.diffusion_box = self._build_diffusion()

        self.generate_button = QPushButton("&Generate previews")
        self.generate_button.setToolTip("Make one preview for each checked caption on the "
                                        "chosen frame (Ctrl+G)")
        font = QFont(self.generate_button.font())
        font.setBold(True)
        self.generate_button.setFont(font)
        self.generate_button.setMinimumHeight(self.generate_button.sizeHint().height() + 8)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop writing captions, suggesting frames or making "
                                      "previews (Esc)")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress_label = QLabel()  # in the text colour: it says what is going on
        for widget in (self.progress, self.progress_label):  # shown and hidden in place:
            policy = widget.sizePolicy()  # nothing above them jumps when a job starts
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
        actions = QWidget()
        grid = QVBoxLayout(actions)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.step_box)
        row = QHBoxLayout()
        row.addWidget(self.generate_button, 1)
        row.addWidget(self.cancel_button)
        grid.addLayout(row)
        grid.addWidget(self.progress_label)
        grid.addWidget(self.progress)

        self.caption_page = QWidget()  # the captions and the look travel together
        column = QVBoxLayout(self.caption_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(captions, 1)
        # the look (and the diffusion settings under it) scroll, up and down only, when the
        # window is short: the panel never grows the window past the screen, and Generate,
        # outside this, stays in view
        settings = QWidget()
        settings_column = QVBoxLayout(settings)
        settings_column.setContentsMargins(0, 0, 0, 0)
        settings_column.addWidget(look)
        settings_column.addWidget(self.diffusion_box)
        self.settings_area = FitScrollArea(settings)
        column.addWidget(self.settings_area)
        self.actions = actions

        controls = QWidget()
        self.controls_layout = QVBoxLayout(controls)
        self.controls_layout.setContentsMargins(0, 0, 4, 0)
        self.controls_area = QScrollArea()
        self.controls_area.setWidget(controls)
        self.controls_area.setWidgetResizable(True)
        self.controls_area.setFrameShape(QFrame.Shape.NoFrame)
        self.controls_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controls_area.setMinimumWidth(340)

        self.gallery = PreviewGallery(ctx)
        self.preview_list = self.gallery.preview_list
        self.export_button = self.gallery.export_button
        self.previews_box = QGroupBox("Previews")
        QVBoxLayout(self.previews_box).addWidget(self.gallery)

        # wide: the frame beside the controls, the previews below; narrow (beside the
        # library in the main window): the frame above tabs, with Generate always in view
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.lower = QWidget()
        self.lower_layout = QVBoxLayout(self.lower)
        self.lower_layout.setContentsMargins(0, 0, 0, 0)
        self.lower_layout.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.top_splitter)
        self.splitter.addWidget(self.lower)
        self.wide: bool | None = None
        self._shares: tuple[int, int] | None = None
        self.splitter.installEventFilter(self)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        # two lines kept for it: a message that wraps does not push the panel up
        self.status_label.setMinimumHeight(2 * self.status_label.fontMetrics().lineSpacing())
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.denied_banner)
        column.addWidget(self.file_banner)
        column.addWidget(self.splitter, 1)
        column.addWidget(self.status_label)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(page)
        QVBoxLayout(self).addWidget(self.stack)
        self._arrange(True)

    def _build_diffusion(self) -> QGroupBox:
        """The diffusion style's controls (shown only while that style is chosen)."""
        box = QGroupBox("Diffusion")
        form = QFormLayout(box)
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The installed diffusion model that redraws the frame")
        self.model_note = QLabel('No diffusion model yet: <a href="models">add or download one '
                                 'in Models…</a>')
        self.model_note.linkActivated.connect(lambda _link: self.modelsRequested.emit())
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        models = QWidget()
        column = QVBoxLayout(models)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.model_combo)
        column.addWidget(self.model_note)
        form.addRow("&Model", models)
        self.preset_combo = QComboBox()
        for name in PRESETS:
            self.preset_combo.addItem(name.capitalize(), name)
        self.preset_combo.addItem("Your own prompt", None)
        self.preset_combo.setToolTip("What the model redraws the frame as")
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("Describe the look, e.g. watercolour painting")
        self.prompt_edit.hide()
        form.addRow("&Prompt", self.preset_combo)
        form.addRow("", self.prompt_edit)
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(5, 100)
        self.strength_spin = QDoubleSpinBox()
        self.strength_spin.setRange(0.05, 1.0)
        self.strength_spin.setSingleStep(0.05)
        self.strength_spin.setDecimals(2)
        self.strength_slider.valueChanged.connect(
            lambda v: self.strength_spin.setValue(v / 100))
        self.strength_spin.valueChanged.connect(
            lambda v: self.strength_slider.setValue(round(v * 100)))
        self.strength_spin.setValue(0.6)
        for widget in (self.strength_slider, self.strength_spin):
            widget.setToolTip("How far the picture may move away from the frame "
                              "(low: close to the frame; 1: redrawn freely)")
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.strength_slider, 1)
        line.addWidget(self.strength_spin)
        form.addRow("S&trength", row)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 100)
        self.steps_spin.setValue(1)
        self.steps_spin.setToolTip("Sampling steps (turbo and SDXS models need 1-4)")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("The same seed and settings redraw the same picture")
        form.addRow("Ste&ps", self.steps_spin)
        form.addRow("See&d", self.seed_spin)
        self.step_view = ImageView("", minimum=QSize(48, 48))
        self.step_view.setToolTip("The picture while the model draws it: a preview's quick "
                                  "look, or a low-resolution look at each sampling step")
        self.step_view.setMaximumHeight(64)
        self.step_view.setMaximumWidth(114)
        self.step_label = QLabel()
        self.step_label.setWordWrap(True)
        # shown above Generate while a diffusion run draws (see _build: always in view, not
        # in the settings, which scroll): the step's look, or a preview's quick look
        self.step_box = QWidget()
        row = QHBoxLayout(self.step_box)
        row.setContentsMargins(0, 0, 0, 4)
        row.addWidget(self.step_view)
        column = QVBoxLayout()
        column.addWidget(self.step_label)
        self.keep_quick_button = QPushButton("&Keep quick look")
        self.keep_quick_button.setToolTip(
            "Stop the full-size render and keep this quick look as the preview (the rest of "
            "the batch is kept at its quick looks too)")
        self.keep_quick_button.hide()
        column.addWidget(self.keep_quick_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        row.addLayout(column, 1)
        self.step_box.hide()
        self.diffusion_size: int | None = None  # the side the model works at (None: 512)
        box.hide()
        return box

    def _about_label(self) -> str:
        """The About tab's label: it says when a vision model's suggestion waits there."""
        return ("About this video \N{BULLET}" if self.info.suggestion.text
                else "About this video")

    def _suggestion_shown(self) -> None:
        at = self.tabs.indexOf(self.info)
        if at >= 0:
            self.tabs.setTabText(at, self._about_label())
            self.tabs.setTabToolTip(at, "A vision model's words for what the frame shows "
                                        "wait here" if self.info.suggestion.text else
                                    "The title, description and tags feed the captions")

    def _arrange(self, wide: bool) -> None:
        """Put the frame, the controls and the previews side by side or in tabs."""
        if wide == self.wide:
            return
        self.wide = wide
        current = self.tabs.currentWidget()
        self.tabs.clear()  # the pages move; nothing is deleted
        if wide:
            for i, widget in enumerate((self.info, self.caption_page, self.actions)):
                self.controls_layout.insertWidget(i, widget, 1 if i == 1 else 0)
            self.top_splitter.addWidget(self.scrubber)
            self.top_splitter.addWidget(self.controls_area)
            self.top_splitter.setStretchFactor(0, 3)
            self.top_splitter.setStretchFactor(1, 2)
            self.splitter.insertWidget(0, self.top_splitter)
            self.splitter.insertWidget(1, self.previews_box)
            self.lower.hide()
            self.top_splitter.show()
            for widget in (self.info, self.caption_page, self.previews_box, self.scrubber):
                widget.show()  # pages the tabs had hidden
            sizes = (3, 2)
        else:
            self.tabs.addTab(self.caption_page, "Captions")
            self.tabs.addTab(self.info, self._about_label())
            self.tabs.addTab(self.previews_box, "Previews")
            self.tabs.setTabToolTip(1, "The title, description and tags feed the captions")
            self.lower_layout.addWidget(self.actions)
            self.splitter.insertWidget(0, self.scrubber)
            self.splitter.insertWidget(1, self.lower)
            if current is not None and self.tabs.indexOf(current) >= 0:
                self.tabs.setCurrentWidget(current)
            self.top_splitter.hide()
            self.lower.show()
            self.scrubber.show()
            sizes = (11, 10)
        self.actions.show()
        self.info.setTitle("About this video" if wide else "")
        self.captions_box.setTitle("Captions" if wide else "")
        self.previews_box.setTitle("Previews" if wide else "")
        self._shares = sizes
        self._share_out()
        self._name_previews_tab()

    def _share_out(self) -> None:
        """Split the height between the frame and the rest, once the splitter has one."""
        total = sum(self.splitter.sizes()[:2])
        if self._shares is None or total < 400:
            return
        first, second = self._shares
        below = total * second // (first + second)
        lower = self.splitter.widget(1)
        # what the lower part needs: its minimum, with the look (and diffusion settings)
        # shown whole rather than scrolled
        want = (lower.minimumSizeHint().height() + self.settings_area.sizeHint().height()
                - self.settings_area.minimumSizeHint().height())
        if below < want:  # the controls first (a short window): the frame gives way
            below = min(want, total - self.splitter.widget(0).minimumSizeHint().height())
        self.splitter.setSizes([total - below, below])
        self._shares = None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt
        if watched is self.splitter and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._share_out)  # after the splitter laid itself out
        return super().eventFilter(watched, event)

    def _name_previews_tab(self) -> None:
        count, index = self.preview_list.count(), self.tabs.indexOf(self.previews_box)
        if index >= 0:
            self.tabs.setTabText(index, f"Previews ({count})" if count else "Previews")

    def show_previews_tab(self) -> None:
        """In the narrow arrangement, bring the previews to the front."""
        if not self.wide:
            self.tabs.setCurrentWidget(self.previews_box)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt
        """Never wider than the narrow arrangement needs: the side-by-side one is only used
        when there is room for it, so it must not hold the panel wide (a splitter could
        then never give the library more room, and titles were cut at the first start)."""
        hint = QWidget.minimumSizeHint(self)
        return QSize(min(hint.width(), NARROW_MIN), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt
        super().resizeEvent(event)
        self._arrange(self.width() >= WIDE_MIN)

