"""The creator's models: the manifest's known models and the files in the home's models folder
or added from elsewhere, each validated (header parsed, family detected, SHA-256 checked
when the manifest knows it). Files the creator added by reference are never deleted."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from .audit import utc_now
from .download import DownloadProgress, download
from .errors import LibraryError, UsageError
from .library import Library
from .atomic_files import atomic_write
from .model_headers import (ModelFileError, Projector, check_pair, inspect_model,
                            inspect_projector, is_plain_file_name)
from .model_kinds import CAPTION_KINDS, CaptionBackend, ModelKind
from .model_kinds import family as model_family
from .model_manifest import (ModelEntry, ModelError, caption_model_path, file_identity, manifest,
                     sha256_of, verified)

MODEL_SUFFIXES = (".gguf", ".safetensors")
CHOICE_SETTINGS = {"caption": "caption_model", "vision": "caption_model",
                   "diffusion": "diffusion_model"}


@dataclass(frozen=True)
class ModelStatus:
    id: str
    kind: str
    family: str
    label: str
    size: int | None
    status: str  # installed | verified | missing | damaged | not downloaded
    path: str | None
    source: str  # manifest | folder | reference
    detail: str = ""
    in_use: bool = False  # the chosen caption or diffusion model (a setting)
    projector: str | None = None  # a vision model's projector (mmproj) file
    derived_from: str | None = None  # the model it was quantized from, here
    weight_type: str | None = None  # its weight type when quantized here (q8_0, q4_0…)

    def to_dict(self) -> dict:
        return asdict(self)


class ModelStore:
    def __init__(self, library: Library):
        self.library = library
        self.folder = library.home.models
        self._headers: dict[Path, object] = {}  # read by status(), handed on to resolve()

    # -- listing ---------------------------------------------------------------------------

    def list(self) -> list[ModelStatus]:
        known = manifest()
        out: list[ModelStatus] = []
        seen_files: set[Path] = set()
        for entry in known.values():
            path = self.folder / entry.file
            seen_files.add(path)
            if entry.projector:
                seen_files.add(self.folder / entry.projector["file"])
            out.append(self._status_of_entry(entry, path))
        for row in self._rows():
            seen_files.add(Path(row["path"]))
            if row["projector"]:
                seen_files.add(Path(row["projector"]))
            out.append(self._status_of_row(row))
        for path in sorted(self.folder.iterdir()) if self.folder.is_dir() else []:
            if path.suffix in MODEL_SUFFIXES and path not in seen_files:
                out.append(self._status_of_file(path.name, path, "folder"))
        chosen = {self.chosen(kind) for kind in CHOICE_SETTINGS}
        return [replace(m, in_use=True) if m.id in chosen and m.kind in CHOICE_SETTINGS
                else m for m in out]

    def caption_model(self, model_id: str) -> tuple[Path, CaptionBackend, Path | None]:
        """A caption model's file, the back end that runs it and, for a vision model, its
        projector: each checked (header, pair, SHA-256) before a job is handed them."""
        entry = manifest().get(model_id)
        if entry is not None and entry.projector:
            item = self.status(model_id)
            if item.status != "verified":
                raise ModelError(_missing_advice(model_id, item) if item.status in (
                    "not downloaded", "missing") else
                    f"The model '{model_id}' is damaged ({item.detail})")
            return (Path(item.path), CAPTION_KINDS[ModelKind.VISION],
                    Path(item.projector))
        row = self._row(model_id)
        if row is None or row["kind"] != ModelKind.VISION:
            return self.caption_path(model_id), CaptionBackend.TEXT, None
        path, info = self.resolve(model_id)
        projector = Path(row["projector"])
        problem = self._check_hash(row, projector=True)
        if problem:
            raise ModelError(problem)
        try:
            check_pair(info, inspect_projector(projector))
        except ModelFileError as exc:
            raise ModelError(str(exc)) from None
        return path, CAPTION_KINDS[ModelKind.VISION], projector

    # -- the chosen models (settings) ------------------------------------------------------

    def chosen(self, kind: str) -> str | None:
        """The id of the caption or diffusion model remixes use, or None when none is set."""
        return self.library.setting(CHOICE_SETTINGS[kind], "") or None

    def choose(self, model_id: str) -> ModelStatus:
        """Make an installed caption or diffusion model the one remixes use."""
        path, info = self.resolve(model_id)
        if info.kind not in CHOICE_SETTINGS:
            raise UsageError(f"{model_id} is a {info.kind} file: it is used with the diffusion "
                             "model of its family, not chosen on its own")
        self.library.set_setting(CHOICE_SETTINGS[info.kind], model_id)
        return replace(self.status(model_id), in_use=True)

    def diffusion_choice(self) -> str:
        """The diffusion model a remix uses: the chosen one, or the only one installed."""
        chosen = self.chosen("diffusion")
        if chosen:
            return chosen
        installed = [m.id for m in self.list()
                     if m.kind == "diffusion" and m.status in ("installed", "verified")]
        if len(installed) == 1:
            return installed[0]
        if not installed:
            raise ModelError("No diffusion model is installed: add a .safetensors or .gguf "
                             "file with 'remix-desktop models add PATH' or download one with "
                             "'remix-desktop models download sd-turbo'")
        raise ModelError(f"{len(installed)} diffusion models are installed: choose one with "
                         f"'remix-desktop models use ID' ({', '.join(installed)})")

    def caption_path(self, model_id: str) -> Path:
        """The file of a caption model: the embedded default, a manifest entry, a GGUF in the
        models folder, or one added by reference."""
        if self._row(model_id) is None:
            return caption_model_path(self.library.home, model_id)
        path, info = self.resolve(model_id)
        if info.kind != "caption":
            raise ModelError(f"{model_id} is a {info.kind} model, not a caption model")
        return path

    def verify(self, model_id: str | None = None) -> list[ModelStatus]:
        """Recheck headers and checksums (hashing again, not trusting the stamp)."""
        items = self.list() if model_id is None else [self.status(model_id)]
        if items == [None]:
            raise UsageError(f"There is no model '{model_id}'; see 'remix-desktop models list'")
        checked = []
        for item in items:
            row = self._row(item.id)
            if row is not None:  # an added file: hash it again against what was recorded
                self._check_hash(row, force=True)
                if row["projector"]:
                    self._check_hash(self._row(item.id), force=True, projector=True)
            elif item.path and Path(item.path).exists():
                Path(item.path + ".verified").unlink(missing_ok=True)
            checked.append(self.status(item.id))
        return checked

    def status(self, model_id: str) -> ModelStatus | None:
        """One model's status, without looking at (or hashing) any other model."""
        entry = manifest().get(model_id)
        if entry is not None:
            return self._status_of_entry(entry, self.folder / entry.file)
        row = self._row(model_id)
        if row is not None:
            return self._status_of_row(row)
        path = self.folder / model_id
        if is_plain_file_name(model_id) and path.suffix in MODEL_SUFFIXES and path.is_file():
            return self._status_of_file(model_id, path, "folder")
        return None

    # -- adding, removing, downloading -----------------------------------------------------

    def add(self, source: Path, *, copy: bool = False,
            projector: Path | None = None) -> ModelStatus:
        """Register a model file (by reference, or copied into the models folder); with
        `projector`, a language model and its vision projector as one vision caption model
        (the two in either order)."""
        source = Path(source).expanduser().absolute()
        if projector is not None:
            projector = Path(projector).expanduser().absolute()
        for path in (source, projector):
            if path is not None and path.suffix.lower() not in MODEL_SUFFIXES:
                raise UsageError(f"{path.name} is not a model file (.gguf or .safetensors)")
        if is_projector(source):  # each header read once: the projector's, the model's
            if projector is None:
                raise ModelFileError(source, "is a vision projector (an mmproj file), not a "
                                             "model on its own: it pairs with a vision "
                                             "language model; add the two together with "
                                             "'remix-desktop models add MODEL.gguf MMPROJ.gguf'")
            source, projector = projector, source  # given in the other order
        info = inspect_model(source)  # refuses what is not a model, with the reason
        vision = None
        if projector is not None:
            if projector == source:
                raise UsageError(f"{source.name} was given twice: a vision model is a language "
                                 "model and its projector, two files")
            vision = inspect_projector(projector)
            check_pair(info, vision)
        model_id = source.name
        if model_id in manifest() or self._row(model_id) is not None:
            raise UsageError(f"A model named {model_id} is already registered")
        paths = [source] + ([projector] if projector is not None else [])
        if copy:
            targets = [self.folder / p.name for p in paths]
            for target in targets:
                if target.exists():
                    raise UsageError(f"{target} already exists in the models folder")
            digests = []
            try:
                for p, target in zip(paths, targets):
                    digests.append(_copy_atomically(p, target))
            except BaseException:
                for target in targets[:len(digests)]:  # no half pair left behind
                    target.unlink(missing_ok=True)
                raise
            paths = targets
        else:  # checked again before every load once a file moved
            digests = [sha256_of(p) for p in paths]
        kind, label = info.kind, info.label
        if vision is not None:
            kind = ModelKind.VISION
            label = f"{info.label.split(' (language model')[0]} (vision, {vision.projector_type})"
        with self.library.write() as conn:
            conn.execute(
                "INSERT INTO models(id, path, kind, family, label, size, copied, added_at, "
                "sha256, checked, projector, projector_sha256, projector_checked) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (model_id, str(paths[0]), str(kind), info.family, label,
                 info.size + (vision.size if vision else 0), int(copy), utc_now(), digests[0],
                 file_identity(paths[0]), str(paths[1]) if vision else None,
                 digests[1] if vision else None,
                 file_identity(paths[1]) if vision else None))
        return self._status_of_row(self._row(model_id))

    def quantize_target(self, model_id: str, weight_type: str) -> tuple[Path, Path]:
        """The file of an installed diffusion model and where its `weight_type` GGUF goes
        (the models folder): refused before any work when that is not possible."""
        path, info = self.resolve(model_id)
        if info.kind != "diffusion":
            raise UsageError(f"{model_id} is a {info.kind} model: only diffusion models are "
                             "quantized here")
        target = self.folder / f"{Path(model_id).stem}-{weight_type}.gguf"
        if target.exists() or self._row(target.name) is not None:
            raise UsageError(f"{target.name} already exists in the models folder: remove it "
                             "first ('remix-desktop models remove " + target.name + "')")
        return path, target

    def add_quantized(self, model_id: str, part: Path, target: Path,
                      weight_type: str) -> ModelStatus:
        """Check the GGUF a quantization wrote (`part`), put it in place as `target` and add
        it as its own model, remembering what it was made from; the original is kept."""
        _path, source = self.resolve(model_id)
        try:
            made = inspect_model(part)
        except ModelFileError as exc:
            part.unlink(missing_ok=True)
            raise ModelError(f"The quantized file is not usable ({exc.reason}); nothing was "
                             "added") from None
        if made.kind != "diffusion" or made.family != source.family:
            part.unlink(missing_ok=True)
            raise ModelError(f"The quantized file holds {made.label}, not {source.label}; "
                             "nothing was added")
        if target.exists():
            part.unlink(missing_ok=True)
            raise UsageError(f"{target.name} appeared in the models folder meanwhile: "
                             "nothing was replaced")
        digest = sha256_of(part)
        os.replace(part, target)
        label = f"{source.label} ({weight_type})"
        with self.library.write() as conn:
            conn.execute(
                "INSERT INTO models(id, path, kind, family, label, size, copied, added_at, "
                "sha256, checked, derived_from, weight_type) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                (target.name, str(target), made.kind, made.family, label,
                 target.stat().st_size, utc_now(), digest, file_identity(target), model_id,
                 weight_type))
        return self._status_of_row(self._row(target.name))

    def remove(self, model_id: str) -> str:
        """Forget a model. A file inside the models folder is deleted; a file the creator
        added by reference stays where it is."""
        row = self._row(model_id)
        entry = manifest().get(model_id)
        if row is not None:
            with self.library.write() as conn:
                conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
                self._forget_choice(conn, model_id)
            if row["copied"]:
                Path(row["path"]).unlink(missing_ok=True)
                if row["projector"]:
                    Path(row["projector"]).unlink(missing_ok=True)
                    return (f"Removed {model_id} and the copies of its two files (the model "
                            "and its vision projector) in the models folder")
                return f"Removed {model_id} and its copy in the models folder"
            if row["projector"]:
                return (f"Removed {model_id} from the list; its files {row['path']} and "
                        f"{row['projector']} were not touched")
            return f"Removed {model_id} from the list; the file {row['path']} was not touched"
        path = self.folder / (entry.file if entry else model_id)
        if path.suffix in MODEL_SUFFIXES and path.is_file() and path.parent == self.folder:
            with self.library.write() as conn:
                self._forget_choice(conn, model_id)
            path.unlink()
            path.with_name(path.name + ".verified").unlink(missing_ok=True)
            return f"Deleted {path.name} from the models folder"
        raise UsageError(f"There is no installed model '{model_id}'")

    def download(self, model_id: str, *, progress: Callable[[DownloadProgress], None] | None
                 = None, cancelled: Callable[[], bool] = lambda: False) -> Path:
        entry = manifest().get(model_id)
        if entry is None:
            raise UsageError(f"'{model_id}' is not in the model manifest")
        if entry.source.startswith("python-package:"):
            return caption_model_path(self.library.home, model_id)
        projector = entry.projector_entry()
        if projector is not None:  # the smaller file first: a cut pair is found sooner
            self._download_one(projector, progress, cancelled, header=inspect_projector)
        path = self._download_one(entry, progress, cancelled, header=inspect_model)
        if projector is not None:
            try:
                check_pair(inspect_model(path), inspect_projector(self.folder / projector.file))
            except ModelFileError as exc:
                raise ModelError(f"The two files of '{model_id}' do not fit together "
                                 f"({exc.reason}); the manifest is wrong") from None
        return path

    def _download_one(self, entry: ModelEntry, progress, cancelled, *, header) -> Path:
        host = urlparse(entry.source).hostname
        target = self.folder / entry.file
        if entry.sha256 and verified(target, entry):
            return target  # the other file of a pair was what was missing
        path = download(entry.source, target, sha256=entry.sha256, size=entry.size,
                        progress=progress, cancelled=cancelled, allowed_hosts={host})
        try:
            header(path)  # no checksum published: at least the header must be right
        except ModelFileError:
            path.unlink(missing_ok=True)
            raise
        return path

    # -- for remixes ------------------------------------------------------------------------

    def resolve(self, model_id: str):
        """The file and header facts of an installed model, or a clear error saying the fix."""
        item = self.status(model_id)
        if item is None:
            raise ModelError(f"There is no model '{model_id}'; add it with 'remix-desktop "
                             "models add PATH' or see 'remix-desktop models list'")
        if item.status in ("not downloaded", "missing") or not item.path:
            raise ModelError(_missing_advice(model_id, item))
        if item.status == "damaged":
            raise ModelError(f"The model '{model_id}' is damaged ({item.detail})")
        row = self._row(model_id)
        if row is not None:
            problem = self._check_hash(row)
            if problem:
                raise ModelError(problem)
        path = Path(item.path)
        info = self._headers.pop(path, None)  # status() read it a moment ago: not twice
        return path, info if info is not None else inspect_model(path)

    def taesd_for(self, family: str) -> Path | None:
        """An installed TAESD file for SD 1.x/2.x-latent models (fast encode and decode)."""
        if not model_family(family).taesd:
            return None
        candidates = [Path(r["path"]) for r in self._rows() if r["kind"] == "taesd"]
        candidates += [self.folder / e.file for e in manifest().values() if e.kind == "taesd"]
        for path in candidates:
            if path.is_file():
                try:
                    if inspect_model(path).kind == "taesd":
                        return path
                except ModelFileError:
                    continue
        return None

    # -- internals -------------------------------------------------------------------------

    def _forget_choice(self, conn, model_id: str) -> None:
        """A removed model is no longer the chosen one (captions fall back to the default)."""
        for kind, key in CHOICE_SETTINGS.items():
            if self.library.setting(key, "") == model_id:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))

    def _check_hash(self, row: dict, *, force: bool = False,
                    projector: bool = False) -> str | None:
        """None when an added model's file still has the SHA-256 recorded when it was added
        (hashed again whenever its size, times or inode moved, or when forced), else why not.
        A row from before hashes were recorded gets the file's hash now (trusted on first
        use, as the file was when the creator added it). `projector`: the vision model's
        projector file instead of its model file."""
        if projector:
            row = {**row, "path": row["projector"], "sha256": row["projector_sha256"],
                   "checked": row["projector_checked"]}
        path = Path(row["path"])
        try:
            identity = file_identity(path)
            if row["sha256"] and row["checked"] == identity and not force:
                return None
            digest = sha256_of(path)
        except OSError as exc:
            return (f"The model '{row['id']}' cannot be read at {path} "
                    f"({exc.strerror or exc})")
        if row["sha256"] and digest != row["sha256"]:
            self._record_check(row["id"], row["sha256"], None, projector=projector)
            return (f"The {'vision projector' if projector else 'model'} file {path} has "
                    f"changed since it was added as '{row['id']}' "
                    "(its SHA-256 differs), so it is not used: if you replaced it on purpose, "
                    f"remove it and add it again ('remix-desktop models remove {row['id']}', "
                    "then 'models add')")
        self._record_check(row["id"], digest, identity, projector=projector)
        return None

    def _record_check(self, model_id: str, digest: str, identity: str | None, *,
                      projector: bool = False) -> None:
        columns = "projector_sha256 = ?, projector_checked = ?" if projector else \
            "sha256 = ?, checked = ?"
        try:
            with self.library.write() as conn:
                conn.execute(f"UPDATE models SET {columns} WHERE id = ?",
                             (digest, identity, model_id))
        except LibraryError:  # a read-only home: checked again next time, still correct
            pass

    _ROW_SQL = ("SELECT id, path, kind, family, label, size, copied, sha256, checked, "
                "projector, projector_sha256, projector_checked, derived_from, weight_type "
                "FROM models")

    def _rows(self) -> list[dict]:
        cur = self.library.conn.execute(f"{self._ROW_SQL} ORDER BY id")
        return [dict(zip((d[0] for d in cur.description), r)) for r in cur.fetchall()]

    def _row(self, model_id: str) -> dict | None:
        cur = self.library.conn.execute(f"{self._ROW_SQL} WHERE id = ?", (model_id,))
        row = cur.fetchone()
        return dict(zip((d[0] for d in cur.description), row)) if row else None

    def _status_of_entry(self, entry: ModelEntry, path: Path) -> ModelStatus:
        status = self._entry_status(entry, path)
        if entry.kind == "diffusion" and entry.quantization:  # a quantized GGUF download
            status = replace(status, weight_type=entry.quantization.lower())
        return status

    def _entry_status(self, entry: ModelEntry, path: Path) -> ModelStatus:
        projector = entry.projector_entry()
        if projector is not None:
            return self._status_of_manifest_pair(entry, path, projector)
        if not path.is_file():
            return ModelStatus(entry.id, entry.kind, entry.family, entry.name, entry.size,
                               "not downloaded", None, "manifest",
                               "" if entry.sha256 else _NO_SUM)
        if entry.sha256 and verified(path, entry):
            return ModelStatus(entry.id, entry.kind, entry.family, entry.name,
                               path.stat().st_size, "verified", str(path), "manifest")
        status = self._status_of_file(entry.id, path, "manifest")
        if entry.sha256:
            return ModelStatus(**{**status.to_dict(), "status": "damaged",
                                  "detail": "its SHA-256 does not match the manifest; "
                                            "download it again"})
        return ModelStatus(**{**status.to_dict(), "detail": _NO_SUM})

    def _status_of_row(self, row: dict) -> ModelStatus:
        status = self._status_of_file(row["id"], Path(row["path"]),
                                      "folder" if row["copied"] else "reference")
        if row["projector"]:
            status = replace(status, kind=row["kind"], projector=row["projector"])
        if row["derived_from"]:
            status = replace(status, label=row["label"], derived_from=row["derived_from"],
                             weight_type=row["weight_type"])
        if status.status == "missing" and not row["copied"]:
            return replace(status, detail=f"the file it was added from ({row['path']}) is "
                           "gone: put it back, or add it again from where it is now")
        if status.status == "installed" and row["sha256"] and row["checked"] is None:
            # listed cheaply (no hashing here): a mismatch found before a load is kept
            return replace(status, status="damaged", detail="its SHA-256 differs from the "
                           "file that was added: remove it and add it again")
        return self._status_of_pair(row, status) if row["projector"] else status

    def _status_of_manifest_pair(self, entry: ModelEntry, path: Path,
                                 projector: ModelEntry) -> ModelStatus:
        """A manifest vision model: verified when both its files match the manifest."""
        other = self.folder / projector.file
        size = (entry.size or 0) + (projector.size or 0) or None
        base = ModelStatus(entry.id, entry.kind, entry.family, entry.name, size,
                           "not downloaded", None, "manifest", projector=str(other))
        have = [p.is_file() for p in (path, other)]
        if not any(have):
            return base
        if not all(have):
            return replace(base, status="missing", path=str(path), detail=(
                "its vision projector is not downloaded" if have[0] else
                "its language model is not downloaded") + ": download it again")
        if verified(path, entry) and verified(other, projector):
            return replace(base, status="verified", path=str(path))
        return replace(base, status="damaged", path=str(path), detail="a file does not "
                       "match the manifest's size and SHA-256; download it again")

    def _status_of_pair(self, row: dict, status: ModelStatus) -> ModelStatus:
        """A vision model's status: its language model's, then its projector's file, the
        two checked as a pair; listed as one model of kind vision."""
        projector = Path(row["projector"])
        if status.status != "installed":
            return status
        status = replace(status, label=row["label"],
                         size=status.size + (projector.stat().st_size if projector.is_file()
                                             else 0))
        if not projector.is_file():
            return replace(status, status="missing", detail=f"its vision projector "
                           f"({projector}) is gone: put it back, or remove the model and add "
                           "the pair again")
        try:
            check_pair(self._headers.get(Path(row["path"])) or inspect_model(row["path"]),
                       inspect_projector(projector))
        except ModelFileError as exc:
            return replace(status, status="damaged", detail=exc.reason)
        if row["projector_sha256"] and row["projector_checked"] is None:
            return replace(status, status="damaged", detail="its vision projector's SHA-256 "
                           "differs from the file that was added: remove it and add the pair "
                           "again")
        return status

    def _status_of_file(self, model_id: str, path: Path, source: str) -> ModelStatus:
        if not path.is_file():
            return ModelStatus(model_id, "?", "?", path.name, None, "missing", str(path), source,
                               "the file is gone; add it again or remove it")
        try:
            info = self._headers[path] = inspect_model(path)
        except ModelFileError as exc:
            return ModelStatus(model_id, "?", "?", path.name, path.stat().st_size, "damaged",
                               str(path), source, str(exc))
        return ModelStatus(model_id, info.kind, info.family, info.label, info.size,
                           "installed", str(path), source,
                           "" if info.complete else "a UNet without its text encoder")


