"""Remixes saved as PNG, JPEG or WebP with XMP provenance, written atomically.

The file is built from pixels only: nothing of the source's own metadata (EXIF, GPS, ICC,
comments, text chunks) is carried over. The XMP says how the image was made (IPTC digital
source type, the AI system), what it says (the caption), with which parameters, and that it
may not be used to train AI (PLUS data mining)."""

from __future__ import annotations

import json
import os
import re
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Mapping
from xml.sax.saxutils import escape

from PIL import Image, PngImagePlugin

from .. import __version__
from .captions import visible_text
from .errors import UsageError
from .settings import (DATA_MINING_CHOICES, DATA_MINING_VALUES, DMI,  # noqa: F401
                       DMI_PROHIBITED_AIMLTRAINING)
from .disk_errors import why_not_written
from .atomic_files import atomic_write

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "plus": "http://ns.useplus.org/ldf/xmp/1.0/",
    "remix": "https://remix-desktop.app/ns/1.0/",
}
COMPOSITE_WITH_AI = ("http://cv.iptc.org/newscodes/digitalsourcetype/"
                     "compositeWithTrainedAlgorithmicMedia")
CAPTION_LIMIT = 500
MODEL_LIMIT = 200
PARAMETERS_LIMIT = 16_000  # characters of JSON; the whole packet must fit one JPEG APP1
PARAMETER_TEXT_LIMIT = 1000  # a text parameter is cut to this when they do not fit
XMP_KEYWORD = "XML:com.adobe.xmp"  # PNG iTXt keyword
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Control characters (but tab and newline), lone surrogates, XML's forbidden U+FFFE/U+FFFF
# and the bidi overrides that can make a caption display as something it is not.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                     "\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Provenance:
    """What goes into an export's XMP. The caption is untrusted model output."""

    caption: str
    models: tuple[str, ...]  # e.g. ("Gemma 3 270M (GGUF Q4_K_M)", "OpenCV cartoon")
    parameters: Mapping[str, object] = field(default_factory=dict)  # JSON-serialisable
    data_mining: str = DMI_PROHIBITED_AIMLTRAINING

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            raise TypeError("models must be a tuple of model names, not one string")
        if self.data_mining not in DATA_MINING_VALUES:
            raise UsageError(f"'{self.data_mining}' is not a PLUS data-mining value "
                             f"(one of {', '.join(sorted(DATA_MINING_VALUES))})")


def build_xmp(prov: Provenance, *, created: datetime | None = None) -> str:
    """The XMP packet for `prov`, every text escaped and cleaned."""
    created = created or datetime.now()
    if created.tzinfo is None:  # naive means local time
        created = created.astimezone()
    caption = _clean(prov.caption, CAPTION_LIMIT)
    models = [m for m in (_clean(str(m), MODEL_LIMIT) for m in prov.models) if m]
    tool = f"Remix Desktop {__version__}"
    disclosure = f"AI remix made on this device with {tool}" + (
        f" using {', '.join(models)}." if models else ".")
    description = f"{caption}\n\n{disclosure}" if caption else disclosure
    props = [
        _text("Iptc4xmpExt:DigitalSourceType", COMPOSITE_WITH_AI),
        _text("Iptc4xmpExt:AISystemUsed", "; ".join(models)) if models else "",
        _text("Iptc4xmpExt:AISystemVersionUsed", tool),
        _text("plus:DataMining", prov.data_mining),
        _text("xmp:CreatorTool", tool),
        _text("xmp:CreateDate", created.isoformat(timespec="seconds")),
        _alt("dc:title", caption) if caption else "",
        _alt("dc:description", description),
        _text("remix:Parameters", _parameters_json(prov.parameters)),
    ]
    namespaces = "".join(f'\n    xmlns:{p}="{NS[p]}"'
                         for p in ("xmp", "dc", "Iptc4xmpExt", "plus", "remix"))
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            f'<x:xmpmeta xmlns:x="{NS["x"]}" x:xmptk="{escape(tool)}">\n'
            f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
            f'  <rdf:Description rdf:about=""{namespaces}>\n'
            + "".join(p for p in props if p) +
            '  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>')


