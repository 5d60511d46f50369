"""The remix panel for the selected video: choose a frame, edit what the video is about,
get caption candidates from the model, pick a look, make previews, export one.

Every remix control runs behind consent: a denied video shows why and how to allow it, its
controls are off, and nothing of it reaches the engine. All work runs on `context.jobs`;
results that arrive for a video no longer shown are dropped.
"""

from __future__ import annotations

import threading
from collections import deque

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from ..core.consent_rule import Verdict
from ..core.video_files import FileState

FILE_PLACEHOLDERS = {
    FileState.MISSING: "The video file is not where it was: Locate… it above.",
    FileState.UNREADABLE: "The video file cannot be read (permission denied).",
    FileState.CHANGED: "The file at this path holds another video now: import it again.",
}
from ..core.captions_store import CaptionStore
from ..core.errors import (Cancelled, RemixDesktopError, RemixNotAllowed, UsageError,
                           VideoFileProblem)
from ..core.library import Video
from ..core.model_kinds import family as model_family
from ..core.model_store import ModelStore
from ..core import ops
from ..core.changes import OpChanges
from ..core.remix import QUICK_SIZE, DIFFUSION, RenderProgress, diffusion_defaults
from ..core.topic import has_context
from .context import AppContext
from .jobs import Job, JobState
from .library_model import reason_for_you
from .remix_widgets import ANIMATED_SIZE_LABELS, SIZE_LABELS
from .remix_layout import CAPTION_COUNT, RemixPanelUi

ACTIVE = (JobState.QUEUED, JobState.RUNNING)


def _active(job: Job | None) -> bool:
    return job is not None and job.state in ACTIVE


QUICK = "quick"  # a partial result that is a preview's quick look, not a sampling step


