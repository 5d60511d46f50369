"""Fixtures shared by the window tests."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication  # noqa: E402

from remix_desktop.gui.context import AppContext  # noqa: E402


@pytest.fixture
def context(qtbot, home):
    """The app's shared context over a temporary home; its jobs are drained at the end."""
    ctx = AppContext(home)
    yield ctx
    ctx.jobs.cancel_all()
    ctx.jobs.wait(30_000)
    QCoreApplication.processEvents()  # the last results reach the views before it closes
    ctx.close()


def open_panel(qtbot, context):
    """A remix panel over `context`, shown at a size that fits everything."""
    from remix_desktop.gui.remix_panel import RemixPanel

    widget = RemixPanel(context)
    qtbot.addWidget(widget)
    widget.resize(1200, 860)
    widget.show()
    return widget


@pytest.fixture
def panel(qtbot, context):
    """The remix panel over the context, shown at a size that fits everything."""
    return open_panel(qtbot, context)
