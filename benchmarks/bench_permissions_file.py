"""A permissions file of 1,000,000 rows: import time and peak memory, against baselines.

    .venv/bin/python benchmarks/bench_permissions_file.py [--videos N] [--rows R] [--window]

Each case runs in its own process, so its peak RSS (resource.getrusage ru_maxrss) is its own.
Cases, on one library of N videos (default 1,000,000, made with the fast insert path of
bench_consent) and files of R rows exported from it (every row matches):
- `bare csv.reader`: the floor, one csv.reader pass over the file, counting rows;
- `old import`: what import_permissions did before issue 10 (the whole file read, a list of
  DictReader rows, one library.find per row, a dict of every change);
- `import` (core) and `CLI import` (the real command in a child process);
- with --window: the report the window builds for R entries that match nothing, on the GUI
  thread: the old dialog (every entry) against the new one (the first 1,000).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from remix_desktop.core.consent import Consent  # noqa: E402
from remix_desktop.core.errors import Rejection  # noqa: E402
from remix_desktop.core.home import Home  # noqa: E402
from remix_desktop.core.library import PERMISSIONS, Library  # noqa: E402
from remix_desktop.core.permissions_file import export_permissions, import_permissions  # noqa: E402
from bench_consent import fill  # noqa: E402


def peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def old_import(consent: Consent, source: Path) -> int:
    """The import before issue 10, as a baseline (CSV and JSON)."""
    text = source.read_text(encoding="utf-8-sig")
    if source.suffix == ".json":
        entries = list(enumerate(json.loads(text)["videos"], start=1))
    else:
        entries = list(enumerate(csv.DictReader(io.StringIO(text)), start=2))
    library, wanted, rejected = consent.library, {}, []
    for number, entry in entries:
        permission = str(entry.get("permission", "")).strip().lower()
        if permission not in PERMISSIONS:
            rejected.append(Rejection(str(number), "no valid permission"))
            continue
        video = None
        if entry.get("fingerprint"):
            video = library.find(fingerprint=str(entry["fingerprint"]))
        if video is None and entry.get("path"):
            video = library.find(path=str(entry["path"]))
        if video is None:
            rejected.append(Rejection(str(number), "matches no video"))
            continue
        wanted[video.id] = permission
    consent.apply_permissions(wanted, scope=f"from {source.name}")
    return len(wanted)


def case(name: str, home: Path, source: Path) -> dict:
    start = time.perf_counter()
    if name == "bare":
        with open(source, newline="", encoding="utf-8") as fh:
            count = sum(1 for _ in csv.reader(fh))
    elif name == "cli":
        run = subprocess.run([sys.executable, "-m", "remix_desktop", "--home", str(home),
                              "permissions", "import", str(source)], capture_output=True,
                             text=True)
        assert run.returncode in (0, 1), run.stderr
        count = int(run.stdout.split()[1])
        return {"s": time.perf_counter() - start, "mb": peak_mb(resource.RUSAGE_CHILDREN),
                "count": count}
    else:
        with Library(Home(home)) as library:
            consent = Consent(library)
            consent.set_permission("all", "deny")  # so every row changes a video
            start = time.perf_counter()
            if name == "old":
                count = old_import(consent, source)
            else:
                count = import_permissions(consent, source).matched
    return {"s": time.perf_counter() - start, "mb": peak_mb(), "count": count}


def window_case(name: str, rows: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from remix_desktop.core.consent import Change
    from remix_desktop.core.permissions_file import PermissionsImport

    app = QApplication.instance() or QApplication([])
    rejected = [Rejection(f"/nowhere/clip{i}.mp4", f"entry {i + 2} matches no video in the "
                          "library by fingerprint or path") for i in range(rows)]
    start = time.perf_counter()
    if name == "window-old":
        from remix_desktop.gui.dialogs import RejectionsDialog

        dialog = RejectionsDialog("Permissions import", "summary", rejected)
    else:
        from remix_desktop.gui.permissions_report import PermissionsReportDialog

        result = PermissionsImport(Change(None, 0, "-"), 0, rejected, rows=rows)
        dialog = PermissionsReportDialog(result, "summary", None)
    dialog.show()
    app.processEvents()
    return {"s": time.perf_counter() - start, "mb": peak_mb(), "count": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--window", action="store_true")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        result = (window_case(args.case, args.rows) if args.case.startswith("window")
                  else case(args.case, Path(args.home), Path(args.file)))
        print(json.dumps(result))
        return
    root = Path(tempfile.mkdtemp(prefix="bench-permissions-"))
    home = root / "home"
    with Library(Home(home)) as library:
        fill(library, args.videos)
        consent = Consent(library)
        consent.set_permission(range(1, args.videos + 1, 3), "allow")
        files = {}
        for suffix in (".csv", ".json"):
            target = root / f"perms{suffix}"
            start = time.perf_counter()
            export_permissions(consent, target)
            files[suffix] = (target, time.perf_counter() - start)
        if args.rows != args.videos:  # cut or repeat the rows to R
            for suffix, (target, t) in files.items():
                data = json.loads(target.read_text()) if suffix == ".json" else None
                if data is not None:
                    videos = data["videos"]
                    data["videos"] = (videos * (args.rows // len(videos) + 1))[:args.rows]
                    target.write_text(json.dumps(data))
                else:
                    lines = target.read_text().splitlines()
                    body = lines[1:] * (args.rows // (len(lines) - 1) + 1)
                    target.write_text("\n".join([lines[0], *body[:args.rows]]) + "\n")

    def run(name: str, source: Path | None = None) -> dict:
        out = subprocess.run([sys.executable, __file__, "--case", name, "--home", str(home),
                              "--file", str(source or ""), "--rows", str(args.rows)],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    print(f"library of {args.videos:,} videos, files of {args.rows:,} rows "
          f"(CSV {files['.csv'][0].stat().st_size / 2**20:.0f} MiB, "
          f"JSON {files['.json'][0].stat().st_size / 2**20:.0f} MiB)")
    print(f"export: CSV {files['.csv'][1]:.2f} s, JSON {files['.json'][1]:.2f} s")
    print(f"{'case':<28}{'time s':>9}{'peak RSS MB':>13}{'matched':>11}")
    table = {}
    for label, name, source in (
            ("bare csv.reader (floor)", "bare", files[".csv"][0]),
            ("old import, CSV", "old", files[".csv"][0]),
            ("import, CSV", "new", files[".csv"][0]),
            ("CLI import, CSV", "cli", files[".csv"][0]),
            ("old import, JSON", "old", files[".json"][0]),
            ("import, JSON", "new", files[".json"][0]),
            ("CLI import, JSON", "cli", files[".json"][0])):
        table[label] = r = run(name, source)
        print(f"{label:<28}{r['s']:>9.2f}{r['mb']:>13.0f}{r['count']:>11,}")
    for kind in ("CSV", "JSON"):
        old, new = table[f"old import, {kind}"], table[f"import, {kind}"]
        print(f"{kind}: import is {old['s'] / new['s']:.1f}x faster than the old one and uses "
              f"{old['mb'] / new['mb']:.1f}x less peak memory; "
              f"{new['s'] / table['bare csv.reader (floor)']['s']:.1f}x the bare csv.reader "
              "pass")
    if args.window:
        print(f"window report for {args.rows:,} entries not applied (GUI thread):")
        for label, name in (("old dialog (every entry)", "window-old"),
                            ("new dialog (first 1,000)", "window-new")):
            r = run(name)
            print(f"  {label:<26}{r['s']:>9.2f} s{r['mb']:>9.0f} MB peak")


if __name__ == "__main__":
    main()
