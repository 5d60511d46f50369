"""Smoke test of the packaged build: runs the BUILT executable (not Python) the way a creator
would, in a fresh data home and a bare environment (no PYTHONPATH, no virtualenv on PATH).

    python tools/smoke_dist.py [EXECUTABLE] [--compare-python PYTHON] [--keep]

EXECUTABLE defaults to dist/<name>-<version>/<name> from pyproject.toml. Steps: --version;
import a real encoded clip; list --json; permission; remix with the default caption model
(Gemma, bundled, run by the spawned engine worker); models list; remix --style cartoon
(OpenCV); export to PNG with XMP; remix --style diffusion with the all-zero model that
tests/sd_fixture.py builds (added from outside the bundle); the window on the offscreen
platform, closed after a few seconds with exit code 0. Each step prints its time; the first failure exits with code 1.
--compare-python runs the same remix from source (PYTHON -m remix_desktop) for the timings.
Making the clip needs imageio-ffmpeg in the Python running this script (the dev extra); a
real face (for the face detector) comes from matplotlib's sample photo, else it is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUI_SECONDS = 3.0


class Failed(Exception):
    pass


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    default = ROOT / "dist" / f"{name}-{version}" / (name + (".exe" if os.name == "nt" else ""))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exe", nargs="?", default=str(default), help=f"default: {default}")
    parser.add_argument("--compare-python", metavar="PYTHON",
                        help="also time the same remix with PYTHON -m remix_desktop")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    exe = Path(args.exe).absolute()
    if not exe.is_file():
        print(f"smoke_dist: no executable at {exe}; run 'make dist' first", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="remix-smoke-"))
    started = time.perf_counter()
    try:
        Smoke(exe, version, work).run(args.compare_python)
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        print(f"(files kept in {work})", file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"files kept in {work}")
    print(f"smoke test passed in {time.perf_counter() - started:.1f} s")
    return 0


def bare_environment(work: Path) -> dict[str, str]:
    """Only what a desktop session would have: a system PATH, a home, a UTF-8 locale."""
    user = work / "user"
    user.mkdir(exist_ok=True)
    if os.name == "nt":
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env = {"SYSTEMROOT": root, "WINDIR": root, "PATH": rf"{root}\system32;{root}",
               "USERPROFILE": str(user), "APPDATA": str(user / "AppData" / "Roaming"),
               "LOCALAPPDATA": str(user / "AppData" / "Local"), "TEMP": str(work),
               "TMP": str(work)}
    else:
        runtime = work / "xdg-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(user), "LANG": "C.UTF-8",
               "TMPDIR": str(work), "XDG_RUNTIME_DIR": str(runtime)}
    return env


class Smoke:
    def __init__(self, exe: Path, version: str, work: Path):
        self.exe, self.version, self.work = exe, version, work
        self.home = work / "home"
        self.env = bare_environment(work)
        self.remix_args = ["--candidates", "4", "--seed", "1"]

    # -- running ---------------------------------------------------------------------------

    def step(self, title: str, fn) -> object:
        t = time.perf_counter()
        try:
            detail = fn()
        except Failed as exc:
            raise Failed(f"{title}: {exc}") from None
        print(f"[{time.perf_counter() - t:7.2f} s] {title}" + (f": {detail}" if detail else ""),
              flush=True)
        return detail

    def app(self, *argv: str, timeout: float = 300, env: dict | None = None,
            ok=(0,)) -> subprocess.CompletedProcess:
        cmd = [str(self.exe), "--home", str(self.home), *argv]
        try:
            done = subprocess.run(cmd, env=env or self.env, cwd=self.work, capture_output=True,
                                  text=True, encoding="utf-8", errors="replace",
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise Failed(f"{' '.join(argv)} did not finish in {timeout:.0f} s") from None
        if done.returncode not in ok:
            raise Failed(f"'{' '.join(argv)}' exited with {done.returncode}\n"
                         f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
        return done

    def json_of(self, *argv: str, **kw) -> object:
        out = self.app(*argv, **kw).stdout
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            raise Failed(f"'{' '.join(argv)}' did not print JSON: {out[:500]!r}") from None

    # -- the steps -------------------------------------------------------------------------

    def run(self, compare_python: str | None) -> None:
        print(f"executable: {self.exe}\nwork folder: {self.work}")
        self.step("--version (first start)", self.check_version)
        self.step("--version (again)", self.check_version)
        self.step("make a clip (ffmpeg)", self.make_clip)
        clip, has_face = self.clip, self.has_face
        video = self.step("import", lambda: self.check_import(clip))
        self.step("list --json", lambda: self.check_list(video))
        self.step("permission allow",
                  lambda: self.app("permission", "allow", str(video)).stdout.strip())
        self.frozen = self.step("remix (default caption model, engine worker)",
                                lambda: self.check_remix(video, has_face))
        self.step("models list --json", self.check_models)
        cartoon = self.step("remix --style cartoon (OpenCV)", lambda: self.check_cartoon(video))
        self.step("export PNG with XMP", lambda: self.check_export(cartoon))
        self.step("remix --style diffusion (stable-diffusion.cpp, all-zero SDXS fixture)",
                  lambda: self.check_diffusion(video))
        self.step(f"window (offscreen, closed after {GUI_SECONDS:g} s)", self.check_gui)
        self.step("no errors in the logs", self.check_logs)
        if compare_python:
            self.step("the same remix from source", lambda: self.compare(compare_python, clip))

    def check_version(self) -> str:
        out = self.app("--version", timeout=60).stdout.strip()
        if out != f"remix-desktop {self.version}":
            raise Failed(f"printed {out!r}, expected 'remix-desktop {self.version}'")
        return out

    def make_clip(self) -> str:
        clip = self.work / "portrait clip.mp4"  # a space in the name, as creators' files have
        photo = _sample_face()
        if photo is not None:
            _ffmpeg("-loop", "1", "-i", str(photo), "-t", "3", "-r", "25", "-vf",
                    "scale=512:600", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip))
        else:
            _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "3",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip))
        self.clip, self.has_face = clip, photo is not None
        return f"{clip.name}, {'a real face' if self.has_face else 'no face (no matplotlib)'}"

    def check_import(self, clip: Path) -> int:
        report = self.json_of("import", str(clip), "--json")
        if len(report["imported"]) != 1 or report["rejected"]:
            raise Failed(f"expected one imported video: {report}")
        video = report["imported"][0]
        if video["duration_s"] < 2.5 or not video["thumbnail"]:
            raise Failed(f"the clip was not read right: {video}")
        return video["id"]

    def check_list(self, video: int) -> str:
        items = self.json_of("list", "--json")
        if [v["id"] for v in items] != [video]:
            raise Failed(f"expected video {video}: {items}")
        return f"{len(items)} video, {items[0]['width']}x{items[0]['height']}"

    def check_remix(self, video: int, has_face: bool) -> dict:
        out = self.work / "previews"
        t = time.perf_counter()
        result = self.json_of("remix", str(video), *self.remix_args, "--out", str(out),
                              "--json", timeout=600)
        wall = time.perf_counter() - t
        previews = result["previews"]
        if len(previews) != 4 or not all(p["caption"].strip() for p in previews):
            raise Failed(f"expected 4 captioned previews: {previews}")
        if not all(Path(p["path"]).is_file() for p in previews):
            raise Failed("a preview file is missing")
        if has_face and not result["face_warning"]:
            raise Failed("the face detector found no face in the portrait clip")
        if not (self.home / "logs" / "caption engine.log").is_file():
            raise Failed("the engine worker left no log: did it run in its own process?")
        model = self.home / "models" / "gemma-3-270m-q4_k_m.gguf"
        if not model.is_file():
            raise Failed(f"the bundled caption model was not installed at {model}")
        self.captions = [p["caption"] for p in previews]
        timings = result["timings"]
        return {"wall_s": round(wall, 2), "total_s": timings["total_s"],
                "captions_s": timings["captions_s"],
                "model_load_s": timings.get("captions_model_load_s"),
                "face": result["face_warning"], "first": previews[0]["caption"]}

    def check_models(self) -> str:
        items = {m["id"]: m for m in self.json_of("models", "list", "--json")}
        gemma = items.get("gemma-3-270m-q4_k_m")
        if not gemma or gemma["status"] != "verified":
            raise Failed(f"the default caption model is not verified: {gemma}")
        return "gemma-3-270m-q4_k_m verified"

    def check_cartoon(self, video: int) -> int:
        result = self.json_of("remix", str(video), "--style", "cartoon", "--caption",
                              "Frozen, still funny", "--out", str(self.work / "cartoon"),
                              "--json", timeout=300)
        (preview,) = result["previews"]
        if preview["style"] != "cartoon" or not Path(preview["path"]).is_file():
            raise Failed(f"no cartoon preview: {result}")
        return preview["id"]

    def check_export(self, preview: int) -> str:
        target = self.work / "export" / "remix.png"
        target.parent.mkdir()
        self.app("export", str(preview), "--out", str(target))
        if not target.is_file():
            raise Failed(f"{target} was not written")
        xmp = _png_xmp(target.read_bytes())
        if not xmp or "x:xmpmeta" not in xmp:
            raise Failed("the PNG has no XMP packet")
        if "Frozen, still funny" not in xmp:
            raise Failed("the XMP does not carry the caption")
        return f"{target.stat().st_size:,} bytes, XMP {len(xmp):,} characters"

    def check_diffusion(self, video: int) -> str:
        """The diffusion worker loads the bundled libstable-diffusion; the model stays outside
        the bundle, added by reference (tests/sd_fixture.py builds a sparse all-zero one)."""
        sys.path.insert(0, str(ROOT))
        try:
            from tests.sd_fixture import build_sdxs_fixture
        except ImportError:
            return "skipped (no tests/sd_fixture.py)"
        finally:
            sys.path.remove(str(ROOT))
        model, taesd = build_sdxs_fixture(self.work / "diffusion-models")
        for path in (model, taesd):
            self.app("models", "add", str(path))
        result = self.json_of("remix", str(video), "--style", "diffusion", "--model", model.name,
                              "--prompt", "comic book", "--steps", "1", "--diffusion-size",
                              "64", "--caption", "POV: redrawn", "--out",
                              str(self.work / "diffusion"), "--json", timeout=300)
        (preview,) = result["previews"]
        info = preview.get("diffusion", {})
        if info.get("family") != "sdxs" or not Path(preview["path"]).is_file():
            raise Failed(f"no diffusion preview: {result}")
        return f"family {info['family']}, sampling {info.get('sampling_s')} s"

    def check_gui(self) -> str:
        env = {**self.env, "QT_QPA_PLATFORM": "offscreen"}
        t = time.perf_counter()
        done = self.app("--quit-after", str(GUI_SECONDS), env=env, timeout=120)
        wall = time.perf_counter() - t
        if "Traceback" in done.stderr:
            raise Failed(f"a traceback on stderr:\n{done.stderr[-3000:]}")
        self.gui_start_s = wall - GUI_SECONDS
        return f"exit code 0 after {wall:.2f} s (start-up and shut-down {self.gui_start_s:.2f} s)"

    def check_logs(self) -> str:
        logs = sorted((self.home / "logs").glob("*.log"))
        for log in logs:
            text = log.read_text(encoding="utf-8", errors="replace")
            if "Traceback" in text or " ERROR " in text:
                raise Failed(f"{log.name}:\n{text[-3000:]}")
        return ", ".join(log.name for log in logs)

    def compare(self, python: str, clip: Path) -> str:
        """The same first remix from the virtualenv, in its own fresh home."""
        home = self.work / "home-source"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

        def run(*argv: str) -> str:
            done = subprocess.run([python, "-m", "remix_desktop", "--home", str(home), *argv],
                                  env=env, capture_output=True, text=True, timeout=600)
            if done.returncode:
                raise Failed(f"{argv} exited with {done.returncode}: {done.stderr[-2000:]}")
            return done.stdout

        video = json.loads(run("import", str(clip), "--json"))["imported"][0]["id"]
        run("permission", "allow", str(video))
        t = time.perf_counter()
        result = json.loads(run("remix", str(video), *self.remix_args, "--out",
                                str(self.work / "previews-source"), "--json"))
        wall = time.perf_counter() - t
        same = [p["caption"] for p in result["previews"]] == self.captions
        timings = result["timings"]
        return (f"source wall {wall:.2f} s (total {timings['total_s']} s, captions "
                f"{timings['captions_s']} s) vs frozen wall {self.frozen['wall_s']} s (total "
                f"{self.frozen['total_s']} s, captions {self.frozen['captions_s']} s); "
                f"same captions: {same}")


def _ffmpeg(*args: str) -> None:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise Failed("making the clip needs imageio-ffmpeg (pip install imageio-ffmpeg)") from None
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel",
                           "error", "-y", *args], capture_output=True, text=True)
    if done.returncode:
        raise Failed(f"ffmpeg failed: {done.stderr[-1000:]}")


def _sample_face() -> Path | None:
    """A real photo of a face (Grace Hopper, shipped with matplotlib), if it is installed."""
    try:
        from matplotlib import cbook
    except ImportError:
        return None
    path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return path if path.is_file() else None


def _png_xmp(data: bytes) -> str | None:
    """The XMP packet of a PNG (its iTXt chunk 'XML:com.adobe.xmp'), read with the stdlib."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise Failed("not a PNG file")
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"iTXt":
            keyword, _, rest = body.partition(b"\x00")
            if keyword != b"XML:com.adobe.xmp":
                continue
            compressed, rest = rest[0], rest[2:]  # compression flag, method
            _language, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


if __name__ == "__main__":
    raise SystemExit(main())