_NO_SUM = "no published checksum known: checked by size and header only"


def is_projector(path: Path) -> bool:
    """Whether `path` is a GGUF of architecture 'clip' (a vision projector), by its header."""
    try:
        inspect_projector(path)
        return True
    except ModelFileError as exc:
        return exc.reason.startswith(("is a vision projector", "is an audio projector"))


def _missing_advice(model_id: str, item: ModelStatus) -> str:
    """What to do about a model that is not there, by where it came from: a manifest model
    can be downloaded again, a file added by reference cannot."""
    if item.source == "reference":
        return (f"The model '{model_id}' was added by reference from {item.path}, which is "
                "gone: put the file back there, or add it again from where it is now with "
                "'remix-desktop models add PATH'")
    if item.source == "folder":
        return (f"The model '{model_id}' was copied into the models folder and that copy is "
                "gone: add it again with 'remix-desktop models add PATH --copy'")
    return (f"The model '{model_id}' is not installed ({item.status}); run 'remix-desktop "
            f"models download {model_id}' or add the file")


def _copy_atomically(source: Path, target: Path) -> str:
    """Copy `source` to `target` by atomic_files.atomic_write; returns the SHA-256 of what was
    written (hashed while copying: one read of the source)."""
    import hashlib

    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()

    def copy(out) -> None:
        with open(source, "rb") as src:
            while block := src.read(8 << 20):
                digest.update(block)
                out.write(block)

    atomic_write(target, copy)
    return digest.hexdigest()


__all__ = ["ModelStatus", "ModelStore", "ModelError"]