def _png_params(xmp: bytes, quality: int) -> dict:
    text = PngImagePlugin.PngInfo()
    text.add_itxt(XMP_KEYWORD, xmp.decode("utf-8"), zip=False)
    return {"pnginfo": text}


def _jpeg_params(xmp: bytes, quality: int) -> dict:
    return {"xmp": xmp, "quality": quality, "subsampling": 0}  # 4:4:4 keeps text crisp


def _webp_params(xmp: bytes, quality: int) -> dict:
    return {"xmp": xmp, "quality": quality}


@dataclass(frozen=True)
class ExportFormat:
    """One kind of file a remix can be exported as: what the save dialog's filters, the
    suffix check and the encoder are all built from. A new kind is one entry here."""

    pil: str  # Pillow's name for it
    label: str  # in the save dialog
    suffixes: tuple[str, ...]  # the first is the one added when a name has none
    alpha: bool  # keeps transparency (without, it is laid on white)
    params: Callable[[bytes, int], dict]  # Pillow's save options, with the XMP packet

    @property
    def name_filter(self) -> str:
        return f"{self.label} ({' '.join('*' + s for s in self.suffixes)})"


EXPORT_FORMATS = (
    ExportFormat("PNG", "PNG image", (".png",), True, _png_params),
    ExportFormat("JPEG", "JPEG image", (".jpg", ".jpeg"), False, _jpeg_params),
    ExportFormat("WEBP", "WebP image", (".webp",), True, _webp_params),
)
FORMATS = {s: f.pil for f in EXPORT_FORMATS for s in f.suffixes}  # suffix -> Pillow's name
_BY_SUFFIX = {s: f for f in EXPORT_FORMATS for s in f.suffixes}


def export_format(target: Path) -> ExportFormat:
    """The export kind a file name asks for, or a UsageError naming the suffixes there are."""
    try:
        return _BY_SUFFIX[Path(target).suffix.lower()]
    except KeyError:
        names = list(_BY_SUFFIX)
        raise UsageError(f"{Path(target).name} must end in {', '.join(names[:-1])} or "
                         f"{names[-1]}") from None


def export_image(image: Image.Image, target: Path, prov: Provenance, *, force: bool = False,
                 quality: int = 92) -> Path:
    """Save `image`'s pixels to `target` with XMP provenance. Never replaces a file unless
    `force`; a failure leaves nothing under `target` (and an old file as it was)."""
    target = Path(target)
    check_target(target, force=force, check_format=export_format)
    kind = export_format(target)
    if not 1 <= quality <= 100:
        raise UsageError(f"quality must be between 1 and 100, not {quality}")
    if not image.width or not image.height:
        raise UsageError("The image is empty")
    xmp = build_xmp(prov).encode("utf-8")
    pixels = _pixels_only(image, flatten=not kind.alpha)
    params = kind.params(xmp, quality)
    write_new(target, lambda fh: pixels.save(fh, format=kind.pil, **params), force=force)
    return target


def check_target(target: Path, *, force: bool,
                 check_format: Callable[[Path], object] | None = None) -> None:
    """What every export checks before it writes anything, each said in one sentence: a NUL
    in the name, the file's kind (`check_format`, which raises), a name over 255 bytes, a
    missing folder, a folder in the way, an existing file without `force`."""
    if "\x00" in str(target):  # no file system takes one; Python would raise ValueError
        raise UsageError(f"The file name {str(target)!r} contains a NUL character")
    if check_format is not None:
        check_format(target)
    if len(os.fsencode(target.name)) > 255:  # stat() itself fails on such a name
        raise UsageError(f"The file name {target.name} is {len(os.fsencode(target.name))} "
                         "bytes long, more than the 255 a file system takes; choose a "
                         "shorter one")
    if not target.parent.is_dir():
        raise UsageError(f"The folder {target.parent} does not exist")
    if target.is_dir():
        raise UsageError(f"{target} is a folder")
    if os.path.lexists(target) and not force:
        raise UsageError(f"{target} already exists; pass --force to replace it")


