"""The changes the window makes, each as one op that says what it changed.

An op runs one core change (on a job, with the job's own connection) and returns an
`OpChanges` naming the parts of the library it touched, with the change's own result in
`result`. `AppContext.run_op` runs any of them and emits the window's signals from what
came back, so no view refreshes by hand (the shape of Anki's CollectionOp).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from .changes import EVERY_VIDEO, OpChanges
from .consent import Change, Consent
from .library import Library


def _consent(change: Change) -> OpChanges:
    return OpChanges(consent=change.audit_id is not None, facts=change.per_video,
                     previews=EVERY_VIDEO if change.previews_removed else frozenset(),
                     result=change)


def set_permission(library: Library, selection, permission: str) -> OpChanges:
    return _consent(Consent(library).set_permission(selection, permission))


def undo(library: Library, expected: int | None = None) -> OpChanges:
    return _consent(Consent(library).undo(expected=expected))


def set_optout(library: Library, on: bool) -> OpChanges:
    return _consent(Consent(library).set_optout(on))


def set_default(library: Library, permission: str) -> OpChanges:
    return _consent(Consent(library).set_default(permission))


def set_likeness(library: Library, on: bool) -> OpChanges:
    return _consent(Consent(library).set_likeness(on))


def unlink_copy(library: Library, video_id: int) -> OpChanges:
    return _consent(Consent(library).unlink_copy(video_id))


def look_at_videos(library: Library, control, ids: list[int] | None = None) -> OpChanges:
    """Look at the videos not looked at yet for faces and copies (core.video_checks), with
    `control`'s progress and cancel; stopped, what was looked at is kept."""
    from .video_checks import check_videos

    job = check_videos(library, ids, cancelled=control.cancelled)
    while True:
        try:
            step = next(job)
        except StopIteration as stop:
            report = stop.value
            break
        control.progress(step.done, step.total, step.name, stage="look")
    return OpChanges(consent=report.checked > 0, facts=True,
                     previews=EVERY_VIDEO if report.previews_removed else frozenset(),
                     result=report)


def import_permissions(library: Library, source: Path,
                       progress: Callable[[int, int], None] | None = None) -> OpChanges:
    from .permissions_file import import_permissions as read_in

    result = read_in(Consent(library), Path(source), progress=progress)
    changes = _consent(result.change)
    return OpChanges(consent=changes.consent, previews=changes.previews, result=result)


def set_video_info(library: Library, video_id: int, **info) -> OpChanges:
    """title, description and tags (they feed captions)."""
    return OpChanges(videos=True, result=library.set_info(video_id, **info))


def remove_videos(library: Library, ids: Iterable[int]) -> OpChanges:
    return OpChanges(videos=True, consent=True, previews=EVERY_VIDEO,
                     result=library.remove(ids))


def relink(library: Library, video_id: int, path: str) -> OpChanges:
    from .relink import relink as point

    return OpChanges(videos=True, result=point(library, video_id, path))


def set_settings(library: Library, values: dict[str, str]) -> OpChanges:
    changed = library.set_settings(values) if values else []
    return OpChanges(settings=bool(changed), result=changed)


def model_change(result: object, *, settings: bool = False) -> OpChanges:
    """A model added, removed, downloaded or verified (and, choosing one, a setting)."""
    return OpChanges(models=True, settings=settings, result=result)
