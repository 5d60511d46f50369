"""Hand-made hostile files, one per trick the fuzzer found or that FFmpeg's autodetection
invites: scripts that make FFmpeg open other files (a FIFO: a hang; a video: imported as
something it is not) or connect to a server, an unknown codec, absurd timing, an odd
display-matrix angle."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.importer import run_import
from remix_desktop.core.library import Library
from remix_desktop.core.media import MediaError, display_rotation, probe

ROOT = Path(__file__).resolve().parents[2]


def import_in_a_process(paths: list[Path], home: Path, timeout: float = 30) -> dict:
    """The real CLI in its own process, so a hang fails this test instead of stalling CI."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "remix_desktop", "--home", str(home), "import", "--json",
         *map(str, paths)], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    out = json.loads(result.stdout)
    out["seconds"] = time.monotonic() - started
    return out


def test_an_ffconcat_script_naming_a_fifo_is_rejected_at_once(tmp_path):
    """Autodetected as FFmpeg's concat demuxer, this text opened 'pipe' and blocked forever."""
    os.mkfifo(tmp_path / "pipe")
    script = tmp_path / "holiday.mp4"
    script.write_text("ffconcat version 1.0\nfile pipe\n")
    out = import_in_a_process([script], tmp_path / "home")
    assert out["imported"] == []
    assert out["rejected"] == [{"path": str(script),
                                "reason": "it is a playlist naming other files, not a video"}]
    assert out["seconds"] < 20


def test_an_ffconcat_script_naming_a_video_is_not_imported_as_that_video(
        tmp_path, seed_clips):
    (tmp_path / "real.mp4").write_bytes(seed_clips["h264.mp4"])
    (tmp_path / "other").mkdir()
    script = tmp_path / "other" / "alias.mkv"
    script.write_text("ffconcat version 1.0\nfile ../real.mp4\nfile real.mp4\n")
    with Library(Home(tmp_path / "home").ensure()) as library:
        report = run_import(library, [script])
    assert not report.imported
    assert report.rejected[0].reason == "it is a playlist naming other files, not a video"


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_playlist_pointing_at_a_server_makes_no_connection(tmp_path, recorder):
    url = f"http://127.0.0.1:{recorder.server_address[1]}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(url + "/probe") as _:  # the recorder does record a connection
        pass
    assert recorder.requests == ["/probe"]
    hls = tmp_path / "stream.mp4"
    hls.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{url}/seg0.ts\n"
                   "#EXT-X-ENDLIST\n")
    concat = tmp_path / "remote.webm"
    concat.write_text(f"ffconcat version 1.0\nfile {url}/remote.mp4\n")
    with Library(Home(tmp_path / "home").ensure()) as library:
        report = run_import(library, [hls, concat])
    assert not report.imported and len(report.rejected) == 2
    assert all(r.reason == "it is a playlist naming other files, not a video"
               for r in report.rejected)
    assert recorder.requests == ["/probe"], "the importer connected to a server"


def _mp4_with_codec(data: bytes, fourcc: bytes) -> bytes:
    at = data.find(b"avc1", data.find(b"stsd"))  # the sample entry, not the ftyp brand
    assert at > data.find(b"stsd") > 0
    return data[:at] + fourcc + data[at + 4:]


def test_a_video_in_a_codec_nothing_decodes_is_rejected_with_its_reason(tmp_path, seed_clips):
    path = tmp_path / "odd-codec.mp4"
    path.write_bytes(_mp4_with_codec(seed_clips["h264.mp4"], b"zzzz"))
    with Library(Home(tmp_path / "home").ensure()) as library:
        report = run_import(library, [path])
    assert [r.reason for r in report.rejected] == [
        "its video is in a codec that cannot be decoded"]


def test_damaged_timing_claiming_weeks_is_rejected(tmp_path, seed_clips):
    """An AVI whose stream rate says one frame per million seconds: six frames would "last"
    69 days (and overflow the remix slider's int32 milliseconds)."""
    data = bytearray(seed_clips["mpeg4.avi"])
    strh = data.find(b"strh")
    data[strh + 28:strh + 36] = struct.pack("<II", 1_000_000, 1)  # dwScale, dwRate
    path = tmp_path / "slow.avi"
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="lasts 1,667 hours, longer than the 24 hours"):
        probe(path)
    with Library(Home(tmp_path / "home").ensure()) as library:
        report = run_import(library, [path])
    assert not report.imported and "damaged timestamps" in report.rejected[0].reason


@pytest.mark.parametrize("raw, expected", [
    (0, 0), (90, 90), (-90, 270), (180.0, 180), (-180, 180), (270, 270), (89.6, 90),
    (359.5, 0), (44, 0), (232, 0), (135, 0), (None, 0), ("x", 0), (float("nan"), 0),
    (float("inf"), 0), (1e300, 0),
])
def test_display_rotation_is_a_quarter_turn_or_none(raw, expected):
    assert display_rotation(raw) == expected


def test_an_odd_display_matrix_angle_is_imported_unturned(tmp_path, seed_clips):
    """ffmpeg writes the display matrix of -display_rotation; 44 degrees is what a flipped
    byte in a phone clip's matrix gave the fuzzer."""
    from tests.clips import ffmpeg

    source = tmp_path / "src.mp4"
    source.write_bytes(seed_clips["h264.mp4"])
    odd = tmp_path / "odd.mp4"
    ffmpeg("-display_rotation:v:0", "44", "-i", str(source), "-c", "copy", str(odd))
    with av.open(str(odd)) as container:
        assert next(container.decode(video=0)).rotation == 44  # the matrix is really odd
    facts = probe(odd)
    assert (facts.rotation, facts.width, facts.height) == (0, 64, 48)


def test_every_good_clip_still_imports_through_the_demuxer_whitelist(clip_dir, tmp_path):
    """The whitelist keeps every container the app supports: each good clip of the shared
    fixtures (MP4, MOV, WebM, MKV in a Unicode folder, AVI, OpenCV's MP4, a phone clip)."""
    from tests.conftest import GOOD_CLIPS

    with Library(Home(tmp_path / "home").ensure()) as library:
        report = run_import(library, [clip_dir])
    assert not report.rejected
    by_name = {Path(v.path).relative_to(clip_dir).as_posix(): v for v in report.imported}
    assert set(by_name) == set(GOOD_CLIPS)
    for name, (codec, width, height, duration, _fps) in GOOD_CLIPS.items():
        video = by_name[name]
        assert (video.codec, video.width, video.height) == (codec, width, height), name
        assert abs(video.duration_s - duration) < 0.08
    assert by_name["phone.mp4"].rotation in (90, 270)
    assert by_name["h264.mp4"].title == "First morning coffee"
