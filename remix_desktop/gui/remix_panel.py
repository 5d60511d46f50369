"""The remix panel for the selected video (skeleton: replaced by the full panel)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .context import AppContext


class RemixPanel(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.video_id: int | None = None
        self.label = QLabel("Select a video to remix it.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)

    def set_video(self, video_id: int | None) -> None:
        self.video_id = video_id
        self.label.setText("Select a video to remix it." if video_id is None
                           else f"Video {video_id}")
