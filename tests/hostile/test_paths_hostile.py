"""Paths: folders with spaces, Unicode in NFC and NFD, emoji and right-to-left names,
symlinks (to a file, to a folder, in a loop, dangling, to a device), names with newlines or a
leading dash; and every file name the app builds from data (export names from a video's name,
model file names from a manifest or the command line) staying inside its folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from remix_desktop.cli import main
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import UsageError
from remix_desktop.core.export import default_export_name, export_image, Provenance
from remix_desktop.core.home import Home
from remix_desktop.core.importer import run_import
from remix_desktop.core.library import Library
from remix_desktop.core.model_headers import is_plain_file_name
from remix_desktop.core.model_manifest import ModelError
from remix_desktop.core.remix import Remixer, RemixRequest

ROOT = Path(__file__).resolve().parents[2]


def cli(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd or ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


# -- names -------------------------------------------------------------------------------

def test_unicode_names_in_nfc_and_nfd_are_two_files_each_imported_once(tmp_path, seed_clips):
    nfc = unicodedata.normalize("NFC", "Café crème.mp4")
    nfd = unicodedata.normalize("NFD", "Café crème.mp4")
    assert nfc != nfd
    folder = tmp_path / "My Clips ☕ é"
    folder.mkdir()
    names = {nfc: "h264.mp4", nfd: "clip.mov",
             "🎬 take 1 👩‍👩‍👧.webm": "vp9.webm",
             "\u05e1\u05e8\u05d8\u05d5\u05df \u0645\u0642\u0637\u0639.avi": "mpeg4.avi"}
    for name, seed in names.items():
        (folder / name).write_bytes(seed_clips[seed])
    assert len(os.listdir(folder)) == 4, "this file system keeps NFC and NFD apart"
    with Library(Home(tmp_path / "home").ensure()) as library:
        report = run_import(library, [folder])
        assert not report.rejected
        assert sorted(v.path for v in report.imported) == sorted(
            str(folder / n) for n in names)
        again = run_import(library, [folder])  # each found again by its exact name
        assert not again.imported and len(again.skipped) == 4
    out = cli(tmp_path / "home2", "import", str(folder), "--json")
    assert out.returncode == 0, out.stderr
    assert sorted(v["name"] for v in json.loads(out.stdout)["imported"]) == sorted(names)


def test_names_with_newlines_or_a_leading_dash_pass_after_double_dash(tmp_path, seed_clips):
    work = tmp_path / "work"
    work.mkdir()
    (work / "-rf.mp4").write_bytes(seed_clips["h264.mp4"])
    (work / "two\nlines.mov").write_bytes(seed_clips["clip.mov"])
    (work / "--json.webm").write_bytes(seed_clips["vp9.webm"])
    home = tmp_path / "home"
    as_option = cli(home, "import", "-rf.mp4", cwd=work)  # without '--' it is an option
    assert as_option.returncode == 2 and not as_option.stdout
    out = cli(home, "import", "--json", "--", "-rf.mp4", "two\nlines.mov", "--json.webm",
              cwd=work)
    assert out.returncode == 0, out.stderr
    imported = json.loads(out.stdout)["imported"]
    assert sorted(v["path"] for v in imported) == sorted(
        str(work / n) for n in ("-rf.mp4", "two\nlines.mov", "--json.webm"))
    assert {v["duration_s"] for v in imported} == {0.6}


# -- symlinks ----------------------------------------------------------------------------

def test_symlinks_are_imported_or_rejected_with_a_reason_and_never_hang(tmp_path, seed_clips):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.mp4").write_bytes(seed_clips["h264.mp4"])
    (real / "b.mov").write_bytes(seed_clips["clip.mov"])
    links = tmp_path / "links"
    links.mkdir()
    (links / "to-file.mp4").symlink_to(real / "a.mp4")
    (links / "to-folder").symlink_to(real, target_is_directory=True)
    (links / "dangling.mkv").symlink_to(tmp_path / "gone.mkv")
    (links / "loop.mp4").symlink_to(links / "loop.mp4")
    (links / "ping.avi").symlink_to(links / "pong.avi")
    (links / "pong.avi").symlink_to(links / "ping.avi")
    (links / "zeros.webm").symlink_to("/dev/zero")
    (links / "up").symlink_to(links, target_is_directory=True)  # a folder loop
    start = time.monotonic()
    with Library(Home(tmp_path / "home").ensure()) as library:
        walked = run_import(library, [links])
        given = run_import(library, [links / n for n in (
            "to-folder", "dangling.mkv", "loop.mp4", "ping.avi", "zeros.webm", "up")])
    assert time.monotonic() - start < 30
    # the folder walk does not follow symlinked folders (no loop), takes linked files
    assert [Path(v.path).name for v in walked.imported] == ["to-file.mp4"]
    reasons = {Path(r.path).name: r.reason for r in walked.rejected}
    assert reasons["dangling.mkv"].startswith("it cannot be read (")
    assert reasons["loop.mp4"].startswith("it cannot be read (")
    assert "symbolic links" in reasons["loop.mp4"]
    assert reasons["zeros.webm"] == "it is not a regular file"
    # given by name: a linked folder is walked (b.mov is new, a.mp4 is the same content)
    assert [Path(v.path).name for v in given.imported] == ["b.mov"]
    named = {r.path: r.reason for r in given.rejected}
    assert named[str(links / "to-folder" / "a.mp4")].startswith(
        "it has the same content as video 1")
    assert named[str(links / "dangling.mkv")] == "there is no such file or folder"
    assert named[str(links / "loop.mp4")].startswith("it cannot be read (")
    assert named[str(links / "ping.avi")].startswith("it cannot be read (")
    assert named[str(links / "zeros.webm")] == "it is not a regular file"
    # 'up' (a link to the folder itself) is walked once, its loop not followed again
    assert named[str(links / "up" / "loop.mp4")].startswith("it cannot be read (")
    assert all(r.reason for r in walked.rejected + given.rejected)


# -- export names ------------------------------------------------------------------------

@pytest.mark.parametrize("video_name", [
    "clip.mp4", "../../etc/passwd.mp4", "a/b.mp4", "..\\..\\x.mp4", "...mp4", "-rf.mp4",
    "two\nlines.mp4", "\u202egnp.mp4", "é" * 125 + ".mp4", "🎬" * 70 + ".mkv", "",
    "C:\\x.avi", ".hidden.mp4", "x" * 300, "a\x00b.mp4", "con:*?<>|.mp4",
])
def test_a_default_export_name_is_one_plain_short_name(tmp_path, video_name):
    name = default_export_name(video_name, 12)
    assert is_plain_file_name(name) and name.endswith("-remix-12.png")
    assert not name.startswith((".", "-")) and len(name.encode()) <= 255
    assert not set(name) & set('\\/:*?"<>|\n\x00\u202e')
    target = tmp_path / name
    export_image(__import__("PIL.Image").Image.new("RGB", (8, 8)), target,
                 Provenance("ok then", ("m",)))
    assert target.parent == tmp_path and target.is_file()


def test_the_cli_remix_names_exports_plainly_even_for_a_long_video_name(tmp_path, seed_clips):
    """'<name>-remix-<id>.png' of a 244-byte video name was past 255 bytes: the export, and
    the whole remix command, failed with 'File name too long'."""
    clip = tmp_path / ("é" * 120 + ".mp4")
    clip.write_bytes(seed_clips["h264.mp4"])
    home, out = tmp_path / "home", tmp_path / "out"
    assert cli(home, "import", str(clip)).returncode == 0
    assert cli(home, "permission", "allow", "1").returncode == 0
    assert cli(home, "video", "1", "--title", "../../escape/me").returncode == 0
    made = cli(home, "remix", "1", "--at", "0.1", "--caption", "long names / still fine",
               "--out", str(out), "--json")
    assert made.returncode == 0, made.stderr
    [preview] = json.loads(made.stdout)["previews"]
    path = Path(preview["path"])
    assert path.parent == out and path.is_file() and len(path.name.encode()) <= 255
    assert os.listdir(out) == [path.name] and not (tmp_path / "escape").exists()


@pytest.mark.parametrize("target", ["a\x00b.png", "dir\x00/x.png"])
def test_an_export_name_with_nul_is_a_clear_error(library, tmp_path, target):
    with pytest.raises(UsageError, match="contains a NUL character"):
        export_image(__import__("PIL.Image").Image.new("RGB", (8, 8)), tmp_path / target,
                     Provenance("ok then", ("m",)))
    assert sorted(os.listdir(tmp_path)) == ["home"]  # nothing written


def test_export_writes_exactly_where_the_creator_asked(library, tmp_path, seed_clips):
    """The CLI's --out is a path the creator chose: '../x.png' is honoured as given (relative
    to where they are), nothing is written anywhere else, and a folder is refused."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(seed_clips["h264.mp4"])
    [video] = run_import(library, [clip]).imported
    Consent(library).set_permission([video.id], "allow")
    remixer = Remixer(library)
    preview = remixer.render(RemixRequest(video_id=video.id, fingerprint=video.fingerprint,
                                          frame_s=0.1, caption="where it goes"))
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    written = remixer.export(preview.id, deep / ".." / "up.png")
    assert written.resolve() == (tmp_path / "a" / "up.png").resolve()
    with pytest.raises(UsageError, match="is a folder|must end in"):
        remixer.export(preview.id, deep)
    with pytest.raises(UsageError, match="does not exist"):
        remixer.export(preview.id, tmp_path / "missing" / "x.png")