class RemixPanel(RemixPanelUi, QWidget):
    statusMessage = Signal(str)  # for the main window's status bar
    modelsRequested = Signal()  # the creator asked for the Models dialog (add a model)

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.video_id: int | None = None
        self.video: Video | None = None
        self.verdict: Verdict | None = None
        self.allowed = False
        self.file_state = FileState.OK  # of the video's file, from stat (see _evaluate_consent)
        self.caption_job: Job | None = None
        self.generate_job: Job | None = None
        self.models_job: Job | None = None
        self.store_job: Job | None = None  # the last job reading or writing the captions kept
        self._keep_waiting: deque = deque()  # (token, key, change, done), in the order asked
        self._keep_lock = threading.Lock()
        self.diffusion_models: dict[str, str] = {}  # installed diffusion model id: family
        self._models_stale = True
        self._next_seed = 0
        self._token = 0  # a new video makes every older result stale
        self._keep_quick: threading.Event | None = None  # the running batch's "keep quick"
        self._quick_shown = 0  # the preview (1-based) whose quick look is on show
        self._build()
        self._wire()
        context.consentChanged.connect(self._consent_changed)
        context.libraryChanged.connect(self._library_changed)
        context.previewsChanged.connect(self._previews_changed)
        context.modelsChanged.connect(self._models_changed)
        self.set_video(None)

    def _wire(self) -> None:
        self.write_button.clicked.connect(lambda: self.write_captions())
        self.more_button.clicked.connect(lambda: self.write_captions(more=True))
        self.add_button.clicked.connect(lambda: self.caption_list.add_own())
        self.generate_button.clicked.connect(lambda: self.generate())
        self.cancel_button.clicked.connect(self.cancel)
        self.keep_quick_button.clicked.connect(self.keep_quick_look)
        self.suggest_button.clicked.connect(lambda: self.suggest_frames())
        self.caption_list.captionsChanged.connect(self._update_controls)
        self.caption_list.itemSelectionChanged.connect(self._update_controls)
        self.delete_button.clicked.connect(lambda: self.caption_list.remove_selected())
        self.caption_list.captionTyped.connect(self._keep_typed)
        self.caption_list.captionEdited.connect(self._keep_edit)
        self.caption_list.starToggled.connect(self._keep_star)
        self.caption_list.captionDeleted.connect(self._keep_delete)
        self.caption_list.undeleteRequested.connect(self.undelete_caption)
        self.caption_list.message.connect(self._status)
        self.about_prompt.entered.connect(self._about_entered)
        for edit in (self.title_edit, self.tags_edit, self.description_edit):
            edit.textChanged.connect(self._update_about_prompt)
        self.style_combo.currentIndexChanged.connect(self._style_changed)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self.prompt_edit.textChanged.connect(self._update_controls)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.gallery.statusMessage.connect(self._status)
        self.info.failed.connect(self._status)
        self.info.suggestion_done.connect(self._suggestion_done)
        self.denied_banner.allowFailed.connect(self._status)
        self.file_banner.failed.connect(self._status)
        self.file_banner.relinked.connect(lambda _id: self._consent_changed())
        self.shortcuts = {
            "generate": QShortcut(QKeySequence("Ctrl+G"), self, self.generate),
            "export": QShortcut(QKeySequence("Ctrl+E"), self, self.gallery.export_selected),
            "cancel": QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel),
        }
        # Ctrl+G and Ctrl+E work wherever the focus is in the window (the library too);
        # Escape only in this panel (elsewhere it clears a search or closes a dialog)
        for name, shortcut in self.shortcuts.items():
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut if
                                name == "cancel" else Qt.ShortcutContext.WindowShortcut)

    # -- the video -------------------------------------------------------------------------

    def set_video(self, video_id: int | None) -> None:
        """Show the remix controls for a video of the library (None: nothing selected)."""
        if video_id is not None and video_id == self.video_id and self.video is not None:
            self._library_changed()
            return
        self.info.save()  # edits of the video being left
        self.cancel()  # the old video's jobs end; whatever they still report is dropped
        self.caption_job = self.generate_job = None
        self._token += 1
        self.caption_list.can_undelete = False  # a deletion of the last video stays deleted
        self._next_seed = 0
        self.caption_list.clear()
        video = None
        if video_id is not None:
            try:
                video = self.context.library.video(video_id)
            except UsageError as exc:
                self._status(str(exc))
        self.video, self.video_id = video, None if video is None else video.id
        self.info.load(video)
        self._evaluate_consent()
        self._load_scrubber()
        self._reload_previews()
        self.stack.setCurrentIndex(0 if video is None else 1)
        self.status_label.clear()
        self._update_about_prompt()
        self._load_captions()
        self._update_controls()

    def _load_scrubber(self) -> None:
        self.scrubber.load(self.video, self.allowed,
                           unavailable=FILE_PLACEHOLDERS.get(self.file_state, ""))

    def _evaluate_consent(self) -> None:
        self.file_state = FileState.OK
        self.file_banner.hide()
        if self.video is None:
            self.verdict, self.allowed = None, False
            self.denied_banner.hide()
            return
        state = self.context.consent.state()
        self.verdict = self.context.consent.verdict(self.video, state)
        self.allowed = self.verdict.allowed
        if self.allowed:
            self.denied_banner.hide()
            # a stat, no read: the gate checks the content itself before any frame is read
            self.file_state = self.context.consent.file_state(self.video)
            if self.file_state is not FileState.OK:
                self.allowed = False  # nothing of a missing or changed file is offered
                self.file_banner.show_for(self.video, self.file_state)
        else:
            self.denied_banner.show_for(self.video.id, self.verdict, state.optout,
                                        self._original_name())

    def _consent_changed(self) -> None:
        if self.video is None:
            return
        try:
            self.video = self.context.library.video(self.video.id)
        except UsageError:
            self.set_video(None)
            return
        was, was_file = self.allowed, self.file_state
        self._evaluate_consent()
        if not self.allowed:
            self.cancel()  # nothing more of this video goes to a model
        if self.file_state != was_file:  # the file went, or came back
            self._load_scrubber()
        self.scrubber.set_allowed(self.allowed)
        self._reload_previews()
        self._update_controls()
        if was != self.allowed:
            self._status("Remixing of this video is allowed." if self.allowed else
                         f"Remixing is off for this video: "
                         f"{reason_for_you(self.verdict, self._original_name())}.")

    def _library_changed(self) -> None:
        if self.video is None:
            return
        try:
            video = self.context.library.video(self.video.id)
        except UsageError:  # removed from the library
            self.set_video(None)
            return
        moved = (video.path, video.duration_s) != (self.video.path, self.video.duration_s)
        self.video = video
        self.info.refresh(video)
        self._consent_changed()
        if moved:
            self._load_scrubber()

    def _previews_changed(self, video_id: int) -> None:
        if video_id in (0, self.video_id):
            self._reload_previews()

    def _reload_previews(self) -> None:
        if self.video is None or not self.allowed:  # a denied video's previews are deleted
            self.gallery.clear("" if self.video is None else
                               "A video that may not be remixed keeps no previews.")
        else:
            self.gallery.show_previews(
                self.video, self.context.remixer(self.context.library).previews(self.video.id),
                sources=self.caption_list.sources())
        self._name_previews_tab()


    # -- work ------------------------------------------------------------------------------

    def suggest_frames(self) -> Job | None:
        job = self.scrubber.suggest() if self.allowed else None
        if job is not None:
            self._track(job, "Finding the best frames…")
            job.signals.finished.connect(self._suggested)
            job.signals.failed.connect(self._failed)
        return job

    def _suggested(self, result) -> None:
        token, picks = result
        if self._mine() and token == self.scrubber.token and self.video is not None:
            self._status(f"Suggested {len(picks)} frames; showing the best." if picks else
                         "No frame stands out: every sampled frame is dark, flat or blurry.")

    def write_captions(self, more: bool = False) -> Job | None:
        """Caption candidates for the chosen frame on a job (appended when `more`)."""
        if self.video is None or not self.allowed or self._busy():
            return None
        ctx, token, video_id = self.context, self._token, self.video.id
        at, seed, count = self.scrubber.time(), self._next_seed, CAPTION_COUNT
        model_id = ctx.captions.model_id
        if not self.about_prompt.isHidden() and self.about_prompt.line():
            self._take_about(self.about_prompt.line())  # typed, Enter not pressed
        info = self.info.values()
        self.info.save()  # typed but not yet saved: kept even if this job is cancelled
        self._next_seed += 1

        def work(library, control):
            control.on_cancel(ctx.engine.cancel)  # stops the worker process mid-caption
            stored = library.video(video_id)
            edited = (stored.title, stored.description, tuple(stored.tags)) != info
            if edited:
                library.set_info(video_id, title=info[0], description=info[1],
                                 tags=info[2])  # the save job may still be queued
            control.progress(0, 0, "Reading the frame", "frame")
            run = ctx.remixer(library).write_captions(
                video_id, at, count=count, seed=seed,
                progress=lambda done, total, message="": control.progress(
                    done, total, message or "writing captions", "caption"),
                cancelled=control.cancelled)
            if control.cancelled():
                raise Cancelled()
            kept = CaptionStore(library).add_run(video_id, run, model_id)
            # the info typed may have been saved here: the library's views hear of it
            return OpChanges(videos=edited, result=(token, more, run, kept))

        self.caption_job = ctx.run_op("write captions", work, finished=self._captions,
                                      failed=lambda message: self._failed(message, "caption"),
                                      staged=self._progress,
                                      cancelled=lambda: self._cancelled("caption"),
                                      initiator=self, reads=True)
        if self.caption_job is None:
            return None
        self._track(self.caption_job, "Starting the caption model…")
        return self.caption_job

    def _captions(self, result) -> None:
        token, more, run, kept = result
        if token != self._token or not self.allowed:
            return  # kept all the same: shown when the video is selected again
        if not more:
            self.caption_list.uncheck_all()  # the earlier ones stay, unchecked
        added = self.caption_list.add_stored(kept)
        plural = "s" if added != 1 else ""
        seen = ""
        if run.shown:
            self.info.show_suggestion((run.shown, self.context.captions.model_id))
            seen = (" What the vision model saw is offered for the description in About "
                    "this video.")
        if run.context == "none":
            self._status(f"{added} caption{plural} from formats that fit any clip only: there "
                         "is nothing to go on for this clip yet; say what happens in it.")
        elif more:
            self._status(f"{added} more caption{plural} written and kept "
                         f"({self.caption_list.count()} in the list); check the ones to use, "
                         "then generate.")
        else:
            self._status(f"{added} caption{plural} written on this computer and kept with "
                         "the video; edit them, uncheck the ones you don't want, then "
                         "generate." + seen)

    # -- the captions kept with the video ----------------------------------------------------

    def _keep(self, kind: str, change, done, key: int = 0) -> Job:
        """Read or write the captions kept (`change(store)`) on a job. Such changes run one at
        a time in the order asked (a load sees every write asked before it): each job runs
        whatever is waiting, in order, under one lock. `done` gets (token, key, result) on
        the GUI thread; a failure is said in the status bar."""
        ctx, token = self.context, self._token
        with self._keep_lock:
            self._keep_waiting.append((token, key, change, done))

        def work(library, control):
            ran = []
            with self._keep_lock:
                store = CaptionStore(library)
                while self._keep_waiting:
                    token, key, change, done = self._keep_waiting.popleft()
                    try:
                        ran.append((done, True, (token, key, change(store))))
                    except RemixDesktopError as exc:
                        ran.append((done, False, str(exc)))
            return OpChanges(result=ran)  # the video's captions: this panel shows them

        self.store_job = ctx.run_op(kind, work, finished=self._kept, failed=self._status,
                                    initiator=self, reads=True)
        return self.store_job

    def _kept(self, ran) -> None:
        for done, ok, value in ran:
            if ok:
                done(value)
            else:
                self._status(value if value.endswith(".") else value + ".")

    def _load_captions(self) -> None:
        if self.video is not None:
            video_id = self.video.id
            self._keep("load captions", lambda store: (store.list(video_id),
                                                       store.suggestion(video_id)),
                       self._captions_loaded)

    def _captions_loaded(self, result) -> None:
        token, _key, (kept, suggestion) = result
        if token == self._token:
            self.caption_list.show_stored(kept)
            self.info.show_suggestion(suggestion)

    def _suggestion_done(self, video_id: int) -> None:
        self._keep("forget the suggestion",
                   lambda store: store.dismiss_suggestion(video_id), lambda _result: None)

    def _keep_typed(self, key: int, text: str) -> None:
        if self.video is not None:
            video_id = self.video.id
            self._keep("keep your caption", lambda store: store.add_own(video_id, text),
                       self._typed_kept, key)

    def _typed_kept(self, result) -> None:
        token, key, stored = result
        if token != self._token:
            return
        same = self.caption_list.item_by_id(stored.id)
        if same is not None and same is not self.caption_list.item_for(key):
            item = self.caption_list.item_for(key)  # the video has this caption already
            if item is not None:
                self.caption_list.takeItem(self.caption_list.row(item))
            self.caption_list.setCurrentItem(same)
            self._status("This video has that caption already.")
        elif not self.caption_list.set_stored(key, stored):  # deleted while being kept
            self._keep_delete(stored.id, stored.text, "own")

    def _keep_edit(self, key: int, caption_id: int, text: str) -> None:
        self._keep("edit a caption", lambda store: store.edit(caption_id, text),
                   self._edit_kept, key)

    def _edit_kept(self, result) -> None:
        token, key, stored = result
        if token == self._token:
            self.caption_list.set_stored(key, stored)

    def _keep_star(self, caption_id: int, starred: bool) -> None:
        self._keep("star a caption", lambda store: store.star(caption_id, starred),
                   self._starred)

    def _starred(self, _result) -> None:
        pass  # shown already, when it was clicked

    def _keep_delete(self, caption_id: int, text: str, source: str) -> None:
        def change(store):
            return store.delete(caption_id), source

        self._keep("delete a caption", change, self._deleted)

    def _deleted(self, result) -> None:
        """Said in the status bar whichever video is shown now: a deletion is never silent,
        and Ctrl+Z in the list brings it back."""
        token, _key, (gone, source) = result
        text = gone.text
        short = text if len(text) <= 60 else text[:57].rstrip() + "…"
        whose = "your caption" if source == "own" else "the caption"
        self._last_deleted = gone
        self.caption_list.can_undelete = token == self._token
        self._status(f"Deleted {whose} '{short}'."
                     + (" Undo with Ctrl+Z in the list." if token == self._token else ""))

    def undelete_caption(self) -> Job | None:
        """Bring back the caption deleted last (Ctrl+Z in the caption list)."""
        gone = getattr(self, "_last_deleted", None)
        self.caption_list.can_undelete = False
        self._last_deleted = None
        if gone is None:
            return None
        return self._keep("bring a caption back", lambda store: store.restore(gone),
                          self._undeleted)

    def _undeleted(self, result) -> None:
        token, _key, stored = result
        if token == self._token:
            self.caption_list.add_stored([stored], checked=False)
            self._status(f"Brought back '{stored.text}'.")

    # -- nothing to go on: one line about the clip --------------------------------------------

    def _update_about_prompt(self, *_args) -> None:
        """Ask for one line when the clip gives nothing to go on: a camera file name and no
        title, description or tags (as stored or being typed)."""
        video = self.video
        self.about_prompt.set_needed(video is not None
                                     and not has_context(*self.info.values(), video.name))

    def _take_about(self, line: str) -> None:
        self.description_edit.setPlainText(line)  # the prompt hides: there is context now

    def _about_entered(self, line: str) -> None:
        """The line is kept as the video's description (on a job), then captions are written
        with it."""
        if self.video is None:
            return
        self._take_about(line)
        self.info.save()
        self._status(f"Kept as the video's description: '{line}'.")
        if self.allowed and not self._busy():
            self.write_captions()

    def generate(self) -> Job | None:
        """One preview per checked caption, on one job; a cancel drops the ones not made."""
        captions = self.caption_list.checked()
        why_not = ("Select a video to remix first." if self.video is None else
                   f"Remixing is off for this video: {reason_for_you(self.verdict)}."
                   if self.verdict is not None and not self.verdict.allowed else
                   "This video's file cannot be read; locate it first." if not self.allowed
                   else "Wait for the running job, or stop it with Esc." if self._busy() else
                   "Check a caption first: write captions, or type your own."
                   if not captions else None)
        if why_not is not None:
            self._status(why_not)
            return None
        ctx, token, video = self.context, self._token, self.video
        at, model = self.scrubber.time(), ctx.captions.model_id
        style, layout, size = (c.currentData() for c in (
            self.style_combo, self.layout_combo, self.size_combo))
        extra = self.diffusion_params() if style == DIFFUSION else {}
        if self.animated():
            extra = {"output": "animated", "span_s": round(self.span_spin.value(), 1)}
        if style == DIFFUSION and not extra.get("image_model") and not self.animated():
            self._status("Add a diffusion model in Models… to use the diffusion style.")
            return None

        def relay(control, p: RenderProgress) -> None:
            n = p.count
            if p.stage == "render":
                control.progress(p.index, n, f"Making preview {p.index + 1} of {n}", "render")
            elif p.stage == "made":
                control.progress(p.index + 1, n, f"Made preview {p.index + 1} of {n}", "made")
            else:
                control.progress(p.step, p.steps, f"Preview {p.index + 1} of {n}: sampling"
                                 + (f", step {p.step} of {p.steps}" if p.steps > 1 else ""),
                                 "sampling")

        keep_quick = threading.Event()  # "Keep quick look" (set on the GUI thread)
        self._keep_quick = keep_quick

        def work(library, control):
            step_preview = quick_look = None
            if style == DIFFUSION:
                control.on_cancel(ctx.diffusion_engine.cancel)  # stops the worker mid-step
                step_preview = lambda step, steps, png: control.partial(  # noqa: E731
                    (token, step, steps, png))
                quick_look = lambda i, png: control.partial(  # noqa: E731
                    (token, QUICK, i, png))
            remixer = ctx.remixer(library)
            requests = remixer.plan(video.id, captions, [at], style=style, layout=layout,
                                    size=size, caption_model=model, **extra)

            made = remixer.render_all(requests, progress=lambda p: relay(control, p),
                                      cancelled=control.cancelled, step_preview=step_preview,
                                      quick_look=quick_look, keep_quick=keep_quick.is_set)
            return OpChanges(previews=frozenset({video.id}),
                             result=(token, video.id, [p.id for p in made],
                                     sum(1 for p in made if not p.timings),  # made before
                                     keep_quick.is_set()))

        if style == DIFFUSION:
            if extra["image_model"] != ctx.library.setting("diffusion_model", ""):
                chosen = {"diffusion_model": extra["image_model"]}  # remembered
                ctx.run_op("remember the diffusion model",
                           lambda library, _c: ops.set_settings(library, chosen),
                           failed=self._status, initiator=self)
            self._end_steps()  # nothing of an earlier run's steps
        self.generate_job = ctx.run_op(
            "generate previews", work, finished=self._generated,
            failed=lambda message: self._failed(message, "generate"), staged=self._progress,
            cancelled=lambda: self._cancelled("generate"), partial=self._step_preview,
            initiator=self, reads=True,
            partial_changes=OpChanges(previews=frozenset({video.id})))  # what a stop kept
        if self.generate_job is None:
            return None
        self._track(self.generate_job, "Making previews…")
        return self.generate_job

    def diffusion_params(self) -> dict:
        """The request fields of the diffusion style, from its controls."""
        preset = self.preset_combo.currentData()
        return {"image_model": self.model_combo.currentData(),
                "prompt": preset if preset is not None else self.prompt_edit.text().strip(),
                "strength": round(self.strength_spin.value(), 2),
                "steps": self.steps_spin.value(), "seed": self.seed_spin.value(),
                "diffusion_size": self.diffusion_size}

    def _original_name(self) -> str:
        """The title or name of the video this one is a copy of, or ""."""
        if self.video is None or self.video.copy_of is None:
            return ""
        try:
            original = self.context.library.video(self.video.copy_of)
        except UsageError:
            return ""
        return original.title or original.name

    # -- still or animated ------------------------------------------------------------------

    def animated(self) -> bool:
        return self.kind_combo.currentData() == "animated"

    def _kind_changed(self, *_args) -> None:
        """Animated: its length shows; the sizes it has not (the video's own shape) and the
        diffusion style (minutes a frame) are not offered."""
        moving = self.animated()
        self.span_spin.setVisible(moving)
        for index in range(self.size_combo.count()):  # an animated remix is 540 px
            name = self.size_combo.itemData(index)
            sizes = ANIMATED_SIZE_LABELS if moving else SIZE_LABELS
            if name in sizes:
                self.size_combo.setItemText(index, sizes[name])
        for combo, value in ((self.size_combo, "source"), (self.style_combo, DIFFUSION)):
            index = combo.findData(value)
            if index < 0:
                continue
            item = combo.model().item(index)
            if item is not None:
                item.setEnabled(not moving)
            if moving and combo.currentIndex() == index:
                combo.setCurrentIndex(0)
        self._update_controls()

    # -- the diffusion style ---------------------------------------------------------------

    def _style_changed(self, *_args) -> None:
        diffusion = self.style_combo.currentData() == DIFFUSION
        self.scrubber.set_look(self.style_combo.currentData())  # the frame in that look
        self.diffusion_box.setVisible(diffusion)
        self.settings_area.updateGeometry()  # its height follows what it holds now
        if self.wide is False:  # narrow: the frame gives the settings room, if it can
            self._shares = (11, 10)
            QTimer.singleShot(0, self._share_out)
        if diffusion and self._models_stale:
            self.load_models()
        self._update_controls()

    def _preset_changed(self, *_args) -> None:
        self.prompt_edit.setVisible(self.preset_combo.currentData() is None)
        self._update_controls()

    def _models_changed(self) -> None:
        self._models_stale = True
        if self.style_combo.currentData() == DIFFUSION:
            self.load_models()

    def load_models(self) -> Job:
        """The installed diffusion models for the picker, read on a job."""
        ctx = self.context
        self._models_stale = False

        def work(control):
            with ctx.background_library() as library:
                return [(m.id, m.family, m.label) for m in ModelStore(library).list()
                        if m.kind == "diffusion" and m.status in ("installed", "verified")]

        self.models_job = ctx.jobs.run("list diffusion models", work,
                                       finished=self._models_loaded, failed=self._status)
        return self.models_job

    def _models_loaded(self, models) -> None:
        current = self.model_combo.currentData()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.diffusion_models = {}
        for model_id, family, label in models:
            self.diffusion_models[model_id] = family
            self.model_combo.addItem(model_id if label == model_id else
                                     f"{label} ({model_id})", model_id)
        index = self.model_combo.findData(current)
        if index < 0:  # first fill: the model chosen in the Models dialog or last used here
            index = self.model_combo.findData(
                self.context.library.setting("diffusion_model", ""))
        self.model_combo.setCurrentIndex(index if index >= 0 else 0 if models else -1)
        self.model_combo.blockSignals(False)
        self.model_combo.setVisible(bool(models))
        self.model_note.setVisible(not models)
        if self.model_combo.currentData() != current:
            self._model_changed()
        self._update_controls()

    def _model_changed(self, *_args) -> None:
        model_id = self.model_combo.currentData()
        if model_id:
            family = self.diffusion_models.get(model_id, "")
            steps, _cfg = diffusion_defaults(family, model_id)
            self.steps_spin.setValue(steps)
            self.strength_spin.setValue(model_family(family).default_strength(model_id))
        self._update_controls()

    def _step_preview(self, payload) -> None:
        """A low-resolution look at the picture after a sampling step, or a preview's quick
        look (the composed remix at QUICK_SIZE px, before its full render)."""
        token, step, steps, png = payload
        if token != self._token:
            return
        image = QImage.fromData(png)
        if image.isNull():
            return
        if step == QUICK:
            self._quick_shown = steps + 1
            self.step_view.set_image(image)
            self.step_label.setText(f"Quick look at preview {steps + 1} ({QUICK_SIZE} px); "
                                    f"the full size is on its way")
            self.keep_quick_button.setVisible(not self._keep_quick.is_set())
        elif self._quick_shown:  # the quick look stays on show; the steps are counted
            self.step_label.setText(f"Quick look at preview {self._quick_shown} ({QUICK_SIZE} "
                                    f"px); the full size: step {step} of {steps}")
        else:
            self.step_view.set_image(image)
            self.step_label.setText(f"Step {step} of {steps}")
        self.step_box.show()

    def keep_quick_look(self) -> None:
        """Stop the full-size render: the quick looks are kept as the previews."""
        if self._keep_quick is None or not _active(self.generate_job):
            return
        self._keep_quick.set()
        self.keep_quick_button.hide()
        self._status("Keeping the quick look; the full-size render stops.")

    def _end_steps(self) -> None:
        """A run is over: its last noisy step is not left on show."""
        self.step_view.set_image(None)
        self.step_label.setText("")
        self.keep_quick_button.hide()
        self._quick_shown = 0
        self.step_box.hide()

    def _generated(self, result) -> None:
        token, video_id, made, before, kept_quick = result  # the views were told (run_op)
        self._end_steps()
        if token == self._token and made:
            self.gallery.select(next(i for i in self.gallery.preview_ids() + made if i in made))
            new = len(made) - before
            text = (f"Made {new} preview{'s' if new != 1 else ''}" if new else
                    "Nothing new to make")
            if before:
                text += (f"; {before} with the same caption, frame and settings "
                         f"{'was' if before == 1 else 'were'} made before and "
                         f"{'is' if before == 1 else 'are'} selected")
            if kept_quick:
                text += "; the quick look was kept and the full-size render stopped"
            self._status(text + ".")

    def export_preview(self, preview_id: int, path, *, force: bool = False) -> Job:
        """Export a preview to `path` on a job (the dialog path is `gallery.export_selected`)."""
        return self.gallery.export_preview(preview_id, path, force=force)

    def cancel(self) -> None:
        """Cancel the caption, suggestion and preview jobs of this panel."""
        for job in (self.caption_job, self.generate_job, self.scrubber.suggest_job):
            if _active(job):
                job.cancel()

    # -- job feedback ----------------------------------------------------------------------

    def _busy(self) -> bool:
        return _active(self.caption_job) or _active(self.generate_job)

    def _track(self, job: Job, message: str) -> None:
        job.signals.stateChanged.connect(self._update_controls)
        self.progress.setRange(0, 0)
        self.progress_label.setText(message)
        self._update_controls()

    def _mine(self) -> bool:
        """Whether the signal being handled comes from one of this video's jobs."""
        sender = self.sender()
        return sender is not None and any(
            job is not None and sender is job.signals
            for job in (self.caption_job, self.generate_job, self.scrubber.suggest_job))

    def _progress(self, done: int, total: int, message: str, stage: str = "") -> None:
        if not self._mine():
            return
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        text = message[:1].upper() + message[1:]
        self.progress_label.setText(f"{text}… {done} of {total}" if total > 1 and
                                    stage == "caption" else f"{text}…")
        if (self.sender() is getattr(self.generate_job, "signals", None) and done
                and stage == "made"):
            self._reload_previews()  # each preview appears as it is made
            self.show_previews_tab()

    def _which(self, which: str | None):
        """The job a failure or a stop is about: named (an op's callbacks), or the signal's
        sender (a plain job's); None when it is an earlier video's (nothing to say)."""
        if which is not None:
            return getattr(self, f"{which}_job", None)
        if not self._mine():
            return None
        return next((j for j in (self.caption_job, self.generate_job,
                                 self.scrubber.suggest_job)
                     if j is not None and self.sender() is j.signals), None)

    def _failed(self, message: str, which: str | None = None) -> None:
        job = self._which(which)
        if job is None:
            return
        self._status(message)
        if job is self.generate_job:
            self._end_steps()
        if isinstance(getattr(job, "error", None), (RemixNotAllowed, VideoFileProblem)):
            self._consent_changed()  # refused by the gate: show why, offer nothing

    def _cancelled(self, which: str | None = None) -> None:
        job = self._which(which)
        if job is None:
            return
        if job is self.generate_job:
            self._end_steps()  # the previews made before the stop were shown (run_op)
        self._status("Stopped.")

    def _update_controls(self, *_args) -> None:
        has, allowed, busy = self.video is not None, self.allowed, self._busy()
        suggesting = _active(self.scrubber.suggest_job)
        can = has and allowed
        self.write_button.setEnabled(can and not busy)
        self.more_button.setEnabled(can and not busy and self.caption_list.count() > 0)
        self.add_button.setEnabled(can)
        self.delete_button.setEnabled(can and bool(self.caption_list.selectedItems()))
        self.caption_list.setEnabled(can)
        for combo in (self.style_combo, self.layout_combo, self.size_combo, self.kind_combo,
                      self.span_spin):
            combo.setEnabled(can)
        diffusion = self.style_combo.currentData() == DIFFUSION
        ready = not diffusion or (self.model_combo.currentData() is not None and (
            self.preset_combo.currentData() is not None or bool(self.prompt_edit.text().strip())))
        for widget in (self.model_combo, self.preset_combo, self.prompt_edit,
                       self.strength_slider, self.strength_spin, self.steps_spin,
                       self.seed_spin):
            widget.setEnabled(can and not busy)
        self.generate_button.setEnabled(can and not busy and ready
                                        and bool(self.caption_list.checked()))
        self.suggest_button.setEnabled(can and not suggesting)
        working = busy or suggesting
        self.cancel_button.setEnabled(working)
        self.shortcuts["cancel"].setEnabled(working)
        self.progress.setVisible(working)
        self.progress_label.setVisible(working)

    def _status(self, text: str) -> None:
        self.status_label.setText(text)
        self.statusMessage.emit(text)
