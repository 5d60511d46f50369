"""Remixes: one frozen request per preview, cached by its hash, always behind the gate.

Every public method calls the consent gate before it reads a single frame, and checks it
again before a preview is recorded, so a permission revoked mid-way leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Protocol

from PIL import Image

from . import animate, faces, frames, sweep
from .captions import CaptionContext, CaptionRun, clean_user_caption, visible_text
from .captions_store import CaptionStore
from .compose import LAYOUTS, SIZES, compose
from .consent import Consent
from .errors import Cancelled, RemixDesktopError, UsageError
from .export import Provenance, build_xmp, export_image
from .library import Library, Video
from .previews import (Preview, PreviewStore, output_kind,  # noqa: F401
                       sweep_previews)
from .model_kinds import CaptionBackend, ModelKind
from .model_kinds import family as model_family
from .model_manifest import DEFAULT_CAPTION_MODEL, manifest
from .disk_errors import file_error
from .stylize import STYLES, stylize

Progress = Callable[[int, int, str], None]
StepPreview = Callable[[int, int, bytes], None]  # step, steps, a small PNG
QuickLook = Callable[[bytes], None]  # the composed quick look, as PNG bytes

DIFFUSION = "diffusion"
ALL_STYLES = (*STYLES, DIFFUSION)

# Style prompt presets for diffusion remixes (our own wording): prompt, negative prompt.
PRESETS = {
    "comic book": ("comic book panel, bold ink outlines, halftone dots, flat vivid colours",
                   "photo, blurry, washed out"),
    "anime": ("anime illustration, clean line art, cel shading, bright colours",
              "photo, realistic, blurry"),
    "claymation": ("claymation scene, plasticine figures, stop-motion, soft studio light",
                   "photo, flat drawing"),
    "oil painting": ("oil painting, thick visible brush strokes, canvas texture, rich colour",
                     "photo, digital render"),
    "pixel art": ("pixel art, 16-bit video game style, limited palette, crisp pixels",
                  "photo, blurry, smooth gradients"),
}


DEFAULT_PRESET = "comic book"  # a diffusion remix asked for without a prompt
DEFAULT_SAMPLER = "euler_a"
DEFAULT_DIFFUSION_SIZE = 512  # the long side a model works at unless told otherwise
ALIGN = 64  # a UNet works on multiples of 64 (sd.cpp grows other sizes silently)


def preset_prompt(preset: str, topic: dict | None) -> str:
    """A preset's words, then what the clip is about: its thing or subject, and what is
    done or the moment ("…, flat vivid colours, coffee, first sip")."""
    words = PRESETS[preset][0]
    if not topic or topic.get("context") == "none":
        return words
    thing = topic.get("thing") or topic.get("subject") or ""
    action = topic.get("doing") or topic.get("moment") or topic.get("event") or ""
    extra = [w for w in (thing, action) if w and w.lower() not in words.lower()]
    return ", ".join([words, *extra])


def _topic_of(video: Video) -> dict:
    from .topic import extract_topic

    return extract_topic(video.title, video.description, video.tags, video.name).as_dict()


def diffusion_defaults(family: str, model_id: str = "") -> tuple[int, float]:
    """Steps and cfg scale: the family's defaults (model_kinds.Family.defaults)."""
    return model_family(family).defaults(model_id)


def work_size(width: int, height: int, side: int) -> tuple[int, int]:
    """The size a diffusion model works at for a frame of width x height: the long side
    `side`, both sides multiples of ALIGN (at least ALIGN)."""
    scale = side / max(width, height)
    return (max(ALIGN, round(width * scale / ALIGN) * ALIGN),
            max(ALIGN, round(height * scale / ALIGN) * ALIGN))


class ImageSource(Protocol):
    """Redraws a frame with a diffusion model (the engine's worker process)."""

    def restyle(self, image: Image.Image, request: "RemixRequest", *, model_path: Path,
                taesd_path: Path | None, family: str, progress: Progress | None = None,
                cancelled: Callable[[], bool] = lambda: False,
                step_preview: StepPreview | None = None) -> tuple[Image.Image, dict]:
        """`step_preview` gets (step, steps, PNG bytes) of a low-resolution look at the
        picture after each sampling step, where the model gives one."""
        ...


