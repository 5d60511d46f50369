"""The offline guarantee, end to end: import, captions by the real Gemma model in the engine's
worker process, a remix and an export through the real CLI, with every network call made to
fail loudly (a sitecustomize that each process, the spawned worker included, loads), and again
inside a network namespace that has no network at all (`unshare -n`). And `models download`
through the CLI connects to the manifest's host only, never to a host it is redirected to."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from remix_desktop.cli import main
from remix_desktop.core.home import Home
from remix_desktop.core.model_manifest import caption_model_path

ROOT = Path(__file__).resolve().parents[2]

GUARD = textwrap.dedent('''
    """Loaded by every Python process of the test (PYTHONPATH): network calls fail loudly."""
    import json, os, socket, sys, traceback

    LOG = os.environ["REMIX_NET_LOG"]
    ACTIVE = os.environ["REMIX_NET_ACTIVE"]
    _selftest = False


    class NetworkBlocked(OSError):
        pass


    def _record(call, args):
        if not _selftest:
            entry = {"pid": os.getpid(), "argv": sys.argv, "call": call,
                     "args": repr(args)[:200], "stack": traceback.format_stack(limit=12)}
            with open(LOG, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\\n")
        raise NetworkBlocked(f"the offline test blocks {call}{args!r}")


    def _guard(name, original, local_ok=False):
        def guarded(*args, **kwargs):
            sock = args[0] if args and isinstance(args[0], socket.socket) else None
            if local_ok and sock is not None and sock.family == socket.AF_UNIX:
                return original(*args, **kwargs)  # local IPC, not the network
            _record(name, args[1:] if sock is not None else args)
        return guarded


    socket.socket.connect = _guard("socket.connect", socket.socket.connect, True)
    socket.socket.connect_ex = _guard("socket.connect_ex", socket.socket.connect_ex, True)
    socket.socket.sendto = _guard("socket.sendto", socket.socket.sendto, True)
    socket.create_connection = _guard("socket.create_connection", socket.create_connection)
    socket.getaddrinfo = _guard("socket.getaddrinfo", socket.getaddrinfo)
    socket.gethostbyname = _guard("socket.gethostbyname", socket.gethostbyname)
    socket.gethostbyname_ex = _guard("socket.gethostbyname_ex", socket.gethostbyname_ex)

    # Proof, in this very process, that the guard is active: a deliberate call is caught.
    _selftest = True
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=0.01)  # TEST-NET-1
        caught = False
    except NetworkBlocked:
        caught = True
    except OSError:
        caught = False
    _selftest = False
    with open(ACTIVE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "argv": sys.argv, "selftest": caught}) + "\\n")
''')


@pytest.fixture
def guard(tmp_path):
    """(environment for a guarded process, the network log, the activation log)."""
    folder = tmp_path / "guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(GUARD)
    log, active = tmp_path / "network.log", tmp_path / "active.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
           "REMIX_NET_LOG": str(log), "REMIX_NET_ACTIVE": str(active)}
    env.pop("REMIX_DESKTOP_HOME", None)
    return env, log, active


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def gemma_models(tmp_path_factory) -> Path:
    """A models folder holding the real default caption model (assembled once)."""
    home = Home(tmp_path_factory.mktemp("offline-gemma")).ensure()
    caption_model_path(home)
    return home.models


def fresh_home(root: Path, models: Path) -> Path:
    """A new home sharing the assembled model by hard links (the same file, no copy)."""
    (root / "models").mkdir(parents=True)
    for item in models.iterdir():
        if item.is_file():
            os.link(item, root / "models" / item.name)
    return root


def run_sequence(home: Path, clip: Path, out: Path, env: dict, prefix=()) -> list[dict]:
    """import, allow, remix with model captions (engine worker), export, list: the real CLI."""
    steps = [("import", str(clip), "--json"), ("permission", "allow", "1"),
             ("remix", "1", "--candidates", "2", "--style", "cartoon", "--out", str(out),
              "--json"),
             ("export", "1", "--out", str(out / "approved.jpg")),
             ("list", "--json"), ("models", "list", "--json")]
    results = []
    for args in steps:
        result = subprocess.run([*prefix, sys.executable, "-m", "remix_desktop", "--home",
                                 str(home), *args], capture_output=True, text=True,
                                timeout=600, env=env, cwd=ROOT)
        assert result.returncode == 0, (args, result.stderr[-2000:])
        results.append({"args": args, "stdout": result.stdout})
    remix = json.loads(results[2]["stdout"])
    assert len(remix["previews"]) == 2
    assert all(p["seed"] is not None for p in remix["previews"]), "the model wrote them"
    assert (out / "approved.jpg").is_file()
    return results


@pytest.fixture
def clip(tmp_path, seed_clips) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(seed_clips["h264.mp4"])
    return path


def test_the_guard_catches_a_deliberate_connection_and_can_fail(guard, tmp_path):
    """Without the guard this connection succeeds (a real local server answers), so the
    guarded run below proves something."""
    env, log, active = guard
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = (f"import socket; s = socket.create_connection(('127.0.0.1', "
            f"{server.server_address[1]}), timeout=5); print('connected'); s.close()")
    try:
        free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, env={k: v for k, v in env.items()
                                               if k != "PYTHONPATH"})
        guarded = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                 text=True, timeout=60, env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert free.returncode == 0 and "connected" in free.stdout
    assert guarded.returncode != 0 and "NetworkBlocked" in guarded.stderr
    [entry] = lines(log)
    assert entry["call"] == "socket.create_connection" and "127.0.0.1" in entry["args"]
    assert [a["selftest"] for a in lines(active)] == [True]


def test_import_captions_remix_and_export_make_no_network_call(guard, gemma_models, clip,
                                                               tmp_path):
    env, log, active = guard
    home = fresh_home(tmp_path / "home", gemma_models)
    run_sequence(home, clip, tmp_path / "out", env)
    assert lines(log) == [], "a network call was attempted: " + log.read_text()[:2000]
    processes = lines(active)
    assert processes and all(p["selftest"] for p in processes)
    workers = [p for p in processes if "--multiprocessing-fork" in p["argv"]]
    assert workers, "the engine's spawned worker loaded the guard too"
    assert (home / "logs" / "caption engine.log").exists() or any(
        (home / "logs").glob("*.log")), "the worker really ran"


@pytest.mark.skipif(shutil.which("unshare") is None, reason="no unshare")
def test_the_same_sequence_runs_in_a_namespace_without_a_network(gemma_models, clip, tmp_path):
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -n is not permitted here (needs root or user namespaces)")
    check = subprocess.run(["unshare", "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode != 0 and "unreachable" in check.stderr.lower()
    home = fresh_home(tmp_path / "home", gemma_models)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("REMIX_DESKTOP_HOME", None)
    run_sequence(home, clip, tmp_path / "out", env, prefix=("unshare", "-n"))


# -- models download through the CLI -------------------------------------------------------

class _Recorder(SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server
        self.server.requests.append(self.path)
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def _server(folder: Path, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), partial(_Recorder, directory=str(folder)))
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def manifest_at(tmp_path, monkeypatch):
    """Point the app's manifest at URLs of a test's choosing (in-process CLI runs)."""
    from remix_desktop.core import model_manifest
    from remix_desktop.core.resources import resources_dir

    folder = tmp_path / "resources"
    folder.mkdir()
    data = json.loads((resources_dir() / "models.json").read_text())

    def use(url: str) -> None:
        entry = {**data["models"][3], "id": "tiny-taesd", "file": "tiny.safetensors",
                 "source": url, "size": None, "sha256": None}
        (folder / "models.json").write_text(json.dumps({**data, "models": [entry]}))

    monkeypatch.setattr(model_manifest, "resources_dir", lambda: folder)
    return use


def _taesd_file(path: Path) -> Path:
    from tests.core.test_model_headers import taesd_tensors, write_safetensors

    return write_safetensors(path, taesd_tensors())


def test_models_download_connects_to_the_manifest_host_only(tmp_path, manifest_at, capsys):
    public = tmp_path / "public"
    public.mkdir()
    _taesd_file(public / "tiny.safetensors")
    good = _server(public)
    other = _server(public)  # another host name for the same machine: "localhost"
    good.redirect_to = f"http://localhost:{other.server_address[1]}/tiny.safetensors"
    home = tmp_path / "home"
    try:
        manifest_at(f"http://127.0.0.1:{good.server_address[1]}/tiny.safetensors")
        assert main(["--home", str(home), "models", "download", "tiny-taesd", "--yes"]) == 0
        assert (home / "models" / "tiny.safetensors").stat().st_size == \
            (public / "tiny.safetensors").stat().st_size
        assert good.requests == ["/tiny.safetensors"] and other.requests == []

        (home / "models" / "tiny.safetensors").unlink()
        manifest_at(f"http://127.0.0.1:{good.server_address[1]}/moved")
        capsys.readouterr()
        assert main(["--home", str(home), "models", "download", "tiny-taesd", "--yes"]) == 2
        err = capsys.readouterr().err
        assert "redirected to a refused address" in err and "localhost" in err
        assert other.requests == [], "the redirect target was contacted"
        assert not (home / "models" / "tiny.safetensors").exists()
    finally:
        for server in (good, other):
            server.shutdown()
            server.server_close()


def test_a_manifest_download_over_another_scheme_is_refused(tmp_path, manifest_at, capsys):
    manifest_at("file:///etc/passwd")
    assert main(["--home", str(tmp_path / "home"), "models", "download", "tiny-taesd",
                 "--yes"]) == 2
    assert "Only http and https downloads are allowed" in capsys.readouterr().err