# -- model file names --------------------------------------------------------------------

@pytest.fixture
def evil_manifest(tmp_path, monkeypatch):
    """The app's manifest with one more entry whose file name climbs out of the folder."""
    from remix_desktop.core import model_manifest
    from remix_desktop.core.resources import resources_dir

    folder = tmp_path / "resources"
    folder.mkdir()
    data = json.loads((resources_dir() / "models.json").read_text())

    def use(file_name: str) -> None:
        entry = {**data["models"][1], "id": "evil", "file": file_name,
                 "source": "http://127.0.0.1:9/evil.gguf"}
        (folder / "models.json").write_text(json.dumps({**data,
                                                        "models": data["models"] + [entry]}))

    monkeypatch.setattr(model_manifest, "resources_dir", lambda: folder)
    return use


@pytest.mark.parametrize("file_name", ["../../x.gguf", "/tmp/x.gguf", "sub/x.gguf", "..",
                                       "a\\..\\x.gguf", "x\n.gguf", ""])
def test_a_manifest_file_name_that_leaves_the_models_folder_is_refused(
        evil_manifest, library, tmp_path, file_name, capsys):
    from remix_desktop.core.model_store import ModelStore

    evil_manifest(file_name)
    with pytest.raises(ModelError, match="model 'evil' names the file .* not a plain file"):
        ModelStore(library).download("evil")
    code = main(["--home", str(library.home.root), "models", "download", "evil", "--yes"])
    assert code == 2
    err = capsys.readouterr().err
    assert "The model manifest is damaged" in err and "Traceback" not in err
    assert not (tmp_path / "x.gguf").exists() and not Path("/tmp/x.gguf.part").exists()


def test_a_manifest_with_plain_names_still_works(evil_manifest, library):
    from remix_desktop.core.model_store import ModelStore

    evil_manifest("evil.gguf")
    assert "evil" in {m.id for m in ModelStore(library).list()}


@pytest.mark.parametrize("model_id", ["../../x.gguf", "/abs/x.gguf", "../models/y.gguf"])
def test_a_model_id_from_the_command_line_never_reaches_outside_the_folder(
        library, tmp_path, model_id):
    from remix_desktop.core.model_manifest import caption_model_path
    from remix_desktop.core.model_store import ModelStore

    outside = tmp_path / "x.gguf"
    outside.write_bytes(b"GGUF")  # exists, so only the name check can refuse it
    (library.home.root / "y.gguf").write_bytes(b"GGUF")
    ident = model_id if not model_id.startswith("/abs") else str(outside)
    assert ModelStore(library).status(ident) is None
    with pytest.raises(ModelError, match="There is no caption model"):
        caption_model_path(library.home, ident)
    with pytest.raises(ModelError, match="There is no model"):
        ModelStore(library).resolve(ident)
    with pytest.raises(UsageError, match="There is no installed model"):
        ModelStore(library).remove(ident)
    assert outside.exists()
