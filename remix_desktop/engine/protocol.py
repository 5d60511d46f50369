"""Typed messages between the app and its engine worker process (pickled over a pipe)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.captions import CaptionContext


@dataclass(frozen=True)
class CaptionJob:
    """Write `count` caption candidates for a video frame's context."""

    job_id: int
    model_path: str
    model_id: str
    context: CaptionContext
    count: int = 4
    seed: int = 0
    n_threads: int = 0  # 0: all cores
    backend: str = "text"  # how the worker runs the model (core.model_kinds.CaptionBackend)
    projector_path: str = ""  # a vision model's projector (mmproj)
    frame: bytes | None = None  # a vision model's frame: RGB bytes, cleared by the consent gate
    frame_size: tuple[int, int] = (0, 0)  # its width and height


@dataclass(frozen=True)
class Progress:
    job_id: int
    done: int
    total: int
    message: str = ""
    preview: bytes | None = None  # a low-resolution PNG while an image is being made


@dataclass(frozen=True)
class Done:
    job_id: int
    result: object
    timings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    job_id: int
    error: str  # one sentence for the creator


@dataclass(frozen=True)
class Shutdown:
    pass


@dataclass(frozen=True)
class Img2ImgJob:
    """Remake an image (PNG bytes) after a prompt with a Stable Diffusion model; the result
    is PNG bytes of width x height."""

    job_id: int
    model_path: str
    taesd_path: str | None
    image: bytes
    prompt: str
    negative_prompt: str = ""
    strength: float = 0.6
    steps: int = 4
    cfg: float = 1.0
    sampler: str = "euler_a"
    seed: int = 0
    width: int = 512
    height: int = 512
    n_threads: int = 0  # 0: all cores
    model_id: str = ""  # the model's id in the app (what a refusal names)
    flash_attn: bool = False  # the family's setting (model_kinds.Family)
