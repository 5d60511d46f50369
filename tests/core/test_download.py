"""Resumable, verified downloads against a real HTTP server on 127.0.0.1 (loopback only)."""

from __future__ import annotations

import hashlib
import random
import shutil
import signal
import threading
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from remix_desktop.core import download as dl
from remix_desktop.core.download import DownloadCancelled, DownloadError, download

DATA = random.Random(1234).randbytes(3 * (1 << 20) + 12345)
SHA = hashlib.sha256(DATA).hexdigest()
CHUNK = 64 << 10
LIMIT_S = 20  # no test may run longer than this


class _TooSlow(BaseException):
    """Raised by the alarm; a BaseException so the downloader cannot retry it away."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.requests.append((self.path, dict(self.headers)))
            number = len(server.requests)
        self.close_connection = True
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path != "/file":
            self.send_error(404)
            return
        start = 0
        wanted = self.headers.get("Range")
        if wanted and not server.ignore_range:
            start = int(wanted.split("=", 1)[1].split("-", 1)[0])
            if start >= len(DATA):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(DATA)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
        else:
            self.send_response(200)
        body = DATA[start:]
        self.send_header("Content-Length", str(len(body)))  # always the full announcement
        self.end_headers()
        drop = server.drop_at(number)
        if drop is not None:
            body = body[:drop]
        try:
            for i in range(0, len(body), CHUNK):
                self.wfile.write(body[i:i + CHUNK])
            self.wfile.flush()
            if number in server.stalls:
                server.release.wait(LIMIT_S)  # hold the socket open, sending nothing
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a cancel)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict]] = []
        self.ignore_range = False
        self.drops: dict[int, int] = {}  # request number (1-based) -> bytes sent, then close
        self.drop_always: int | None = None
        self.stalls: set[int] = set()  # request numbers that stop sending but stay open
        self.release = threading.Event()
        self.redirect_to = ""

    def drop_at(self, number: int) -> int | None:
        return self.drops.get(number, self.drop_always)

    def url(self, path: str = "/file", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_address[1]}{path}"

    def ranges(self) -> list[str | None]:
        return [headers.get("Range") for _, headers in self.requests]


@pytest.fixture(autouse=True)
def _bounded(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(dl, "RETRY_DELAY", 0.0)

    def too_slow(*_):
        raise _TooSlow(f"the test ran longer than {LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def server():
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def sha_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def get(server, target, **kw):
    kw.setdefault("sha256", SHA)
    kw.setdefault("timeout", 5.0)
    kw.setdefault("chunk", CHUNK)
    return download(kw.pop("url", server.url()), target, **kw)


def test_full_download_is_verified_and_moved_into_place(server, tmp_path):
    target = tmp_path / "models" / "model.gguf"
    assert get(server, target, size=len(DATA)) == target
    assert sha_of(target) == SHA
    assert not target.with_name("model.gguf.part").exists()
    assert server.ranges() == [None]


def test_dropped_connection_resumes_with_a_range_request(server, tmp_path):
    half = len(DATA) // 2
    server.drops = {1: half}
    target = tmp_path / "model.gguf"
    get(server, target)
    assert server.ranges() == [None, f"bytes={half}-"]
    assert sha_of(target) == SHA


def test_a_stalled_connection_times_out_and_resumes(server, tmp_path):
    half = len(DATA) // 2
    server.drops = {1: half}
    server.stalls = {1}
    target = tmp_path / "model.gguf"
    get(server, target, timeout=0.5)
    first, second = server.ranges()
    # Resumes from the bytes on disk: whole chunks, so at most what was sent.
    assert first is None and second.startswith("bytes=") and second.endswith("-")
    assert 0 < int(second[6:-1]) <= half
    assert sha_of(target) == SHA


def test_a_connection_that_keeps_dropping_fails_and_keeps_the_part(server, tmp_path):
    server.drop_always = 100_000
    target = tmp_path / "model.gguf"
    with pytest.raises(DownloadError, match="kept failing") as failed:
        get(server, target, retries=2)
    assert "the 300.0 KB received so far are kept" in str(failed.value)  # in bytes a person reads
    assert len(server.requests) == 3
    part = tmp_path / "model.gguf.part"
    assert part.stat().st_size == 300_000 and not target.exists()
    server.drop_always = None
    get(server, target)  # a later call picks up where it stopped
    assert server.ranges()[-1] == "bytes=300000-"
    assert sha_of(target) == SHA


def test_cancel_keeps_the_part_and_a_second_call_finishes(server, tmp_path):
    target = tmp_path / "model.gguf"
    part = tmp_path / "model.gguf.part"
    seen: list[dl.DownloadProgress] = []
    with pytest.raises(DownloadCancelled):
        get(server, target, progress=seen.append,
            cancelled=lambda: bool(seen) and seen[-1].done >= 1 << 20)
    kept = part.stat().st_size
    assert 1 << 20 <= kept < len(DATA)
    assert not target.exists()
    assert DATA.startswith(part.read_bytes())
    resumed: list[dl.DownloadProgress] = []
    get(server, target, progress=resumed.append)
    assert server.ranges()[-1] == f"bytes={kept}-"
    assert resumed[0].resumed_from == kept
    assert sha_of(target) == SHA and not part.exists()


def test_server_ignoring_range_starts_over(server, tmp_path):
    server.ignore_range = True
    target = tmp_path / "model.gguf"
    target.with_name("model.gguf.part").write_bytes(b"not the start of the file" * 1000)
    get(server, target)
    assert server.ranges() == ["bytes=25000-"]  # asked to resume, got 200, rewrote
    assert sha_of(target) == SHA


def test_complete_part_answered_416_is_verified_and_kept(server, tmp_path):
    target = tmp_path / "model.gguf"
    target.with_name("model.gguf.part").write_bytes(DATA)
    get(server, target)
    assert server.ranges() == [f"bytes={len(DATA)}-"]
    assert sha_of(target) == SHA


def test_wrong_checksum_deletes_the_part(server, tmp_path):
    target = tmp_path / "model.gguf"
    with pytest.raises(DownloadError, match="did not match its checksum"):
        get(server, target, sha256="0" * 64)
    assert not target.exists()
    assert not target.with_name("model.gguf.part").exists()


def test_existing_file_is_only_replaced_by_a_verified_one(server, tmp_path):
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old model")
    with pytest.raises(DownloadError):
        get(server, target, sha256="0" * 64)
    assert target.read_bytes() == b"old model"


@pytest.mark.parametrize("size", [None, len(DATA)])
def test_not_enough_disk_space_is_refused(server, tmp_path, monkeypatch, size):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10 << 30, 10 << 30, 1 << 20))
    target = tmp_path / "model.gguf"
    with pytest.raises(DownloadError, match="not enough free space"):
        get(server, target, size=size)
    assert not target.exists()
    assert not target.with_name("model.gguf.part").exists()
    # With a known size, nothing is asked of the server; otherwise only the headers are read.
    assert len(server.requests) == (0 if size else 1)


def test_host_not_allowed_is_refused_before_any_connection(server, tmp_path):
    with pytest.raises(DownloadError, match="does not connect to 127.0.0.1"):
        get(server, tmp_path / "model.gguf", allowed_hosts={"huggingface.co"})
    assert server.requests == []
    assert list(tmp_path.iterdir()) == []


def test_redirect_to_a_host_not_allowed_is_refused(server, tmp_path):
    server.redirect_to = server.url("/file", host="localhost")  # same server, other name
    with pytest.raises(DownloadError, match="redirected to a refused address"):
        get(server, tmp_path / "model.gguf", url=server.url("/redirect"),
            allowed_hosts={"127.0.0.1"})
    assert [path for path, _ in server.requests] == ["/redirect"]
    assert not (tmp_path / "model.gguf").exists()


def test_redirect_to_an_allowed_host_is_followed(server, tmp_path):
    server.redirect_to = server.url("/file")
    target = tmp_path / "model.gguf"
    get(server, target, url=server.url("/redirect"), allowed_hosts={"127.0.0.1"})
    assert [path for path, _ in server.requests] == ["/redirect", "/file"]
    assert sha_of(target) == SHA


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file", "file:///etc/passwd", "http:///x"])
def test_only_http_and_https_urls_are_used(tmp_path, url):
    with pytest.raises(DownloadError):
        download(url, tmp_path / "x", sha256=None)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_one_clear_sentence(server, tmp_path):
    with pytest.raises(DownloadError, match="answered 404"):
        get(server, tmp_path / "model.gguf", url=server.url("/missing"))


def test_progress_is_monotonic_and_ends_at_the_total(server, tmp_path):
    seen: list[dl.DownloadProgress] = []
    get(server, tmp_path / "model.gguf", progress=seen.append)
    assert len(seen) == -(-len(DATA) // CHUNK)
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == len(DATA)
    assert {p.total for p in seen} == {len(DATA)}
    assert {p.resumed_from for p in seen} == {0}


def test_a_cancel_before_any_byte_says_nothing_is_kept(server, tmp_path):
    with pytest.raises(DownloadCancelled) as stopped:
        get(server, tmp_path / "model.gguf", cancelled=lambda: True)
    assert "received so far" not in str(stopped.value)  # never "the 0 bytes … are kept"
