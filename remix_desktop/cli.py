"""The command line. A contract: scripts and the tests rely on its options, output and exit codes.

Exit codes: 0 done; 1 some inputs rejected, the rest done; 2 usage or configuration error;
3 refused because remixing is not allowed. Errors go to stderr as one sentence.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import traceback
from pathlib import Path
from typing import Sequence

import remix_desktop
from .core import audit
from .core.backups import check_database, damaged, list_backups, restore
from .core.consent import ALL, Consent
from .core.errors import LibraryError, RemixDesktopError, UsageError
from .core.home import Home, resolve_home
from .core.library import Library, Video

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, no usage dump
        self.exit(EXIT_USAGE, f"remix-desktop: {message} (see '{self.prog} --help').\n")


class _Version(argparse.Action):
    """--version, with the version read only when asked for (not on every command's start)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"remix-desktop {remix_desktop.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="remix-desktop", description="Offline control over AI remixes of "
                     "your own videos. With no command, opens the app window.")
    parser.add_argument("--home", metavar="DIR", help="data folder (default: the user-data "
                        "folder, or $REMIX_DESKTOP_HOME)")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help=argparse.SUPPRESS)  # smoke test of a build: close the window
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="add video files and folders (recursively)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("list", help="list the videos and their permissions")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("permission", help="set the remix permission of videos")
    p.add_argument("value", choices=["allow", "deny", "default"])
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--all", action="store_true", help="every video in the library")

    p = sub.add_parser("default", help="the permission of videos left on 'default'")
    p.add_argument("value", choices=["allow", "deny"])

    p = sub.add_parser("optout", help="the bulk opt-out switch for the whole library")
    p.add_argument("value", choices=["on", "off", "status"])

    p = sub.add_parser("likeness", help="the likeness rule: videos that show a face may be "
                       "remixed only when you allow them one by one (on by default)")
    p.add_argument("value", choices=["on", "off", "status"])

    p = sub.add_parser("look", help="look at the videos not looked at yet (from before this "
                       "version) for faces and copies of other videos")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="look at these again")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("sheet", help="a contact sheet: what a remix of each video would look "
                       "like (its suggested frame and a caption, a fast style) with its "
                       "permission badge; denied videos are grey tiles, never read")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="these videos (default: all)")
    p.add_argument("--out", required=True, metavar="FILE", help="a .png or .pdf file")
    p.add_argument("--style", default="none",
                   help="none, cartoon, sketch, popart or halftone (default none)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")

    p = sub.add_parser("credentials", help="the key and certificate this install signs Content "
                       "Credentials with: show them, or use your own (PEM)")
    cp = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    cp.add_parser("show", help="the signing certificate's fingerprint and subject (default)")
    r = cp.add_parser("replace", help="sign with your own key and certificate chain from now "
                      "on (the current ones are kept in the home)")
    r.add_argument("key", metavar="KEY.pem")
    r.add_argument("chain", metavar="CERT.pem")

    p = sub.add_parser("not-a-copy", help="break the link of a video found to be a copy of "
                       "another one (undoable)")
    p.add_argument("id", type=int, metavar="ID")

    sub.add_parser("undo", help="undo the last permission, default, opt-out, likeness or "
                   "copy-link change")

    p = sub.add_parser("audit", help="the audit trail of changes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--csv", action="store_true")

    p = sub.add_parser("permissions", help="export or import permissions (CSV or JSON)")
    pp = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    e = pp.add_parser("export", help="write every video's permission to FILE")
    e.add_argument("file", metavar="FILE")
    e.add_argument("--force", action="store_true", help="replace FILE if it exists")
    i = pp.add_parser("import", help="apply the permissions in FILE")
    i.add_argument("file", metavar="FILE")

    p = sub.add_parser("remove", help="remove videos from the library (files are kept)")
    p.add_argument("ids", nargs="+", type=int, metavar="ID")

    p = sub.add_parser("relink", help="point a video whose file moved at its new path")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("path", metavar="NEW_PATH")

    p = sub.add_parser("locate", help="search a folder for the files of videos whose file is "
                       "missing, and relink each one found (matched by content)")
    p.add_argument("folder", metavar="FOLDER")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="only these videos")

    p = sub.add_parser("remix", help="make captioned remix previews of a video")
    p.add_argument("id", type=int, metavar="ID")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--at", type=float, metavar="SECONDS", help="the frame at this time")
    where.add_argument("--suggest", type=int, metavar="K", help="the K best frames (default 1)")
    words = p.add_mutually_exclusive_group()
    words.add_argument("--caption", metavar="TEXT", help="your own caption")
    words.add_argument("--candidates", type=int, default=4, metavar="N",
                       help="captions written by the model (default 4)")
    p.add_argument("--about", metavar="TEXT", help="what happens in the clip, in one line "
                   "(kept as the video's description; captions are written about it)")
    p.add_argument("--style", default="none",
                   help="none, cartoon, sketch, popart, halftone, or diffusion")
    p.add_argument("--prompt", help="diffusion: a preset (comic book, anime, claymation, oil "
                   "painting, pixel art) or your own prompt (default: comic book)")
    p.add_argument("--negative", metavar="PROMPT", help="diffusion: the negative prompt")
    p.add_argument("--strength", type=float, help="diffusion: how far from the frame, 0-1")
    p.add_argument("--steps", type=int, help="diffusion: sampling steps")
    p.add_argument("--cfg", type=float, help="diffusion: cfg scale")
    p.add_argument("--sampler", help="diffusion: sampler (euler_a, euler, dpm++2m, lcm, ...)")
    p.add_argument("--diffusion-size", type=int, default=512, metavar="PX",
                   help="diffusion: the long side the model works at (default 512)")
    p.add_argument("--quick", action="store_true",
                   help="diffusion: keep the quick look only (256 px, the fewest steps: a "
                   "few seconds) and skip the full render")
    p.add_argument("--animate", type=float, nargs="?", const=2.0, metavar="SECONDS",
                   help="an animated remix of SECONDS (1-3, default 2) around the frame, at "
                   "12 fps, 540 px (square or portrait), written as animated WebP")
    p.add_argument("--gif", action="store_true", help="with --animate: write GIF files "
                   "instead of WebP")
    p.add_argument("--layout", default="classic", choices=["classic", "modern"])
    p.add_argument("--size", default="square", choices=["square", "portrait", "source"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", metavar="ID", help="caption model; with --style diffusion, the "
                   "diffusion model (default: the one chosen with 'models use')")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the previews")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="export a preview as PNG, JPEG or WebP (an animated one "
                       "as WebP or GIF) with AI labels")
    p.add_argument("preview", type=int, metavar="PREVIEW_ID")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")

    p = sub.add_parser("models", help="caption and diffusion models: list, add, verify, "
                       "download, remove")
    mp = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    m = mp.add_parser("list", help="installed and known models, with status")
    m.add_argument("--json", action="store_true")
    m = mp.add_parser("add", help="validate and register a local model file (a vision model: "
                      "its language model and its projector, MODEL.gguf MMPROJ.gguf)")
    m.add_argument("path", metavar="PATH")
    m.add_argument("projector", nargs="?", metavar="MMPROJ",
                   help="the vision projector that pairs with a vision language model")
    m.add_argument("--copy", action="store_true", help="copy it into the models folder")
    m = mp.add_parser("verify", help="recheck SHA-256 and headers")
    m.add_argument("id", nargs="?", metavar="ID")
    m = mp.add_parser("download", help="download a model from the manifest (resumable); "
                      "it says the size and asks first")
    m.add_argument("id", metavar="ID")
    m.add_argument("--yes", action="store_true",
                   help="download without asking (the size is still printed)")
    m = mp.add_parser("quantize", help="write a diffusion model as a smaller GGUF once "
                      "(q8_0, q5_0, q4_0, q4_k…): it loads without converting at every start")
    m.add_argument("id", metavar="ID")
    from .engine.quantize import WEIGHT_TYPES  # a table: no native library is loaded

    m.add_argument("--type", dest="weight_type", default="q8_0", metavar="TYPE",
                   choices=tuple(WEIGHT_TYPES),
                   help=f"the weight type: {', '.join(WEIGHT_TYPES)} (default q8_0)")
    m = mp.add_parser("remove", help="forget a model (a referenced file is kept)")
    m.add_argument("id", metavar="ID")
    m = mp.add_parser("use", help="the caption or diffusion model remixes use")
    m.add_argument("id", metavar="ID")

    p = sub.add_parser("library", help="check the library database, back it up, restore "
                       "a backup")
    lp = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    lp.add_parser("check", help="check the database file for damage")
    lp.add_parser("backup", help="take a backup now")
    m = lp.add_parser("backups", help="list the backups, newest first")
    m.add_argument("--json", action="store_true")
    m = lp.add_parser("restore", help="restore a backup (default: the newest good one); the "
                      "file it replaces is kept in the backups folder")
    m.add_argument("backup", nargs="?", metavar="BACKUP", help="a file in the backups folder")
    m.add_argument("--empty", action="store_true", help="set the library aside and start a "
                   "new, empty one (when no backup is good)")

    p = sub.add_parser("captions", help="the captions kept with a video")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("video", help="set a video's title, description and tags")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--title")
    p.add_argument("--description")
    p.add_argument("--tags", help="comma-separated")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        return _closed_pipe()


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    problem = _home_problem(args.home)
    if problem:
        print(f"remix-desktop: {problem} (see 'remix-desktop --help').", file=sys.stderr)
        return EXIT_USAGE
    home = resolve_home(args.home)
    if args.command is None:
        from .gui.app import run_app  # Qt is loaded only for the window

        return run_app(home, quit_after=args.quit_after)
    try:
        if args.command == "library":
            return _library(home, args)
        with Library(home) as library:
            library.auto_backup()
            return COMMANDS[args.command](library, args)
    except sqlite3.DatabaseError as exc:  # damage found while working, past the open check
        problem = check_database(home.database)
        error = damaged(home, problem) if problem else LibraryError(
            f"The library database {home.database} failed ({exc})")
        print(f"remix-desktop: {error}.", file=sys.stderr)
        return error.exit_code
    except RemixDesktopError as exc:
        text = str(exc)
        print(f"remix-desktop: {text}{'' if text.endswith(('.', '!', '?')) else '.'}",
              file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("remix-desktop: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `list | head -1`: the reader has what it wanted
        return _closed_pipe()
    except Exception as exc:  # noqa: BLE001 - never a traceback on the terminal
        log = _log_unexpected(home)
        print(f"remix-desktop: unexpected error ({type(exc).__name__}: {exc}); details are in "
              f"{log}.", file=sys.stderr)
        return EXIT_USAGE


def _home_problem(explicit: str | None) -> str | None:
    """Why a --home (or $REMIX_DESKTOP_HOME) cannot be a data folder, or None."""
    from .core.home import HOME_ENV

    for given, what in ((explicit, "--home"), (None if explicit is not None else
                                               os.environ.get(HOME_ENV), HOME_ENV)):
        if given is None:
            continue
        if not given.strip():
            return f"{what} is empty: give the data folder to use"
        path = Path(given).expanduser()
        if path.exists() and not path.is_dir():
            return f"{what} {given} is a file, not a folder: give the data folder to use"
        for parent in path.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    return f"{what} {given} lies inside the file {parent}: give a folder"
                break
    return None


def _drain(job, show: bool, line):
    """Run a core generator to its end, its progress on one terminal line when `show` and
    stderr is a terminal (`line` makes the text of a step); returns its result."""
    interactive = show and sys.stderr.isatty()
    while True:
        try:
            step = next(job)
        except StopIteration as stop:
            if interactive:
                print(file=sys.stderr)
            return stop.value
        if interactive:
            print(f"\r{line(step)}", end="", file=sys.stderr, flush=True)


def _closed_pipe() -> int:
    """The reader of our output went away (`list | head -1`): stop quietly, with the status
    of a program ended by a closed pipe, and without Python's complaint at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return 141


def video_dict(video: Video, consent: Consent, home: Home, state=None,
               file_state=None) -> dict:
    """One video as the CLI's JSON says it (`list --json` writes the same, faster:
    _json_listing)."""
    if file_state is None:
        from .core.video_files import quick_state

        file_state = quick_state(video.path, video.size)
    thumbs = str(home.thumbnails)
    return {
        "id": video.id, "path": video.path, "name": video.name,
        "fingerprint": video.fingerprint, "size": video.size,
        "duration_s": video.duration_s, "width": video.width, "height": video.height,
        "fps": video.fps, "rotation": video.rotation, "codec": video.codec,
        "title": video.title, "description": video.description, "tags": list(video.tags),
        "thumbnail": f"{thumbs}{os.sep}{video.thumbnail}" if video.thumbnail else None,
        "permission": video.permission, "face_share": video.face_share,
        "copy_of": video.copy_of, **verdict_fields(consent.verdict(video, state)),
        "file": str(file_state),
    }


def verdict_fields(said) -> dict:
    """A verdict as the CLI's JSON says it."""
    return {"effective": said.permission, "reason": said.sentence, "why": said.reason.value}


def _look_lines(report) -> list[str]:
    """What an import or a look found that consent uses: faces and copies."""
    lines = []
    for copy, original in getattr(report, "copies", []):
        lines.append(f"  video {copy.id} ({copy.name}) is a copy of video {original.id} "
                     f"('{original.title or original.name}'): it follows that video's deny; "
                     f"'remix-desktop not-a-copy {copy.id}' breaks the link")
    return lines


def _n(count: int, word: str, verb: str = "") -> str:
    """'1 video', '3 videos'; with a verb: '1 video has', '3 videos have'."""
    text = f"{count} {word}{'' if count == 1 else 's'}"
    if verb == "has":
        text += " has" if count == 1 else " have"
    return text


def _import(library: Library, args) -> int:
    from .core.importer import import_videos, sweep_thumbnails  # PyAV, NumPy: only here

    sweep_thumbnails(library)  # what an earlier, interrupted import left behind
    consent = Consent(library)
    report = _drain(import_videos(library, args.paths), not args.json, lambda step: (
        f"[{step.done}/{step.total}] {step.outcome}: {Path(step.path).name[:50]:50}"))
    state = consent.state()
    if args.json:
        print(json.dumps({
            "imported": [video_dict(v, consent, library.home, state) for v in report.imported],
            "relinked": [video_dict(v, consent, library.home, state) for v in report.relinked],
            "skipped": [r.to_dict() for r in report.skipped],
            "rejected": [r.to_dict() for r in report.rejected],
            "replaced": [r.to_dict() for r in report.replaced],
        }, indent=2, ensure_ascii=False))
    else:
        print(f"Imported {_n(len(report.imported), 'video')}, relinked {len(report.relinked)}, "
              f"{len(report.skipped)} already in the library, {len(report.rejected)} rejected.")
        for r in report.rejected:
            print(f"  rejected {r.path}: {r.reason}")
        for r in report.replaced:
            print(f"  note {r.path}: {r.reason}")
        for line in _look_lines(report):
            print(line)
        if report.faces and state.likeness:
            print(f"{_n(report.faces, 'new video')} show{'s' if report.faces == 1 else ''} a "
                  "face: remixed only when you allow it yourself (the likeness rule).")
        if report.imported:
            print(f"New videos follow the library default ({state.default}).")
    return EXIT_PARTIAL if report.rejected else EXIT_OK


def _json_listing(library: Library, consent: Consent) -> str:
    """`list --json`: the same objects as video_dict (one a line, in the same key order),
    the JSON of each row's stored fields written by SQLite (Library.json_listing), the
    name, the two REAL fields, the verdict and the file state spliced in, the last two as
    text made once per distinct value."""
    from .core.consent_rule import facts_from_key, verdict
    from .core.video_files import path_states, verify

    with library.read():
        state = consent.state()  # the state and the rows from one snapshot
        columns, reals = library.json_listing(str(library.home.thumbnails) + os.sep)
        ids, quoted, sizes, keys, fingerprints, frames, tails = columns
        paths = [q[1:-1] if "\\" not in q else json.loads(q) for q in quoted]
        shared = _shared_paths(paths)
        owners = {str(v.id): v for p in shared for v in library.at_path(p)}
    files = path_states(zip(paths, map(int, sizes)))
    for i, path in enumerate(paths):  # a path several videos share: decided by content
        if path in shared:
            owner = owners[ids[i]]
            files[i] = verify(owner.path, owner.fingerprint, owner.size).state
    said: dict[str, str] = {}  # facts key -> the verdict's fields as JSON text
    for key in set(keys):
        fields = verdict_fields(verdict(facts_from_key(json.loads(key)), state))
        said[key] = "," + json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[1:-1]
    states = {s: f',"file":{json.dumps(str(s))}}}' for s in set(files)}
    durations = _numbers([r[0] for r in reals])
    rates = _numbers([r[1] for r in reals])
    names = _json_names(quoted, paths)
    lines = [
        f'{{"id":{i},"path":{q},"name":{n},{fp[1:-1]},"duration_s":{d},{wh[1:-1]},'
        f'"fps":{r},{t[1:-1]}{said[k]}{states[f]}'
        for i, q, n, fp, d, wh, r, t, k, f in zip(
            ids, quoted, names, fingerprints, durations, frames, rates, tails, keys, files)]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def _numbers(values: list) -> list[str]:
    """Each REAL as json.dumps writes it: the shortest text that reads back as the same
    number (float's repr), json's own words for the non-finite."""
    texts = list(map(repr, values))
    for i, text in enumerate(texts):
        if text[-1] in "fn" and text in ("inf", "-inf", "nan"):
            texts[i] = json.dumps(values[i])
    return texts


def _shared_paths(paths: list[str]) -> set[str]:
    """The paths that more than one video holds."""
    seen: set[str] = set()
    shared = set()
    for path in paths:
        if path in seen:
            shared.add(path)
        seen.add(path)
    return shared


def _json_names(quoted: list[str], paths: list[str]) -> list[str]:
    """The JSON string of each os.path.basename(path), given the paths' own JSON strings:
    on a system whose one separator is "/", what follows the quoted path's last "/" (no
    JSON escape holds one)."""
    if os.altsep is not None or os.sep != "/":
        return [json.dumps(os.path.basename(p), ensure_ascii=False) for p in paths]
    return ['"' + q[at + 1:] if (at := q.rfind("/")) >= 0 else q for q in quoted]


def _list(library: Library, args) -> int:
    from .core.video_files import FileState, quick_states

    consent = Consent(library)
    if args.json:
        print(_json_listing(library, consent))
        return EXIT_OK
    with library.read():
        state = consent.state()
        videos = library.videos()
        facts = consent.facts()
    names = {v.id: v.title or v.name for v in videos}
    files = quick_states(videos)
    if not videos:
        print("The library is empty: add videos with 'remix-desktop import PATH'.")
        return EXIT_OK
    print(f"{'ID':>5}  {'NAME':32}  {'LENGTH':>7}  {'SIZE':>9}  {'FILE':10}  {'OWN':7}  "
          "EFFECTIVE")
    from .core.consent_rule import Reason, verdict as judge

    for v in videos:
        verdict = judge(facts[v.id], state)
        why = (f"it is a copy of '{names.get(v.copy_of, v.copy_of)}', which you denied"
               if verdict.reason is Reason.COPY_OF_DENIED else verdict.sentence)
        print(f"{v.id:>5}  {v.name[:32]:32}  {v.duration_s:>6.1f}s  "
              f"{f'{v.width}x{v.height}':>9}  {str(files[v.id]):10}  {v.permission:7}  "
              f"{verdict.permission} ({why})")
    _print_status(consent)
    problems = {s: [i for i, f in files.items() if f is s] for s in FileState
                if s is not FileState.OK}
    if problems[FileState.MISSING]:
        print(f"{_n(len(problems[FileState.MISSING]), 'video', 'has')} a missing file (moved, renamed "
              "or deleted): relink with 'remix-desktop relink ID NEW_PATH' or "
              "'remix-desktop locate FOLDER'.")
    if problems[FileState.UNREADABLE]:
        print(f"{_n(len(problems[FileState.UNREADABLE]), 'video', 'has')} a file this user may not "
              "read.")
    if problems[FileState.CHANGED]:
        print(f"{_n(len(problems[FileState.CHANGED]), 'video', 'has')} a file whose content changed "
              "since it was imported: import it again to decide about it.")
    return EXIT_OK


def _relink(library: Library, args) -> int:
    from .core.relink import relink

    video = relink(library, args.id, args.path)
    print(f"Relinked video {video.id} ('{video.name}') to {video.path}.")
    return EXIT_OK


def _locate(library: Library, args) -> int:
    from .core.relink import locate

    report = _drain(locate(library, args.folder, args.ids or None), True,
                    lambda step: f"Looked at {_n(step.done, 'file')}, found {step.found}")
    for video, old in report.found:
        print(f"Relinked video {video.id} ('{video.name}'): {old} -> {video.path}")
    for video in report.still_missing:
        print(f"Still missing: video {video.id} ('{video.name}', was {video.path})")
    print(f"Looked at {_n(report.files_looked_at, 'file')}; relinked {len(report.found)}, "
          f"{len(report.still_missing)} still missing.")
    return EXIT_PARTIAL if report.still_missing else EXIT_OK


def _permission(library: Library, args) -> int:
    if args.all == bool(args.ids):
        raise UsageError("Give either video ids or --all")
    change = Consent(library).set_permission(ALL if args.all else args.ids, args.value)
    print(_change_sentence(change))
    return EXIT_OK


def _default(library: Library, args) -> int:
    print(_change_sentence(Consent(library).set_default(args.value)))
    return EXIT_OK


def _optout(library: Library, args) -> int:
    consent = Consent(library)
    if args.value != "status":
        print(_change_sentence(consent.set_optout(args.value == "on")))
    _print_status(consent)
    return EXIT_OK


def _likeness(library: Library, args) -> int:
    consent = Consent(library)
    if args.value != "status":
        print(_change_sentence(consent.set_likeness(args.value == "on")))
    on = consent.state().likeness
    print(f"The likeness rule is {'on' if on else 'off'}: videos that show a face "
          + ("are remixed only when you allow them one by one." if on else
             "follow the library default like any other."))
    return EXIT_OK


def _known(library: Library, ids) -> None:
    """Refuse ids the library does not have, all of them named."""
    missing = library.missing_ids(ids or [])
    if missing:
        raise UsageError(f"There is no video with id {', '.join(map(str, missing))} "
                         "in the library")


def _look(library: Library, args) -> int:
    from .core.video_checks import check_videos

    _known(library, args.ids)
    report = _drain(check_videos(library, args.ids or None), not args.json, lambda step: (
        f"[{step.done}/{step.total}] {step.outcome}: {step.name[:50]:50}"))
    if args.json:
        print(json.dumps({"checked": report.checked, "faces": report.faces,
                          "copies": [{"video": c, "copy_of": o} for c, o in report.linked],
                          "skipped": [{"video": v, "reason": r} for v, r in report.skipped],
                          "denied": report.denied,
                          "previews_removed": report.previews_removed}, indent=2))
    else:
        print(f"Looked at {_n(report.checked, 'video')}: {report.faces} with a face, "
              f"{_n(len(report.linked), 'copy').replace('copys', 'copies')} of another video "
              "found.")
        for copy, original in report.linked:
            print(f"  video {copy} is a copy of video {original}")
        for video_id, why in report.skipped:
            print(f"  video {video_id} could not be looked at: {why}")
        if report.denied:
            print(f"{_n(report.denied, 'video')} may no longer be remixed"
                  + (f"; {_n(report.previews_removed, 'remix preview')} of them deleted"
                     if report.previews_removed else "") + ".")
    return EXIT_PARTIAL if report.skipped else EXIT_OK


def _sheet(library: Library, args) -> int:
    from .core import contact_sheet

    _known(library, args.ids)
    target = Path(args.out)
    contact_sheet.check(target, force=args.force)  # before the work, not after it
    tiles = _drain(contact_sheet.make_tiles(library, args.ids or None, style=args.style),
                   True, lambda step: f"[{step.done}/{step.total}] {step.tile.name[:50]:50}")
    path = contact_sheet.save(tiles, target, force=args.force,
                              title=f"Remix Desktop · {len(tiles)} videos")
    denied = sum(not t.allowed for t in tiles)
    print(f"Wrote a contact sheet of {_n(len(tiles), 'video')} to {path} ({denied} denied, "
          "shown grey and not read).")
    return EXIT_OK


def _credentials(library: Library, args) -> int:
    from .core import credentials

    if args.action == "replace":
        used = credentials.replace(library.home, Path(args.key), Path(args.chain))
        print("Content Credentials are signed with your key and certificate from now on; the "
              "ones they replace are kept in the home.")
    else:
        used = credentials.signer(library.home)
    print(f"Signer: {used.subject}\nAlgorithm: {used.alg}\nSHA-256 fingerprint: "
          f"{used.fingerprint}\nValid until: {used.not_after}")
    if used.local:
        print("This is this install's own certificate: other verifiers read a manifest it "
              "signs as valid but untrusted, until you use a certificate from a CA on the "
              "C2PA trust list ('remix-desktop credentials replace KEY CERT').")
    return EXIT_OK


def _not_a_copy(library: Library, args) -> int:
    print(_change_sentence(Consent(library).unlink_copy(args.id)))
    return EXIT_OK


def _undo(library: Library, args) -> int:
    print(_change_sentence(Consent(library).undo()))
    return EXIT_OK


def _audit(library: Library, args) -> int:
    items = Consent(library).audit_entries()
    if args.json:
        print(audit.to_json(items))
    elif args.csv:
        sys.stdout.write(audit.to_csv(items))
    elif not items:
        print("No changes yet.")
    else:
        for item in items:
            print(f"#{item.id:<5} {item.at}  {item.sentence()}")
    return EXIT_OK


def _permissions(library: Library, args) -> int:
    consent = Consent(library)
    path = Path(args.file)
    if args.action == "export":
        from .core.permissions_file import export_permissions  # PIL, via export: only here

        count = export_permissions(consent, path, force=args.force)
        print(f"Wrote the permissions of {_n(count, 'video')} to {path}.")
        return EXIT_OK
    from .core.permissions_file import import_permissions

    result = import_permissions(consent, path)
    print(f"Matched {_n(result.matched, 'video')} from {result.rows} "
          f"entr{'y' if result.rows == 1 else 'ies'}; {_change_sentence(result.change)}")
    for r in result.conflicts:
        print(f"  conflict for {r.path}: {r.reason}", file=sys.stderr)
    for r in result.rejected:
        print(f"  skipped {r.path}: {r.reason}", file=sys.stderr)
    todo = {("optout", "on"): "run 'remix-desktop optout on' to turn it on",
            ("default", "deny"): "run 'remix-desktop default deny' to make it deny"}
    for note in result.library_settings_not_applied:
        if note.stricter:
            print(f"Warning: {note.reason}; {todo[note.name, note.in_file]}.", file=sys.stderr)
        else:
            print(f"  note: {note.reason}.", file=sys.stderr)
    return EXIT_OK if result.complete else EXIT_PARTIAL


def _remove(library: Library, args) -> int:
    gone = library.remove(args.ids)
    print(f"Removed {_n(len(gone), 'video')} from the library; the video files were not touched.")
    return EXIT_OK


def _remix(library: Library, args) -> int:
    from .cli_remix import remix_command

    return remix_command(library, args)


def _export(library: Library, args) -> int:
    from .core.remix import Remixer

    path = Remixer(library).export(args.preview, Path(args.out), force=args.force)
    print(f"Exported preview {args.preview} to {path}, labelled as AI-made in its metadata.")
    return EXIT_OK


def _models(library: Library, args) -> int:
    from .core.model_store import ModelStore

    store = ModelStore(library)
    if args.action in ("list", "verify"):
        items = store.list() if args.action == "list" else store.verify(args.id)
        if getattr(args, "json", False):
            print(json.dumps([m.to_dict() for m in items], indent=2, ensure_ascii=False))
        else:
            for m in items:
                size = f"{m.size / 1e6:,.0f} MB" if m.size else "size ?"
                note = f" ({m.detail})" if m.detail else ""
                note += ", in use" if m.in_use else ""
                print(f"{m.id:34} {m.kind:9} {m.label[:30]:30} {size:>10}  {m.status}{note}")
        bad = [m for m in items if m.status in ("damaged", "missing")]
        return EXIT_PARTIAL if args.action == "verify" and bad else EXIT_OK
    if args.action == "add":
        m = store.add(Path(args.path), copy=args.copy,
                      projector=Path(args.projector) if args.projector else None)
        pair = " (a language model and its vision projector)" if m.projector else ""
        print(f"Added {m.id}: {m.label} ({m.kind}{pair}), {m.source}.")
    elif args.action == "quantize":
        _quantize(store, args)
    elif args.action == "remove":
        print(store.remove(args.id) + ".")
    elif args.action == "use":
        m = store.choose(args.id)
        role = "caption" if m.kind in ("caption", "vision") else m.kind
        print(f"Remixes now use {m.id} ({m.label}) as their {role} model.")
    else:
        def show(p) -> None:
            if sys.stderr.isatty():
                total = f"/{p.total / 1e6:,.0f}" if p.total else ""
                print(f"\r{p.done / 1e6:,.0f}{total} MB", end="", file=sys.stderr, flush=True)
        if not _confirm_download(args.id, args.yes):
            return EXIT_USAGE
        path = store.download(args.id, progress=show)
        print(f"Downloaded {args.id} to {path}.")
    return EXIT_OK


def _confirm_download(model_id: str, yes: bool) -> bool:
    """Say what a download costs (its size, its source) and ask, unless --yes."""
    from urllib.parse import urlparse

    from .core.download import human_size
    from .core.model_manifest import manifest

    entry = manifest().get(model_id)
    if entry is None or entry.source.startswith("python-package:"):
        return True  # not a download (the store says why, or installs the package's file)
    files = [entry] + ([entry.projector_entry()] if entry.projector else [])
    sizes = [f.size for f in files]
    size = (human_size(sum(sizes)) if None not in sizes else
            "size not published" if not any(sizes) else
            f"at least {human_size(sum(s for s in sizes if s))}")
    print(f"{entry.name}: {size}, from {urlparse(entry.source).hostname}.")
    if yes:
        return True
    if not sys.stdin.isatty():
        print(f"Not downloaded: run 'remix-desktop models download {model_id} --yes' to "
              f"download it without being asked.", file=sys.stderr)
        return False
    answer = input("Download it now? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        print("Not downloaded.")
        return False
    return True


def _quantize(store, args) -> None:
    from .engine.quantize import QuantizeCancelled, quantize

    source, target = store.quantize_target(args.id, args.weight_type)

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rquantizing: {done}/{total} tensors", end="", file=sys.stderr,
                  flush=True)

    try:
        part = quantize(source, target, args.weight_type, progress=show)
    except QuantizeCancelled:
        raise UsageError("The quantization was stopped; nothing was written") from None
    except (RuntimeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    m = store.add_quantized(args.id, part, target, args.weight_type)
    was = source.stat().st_size
    print(f"Quantized {args.id} to {m.id} ({args.weight_type}, {m.size / 1e6:,.0f} MB, from "
          f"{was / 1e6:,.0f} MB); use it with 'remix-desktop models use {m.id}'. The original "
          f"is kept: remove it with 'remix-desktop models remove {args.id}'.")


def _library(home: Home, args) -> int:
    home.ensure()
    if args.action == "check":
        problem = check_database(home.database) if home.database.exists() else None
        if problem:
            raise damaged(home, problem)
        print(f"The library database {home.database} is sound.")
    elif args.action == "backup":
        with Library(home) as library:
            path = library.backup_now()
        print(f"Backed up the library to {path}.")
    elif args.action == "backups":
        found = list_backups(home)
        if args.json:
            print(json.dumps([b.to_dict() for b in found], indent=2, ensure_ascii=False))
        elif not found:
            print(f"No backups yet in {home.backups}.")
        else:
            for b in found:
                print(b.describe())
    else:
        chosen, moved = restore(home, Path(args.backup) if args.backup else None,
                                empty=args.empty)
        with Library(home, check=True) as library:
            count = library.count()
        kept = f" The file it replaced is kept as {moved}." if moved else ""
        if chosen:
            print(f"Restored {chosen.name}: {_n(count, 'video')}.{kept}")
        else:
            print(f"Started a new, empty library.{kept}")
    return EXIT_OK


def _video(library: Library, args) -> int:
    tags = None if args.tags is None else args.tags.split(",")
    video = library.set_info(args.id, title=args.title, description=args.description,
                             tags=tags)
    consent = Consent(library)
    if args.json:
        print(json.dumps(video_dict(video, consent, library.home), ensure_ascii=False))
    else:
        print(f"Video {video.id}: title '{video.title}', description '{video.description}', "
              f"tags {', '.join(video.tags) or '(none)'}.")
    return EXIT_OK


def _captions(library: Library, args) -> int:
    from .cli_remix import captions_command

    return captions_command(library, args)


COMMANDS = {
    "import": _import, "list": _list, "permission": _permission, "default": _default,
    "optout": _optout, "likeness": _likeness, "look": _look, "not-a-copy": _not_a_copy,
    "sheet": _sheet, "credentials": _credentials,
    "undo": _undo, "audit": _audit, "permissions": _permissions,
    "remove": _remove, "remix": _remix, "export": _export, "video": _video,
    "models": _models, "relink": _relink, "locate": _locate, "captions": _captions,
}


def _change_sentence(change) -> str:
    if change.audit_id is None:
        return f"Nothing changed ({change.summary})."
    text = f"Changed {_n(change.count, 'video')}: {change.summary} (audit #{change.audit_id})."
    if change.previews_removed:
        text += f" Deleted {_n(change.previews_removed, 'preview')} of videos now denied."
    return text


def _print_status(consent: Consent) -> None:
    state = consent.state()
    counts = consent.counts()
    switch = "ON: no video may be remixed" if state.optout else "off"
    print(f"Bulk opt-out is {switch}. {counts['allowed']} of {_n(counts['videos'], 'video')} may "
          f"be remixed; the library default is {state.default}.")


def _log_unexpected(home: Home) -> Path:
    log = home.root / "logs" / "remix-desktop.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=log, level=logging.ERROR)
        logging.getLogger("remix_desktop").error("unexpected error\n%s", traceback.format_exc())
    except OSError:
        pass
    return log
