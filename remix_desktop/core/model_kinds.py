"""What kinds of model the app uses and which families of diffusion model it knows, as
tables: a family's defaults (steps, guidance, whether TAESD decodes it) live on the family,
and a caption model's back end (how the engine runs it) is named by the model's kind.

A new family is one Family entry here (and its detection in model_headers); a new caption
back end (a vision-language model with its projector) is one CaptionBackend value here and
one entry in the engine's table of back ends.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ModelKind(enum.StrEnum):
    CAPTION = "caption"  # a GGUF language model that writes captions
    VISION = "vision"  # a GGUF language model with its vision projector: it sees the frame
    DIFFUSION = "diffusion"  # an image model that redraws frames (img2img)
    TAESD = "taesd"  # a tiny autoencoder that encodes and decodes for SD 1.x/2.x latents


class CaptionBackend(enum.StrEnum):
    """How the engine runs a caption model; the caption job carries it."""

    TEXT = "text"  # llama.cpp over the clip's words (engine.llama_text)
    VISION = "vision"  # llama.cpp's multimodal library over the frame too (engine.llama_vision)


CAPTION_KINDS = {ModelKind.CAPTION: CaptionBackend.TEXT, ModelKind.VISION: CaptionBackend.VISION}
"""The model kinds that write captions, and the back end each runs on."""


@dataclass(frozen=True)
class Family:
    key: str
    label: str  # in the model manager's words
    short: str  # in a table column
    steps: int = 20  # sampling steps when the creator does not say
    cfg: float = 7.0  # guidance scale when the creator does not say
    taesd: bool = False  # TAESD can encode and decode its latents (fast previews)
    # a turbo (distilled) model of this family wants few steps at cfg 1: one step asked at
    # strength 0.5 is the one denoising step Stability's SD-Turbo card describes for
    # img2img (stable-diffusion.cpp runs int(steps * strength) + 1 of them)
    turbo_steps: int = 1
    strength: float = 0.6  # how far from the frame when the creator does not say
    turbo_strength: float = 0.5
    flash_attn: bool = False  # the UNet's attention by flash attention (README, "Diffusion
    # settings": measured fastest on a 2-core CPU)

    def defaults(self, model_id: str = "") -> tuple[int, float]:
        """Steps and cfg for a model of this family: distilled (turbo) models, and every
        SDXS, one step at cfg 1; the others 20 at 7."""
        if self.turbo(model_id):
            return self.turbo_steps, 1.0
        return self.steps, self.cfg

    def turbo(self, model_id: str = "") -> bool:
        """A distilled model (every SDXS, and a model named turbo): few steps at cfg 1."""
        return self.key == "sdxs" or "turbo" in model_id.lower()

    def default_strength(self, model_id: str = "") -> float:
        return self.turbo_strength if self.turbo(model_id) else self.strength


# Flash attention is on for every UNet family: on the SD-Turbo (SD 2.1) fixture it took a
# sampling step from 17.4 to 14.8 s at 512 px and 4.1 to 3.4 s at 256 px with the same
# peak memory; direct convolutions were within noise in the UNet and slower in TAESD
# (benchmarks/bench_diffusion_settings.py; README, "Diffusion settings").
FAMILIES = {f.key: f for f in (
    Family("sd1", "SD 1.x", "SD 1.x", taesd=True, flash_attn=True),
    Family("sd2", "SD 2.x (incl. SD-Turbo)", "SD 2.x", taesd=True, flash_attn=True),
    Family("sdxl", "SDXL (incl. SDXL-Turbo)", "SDXL", flash_attn=True),
    Family("sdxs", "SDXS / tiny UNet", "SDXS", taesd=True, flash_attn=True),
    Family("taesd", "TAESD tiny autoencoder", "TAESD"),
)}


def family(key: str) -> Family:
    """The family `key`, or a plain one for a family this version does not know (a model
    added by a newer version): SD 1.x-like defaults, no TAESD."""
    return FAMILIES.get(key) or Family(key, key, key)
