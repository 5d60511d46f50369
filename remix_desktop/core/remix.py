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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Protocol

from PIL import Image

from . import frames, sweep
from .audit import utc_now
from .captions import CaptionContext, CaptionRun, clean_user_caption, visible_text
from .captions_store import CaptionStore
from .compose import LAYOUTS, SIZES, compose
from .consent import Consent
from .errors import RemixDesktopError, UsageError
from .export import Provenance, export_image
from .library import Library, Video
from .model_manifest import DEFAULT_CAPTION_MODEL, manifest
from .disk_errors import file_error
from .stylize import STYLES, stylize

Progress = Callable[[int, int, str], None]
StepPreview = Callable[[int, int, bytes], None]  # step, steps, a small PNG

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


def diffusion_defaults(family: str, model_id: str = "") -> tuple[int, float]:
    """Steps and cfg scale: turbo and SDXS models want 1-4 steps at cfg 1, others 20 at 7."""
    if family == "sdxs" or "turbo" in model_id.lower():
        return 2, 1.0
    return 20, 7.0


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
                raise UsageError("A diffusion remix needs a prompt or a preset: "
                                 + ", ".join(PRESETS))
            if self.strength is not None and not 0.0 < self.strength <= 1.0:
                raise UsageError("The strength must be above 0 and at most 1")
        for value, allowed, what in ((self.style, ALL_STYLES, "style"),
                                     (self.layout, LAYOUTS, "layout"),
                                     (self.size, SIZES, "size")):
            if value not in allowed:
                raise UsageError(f"'{value}' is not a {what}; use one of: {', '.join(allowed)}")
        if not self.caption.strip():
            raise UsageError("A remix needs a caption")

    def params(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None or k in _ALWAYS}

    def key(self) -> str:
        text = json.dumps(self.params(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


_ALWAYS = {"caption_seed"}


@dataclass(frozen=True)
class Preview:
    id: int
    video_id: int
    request_hash: str
    path: Path
    caption: str
    params: dict
    created_at: str
    face: bool = False
    timings: dict = field(default_factory=dict)


class CaptionSource(Protocol):
    """Writes caption candidates for a context (the engine's worker, or a model in-process)."""

    def captions(self, context: CaptionContext, *, count: int = 4, seed: int = 0,
                 progress: Progress | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> CaptionRun:
        ...


class Remixer:
    def __init__(self, library: Library, captions: CaptionSource | None = None,
                 images: ImageSource | None = None):
        self.library = library
        self.consent = Consent(library)
        self.caption_source = captions
        self.image_source = images

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
        self.consent.gate(video_id)  # still allowed before the model sees anything
        return self.caption_source.captions(context, count=count, seed=seed,
                                            progress=progress, cancelled=cancelled)

    # -- previews --------------------------------------------------------------------------

    def render(self, request: RemixRequest, progress: Progress | None = None,
               cancelled: Callable[[], bool] = lambda: False,
               step_preview: StepPreview | None = None) -> Preview:
        """The preview for a request: from the cache when it was made before."""
        video = self.consent.gate(request.video_id).video
        if video.fingerprint != request.fingerprint:
            raise UsageError(f"Video {video.id} is no longer the file this remix was made from")
        cached = self._cached(request.key())
        if cached is not None:
            return cached
        timings = {}
        start = time.perf_counter()
        pixels = frames.grab_frame(video.path, _clamp(request.frame_s, video))
        timings["frame_s"] = _lap(start)
        start = time.perf_counter()
        face = frames.has_face(pixels)
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
        start = time.perf_counter()
        name = f"{request.key()}.png"
        folder = self.library.home.previews
        target = folder / name
        # A hidden temporary named after this process: no preview is ever read from it, and
        # the sweep knows it is left over once this process is gone.
        tmp = folder / f".{name}.{os.getpid()}.part"
        try:
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
                cur = conn.execute(
                    "INSERT INTO previews(video_id, request_hash, file, caption, params, "
                    "created_at, face) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(request_hash) DO UPDATE SET file = excluded.file",
                    (video.id, request.key(), name, request.caption,
                     json.dumps(request.params(), ensure_ascii=False), utc_now(), int(face)))
                preview_id = cur.lastrowid
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
        sql = ("SELECT id, video_id, request_hash, file, caption, params, created_at, face "
               "FROM previews")
        rows = self.library.conn.execute(
            sql + (" WHERE video_id = ? ORDER BY id DESC" if video_id is not None
                   else " ORDER BY id DESC"), (() if video_id is None else (video_id,)))
        return [self._row(r) for r in rows]

    def preview(self, preview_id: int) -> Preview:
        row = self.library.conn.execute(
            "SELECT id, video_id, request_hash, file, caption, params, created_at, face "
            "FROM previews WHERE id = ?", (preview_id,)).fetchone()
        if row is None:
            raise UsageError(f"There is no preview with id {preview_id}")
        return self._row(row)

    def export(self, preview_id: int, target: Path, *, force: bool = False) -> Path:
        """Write an approved preview as PNG, JPEG or WebP, labelled as AI-made (XMP)."""
        preview = self.preview(preview_id)
        self.consent.gate(preview.video_id)
        if not preview.path.is_file():
            raise UsageError(f"The file of preview {preview_id} is missing; make it again")
        with Image.open(preview.path) as image:
            image.load()
            prov = Provenance(caption=preview.caption, models=models_used(preview.params),
                              parameters=preview.params,
                              data_mining=self.library.setting("data_mining"))
            return export_image(image, Path(target), prov, force=force)

    # -- internals -------------------------------------------------------------------------

    def _drop_unrecorded(self, key: str, target: Path) -> None:
        try:
            with self.library.write() as conn:  # under the lock, as renders rename
                if conn.execute("SELECT 1 FROM previews WHERE request_hash = ?",
                                (key,)).fetchone() is None:
                    sweep.unlink(target)
        except (RemixDesktopError, sqlite3.Error):
            pass  # the sweep takes it next time

    def _diffuse(self, image: Image.Image, request: RemixRequest, progress, cancelled,
                 step_preview):
        from .model_store import ModelStore

        if self.image_source is None:
            raise UsageError("No diffusion engine is connected")
        store = ModelStore(self.library)
        model_path, info = store.resolve(request.image_model)
        if info.kind != "diffusion":
            raise UsageError(f"{request.image_model} is a {info.kind} model, not a diffusion "
                             "model")
        result, details = self.image_source.restyle(
            image, request, model_path=model_path, taesd_path=store.taesd_for(info.family),
            family=info.family, progress=progress, cancelled=cancelled,
            step_preview=step_preview)
        return result, {"diffusion_model": request.image_model, "family": info.family,
                        **details}

    def _cached(self, key: str) -> Preview | None:
        row = self.library.conn.execute(
            "SELECT id FROM previews WHERE request_hash = ?", (key,)).fetchone()
        if row is None:
            return None
        preview = self.preview(row[0])
        return preview if preview.path.is_file() else None

    def _row(self, row) -> Preview:
        return Preview(row[0], row[1], row[2], self.library.home.previews / Path(row[3]).name,
                       row[4], json.loads(row[5]), row[6], bool(row[7]))


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


def sweep_previews(library: Library, *, wait_s: float = 0.2) -> int | None:
    """Delete what interrupted renders and consent changes left in the previews folder: a
    preview file no row refers to (a render killed between its rename and its commit, or the
    preview of a video denied by a change killed before it deleted the file) and temporaries
    whose process is gone (or that are older than a day). Returns how many files went, or
    None when it could not look (the library busy in another process for `wait_s`).

    Files are judged under the write lock: a render renames its file and records it in one
    transaction, so a render in progress in another process is never taken for a leftover.
    Never raises: on a full or read-only disk the leftovers wait for the next time."""
    folder = library.home.previews
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    removed = sum(sweep.unlink(folder / n) for n in names if n.endswith(".part")
                  and sweep.writer_gone(folder / n, n[:-len(".part")].rsplit(".", 1)[-1]))
    finals = [n for n in names if n.endswith(".png") and not n.startswith(".")]
    swept = sweep.remove_unrecorded(
        library, folder, finals, wait_s=wait_s,
        recorded=lambda conn: {Path(r[0]).name for r in conn.execute("SELECT file FROM previews")})
    return None if swept is None else removed + swept




def _clamp(at_s: float, video: Video) -> float:
    if at_s < 0:
        raise UsageError("A frame time cannot be negative")
    return min(at_s, max(0.0, video.duration_s))


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 4)
