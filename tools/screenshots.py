"""Screenshots of the main views, taken from the real app on a virtual screen.

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python tools/screenshots.py [docs]

(`make screenshots` does this.) It makes a demo library from clips it encodes with ffmpeg
(and matplotlib's sample portrait, for a face), shows the window, and saves PNGs of the
empty library, the library, the remix panel with previews, the opt-out, and the settings.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.gui.app import make_app  # noqa: E402
from remix_desktop.gui.context import AppContext  # noqa: E402
from remix_desktop.gui.main_window import MainWindow  # noqa: E402
from tests.clips import ffmpeg  # noqa: E402

CLIPS = [  # name, lavfi source, title
    ("morning coffee.mp4", "testsrc2", "First morning coffee"),
    ("leg day.mp4", "mandelbrot", "Leg day"),
    ("road trip day 3.mov", "smptehdbars", "Road trip day 3"),
    ("cat vs sofa.mp4", "life=size=640x360:mold=10:ratio=0.5:death_color=#3b2a80:life_color=#ffc83d", "My cat vs the new sofa"),
    ("concert front row.webm", "rgbtestsrc", "Concert, front row"),
    ("baking fail.mp4", "cellauto=rule=110:size=640x360", "Baking fail"),
]


def make_demo_clips(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, source, title in CLIPS:
        path = folder / name
        spec = source if "=" in source else f"{source}=size=640x360:rate=25"
        codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                 "-pix_fmt", "yuv420p"] \
            if name.endswith(".webm") else ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
        ffmpeg("-f", "lavfi", "-i", spec, "-t", "4", "-r", "25", *codec,
               "-metadata", f"title={title}", str(path))
        out.append(path)
    try:
        import matplotlib.cbook as cbook

        portrait = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        path = folder / "interview take 2.mp4"
        ffmpeg("-loop", "1", "-i", str(portrait), "-t", "3", "-r", "25", "-vf",
               "scale=512:600", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-metadata", "title=Interview, take 2", str(path))
        out.append(path)
    except ImportError:
        pass
    return out


def wait(job, timeout_s: float = 300) -> None:
    if job is None:
        return
    loop = QEventLoop()
    for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
        signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def settle(ms: int = 600) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def close_dialogs(window) -> None:
    for widget in QApplication.topLevelWidgets():
        if widget is not window and isinstance(widget, QDialog) and widget.isVisible():
            widget.close()


def shoot(widget, path: Path) -> None:
    settle()
    screen = widget.screen()
    frame = widget.frameGeometry()
    image = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    if image.isNull() or image.width() < 50:
        image = widget.grab()
    image.save(str(path))
    print(f"saved {path}")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="remix-shots-"))
    clips = make_demo_clips(work / "My videos")
    app = make_app()
    context = AppContext(Home(work / "home").ensure())
    window = MainWindow(context)
    window.resize(1366, 768)  # a laptop's screen, the window filling it (no window manager)
    window.move(0, 0)
    window.show()
    settle(1000)
    shoot(window, out / "screenshot-empty.png")

    wait(window.import_paths([str(c) for c in clips]))
    settle(800)
    close_dialogs(window)
    videos = context.library.videos()
    context.consent.set_permission([v.id for v in videos[:4]], "allow")
    context.consent.set_permission([videos[4].id], "deny")
    context.consentChanged.emit()
    window.select_ids([videos[0].id], current=videos[0].id)
    settle(1500)
    shoot(window, out / "screenshot-library.png")

    panel = window.panel
    wait(panel.write_captions(), 600)
    settle(500)
    wait(panel.generate(), 600)
    settle(2000)
    shoot(window, out / "screenshot-remix.png")

    # the same window in the dark palette (before the opt-out below deletes the previews)
    from remix_desktop.gui.app import THEME_ENV, apply_theme

    os.environ[THEME_ENV] = "dark"
    apply_theme(app)
    settle(1500)
    shoot(window, out / "screenshot-remix-dark.png")
    os.environ[THEME_ENV] = "light"
    apply_theme(app)
    settle(800)

    window.select_ids([videos[4].id], current=videos[4].id)
    settle(1200)
    shoot(window, out / "screenshot-denied.png")

    context.consent.set_optout(True)
    context.consentChanged.emit()
    settle(1200)
    shoot(window, out / "screenshot-optout.png")
    context.consent.undo()
    context.consentChanged.emit()

    dialog = window.open_settings()
    settle(1000)
    shoot(dialog, out / "screenshot-settings.png")
    dialog.close()
    audit = window.open_audit()
    audit.resize(900, 420)
    settle(800)
    shoot(audit, out / "screenshot-audit.png")
    audit.close()
    window.close()
    app.quit()


if __name__ == "__main__":
    os.environ.setdefault("REMIX_DESKTOP_THEME", "light")
    main()
