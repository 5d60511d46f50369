"""A look before deciding: for a selection (or the whole library), one tile per video of what
a remix of it would look like (its suggested frame with a caption, a fast style, never a
diffusion model) with its permission badge, as a grid, saved as one PNG or a PDF.

A denied video is never read: its tile is grey with the reason, and nothing of its file is
opened (the gate is asked before any frame of an allowed one is read). `make_tiles` is a
generator that yields one tile at a time (the window shows them as they come, and can stop).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Generator, Iterable

from PIL import Image, ImageDraw, ImageFont

from . import frames
from .captions import candidate_formats, line_parts
from .compose import compose
from .consent import Consent
from .consent_rule import Reason
from .errors import RemixDesktopError, RemixNotAllowed, UsageError
from .export import check_target, write_new
from .resources import fonts_dir
from .stylize import STYLES, stylize
from .topic import extract_topic

TILE = 320  # a tile's picture, in pixels (square)
LABEL_H = 54  # the name and badge under it
GAP = 16
PAGE_COLUMNS, PAGE_ROWS = 4, 5  # a PDF page holds 20 tiles
ALLOW_BADGE, DENY_BADGE = (46, 140, 87), (190, 58, 52)
GREY, GREY_TEXT = (214, 214, 214), (70, 70, 70)
SUGGEST_SAMPLES = 8  # frames looked at for a tile's suggested frame (fewer than the panel)


@dataclass(frozen=True)
class Tile:
    video_id: int
    name: str
    allowed: bool
    badge: str  # "Allowed — your choice", "Denied — shows a face"
    image: Image.Image  # TILE x TILE (the remix, or grey with the reason)
    caption: str = ""
    frame_s: float | None = None
    problem: str = ""  # why an allowed video has no picture (its file is missing, …)


@dataclass(frozen=True)
class TileProgress:
    done: int
    total: int
    tile: Tile


BADGE_WORDS = {
    Reason.OPTED_OUT: "bulk opt-out is on", Reason.OWN_ALLOW: "your choice",
    Reason.OWN_DENY: "your choice", Reason.COPY_OF_DENIED: "copy of a denied video",
    Reason.SHOWS_FACE: "shows a face", Reason.FACE_UNCHECKED: "not looked at yet",
    Reason.DEFAULT_ALLOW: "library default", Reason.DEFAULT_DENY: "library default",
}


def sheet_caption(library, video) -> str:
    """What a tile's remix says: the video's starred caption, else its latest kept one,
    else a meme format filled from the video's own words (no model is run)."""
    row = library.conn.execute(
        "SELECT text FROM captions WHERE video_id = ? ORDER BY starred DESC, id DESC LIMIT 1",
        (video.id,)).fetchone()
    if row is not None:
        return row[0]
    topic = extract_topic(video.title, video.description, video.tags, video.name)
    for fmt in candidate_formats(topic, face=False, seed=video.id, fills=0):
        try:
            return "".join(part for part, _ in line_parts(fmt, topic.slots())).strip()
        except KeyError:  # a slot the topic lacks
            continue
    return "Me when the clip finally works"


def make_tiles(library, ids: Iterable[int] | None = None, *, style: str = "none",
               cancelled: Callable[[], bool] = lambda: False,
               ) -> Generator[TileProgress, None, list[Tile]]:
    """One tile per video (every video when `ids` is None), in id order."""
    if style not in STYLES:
        raise UsageError(f"A contact sheet uses a fast style ({', '.join(STYLES)}), "
                         f"not '{style}'")
    consent = Consent(library)
    videos = library.videos(None if ids is None else sorted(set(ids)))
    if ids is not None and not videos:
        raise UsageError("No videos were chosen for the contact sheet")
    state = consent.state()
    facts = consent.facts()
    tiles: list[Tile] = []
    from .consent_rule import verdict

    for done, video in enumerate(videos, start=1):
        if cancelled():
            break
        said = verdict(facts[video.id], state)
        badge = f"{'Allowed' if said.allowed else 'Denied'} — {BADGE_WORDS[said.reason]}"
        if not said.allowed:
            tile = Tile(video.id, video.name, False, badge,
                        grey_tile(_for_you(consent.explain(video, said))))
        else:
            tile = _remix_tile(library, consent, video, badge, style)
        tiles.append(tile)
        yield TileProgress(done, len(videos), tile)
    return tiles