@dataclass(frozen=True)
class RemixRequest:
    """Everything one preview needs. Its hash names the cached preview."""

    video_id: int
    fingerprint: str  # the content the frame comes from
    frame_s: float
    caption: str
    style: str = "none"
    layout: str = "classic"
    size: str = "square"
    caption_model: str = DEFAULT_CAPTION_MODEL
    caption_seed: int | None = None  # None when the creator wrote the caption
    image_model: str | None = None
    seed: int = 0
    # diffusion only (style "diffusion"); None elsewhere, and then left out of the hash
    prompt: str | None = None
    negative_prompt: str | None = None
    strength: float | None = None
    steps: int | None = None
    cfg: float | None = None
    sampler: str | None = None
    diffusion_size: int | None = None  # the long side the model works at
    prompt_text: str | None = None  # what the model reads: a preset's words, or the prompt
    family: str | None = None  # the diffusion model's family, whose defaults were used
    output: str = "still"  # the kind of remix (previews.OUTPUT_KINDS)
    # animated only (output "animated"); None for a still, and then left out of the hash
    span_s: float | None = None  # seconds of the video around frame_s
    fps: int | None = None  # frames a second

    def __post_init__(self) -> None:
        # The caption (the model's, or the creator's own, typed or pasted) and the prompts are
        # untrusted text: cleaned and capped here, where every remix passes.
        if isinstance(self.caption, str):
            object.__setattr__(self, "caption", clean_user_caption(self.caption))
        for name in ("prompt", "negative_prompt"):
            if isinstance(getattr(self, name), str):
                object.__setattr__(self, name, visible_text(getattr(self, name)).strip())
        if self.style == DIFFUSION:
            if not self.image_model:
                raise UsageError("A diffusion remix needs a diffusion model: add one with "
                                 "'remix-desktop models add' or download one")
            if not (self.prompt or "").strip():
                object.__setattr__(self, "prompt", DEFAULT_PRESET)
            if self.strength is not None and not 0.0 < self.strength <= 1.0:
                raise UsageError("The strength must be above 0 and at most 1")
        for value, allowed, what in ((self.style, ALL_STYLES, "style"),
                                     (self.layout, LAYOUTS, "layout"),
                                     (self.size, SIZES, "size")):
            if value not in allowed:
                raise UsageError(f"'{value}' is not a {what}; use one of: {', '.join(allowed)}")
        output_kind(self.output)
        if self.output == "animated":
            if self.style == DIFFUSION:
                raise UsageError("An animated remix uses a fast style (none, cartoon, sketch, "
                                 "popart or halftone): redrawing every frame with a diffusion "
                                 "model would take minutes")
            if self.size not in animate.SIZES:
                raise UsageError(f"An animated remix is square or portrait, not "
                                 f"'{self.size}'")
            object.__setattr__(self, "span_s", animate.check_span(
                animate.SPAN_DEFAULT_S if self.span_s is None else self.span_s))
            object.__setattr__(self, "fps", self.fps or animate.FPS)
        elif self.span_s is not None or self.fps is not None:
            raise UsageError("Only an animated remix has a length and a frame rate")
        if not self.caption.strip():
            raise UsageError("A remix needs a caption")

    @property
    def resolved(self) -> bool:
        """Every value the render uses is written in the request (see `resolve`)."""
        return self.style != DIFFUSION or None not in (
            self.prompt_text, self.negative_prompt, self.strength, self.steps, self.cfg,
            self.sampler, self.diffusion_size, self.family)

    def params(self) -> dict:
        """Every value of the request (what exports record): None fields left out."""
        return {k: v for k, v in asdict(self).items() if v is not None or k in _ALWAYS}

    def key(self) -> str:
        params = self.params()
        if params.get("output") == "still":
            del params["output"]  # still previews were made before kinds existed: same keys
        text = json.dumps(params, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


_ALWAYS = {"caption_seed"}


def resolve(request: RemixRequest, family: str) -> RemixRequest:
    """The request with every default it leaves open filled in for a model of `family`
    (preset words, negative prompt, strength, steps, cfg, sampler, working size), so its
    hash, its cache entry and the parameters an export records are what ran."""
    if request.style != DIFFUSION:
        return request
    steps, cfg = diffusion_defaults(family, request.image_model or "")
    text, negative = PRESETS.get(request.prompt or "", (request.prompt, ""))
    return replace(
        request, family=family,
        prompt_text=request.prompt_text if request.prompt_text is not None else text,
        negative_prompt=request.negative_prompt if request.negative_prompt is not None
        else negative,
        strength=request.strength if request.strength is not None else
        model_family(family).default_strength(request.image_model or ""),
        steps=request.steps or steps, cfg=request.cfg if request.cfg is not None else cfg,
        sampler=request.sampler or DEFAULT_SAMPLER,
        diffusion_size=request.diffusion_size or DEFAULT_DIFFUSION_SIZE)


@dataclass(frozen=True)
class RenderProgress:
    """Where a batch is: `stage` "render" (preview `index` of `count` started), "sampling"
    (a diffusion step of it: `step` of `steps`) or "made" (it is recorded)."""

    stage: str
    index: int
    count: int
    step: int = 0
    steps: int = 0


@dataclass(frozen=True)
class CaptionModel:
    """The caption model a job uses, resolved in core: the engine is handed its file and the
    back end that runs it, and never opens the library to look them up."""

    id: str
    path: Path
    backend: CaptionBackend = CaptionBackend.TEXT
    projector: Path | None = None  # a vision model's projector (mmproj): it sees the frame


@dataclass(frozen=True)
class FramePixels:
    """A frame's pixels for a vision caption model: RGB, 8 bits a channel, row by row. Read by
    core after the consent gate; the engine is handed these, never the video's path."""

    rgb: bytes
    width: int
    height: int

    @classmethod
    def of(cls, pixels) -> "FramePixels":
        """From a frames.grab_frame array (height x width x 3, uint8 RGB)."""
        height, width = pixels.shape[:2]
        return cls(pixels.tobytes(), int(width), int(height))


class CaptionSource(Protocol):
    """Writes caption candidates for a context (the engine's worker, or a model in-process)."""

    def captions(self, context: CaptionContext, *, count: int = 4, seed: int = 0,
                 progress: Progress | None = None,
                 cancelled: Callable[[], bool] = lambda: False,
                 model: CaptionModel | None = None,
                 frame: FramePixels | None = None) -> CaptionRun:
        """`frame`: given to a vision caption model only (model.backend is vision)."""
        ...


class Remixer:
    def __init__(self, library: Library, captions: CaptionSource | None = None,
                 images: ImageSource | None = None, *, caption_model: str | None = None):
        """`caption_model`: the id of the model that writes captions (the library's chosen
        one when None)."""
        self.library = library
        self.caption_model = caption_model
        self.consent = Consent(library)
        self.caption_source = captions
        self.image_source = images
        self.store = PreviewStore(library)
        self._models: dict = {}  # diffusion model id -> (path, header facts, store), checked once

    # -- frames and captions ---------------------------------------------------------------

    def suggest(self, video_id: int, k: int = 4,
                cancelled: Callable[[], bool] = lambda: False) -> list[frames.FrameSuggestion]:
        video = self.consent.gate(video_id).video
        return frames.suggest_frames(video.path, k, duration_s=video.duration_s,
                                     cancelled=cancelled)

    def frame(self, video_id: int, at_s: float):
        video = self.consent.gate(video_id).video
        return frames.grab_frame(video.path, _clamp(at_s, video))

    def write_captions(self, video_id: int, frame_s: float, *, count: int = 4, seed: int = 0,
                       progress: Progress | None = None,
                       cancelled: Callable[[], bool] = lambda: False) -> CaptionRun:
        video = self.consent.gate(video_id).video
        if self.caption_source is None:
            raise UsageError("No caption model is connected")
        at = _clamp(frame_s, video)
        pixels, before = frames.grab_frames(video.path, [at, max(0.0, at - 0.5)], max_side=640)
        context = replace(context_for(video, frames.describe_frame(pixels, before)),
                          used=CaptionStore(self.library).used_formats(video_id, seed=seed))
        model = self.caption_model_for()
        seeing = {"frame": FramePixels.of(pixels)} \
            if model.backend == CaptionBackend.VISION else {}
        self.consent.gate(video_id)  # still allowed before the model sees anything
        return self.caption_source.captions(context, count=count, seed=seed,
                                            progress=progress, cancelled=cancelled,
                                            model=model, **seeing)

    def caption_model_for(self) -> CaptionModel:
        """The caption model's id, file and back end, resolved from the library."""
        from .model_store import ModelStore

        model_id = self.caption_model or self.library.setting("caption_model")
        path, backend, projector = ModelStore(self.library).caption_model(model_id)
        return CaptionModel(model_id, path, backend, projector)

    # -- previews --------------------------------------------------------------------------

    def plan(self, video_id: int, captions: list[tuple[str, int | None]],
             times: list[float], *, topic: dict | None = None,
             **fields) -> list[RemixRequest]:
        """The batch of requests for one video, fully resolved: one per caption (text, seed),
        the frame times taken in turn; `fields` are the request's own (style, layout, size,
        caption_model, seed, image_model, prompt, …). The window and the CLI both plan here.
        A diffusion preset (the default one when no prompt is given) is followed by the
        clip's topic (`topic`, the caption run's, or read from the video's own words)."""
        video = self.library.video(video_id)
        if not captions:
            raise UsageError("A batch needs at least one caption")
        family = None
        if fields.get("style") == DIFFUSION and fields.get("image_model"):
            family = self._diffusion_model(fields["image_model"])[1].family
            preset = (fields.get("prompt") or "").strip() or DEFAULT_PRESET
            if preset in PRESETS and fields.get("prompt_text") is None:
                # a preset is a style: the clip's topic says what is in the picture
                fields = {**fields, "prompt": preset,
                          "prompt_text": preset_prompt(preset, topic or _topic_of(video))}
        planned = []
        for i, (text, seed) in enumerate(captions):
            request = RemixRequest(video_id=video.id, fingerprint=video.fingerprint,
                                   frame_s=times[i % len(times)], caption=text,
                                   caption_seed=seed, **fields)
            planned.append(resolve(request, family) if family else request)
        return planned

    def render_all(self, requests: list[RemixRequest], *,
                   progress: Callable[[RenderProgress], None] | None = None,
                   cancelled: Callable[[], bool] = lambda: False,
                   step_preview: StepPreview | None = None,
                   made: Callable[[int, Preview], None] | None = None,
                   quick_look: Callable[[int, bytes], None] | None = None,
                   keep_quick: Callable[[], bool] = lambda: False) -> list[Preview]:
        """Render a planned batch in order. `progress` is told each stage as a
        RenderProgress (a preview started, a sampling step, a preview made), `made(i,
        preview)` of each one made, `quick_look(i, png)` of each diffusion preview's quick
        look before its full render. Once `keep_quick()` is true, the preview being made and
        those after it keep their quick looks. A cancel stops before the next."""
        previews = []
        n = len(requests)
        for i, request in enumerate(requests):
            if cancelled():
                raise Cancelled()
            if progress:
                progress(RenderProgress("render", i, n))
            sampling = (_sampling(progress, i, n) if progress and request.style == DIFFUSION
                        else None)
            look = (None if quick_look is None else
                    lambda png, i=i: quick_look(i, png))
            preview = self.render(request, progress=sampling, cancelled=cancelled,
                                  step_preview=step_preview, quick_look=look,
                                  keep_quick=keep_quick)
            previews.append(preview)
            if made:
                made(i, preview)
            if progress:
                progress(RenderProgress("made", i, n))
        return previews

    def render(self, request: RemixRequest, progress: Progress | None = None,
               cancelled: Callable[[], bool] = lambda: False,
               step_preview: StepPreview | None = None,
               quick_look: QuickLook | None = None,
               keep_quick: Callable[[], bool] = lambda: False) -> Preview:
        """The preview for a request: from the cache when it was made before.

        A diffusion request larger than QUICK_SIZE is made twice when `quick_look` is given
        or `keep_quick()` is already true: first its quick look (quick_request: QUICK_SIZE
        px, the fewest steps), composed with its caption and handed to `quick_look` as PNG
        bytes, then the full render. When `keep_quick()` is true after the quick look, or
        becomes true during the full render (the engine's job is stopped), the quick look
        is recorded as the preview (as its own request) and returned."""
        video = self.consent.gate(request.video_id).video
        if video.fingerprint != request.fingerprint:
            raise UsageError(f"Video {video.id} is no longer the file this remix was made from")
        if request.style == DIFFUSION and not request.resolved:
            request = resolve(request, self._diffusion_model(request.image_model)[1].family)
        cached = self.store.cached(request.key())
        if cached is not None:
            return cached
        quick = quick_request(request)
        if quick is not None and (quick_look is not None or keep_quick()):
            kept = self.store.cached(quick.key())  # a quick look kept before
            made = (_Made.of(kept) if kept is not None else
                    self._make(video, quick, None, cancelled, None))
            if quick_look is not None:
                quick_look(_png_bytes(made.image))
            if keep_quick():
                return kept or self._record(video, quick, made)
            try:
                full = self._make(video, request, progress,
                                  lambda: cancelled() or keep_quick(), step_preview)
            except Cancelled:
                if keep_quick() and not cancelled():
                    return kept or self._record(video, quick, made)
                raise
            return self._record(video, request, full)
        return self._record(video, request,
                            self._make(video, request, progress, cancelled, step_preview))

    def _make(self, video: Video, request: RemixRequest, progress, cancelled,
              step_preview) -> "_Made":
        """The composed image of a request (not yet recorded) and its timings."""
        if request.output == "animated":
            moving = animate.make(
                video.path, at_s=_clamp(request.frame_s, video), span_s=request.span_s,
                duration_s=video.duration_s, caption=request.caption, style=request.style,
                layout=request.layout, size=request.size, fps=request.fps,
                cancelled=cancelled, face_of=faces.has_face)
            return _Made(moving.frames[len(moving.frames) // 2], dict(moving.timings),
                         moving.face, moving.frames, moving.fps)
        timings = {}
        start = time.perf_counter()
        pixels = frames.grab_frame(video.path, _clamp(request.frame_s, video))
        timings["frame_s"] = _lap(start)
        start = time.perf_counter()
        face = faces.has_face(pixels)
        if request.style == DIFFUSION:
            styled_image, info = self._diffuse(Image.fromarray(pixels), request, progress,
                                               cancelled, step_preview)
            timings.update(info)
        else:
            styled_image = Image.fromarray(stylize(pixels, request.style))
        timings["style_s"] = _lap(start)
        start = time.perf_counter()
        image = compose(styled_image, request.caption, layout=request.layout,
                        size=request.size)
        timings["compose_s"] = _lap(start)
        return _Made(image, timings, face)

    def _record(self, video: Video, request: RemixRequest, made: "_Made") -> Preview:
        """Save a made preview's PNG and record it, under the consent gate."""
        image, timings, face = made.image, dict(made.timings), made.face
        start = time.perf_counter()
        name = PreviewStore.file_name(request.key(), request.output)
        folder = self.library.home.previews
        target = folder / name
        # A hidden temporary named after this process: no preview is ever read from it, and
        # the sweep knows it is left over once this process is gone.
        tmp = folder / f".{name}.{os.getpid()}.part"
        try:
            if made.frames:  # an animated WebP, labelled as AI-made like an export
                xmp = build_xmp(self._provenance(request.caption, request.params()))
                tmp.write_bytes(animate.webp_bytes(made.frames, made.fps, xmp.encode()))
            else:
                image.save(tmp, "PNG", compress_level=1)
        except OSError as exc:
            sweep.unlink(tmp)
            clear = file_error(exc, folder, "the preview")
            if clear is not None:
                raise clear from exc
            raise
        timings["save_s"] = _lap(start)
        renamed = False
        try:
            with self.library.write() as conn:
                self.consent.gate(request.video_id)  # revoked meanwhile: keep nothing
                # Renamed under the write lock, recorded in the same transaction: a preview
                # file without its row is one a crash or failure left, and the sweep takes it.
                os.replace(tmp, target)
                renamed = True
                preview_id = PreviewStore.record(
                    conn, video_id=video.id, key=request.key(), name=name,
                    caption=request.caption, params=request.params(), face=face,
                    kind=request.output)
        except BaseException as exc:
            sweep.unlink(tmp)
            if renamed:  # renamed, then not recorded: keep no file without its row
                self._drop_unrecorded(request.key(), target)
            if isinstance(exc, OSError) and (clear := file_error(exc, folder, "the preview")):
                raise clear from exc
            raise
        preview = self.preview(preview_id)
        return Preview(**{**preview.__dict__, "timings": timings})

    def previews(self, video_id: int | None = None) -> list[Preview]:
        return self.store.list(video_id)

    def preview(self, preview_id: int) -> Preview:
        return self.store.get(preview_id)

    def export(self, preview_id: int, target: Path, *, force: bool = False) -> Path:
        """Write an approved preview as PNG, JPEG or WebP (an animated one as WebP or GIF),
        labelled as AI-made (XMP)."""
        preview = self.preview(preview_id)
        self.consent.gate(preview.video_id)
        if not preview.path.is_file():
            raise UsageError(f"The file of preview {preview_id} is missing; make it again")
        prov = self._provenance(preview.caption, preview.params)
        if preview.kind == "animated":
            return animate.export_animation(preview.path, Path(target), build_xmp(prov),
                                            force=force)
        with Image.open(preview.path) as image:
            image.load()
            return export_image(image, Path(target), prov, force=force)

    def _provenance(self, caption: str, params: dict) -> Provenance:
        return Provenance(caption=caption, models=models_used(params), parameters=params,
                          data_mining=self.library.setting("data_mining"))

    # -- internals -------------------------------------------------------------------------

    def _drop_unrecorded(self, key: str, target: Path) -> None:
        try:
            with self.library.write() as conn:  # under the lock, as renders rename
                if not PreviewStore.is_recorded(conn, key):
                    sweep.unlink(target)
        except (RemixDesktopError, sqlite3.Error):
            pass  # the sweep takes it next time

    def _diffusion_model(self, model_id: str | None):
        """The diffusion model's file, header facts and store, looked up and checked (its
        SHA-256 stamp, its header) once for this remixer: a batch plans with it and renders
        each preview with it (the worker checks the header again before loading)."""
        if model_id not in self._models:
            from .model_store import ModelStore

            store = ModelStore(self.library)
            model_path, info = store.resolve(model_id)
            if info.kind != ModelKind.DIFFUSION:
                raise UsageError(f"{model_id} is a {info.kind} model, not a diffusion model")
            self._models[model_id] = model_path, info, store
        return self._models[model_id]

    def _diffuse(self, image: Image.Image, request: RemixRequest, progress, cancelled,
                 step_preview):
        if self.image_source is None:
            raise UsageError("No diffusion engine is connected")
        model_path, info, store = self._diffusion_model(request.image_model)
        size = work_size(image.width, image.height, request.diffusion_size)
        result, details = self.image_source.restyle(
            image.convert("RGB").resize(size, Image.LANCZOS), request, model_path=model_path,
            taesd_path=store.taesd_for(info.family), family=info.family, progress=progress,
            cancelled=cancelled, step_preview=step_preview)
        return result, {"diffusion_model": request.image_model, "family": info.family,
                        **details}


QUICK_SIZE = 256  # the long side of a quick look
QUICK_STEPS = 1  # the steps of a turbo model's quick look


def quick_request(request: RemixRequest) -> RemixRequest | None:
    """The quick look of a resolved diffusion request: QUICK_SIZE px and the fewest steps
    (one for a turbo model, a quarter of the steps for the others); None when the request is
    not a diffusion one or is already that small."""
    if request.style != DIFFUSION or not request.resolved \
            or request.diffusion_size <= QUICK_SIZE:
        return None
    turbo = model_family(request.family or "").turbo(request.image_model or "")
    few = QUICK_STEPS if turbo else max(QUICK_STEPS, request.steps // 4)
    return replace(request, diffusion_size=QUICK_SIZE, steps=min(request.steps, few))


@dataclass(frozen=True)
class _Made:
    """A composed preview image before it is recorded, with its timings (an animated one:
    its frames too, the image being the middle one)."""

    image: Image.Image
    timings: dict
    face: bool
    frames: tuple = ()
    fps: int = 0

    @classmethod
    def of(cls, preview: Preview) -> "_Made":
        with Image.open(preview.path) as opened:
            opened.load()
            return cls(opened.convert("RGB"), {}, preview.face)


def _png_bytes(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def context_for(video: Video, facts: frames.FrameFacts | None) -> CaptionContext:
    return CaptionContext(title=video.title, description=video.description, tags=video.tags,
                          file_name=video.name,
                          seen=tuple(facts.phrases()) if facts is not None else ())


def models_used(params: dict) -> tuple[str, ...]:
    """Readable names of the AI systems behind a preview, for its metadata."""
    names = []
    if params.get("caption_seed") is not None:
        entry = manifest().get(params.get("caption_model", ""))
        names.append(entry.name if entry else str(params.get("caption_model")))
    if params.get("image_model"):
        names.append(str(params["image_model"]))
    if params.get("style") not in (None, "none"):
        names.append(f"OpenCV {params['style']} style")
    names.append("Remix Desktop meme layout (Pillow)")
    return tuple(names)


def _sampling(progress: Callable[[RenderProgress], None], index: int, count: int) -> Progress:
    def relay(step: int, steps: int, _message: str = "") -> None:
        progress(RenderProgress("sampling", index, count, step, steps))
    return relay


def _clamp(at_s: float, video: Video) -> float:
    if at_s < 0:
        raise UsageError("A frame time cannot be negative")
    return min(at_s, max(0.0, video.duration_s))


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 4)
