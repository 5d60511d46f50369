"""Helpers for the fault tests: the CLI as a real process, killing it at a chosen moment,
finding the processes it started, filling a disk, and checking what the library kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from PIL import Image

from remix_desktop.core.home import Home
from remix_desktop.core.library import Library

CLI = (sys.executable, "-m", "remix_desktop")
# Root runs without the capabilities that bypass file permissions (as in test_importer).
NO_DAC = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


def cli(home: Path, *args: str, prefix: tuple[str, ...] = (),
        timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *CLI, "--home", str(home), *args], capture_output=True,
                          text=True, timeout=timeout)


def start_cli(home: Path, *args: str) -> subprocess.Popen:
    """The CLI in the background; its output is not read (so it never blocks on a pipe)."""
    return subprocess.Popen([*CLI, "--home", str(home), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def assert_clear_error(result: subprocess.CompletedProcess, *words: str, code: int = 2) -> str:
    """Exit code 2 and one plain sentence on stderr that contains `words` (lower case)."""
    where = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode == code, where
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, where
    line = lines[0]
    assert line.startswith("remix-desktop: ") and line.endswith("."), where
    assert "Traceback" not in result.stderr and "unexpected error" not in line, where
    prose = " ".join(w for w in line.lower().split() if "/" not in w)  # paths say nothing
    for word in words:
        assert word in prose, where
    return line


# -- processes ----------------------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                kids = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.append(kid)
                    todo.append(kid)
    return found


def identity(pid: int) -> tuple[int, str, str] | None:
    """(pid, start time, command line) of a live process, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return pid, fields[19], cmd


def still_running(procs: list[tuple[int, str, str]], within_s: float) -> list[str]:
    """The command lines of `procs` still running (same pid and start time, not a zombie)
    after waiting up to `within_s` for them to end."""
    deadline = time.monotonic() + within_s
    while True:
        alive = [p for p in procs if (now := identity(p[0])) and now[1] == p[1]]
        if not alive or time.monotonic() > deadline:
            return [f"{p[0]}: {p[2]}" for p in alive]
        time.sleep(0.05)


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], after_s: float = 0.0,
              timeout_s: float = 90) -> list[tuple[int, str, str]]:
    """SIGKILL `proc` `after_s` seconds after `ready()` first holds; returns the processes it
    had started (captured just before the kill)."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"the command ended (exit {proc.returncode}) before the "
                                 f"moment to kill it: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the moment to kill the command never came")
        time.sleep(0.003)
    if after_s:
        time.sleep(after_s)
    kids = [i for i in map(identity, descendants(proc.pid)) if i]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.stderr:
        proc.stderr.close()
    return kids


# -- disks --------------------------------------------------------------------------------

def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system holding `folder` with one file, then give back `leave` bytes."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as fh:
        for block in (1 << 20, 1 << 16, 4096):
            chunk = b"\0" * block
            try:
                while True:
                    fh.write(chunk)
            except OSError:
                pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size // 4096 * 4096 - leave))
    return filler


# -- what the library kept ----------------------------------------------------------------

def state(home: Path) -> dict:
    """Everything the creator decided or made, read from a library that must open and pass
    SQLite's integrity check."""
    with Library(Home(home)) as library:
        conn = library.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            "videos": conn.execute("SELECT id, path, fingerprint, permission, title, thumbnail "
                                   "FROM videos ORDER BY id").fetchall(),
            "settings": conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall(),
            "audit": conn.execute("SELECT id, action, scope, old, new, count FROM audit "
                                  "ORDER BY id").fetchall(),
            "audit_changes": conn.execute("SELECT * FROM audit_changes ORDER BY 1, 2").fetchall(),
            "previews": conn.execute("SELECT id, video_id, request_hash, file FROM previews "
                                     "ORDER BY id").fetchall(),
        }


def decodes(path: Path) -> tuple[int, int]:
    """The size of a complete image file (a truncated one fails to load)."""
    with Image.open(path) as image:
        image.load()
        return image.size