def _remix_tile(library, consent: Consent, video, badge: str, style: str) -> Tile:
    try:
        consent.gate(video.id)  # the file's content and consent, again, before a read
        picks = frames.suggest_frames(video.path, k=1, duration_s=video.duration_s,
                                      samples=SUGGEST_SAMPLES)
        at = picks[0].time_s if picks else video.duration_s / 2
        pixels = frames.grab_frame(video.path, at, max_side=TILE * 2)
        caption = sheet_caption(library, video)
        image = compose(stylize(pixels, style), caption, size="square").resize(
            (TILE, TILE), Image.LANCZOS)
        return Tile(video.id, video.name, True, badge, image, caption, at)
    except RemixNotAllowed as exc:  # denied since the verdict was read
        return Tile(video.id, video.name, False, f"Denied — {exc.reason}",
                    grey_tile(exc.reason))
    except (RemixDesktopError, frames.MediaError, OSError) as exc:
        why = getattr(exc, "reason", None) or str(exc)
        return Tile(video.id, video.name, True, badge, grey_tile(why), problem=why)


def _for_you(sentence: str) -> str:
    """A consent sentence said to the creator, who reads the sheet ("you denied this video")."""
    return sentence.replace("the creator denied", "you denied").replace(
        "the creator allowed", "you allowed")


def grey_tile(reason: str) -> Image.Image:
    """A grey square saying why there is no picture."""
    image = Image.new("RGB", (TILE, TILE), GREY)
    draw = ImageDraw.Draw(image)
    font = _font(19)
    lines = _wrap(draw, reason[:1].upper() + reason[1:], font, TILE - 40)[:7]
    y = (TILE - len(lines) * 26) // 2
    for line in lines:
        draw.text((TILE // 2, y), line, font=font, fill=GREY_TEXT, anchor="ma")
        y += 26
    return image


def render(tiles: list[Tile], columns: int = PAGE_COLUMNS, *, title: str = "") -> Image.Image:
    """The tiles as one grid image: each with its video's name and its permission badge."""
    if not tiles:
        raise UsageError("The contact sheet has no tiles")
    columns = max(1, min(columns, len(tiles)))
    rows = -(-len(tiles) // columns)
    head = 56 if title else 0
    width = GAP + columns * (TILE + GAP)
    height = head + GAP + rows * (TILE + LABEL_H + GAP)
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((GAP, GAP + 4), title, font=_font(26), fill=(20, 20, 20))
    name_font, badge_font = _font(16), _font(14)
    for i, tile in enumerate(tiles):
        x = GAP + (i % columns) * (TILE + GAP)
        y = head + GAP + (i // columns) * (TILE + LABEL_H + GAP)
        sheet.paste(tile.image, (x, y))
        name = _ellipsize(draw, tile.name, name_font, TILE)
        draw.text((x, y + TILE + 6), name, font=name_font, fill=(20, 20, 20))
        colour = ALLOW_BADGE if tile.allowed and not tile.problem else DENY_BADGE
        text = tile.badge if not tile.problem else f"{tile.badge} · no picture"
        text = _ellipsize(draw, text, badge_font, TILE - 16)
        box = draw.textbbox((x + 8, y + TILE + 30), text, font=badge_font)
        draw.rounded_rectangle((box[0] - 6, box[1] - 4, box[2] + 6, box[3] + 4), radius=8,
                               fill=colour)
        draw.text((x + 8, y + TILE + 30), text, font=badge_font, fill=(255, 255, 255))
    return sheet


def save(tiles: list[Tile], target: Path, *, force: bool = False, title: str = "") -> Path:
    """The sheet as one PNG, or a PDF of pages of PAGE_COLUMNS x PAGE_ROWS tiles; atomic,
    never over a file unless `force`."""
    target = Path(target)
    check(target, force=force)
    if target.suffix.lower() == ".png":
        image = render(tiles, title=title)
        write_new(target, lambda fh: image.save(fh, "PNG", optimize=False), force=force)
    else:
        per_page = PAGE_COLUMNS * PAGE_ROWS
        pages = [render(tiles[i:i + per_page], title=title if i == 0 else "")
                 for i in range(0, len(tiles), per_page)]
        write_new(target, lambda fh: pages[0].save(
            fh, "PDF", save_all=True, append_images=pages[1:], resolution=110.0,
            title=title or "Remix Desktop contact sheet"), force=force)
    return target


def check(target: Path, *, force: bool = False) -> None:
    """What saving to `target` would refuse, said before any tile is made."""

    def kind(path: Path) -> None:
        if path.suffix.lower() not in (".png", ".pdf"):
            raise UsageError(f"{path.name} must end in .png or .pdf (a contact sheet)")

    check_target(Path(target), force=force, check_format=kind)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts_dir() / "DejaVuSans-Bold.ttf"), size)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    return lines + ([line] if line else [])


def _ellipsize(draw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"
