"""One way the window changes the library: `AppContext.run_op` runs a core op on a job and
tells the views from the OpChanges it returns (issue 12, item 1)."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from remix_desktop.core import ops  # noqa: E402
from remix_desktop.core.changes import EVERY_VIDEO, OpChanges  # noqa: E402
from remix_desktop.core.library import NewVideo  # noqa: E402

GUI = Path(__file__).resolve().parents[2] / "remix_desktop" / "gui"


def add(context, n: int) -> list[int]:
    with context.library.write() as conn:
        return [context.library.insert_video(conn, NewVideo(
            path=f"/v/{i}.mp4", fingerprint=f"fp{i}", size=1, mtime=0.0, duration_s=1.0,
            fps=25.0, width=2, height=2, rotation=0, codec="h264", face_share=0.0))
            for i in range(n)]


def heard(context):
    said = []
    for name in ("libraryChanged", "consentChanged", "settingsChanged", "modelsChanged"):
        getattr(context, name).connect(lambda name=name: said.append(name))
    context.previewsChanged.connect(lambda vid: said.append(f"previews {vid}"))
    context.opExecuted.connect(lambda changes, who: said.append(("op", who)))
    return said


def test_an_op_runs_off_the_gui_thread_and_the_views_hear_what_it_changed(qtbot, context):
    [vid] = add(context, 1)
    said, threads = heard(context), []
    results = []

    def change(library, control):
        threads.append(threading.current_thread())
        return ops.set_video_info(library, vid, title="Morning espresso")

    job = context.run_op("save info", change, finished=results.append, initiator="panel")
    assert threads == [], "queued: nothing ran on the caller's turn of the event loop"
    with qtbot.waitSignal(context.opExecuted, timeout=5000):
        pass
    assert threads and threads[0] is not threading.main_thread()
    assert results[0].title == "Morning espresso"  # finished gets the core's own result
    assert said == ["libraryChanged", ("op", "panel")]
    assert job.error is None


def test_each_part_changed_is_emitted_once_and_the_settings_are_applied(qtbot, context):
    said = heard(context)
    with qtbot.waitSignal(context.opExecuted, timeout=5000):
        context.run_op("save settings",
                       lambda library, _c: ops.set_settings(library, {"threads": "3"}))
    assert said == ["settingsChanged", ("op", None)]
    assert context.captions.n_threads == 3  # apply_settings ran before the views heard
    said.clear()
    with qtbot.waitSignal(context.opExecuted, timeout=5000):
        context.run_op("models and previews", lambda library, _c: OpChanges(
            models=True, previews=EVERY_VIDEO))
    assert said == ["modelsChanged", "previews 0", ("op", None)]


def test_a_consent_op_swaps_in_the_snapshot_its_job_read(qtbot, context):
    ids = add(context, 3)
    said = heard(context)
    seen = []
    context.consentChanged.connect(lambda: seen.append(context.snapshot))
    with qtbot.waitSignal(context.opExecuted, timeout=5000):
        context.run_op("deny", lambda library, _c: ops.set_permission(library, ids, "deny"),
                       exclusive=True)
    assert said == ["consentChanged", ("op", None)]
    assert seen[0] is not None and {seen[0].facts[i].own for i in ids} == {"deny"}


def test_exclusive_ops_wait_their_turn_and_a_read_only_library_refuses(qtbot, context):
    ids = add(context, 1)
    refusals = []
    first = context.run_op("allow", lambda library, _c: ops.set_permission(library, ids,
                                                                           "allow"),
                           exclusive=True)
    assert first is not None and context.op is first
    second = context.run_op("deny", lambda library, _c: ops.set_permission(library, ids,
                                                                           "deny"),
                            failed=refusals.append, exclusive=True)
    assert second is None and "still being saved" in refusals[0]
    context.jobs.wait(5000)
    assert context.op is None and context.library.video(ids[0]).permission == "allow"
    context.library.read_only = True
    try:
        assert context.run_op("deny", lambda library, _c: OpChanges(),
                              failed=refusals.append) is None
        assert "read-only" in refusals[-1]
    finally:
        context.library.read_only = False


def test_a_cancelled_op_shows_what_it_kept(qtbot, context):
    said = heard(context)
    gate = threading.Event()

    def slow(library, control):
        gate.wait(5)
        return OpChanges(videos=True)

    job = context.run_op("locate", slow, partial_changes=OpChanges(videos=True))
    job.cancel()
    gate.set()
    context.jobs.wait(5000)
    assert said == ["libraryChanged", ("op", None)]


def test_no_view_emits_a_change_signal_or_runs_sql_itself():
    signals = ("libraryChanged", "consentChanged", "settingsChanged", "modelsChanged",
               "previewsChanged")
    for path in GUI.glob("*.py"):
        if path.name == "context.py":  # the one place that emits them
            continue
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "emit"
                    and isinstance(node.value, ast.Attribute) and node.value.attr in signals):
                raise AssertionError(f"{path.name}:{node.lineno} emits {node.value.attr}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert "sqlite3" not in names, f"{path.name} imports sqlite3"
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany",
                                                                 "conn"):
                raise AssertionError(f"{path.name}:{node.lineno} touches the database "
                                     f"({node.attr})")
