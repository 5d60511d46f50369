"""A job's failure keeps its type across the job boundary, and one Cancelled (the core's)
is what every layer raises to stop: the window's job adapter imports no engine module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core.download import DownloadCancelled  # noqa: E402
from remix_desktop.core.errors import Cancelled, RemixNotAllowed  # noqa: E402
from remix_desktop.engine.client import JobCancelled  # noqa: E402
from remix_desktop.gui.jobs import JobRunner, JobState  # noqa: E402


def test_one_cancelled_for_every_layer():
    assert JobCancelled is Cancelled
    assert issubclass(DownloadCancelled, Cancelled)


def test_the_job_adapter_imports_no_engine_module():
    source = Path(__file__).resolve().parents[2] / "remix_desktop" / "gui" / "jobs.py"
    tree = ast.parse(source.read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if "engine" in m], imported


def test_a_failure_carries_its_exception_and_a_sentence(qtbot):
    runner = JobRunner()

    def refuse(control):
        raise RemixNotAllowed(7, "the creator denied this video")

    job = runner.run("refuse", refuse)
    errors, sentences = [], []
    job.signals.errored.connect(errors.append)
    job.signals.failed.connect(sentences.append)
    qtbot.waitUntil(lambda: job.state is JobState.FAILED, timeout=5000)
    qtbot.waitUntil(lambda: bool(sentences), timeout=5000)
    assert isinstance(errors[0], RemixNotAllowed) and errors[0].video_id == 7
    assert isinstance(job.error, RemixNotAllowed)
    assert sentences == ["Remixing video 7 is not allowed: the creator denied this video."]
    runner.wait(5000)


@pytest.mark.parametrize("error", [Cancelled(), DownloadCancelled("kept 3 MB")])
def test_any_cancelled_is_shown_as_stopped(qtbot, error):
    runner = JobRunner()

    def stop(control):
        raise error

    job = runner.run("stop", stop)
    cancelled = []
    job.signals.cancelled.connect(lambda: cancelled.append(True))
    qtbot.waitUntil(lambda: job.state is JobState.CANCELLED, timeout=5000)
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)
    assert job.error is None
    runner.wait(5000)
