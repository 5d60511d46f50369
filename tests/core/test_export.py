"""Exports: PNG/JPEG/WebP with XMP provenance, read back by two readers, nothing leaked."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from remix_desktop import __version__
from remix_desktop.core import export as ex
from remix_desktop.core.errors import UsageError
from remix_desktop.core.export import (
    COMPOSITE_WITH_AI, DMI_PROHIBITED_AIMLTRAINING, Provenance, build_xmp, export_image,
    parse_xmp, read_xmp)

CAPTION = "Tom & Jerry <3 café"
MODELS = ("Gemma 3 270M (GGUF Q4_K_M)", "OpenCV cartoon")
PARAMS = {"seed": 42, "style": "cartoon", "strength": 0.55, "prompt": "a cat <says> \"hi\" & é"}
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
SUFFIXES = [".png", ".jpg", ".webp"]


def prov(**changes) -> Provenance:
    return Provenance(**{"caption": CAPTION, "models": MODELS, "parameters": PARAMS,
                         **changes})


def picture(mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (96, 64), "navy")
    image.paste("orange", (10, 10, 60, 40))
    return image


def pillow_xmp(path: Path) -> str:
    """The packet as Pillow itself finds it: iTXt text for PNG, APP1 / XMP chunk otherwise."""
    with Image.open(path) as image:
        if image.format == "PNG":
            assert image.text[ex.XMP_KEYWORD].encode("utf-8") == image.info["xmp"]
            return image.text[ex.XMP_KEYWORD]
        return image.info["xmp"].decode("utf-8")


def etree_values(xmp: str) -> dict[str, str]:
    """A second parser, written against ElementTree directly, for the properties we check."""
    root = ET.fromstring(xmp)
    ns = ex.NS
    desc = root.find(f"{RDF}RDF/{RDF}Description")

    def text(name):
        prefix, local = name.split(":")
        return desc.find(f"{{{ns[prefix]}}}{local}").text

    return {
        "source": text("Iptc4xmpExt:DigitalSourceType"),
        "mining": text("plus:DataMining"),
        "system": text("Iptc4xmpExt:AISystemUsed"),
        "tool": text("xmp:CreatorTool"),
        "title": desc.find(f"{{{ns['dc']}}}title/{RDF}Alt/{RDF}li").text,
        "parameters": text("remix:Parameters"),
    }


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("mining", [None, ex.DMI + "ALLOWED"])
def test_round_trip_read_by_ours_and_by_pillow(tmp_path, suffix, mining):
    extra = {"data_mining": mining} if mining else {}
    target = export_image(picture(), tmp_path / f"remix{suffix}", prov(**extra))
    expected_mining = mining or DMI_PROHIBITED_AIMLTRAINING
    ours = read_xmp(target)
    assert ours == pillow_xmp(target).rstrip("\x00 \n")
    props = parse_xmp(ours)
    assert props["Iptc4xmpExt:DigitalSourceType"] == COMPOSITE_WITH_AI
    assert props["plus:DataMining"] == expected_mining
    assert props["dc:title"] == CAPTION
    assert props["dc:description"].startswith(CAPTION + "\n")
    assert "Gemma 3 270M (GGUF Q4_K_M)" in props["Iptc4xmpExt:AISystemUsed"]
    assert "OpenCV cartoon" in props["Iptc4xmpExt:AISystemUsed"]
    assert props["xmp:CreatorTool"] == f"Remix Desktop {__version__}"
    assert datetime.fromisoformat(props["xmp:CreateDate"]).tzinfo is not None
    assert json.loads(props["remix:Parameters"]) == PARAMS
    other = etree_values(pillow_xmp(target))
    assert other == {"source": COMPOSITE_WITH_AI, "mining": expected_mining,
                     "system": "; ".join(MODELS), "tool": f"Remix Desktop {__version__}",
                     "title": CAPTION, "parameters": props["remix:Parameters"]}
    # escaped in the bytes, not raw: the caption cannot break out of its element
    assert "Tom &amp; Jerry &lt;3 café" in ours
    with Image.open(target) as image:
        assert image.size == (96, 64)
        assert image.getpixel((30, 20))[:3] == pytest.approx((255, 165, 0), abs=12)


def test_png_xmp_is_an_uncompressed_itxt_chunk(tmp_path):
    data = export_image(picture(), tmp_path / "a.png", prov()).read_bytes()
    at = data.index(b"iTXt")
    assert data[at + 4:].startswith(b"XML:com.adobe.xmp\x00\x00\x00")  # flag 0, method 0


def test_jpeg_xmp_is_an_app1_segment_and_webp_an_xmp_chunk(tmp_path):
    jpeg = export_image(picture(), tmp_path / "a.jpeg", prov()).read_bytes()
    assert b"\xff\xe1" + (2 + 29 + len(read_xmp(tmp_path / "a.jpeg").encode())).to_bytes(
        2, "big") + ex.JPEG_XMP_HEADER in jpeg
    webp = export_image(picture(), tmp_path / "a.webp", prov()).read_bytes()
    assert webp[12:16] == b"VP8X" and webp[20] & 0x04  # the header announces XMP
    assert b"XMP " in webp


def test_source_metadata_never_reaches_the_export(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "SpyCamMaker"  # Make
    exif[0x0110] = "SpyModel-X9"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = tmp_path / "source.jpg"
    picture().save(source, exif=exif, icc_profile=icc, comment=b"home-address-secret")
    raw = source.read_bytes()
    assert b"SpyCamMaker" in raw and b"home-address-secret" in raw  # the source leaks
    with Image.open(source) as image:
        assert image.getexif().get_ifd(0x8825)  # GPS really is there
        image.load()
        for suffix in SUFFIXES:
            out = export_image(image, tmp_path / f"clean{suffix}", prov())
            data = out.read_bytes()
            for secret in (b"SpyCamMaker", b"SpyModel", b"home-address-secret", b"Exif\x00",
                           b"eXIf", b"EXIF", b"ICC_PROFILE", b"iCCP", b"ICCP"):
                assert secret not in data, (suffix, secret)
            with Image.open(out) as back:
                assert not back.getexif()
                assert {"exif", "icc_profile", "comment"}.isdisjoint(back.info)


def test_alpha_is_kept_for_png_webp_and_flattened_on_white_for_jpeg(tmp_path):
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    for suffix, expected in ((".png", (0, 0, 0, 0)), (".webp", (0, 0, 0, 0)),
                             (".jpg", (255, 255, 255))):
        with Image.open(export_image(image, tmp_path / f"a{suffix}", prov())) as back:
            assert back.getpixel((5, 5)) == pytest.approx(expected, abs=3)


def test_existing_file_is_kept_unless_forced(tmp_path):
    target = tmp_path / "remix.png"
    target.write_bytes(b"precious")
    with pytest.raises(UsageError, match="already exists"):
        export_image(picture(), target, prov())
    assert target.read_bytes() == b"precious"
    export_image(picture(), target, prov(caption="new one"), force=True)
    assert parse_xmp(read_xmp(target))["dc:title"] == "new one"
    assert os.listdir(tmp_path) == ["remix.png"]


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path, monkeypatch):
    target = tmp_path / "remix.webp"
    real_link = os.link

    def racing_link(src, dst):
        Path(dst).write_bytes(b"someone else's")
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    with pytest.raises(UsageError, match="already exists"):
        export_image(picture(), target, prov())
    assert target.read_bytes() == b"someone else's"
    assert os.listdir(tmp_path) == ["remix.webp"]


def test_without_hard_links_the_export_still_lands(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = export_image(picture(), tmp_path / "fat32.jpg", prov())
    assert parse_xmp(read_xmp(target))["dc:title"] == CAPTION
    assert os.listdir(tmp_path) == ["fat32.jpg"]


@pytest.mark.parametrize("force", [False, True])
def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, force):
    target = tmp_path / "remix.png"
    if force:
        target.write_bytes(b"old")

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(UsageError, match="could not be written.*No space left"):
        export_image(picture(), target, prov(), force=force)
    assert os.listdir(tmp_path) == (["remix.png"] if force else [])
    if force:
        assert target.read_bytes() == b"old"


def test_a_failed_rename_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "remix.jpg"
    target.write_bytes(b"old")

    def broken(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(UsageError, match="could not be written"):
        export_image(picture(), target, prov(), force=True)
    assert os.listdir(tmp_path) == ["remix.jpg"]
    assert target.read_bytes() == b"old"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write into a read-only folder")
def test_an_unwritable_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="cannot be written"):
            export_image(picture(), folder / "a.png", prov())
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_a_folder_refusing_new_files_is_a_clear_error(tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refused)
    with pytest.raises(UsageError, match="cannot be written.*Permission denied"):
        export_image(picture(), tmp_path / "a.png", prov())
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["a.gif", "a.tiff", "a", "a.png.txt"])
def test_unsupported_suffix_is_a_usage_error(tmp_path, name):
    with pytest.raises(UsageError, match=r"\.png, \.jpg, \.jpeg or \.webp"):
        export_image(picture(), tmp_path / name, prov())
    assert os.listdir(tmp_path) == []


def test_missing_folder_and_folder_target_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        export_image(picture(), tmp_path / "nope" / "a.png", prov())
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        export_image(picture(), tmp_path / "dir.png", prov(), force=True)


def test_upper_case_and_jpeg_suffixes_pick_the_format(tmp_path):
    for name, fmt in (("A.PNG", "PNG"), ("b.JPEG", "JPEG"), ("c.WebP", "WEBP")):
        with Image.open(export_image(picture("L"), tmp_path / name, prov())) as back:
            assert back.format == fmt


def test_control_characters_are_stripped_and_the_caption_capped():
    dirty = "Hi\x00 the\x07re\x1b[31m \u202egnp.exe\x7f\x85\r\nline two\ud800\ufffe"
    props = parse_xmp(build_xmp(prov(caption=dirty)))
    assert props["dc:title"] == "Hi there[31m gnp.exe\nline two"
    long = parse_xmp(build_xmp(prov(caption="ha" * 2000)))["dc:title"]
    assert len(long) == ex.CAPTION_LIMIT and long.endswith("\u2026")
    models = parse_xmp(build_xmp(prov(models=("bad\x00model", "x" * 999))))
    assert models["Iptc4xmpExt:AISystemUsed"].startswith("badmodel; xxx")


def test_xmp_is_well_formed_with_hostile_input():
    hostile = prov(caption="]]></rdf:li><!ENTITY x 'y'> <?xpacket end='w'?> &x; \"'",
                   models=("<script>",), parameters={"k<": "</remix:Parameters>\x00\ud800"})
    xmp = build_xmp(hostile)
    root = ET.fromstring(xmp)
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    props = parse_xmp(xmp)
    assert props["dc:title"].startswith("]]></rdf:li><!ENTITY")
    assert json.loads(props["remix:Parameters"]) == {"k<": "</remix:Parameters>\x00\ud800"}
    assert xmp.encode("utf-8")  # no lone surrogate survives


def test_create_date_and_parameters_are_exact():
    when = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    props = parse_xmp(build_xmp(prov(), created=when))
    assert props["xmp:CreateDate"] == "2025-03-04T05:06:07+02:00"
    assert props["Iptc4xmpExt:AISystemVersionUsed"] == f"Remix Desktop {__version__}"


def test_bad_provenance_is_refused():
    with pytest.raises(UsageError, match="not a PLUS data-mining value"):
        prov(data_mining="please don't")
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        build_xmp(prov(parameters={"when": datetime.now()}))
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        build_xmp(prov(parameters={"x": float("nan")}))
    with pytest.raises(TypeError):
        prov(models="Gemma")


def test_read_xmp_without_metadata_and_on_other_files(tmp_path):
    for suffix, fmt in ((".png", "PNG"), (".jpg", "JPEG"), (".webp", "WEBP")):
        plain = tmp_path / f"plain{suffix}"
        picture().save(plain, fmt)
        assert read_xmp(plain) is None
    (tmp_path / "note.png").write_bytes(b"not an image at all")
    with pytest.raises(UsageError, match="not a PNG, JPEG, WebP or GIF"):
        read_xmp(tmp_path / "note.png")
    with pytest.raises(UsageError, match="cannot be read"):
        read_xmp(tmp_path / "missing.png")


def test_read_xmp_finds_a_compressed_png_chunk_from_another_writer(tmp_path):
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_itxt(ex.XMP_KEYWORD, build_xmp(prov()), zip=True)
    path = tmp_path / "other.png"
    picture().save(path, pnginfo=info)
    assert parse_xmp(read_xmp(path))["dc:title"] == CAPTION


def test_parse_xmp_refuses_entities_and_broken_xml():
    with pytest.raises(UsageError, match="entities"):
        parse_xmp('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(UsageError, match="not well-formed"):
        parse_xmp("<x:xmpmeta>")


def test_images_of_any_mode_export(tmp_path):
    for mode in ("P", "LA", "CMYK", "1", "I;16"):
        image = picture("RGB").convert(mode)
        out = export_image(image, tmp_path / f"m-{mode.replace(';', '')}.png", prov())
        assert parse_xmp(read_xmp(out))["dc:title"] == CAPTION


def test_the_export_formats_registry_is_what_the_suffixes_and_the_dialog_come_from(tmp_path):
    from remix_desktop.core.export import (DATA_MINING_CHOICES, DATA_MINING_VALUES,
                                           EXPORT_FORMATS, FORMATS, export_format)

    assert set(FORMATS) == {s for f in EXPORT_FORMATS for s in f.suffixes}
    assert all(value in DATA_MINING_VALUES for value, _ in DATA_MINING_CHOICES)
    for kind in EXPORT_FORMATS:
        for suffix in kind.suffixes:
            target = tmp_path / f"a{suffix.upper()}"
            assert export_format(target) is kind
            export_image(picture(), target, prov())
            with Image.open(target) as opened:
                assert opened.format == kind.pil
            assert read_xmp(target) is not None  # the provenance is in every kind
    with pytest.raises(UsageError, match=r"\.png, \.jpg, \.jpeg or \.webp"):
        export_format(tmp_path / "a.gif")