def default_export_name(video_name: str, preview_id: int, suffix: str = ".png") -> str:
    """The name a preview is exported under unless the creator picks one:
    '<video name>-remix-<id>.png'. Built from data (a video's file name), so made plain: no
    folder part, nothing unprintable or invisible, no characters other systems refuse
    (\\ / : * ? " < > |), no leading dot or dash, and at most 255 bytes however long the
    video's name is."""
    stem = visible_text(PurePosixPath(str(video_name).replace("\\", "/")).stem)
    stem = re.sub(r'[\\/:*?"<>|\n]+', "_", stem).strip(" .-_") or "video"
    tail = f"-remix-{int(preview_id)}{suffix}"
    stem = stem.encode("utf-8")[:255 - len(tail.encode("utf-8"))]
    return stem.decode("utf-8", "ignore").rstrip(" .-_") + tail


def read_xmp(path: Path) -> str | None:
    """The raw XMP packet of a PNG, JPEG, WebP or GIF file (found by its bytes), or None."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror or exc})") from None
    try:
        if data.startswith(PNG_SIGNATURE):
            raw = _png_xmp(data)
        elif data.startswith(b"\xff\xd8"):
            raw = _jpeg_xmp(data)
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            raw = _webp_xmp(data)
        elif data[:6] in (b"GIF87a", b"GIF89a"):
            from .animate import gif_xmp

            raw = gif_xmp(data)
        else:
            raise UsageError(f"{path.name} is not a PNG, JPEG, WebP or GIF file")
    except (IndexError, ValueError, zlib.error):
        raise UsageError(f"{path.name} is damaged; its metadata cannot be read") from None
    return None if raw is None else raw.decode("utf-8", errors="replace").rstrip("\x00 \n")


def parse_xmp(xmp: str) -> dict[str, str]:
    """The properties in our namespaces as {"prefix:Name": text}; language alternatives give
    their x-default, lists their items joined by "; "."""
    if "<!DOCTYPE" in xmp or "<!ENTITY" in xmp:
        raise UsageError("The XMP packet declares entities; it is not read")
    try:
        root = ET.fromstring(xmp)
    except ET.ParseError as exc:
        raise UsageError(f"The XMP packet is not well-formed XML ({exc})") from None
    prefixes = {uri: p for p, uri in NS.items() if p not in ("x", "rdf")}
    rdf, lang = "{%s}" % NS["rdf"], "{http://www.w3.org/XML/1998/namespace}lang"
    found: dict[str, str] = {}

    def key(tag: str) -> str | None:
        uri, _, local = tag[1:].partition("}")
        return f"{prefixes[uri]}:{local}" if tag.startswith("{") and uri in prefixes else None

    for desc in root.iter(rdf + "Description"):
        for name, value in desc.attrib.items():
            if k := key(name):
                found[k] = value
        for prop in desc:
            if not (k := key(prop.tag)):
                continue
            items = prop.findall(f"{rdf}Alt/{rdf}li") + prop.findall(f"{rdf}Seq/{rdf}li") \
                + prop.findall(f"{rdf}Bag/{rdf}li")
            if prop.find(f"{rdf}Alt") is not None:
                chosen = [i for i in items if i.get(lang) == "x-default"] or items[:1]
                found[k] = (chosen[0].text or "") if chosen else ""
            elif items:
                found[k] = "; ".join(i.text or "" for i in items)
            else:
                found[k] = prop.text or prop.get(rdf + "resource", "")
    return found


def _clean(text: str, limit: int) -> str:
    """Untrusted text made safe for XMP: NFC, no control, format (bidi, zero-width) or
    unassigned characters, no flood of combining marks, single spaces for tabs, at most
    `limit` characters."""
    text = unicodedata.normalize("NFC", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    text = visible_text(_UNSAFE.sub("", text.replace("\t", " "))).strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _parameters_json(parameters: Mapping[str, object]) -> str:
    params = dict(parameters)
    try:  # ASCII escapes keep any string in it (even a lone surrogate) valid XML
        text = json.dumps(params, ensure_ascii=True, sort_keys=True, allow_nan=False)
        if len(text) > PARAMETERS_LIMIT:  # a pasted essay of a prompt: its texts are cut
            params = {k: v[:PARAMETER_TEXT_LIMIT - 1] + "\u2026" if isinstance(v, str)
                      and len(v) > PARAMETER_TEXT_LIMIT else v for k, v in params.items()}
            text = json.dumps(params, ensure_ascii=True, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"generation parameters are not JSON-serialisable: {exc}") from None
    if len(text) > PARAMETERS_LIMIT:
        raise ValueError(f"generation parameters take {len(text)} characters of JSON; "
                         f"at most {PARAMETERS_LIMIT} fit in the file's metadata")
    return text


def _text(name: str, value: str) -> str:
    return f"   <{name}>{escape(value)}</{name}>\n"


def _alt(name: str, value: str) -> str:
    return (f'   <{name}><rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li>'
            f"</rdf:Alt></{name}>\n")


def _pixels_only(image: Image.Image, *, flatten: bool) -> Image.Image:
    """A new image holding only `image`'s pixels (RGB or RGBA), with an empty `info`, so no
    EXIF, ICC profile, comment or text chunk can reach the encoder."""
    alpha = image.has_transparency_data
    rgb = image.convert("RGBA" if alpha else "RGB")
    if alpha and flatten:  # JPEG has no alpha: lay it on white
        white = Image.new("RGBA", rgb.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgb).convert("RGB")
    return Image.frombytes(rgb.mode, rgb.size, rgb.tobytes())


def write_new(target: Path, write: Callable[[BinaryIO], None], *, force: bool) -> None:
    """Write `target` atomically (atomic_files.atomic_write): replacing a file there when `force`,
    otherwise never (a hard link that fails if `target` appeared). Every failure is one
    UsageError sentence that says why and what to do."""
    try:
        atomic_write(target, write, no_clobber=not force)
    except FileExistsError:
        raise UsageError(f"{target} already exists; pass --force to replace it") from None
    except (OSError, ValueError) as exc:  # ValueError: Pillow refused the image
        reason = getattr(exc, "strerror", None) or exc
        because, todo = why_not_written(exc, target.parent)  # a full disk is said so
        verb = "cannot be written" if getattr(exc, "nothing_written", False) \
            else "could not be written"
        raise UsageError(f"{target} {verb}{because} ({reason}){todo}") from exc


def _png_xmp(data: bytes) -> bytes | None:
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"iTXt":
            keyword, rest = body.split(b"\x00", 1)
            if keyword == XMP_KEYWORD.encode():
                compressed, rest = rest[0], rest[2:]
                _language, _translated, text = rest.split(b"\x00", 2)
                return zlib.decompress(text) if compressed else text
        elif kind == b"IEND":
            break
        pos += 12 + length
    return None


def _jpeg_xmp(data: bytes) -> bytes | None:
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan, end of image: no more metadata
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos + 4:pos + 2 + length]
        if marker == 0xE1 and segment.startswith(JPEG_XMP_HEADER):
            return segment[len(JPEG_XMP_HEADER):]
        pos += 2 + length
    return None


def _webp_xmp(data: bytes) -> bytes | None:
    pos = 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        if data[pos:pos + 4] == b"XMP ":
            return data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    return None
