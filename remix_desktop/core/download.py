"""Download one file over HTTP(S): resumable, checked for disk space, verified by SHA-256 and
moved into place atomically. Plain Python (urllib), never Qt; call it off the GUI thread.

The bytes go to `<target>.part`. A later call resumes it with a Range request; a dropped
connection is retried from the bytes on disk; a cancel keeps the part; only a file whose
checksum matches is renamed to `target`, so the final name never holds a partial file."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection
from urllib.parse import urlsplit

from .errors import Cancelled, RemixDesktopError
from .atomic_files import sync_folder

SCHEMES = ("http", "https")
SPACE_MARGIN = 32 << 20  # bytes kept free beyond the file itself
RETRY_DELAY = 0.5  # seconds, doubled at each retry (tests set it to 0)
_HASH_BLOCK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


def human_size(size: int | None) -> str:
    """1.2 GB, 340.0 MB, 512 B (decimal units, as publishers state sizes); — when unknown."""
    if not size:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


@dataclass(frozen=True)
class DownloadProgress:
    done: int  # bytes of the file on disk so far
    total: int | None  # size of the whole file, when known
    resumed_from: int  # bytes already on disk when the current request started


class DownloadError(RemixDesktopError):
    """A download failed or was refused; the message is one sentence the creator can act on."""


class DownloadCancelled(Cancelled, DownloadError):
    """The download was cancelled; the part file is kept so a later call resumes it."""


class _Retry(Exception):
    """A transfer stopped short in a way worth trying again (internal)."""


def download(url: str, target: Path, *, sha256: str | None, size: int | None = None,
             progress: Callable[[DownloadProgress], None] | None = None,
             cancelled: Callable[[], bool] = lambda: False,
             allowed_hosts: Collection[str] | None = None, timeout: float = 30.0,
             chunk: int = 1 << 20, retries: int = 3) -> Path:
    """Fetch `url` into `target` and return `target` once it is complete and verified."""
    # a host-less URL (file:///...) gives a None host: allowed is then empty, not a crash
    allowed = None if allowed_hosts is None else {h.lower() for h in allowed_hosts if h}
    check_url(url, allowed)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    opener = _opener(allowed)
    expected = sha256.lower() if sha256 else None
    failures = 0
    while True:
        try:
            _transfer(opener, url, part, size=size, progress=progress, cancelled=cancelled,
                      timeout=timeout, chunk=max(1, chunk))
            break
        except _Retry as exc:
            failures += 1
            if failures > retries:
                kept = part.stat().st_size if part.exists() else 0
                raise DownloadError(
                    f"The download of {target.name} kept failing ({exc}); try again later"
                    + (f": the {human_size(kept)} received so far are kept and it goes on "
                       "from there" if kept else "")) from None
            time.sleep(RETRY_DELAY * 2 ** (failures - 1))
    _verify(part, target, size=size, sha256=expected)
    os.replace(part, target)
    sync_folder(target.parent)
    return target


def check_url(url: str, allowed: Collection[str] | None) -> None:
    """Refuse a URL that is not http(s) or whose host is not allowed, before any connection."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise DownloadError(f"'{url}' is not a valid address") from None
    if parts.scheme.lower() not in SCHEMES:
        raise DownloadError(f"Only http and https downloads are allowed, not '{url}'")
    if not host:
        raise DownloadError(f"The address '{url}' names no host")
    if allowed is not None and host.lower() not in allowed:
        raise DownloadError(f"Remix Desktop does not connect to {host}; the allowed hosts "
                            f"are {', '.join(sorted(allowed)) or 'none'}")


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an http(s) URL on an allowed host."""

    def __init__(self, allowed: set[str] | None):
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_url(newurl, self.allowed)
        except DownloadError as exc:
            fp.close()
            raise DownloadError(f"The server redirected to a refused address: {exc}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(allowed: set[str] | None) -> urllib.request.OpenerDirector:
    handlers: list = [_GuardedRedirects(allowed)]
    if allowed is not None:
        # A proxy would be a connection to a host that is not allowed.
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def _transfer(opener, url: str, part: Path, *, size: int | None, progress, cancelled,
              timeout: float, chunk: int) -> None:
    """One request: append to (206) or rewrite (200) the part file until the body ends."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:  # not a prefix of this file: start over
        part.unlink()
        offset = 0
    if size is not None:
        _check_space(part.parent, size - offset)
    headers = {"Accept-Encoding": "identity", "User-Agent": "RemixDesktop"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            return  # nothing left to send: the part is complete (verified next)
        if exc.code >= 500 or exc.code == 408:
            raise _Retry(f"the server answered {exc.code}") from None
        raise DownloadError(f"The server answered {exc.code} ({exc.reason}) for {url}") \
            from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (OSError, http.client.HTTPException)):
            raise _Retry(f"cannot reach the server: {exc.reason}") from None
        raise DownloadError(f"Cannot download {url}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise _Retry(_why(exc)) from None
    with response:
        start, total = _start_and_total(response, offset)
        if response.status == 206 and start != offset:
            part.unlink(missing_ok=True)  # an answer we did not ask for: start from zero
            raise _Retry(f"the server sent bytes from {start} instead of {offset}")
        if size is not None and total is not None and total != size:
            raise DownloadError(f"The server offers {total} bytes but the file should have "
                                f"{size}; the address may be wrong")
        whole = size if size is not None else total
        if whole is not None and size is None:
            _check_space(part.parent, whole - start)
        done = start
        with open(part, "ab" if start else "wb") as out:
            try:
                while True:
                    if cancelled():
                        raise DownloadCancelled(
                            f"The download of {part.name[:-5]} was cancelled"
                            + (f"; the {human_size(done)} received so far are kept to resume "
                               "later" if done else ""))
                    block = response.read(chunk)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(DownloadProgress(done, whole, start))
            except (OSError, http.client.HTTPException) as exc:
                raise _Retry(_why(exc)) from None
            finally:
                out.flush()
                os.fsync(out.fileno())
        if whole is not None and done < whole:
            raise _Retry(f"the connection closed after {done} of {whole} bytes")


def _start_and_total(response, offset: int) -> tuple[int, int | None]:
    """Where the body starts in the file and the size of the whole file, if announced."""
    length = response.headers.get("Content-Length")
    length = int(length) if length and length.strip().isdigit() else None
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "").strip())
        if match:
            first = int(match.group(1))
            total = None if match.group(3) == "*" else int(match.group(3))
            return first, total
        return offset, None if length is None else offset + length
    return 0, length


def _check_space(folder: Path, remaining: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < max(remaining, 0) + SPACE_MARGIN:
        raise DownloadError(
            f"There is not enough free space in {folder}: the download needs about "
            f"{_mb(remaining + SPACE_MARGIN)} but only {_mb(free)} is free")


def _verify(part: Path, target: Path, *, size: int | None, sha256: str | None) -> None:
    if not part.exists():
        raise DownloadError(f"The download of {target.name} produced no file; try again")
    if size is not None and part.stat().st_size != size:
        got = part.stat().st_size
        part.unlink(missing_ok=True)
        raise DownloadError(f"The downloaded file {target.name} has {got} bytes instead of "
                            f"{size} and was deleted; try the download again")
    if sha256 is None:
        return
    digest = hashlib.sha256()
    with open(part, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    if digest.hexdigest() != sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(f"The downloaded file {target.name} did not match its checksum "
                            "and was deleted; try the download again")


def _why(exc: BaseException) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed after {len(exc.partial)} more bytes"
    if isinstance(exc, TimeoutError):
        return "the server stopped answering"
    return str(exc) or type(exc).__name__


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"
