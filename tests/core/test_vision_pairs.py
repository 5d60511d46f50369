"""A vision caption model is a language model and its projector (an "mmproj" GGUF), added
as a pair, listed as one model of kind vision, refused with a reason when they do not fit."""

from __future__ import annotations

import json

import pytest

from remix_desktop.core.library import Library
from remix_desktop.core.model_headers import (ModelFileError, check_pair, inspect_model,
                                              inspect_projector)
from remix_desktop.core.model_kinds import CaptionBackend
from remix_desktop.core.model_manifest import ModelError
from remix_desktop.core.model_store import ModelStore
from tests.cli.test_cli import cli

from .test_model_headers import BOOL, STR, U32, write_gguf


def language_model(path, width=64, arch="llama"):
    return write_gguf(path, [("general.architecture", STR, arch),
                             ("general.name", STR, "Tiny VLM"),
                             (f"{arch}.embedding_length", U32, width)],
                      [("token_embd.weight", [width, 100], 0)])


def projector(path, width=64, kind="mlp", projection_key=True, vision=True, tower=True):
    kv = [("general.architecture", STR, "clip"), ("general.name", STR, "mmproj-tiny"),
          ("clip.projector_type", STR, kind), ("clip.has_vision_encoder", BOOL, vision),
          ("clip.vision.image_size", U32, 32)]
    if projection_key:
        kv.append(("clip.vision.projection_dim", U32, width))
    tensors = [("mm.2.weight", [32, width], 0)]  # ggml order: (in, out)
    if tower:
        tensors.append(("v.patch_embd.weight", [8, 8, 3, 32], 0))
    return write_gguf(path, kv, tensors)


def test_a_projector_header_says_its_type_and_width(tmp_path):
    p = inspect_projector(projector(tmp_path / "mmproj.gguf", width=576, kind="idefics3"))
    assert (p.projector_type, p.width, p.image_size) == ("idefics3", 576, 32)
    # without clip.vision.projection_dim, the width is read where llama.cpp reads it
    q = inspect_projector(projector(tmp_path / "old.gguf", width=96, projection_key=False))
    assert q.width == 96


@pytest.mark.parametrize("make, reason", [
    (lambda d: language_model(d / "lm.gguf"), "is not a vision projector"),
    (lambda d: projector(d / "a.gguf", kind="ultravox"), "audio projector"),
    (lambda d: projector(d / "a.gguf", vision=False), "audio projector"),
    (lambda d: projector(d / "a.gguf", kind="warp9"), "does not run"),
    (lambda d: projector(d / "a.gguf", tower=False), "without its vision tower"),
])
def test_what_is_not_a_usable_projector_is_refused_with_why(tmp_path, make, reason):
    with pytest.raises(ModelFileError, match=reason):
        inspect_projector(make(tmp_path))


def test_a_cut_projector_is_refused(tmp_path):
    path = projector(tmp_path / "mmproj.gguf")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # a download cut inside the weights
    with pytest.raises(ModelFileError, match="is truncated"):
        inspect_projector(path)
    path.write_bytes(whole[:60])  # cut inside the header
    with pytest.raises(ModelFileError, match="damaged GGUF header|truncated GGUF header"):
        inspect_projector(path)


def test_a_projector_for_another_model_does_not_pair(tmp_path):
    model = inspect_model(language_model(tmp_path / "lm.gguf", width=576))
    with pytest.raises(ModelFileError, match="projector for another model: it feeds "
                                             "2048-wide embeddings and lm.gguf takes 576"):
        check_pair(model, inspect_projector(projector(tmp_path / "p.gguf", width=2048)))


def test_the_pair_is_added_listed_chosen_and_handed_on_as_one_vision_model(home, tmp_path):
    lm = language_model(tmp_path / "SmolVLM-Tiny.gguf")
    mm = projector(tmp_path / "mmproj-SmolVLM-Tiny.gguf")
    with Library(home) as library:
        store = ModelStore(library)
        added = store.add(mm, projector=lm)  # either order
        assert (added.id, added.kind, added.status) == ("SmolVLM-Tiny.gguf", "vision",
                                                         "installed")
        assert added.projector == str(mm) and added.size == lm.stat().st_size + mm.stat().st_size
        listed = [m for m in store.list() if m.id == added.id]
        assert len(listed) == 1 and "mmproj" not in {m.id for m in store.list()} - {added.id}
        store.choose(added.id)
        path, backend, proj = store.caption_model(added.id)
        assert (path, backend, proj) == (lm, CaptionBackend.VISION, mm)
        mm.write_bytes(mm.read_bytes() + b"\0" * 64)  # the projector changed after adding
        with pytest.raises(ModelError, match="vision projector file .* has changed"):
            store.caption_model(added.id)


def test_a_copied_pair_is_removed_whole_and_a_referenced_one_is_left_alone(home, tmp_path):
    lm, mm = language_model(tmp_path / "vlm.gguf"), projector(tmp_path / "mmproj.gguf")
    with Library(home) as library:
        store = ModelStore(library)
        store.add(lm, projector=mm, copy=True)
        copies = [home.models / "vlm.gguf", home.models / "mmproj.gguf"]
        assert all(c.is_file() for c in copies)
        assert "two files" in store.remove("vlm.gguf")
        assert not any(c.exists() for c in copies) and lm.is_file() and mm.is_file()
        store.add(lm, projector=mm)
        assert "were not touched" in store.remove("vlm.gguf")
        assert lm.is_file() and mm.is_file()


def test_a_missing_projector_makes_the_model_missing_with_the_fix(home, tmp_path):
    lm, mm = language_model(tmp_path / "vlm.gguf"), projector(tmp_path / "mmproj.gguf")
    with Library(home) as library:
        store = ModelStore(library)
        store.add(lm, projector=mm)
        mm.unlink()
        status = store.status("vlm.gguf")
        assert status.status == "missing" and "vision projector" in status.detail


def test_the_cli_pairs_lists_and_refuses_in_one_sentence(tmp_path):
    home = tmp_path / "home"
    lm, mm = language_model(tmp_path / "vlm.gguf"), projector(tmp_path / "mmproj.gguf")
    alone = cli(home, "models", "add", str(mm))
    assert alone.returncode == 2 and "models add MODEL.gguf MMPROJ.gguf" in alone.stderr
    other = projector(tmp_path / "wide.gguf", width=2048)
    wrong = cli(home, "models", "add", str(lm), str(other))
    assert wrong.returncode == 2 and "projector for another model" in wrong.stderr
    assert wrong.stderr.strip().count("\n") == 0
    added = cli(home, "models", "add", str(lm), str(mm))
    assert added.returncode == 0, added.stderr
    assert "vision" in added.stdout and "projector" in added.stdout
    listed = json.loads(cli(home, "models", "list", "--json").stdout)
    vlm = [m for m in listed if m["id"] == "vlm.gguf"]
    assert len(vlm) == 1 and vlm[0]["kind"] == "vision" and vlm[0]["projector"] == str(mm)
    used = cli(home, "models", "use", "vlm.gguf")
    assert used.returncode == 0 and "as their caption model" in used.stdout


def test_the_manifest_knows_vision_models_as_pairs_with_sizes_and_checksums():
    from remix_desktop.core.model_manifest import manifest

    pairs = [e for e in manifest().values() if e.kind == "vision"]
    assert {"smolvlm-256m-instruct", "gemma-3-4b-it"} <= {e.id for e in pairs}
    for entry in pairs:
        p = entry.projector_entry()
        assert p.file.startswith("mmproj") and p.size and len(p.sha256) == 64
        assert entry.size and len(entry.sha256) == 64
        assert p.source.startswith("https://huggingface.co/ggml-org/")
    assert manifest()["gemma-3-1b-it"].kind == "caption"  # a stronger text-only model


def test_a_manifest_pair_is_verified_only_whole(home, tmp_path, monkeypatch):
    import hashlib

    from remix_desktop.core import model_store
    from remix_desktop.core.model_manifest import ModelEntry

    lm = language_model(home.models / "vlm.gguf")
    mm = projector(home.models / "mmproj-vlm.gguf")
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (lm, mm)}
    entry = ModelEntry("vlm", "vision", "llama", "Tiny VLM", lm.name, lm.stat().st_size,
                       digest[lm], "test", "https://example.invalid/vlm.gguf",
                       projector={"file": mm.name, "size": mm.stat().st_size,
                                  "sha256": digest[mm], "source": "https://example.invalid/m"})
    monkeypatch.setattr(model_store, "manifest", lambda: {"vlm": entry})
    with Library(home) as library:
        store = ModelStore(library)
        assert store.status("vlm").status == "verified"
        assert store.caption_model("vlm") == (lm, CaptionBackend.VISION, mm)
        assert [m.id for m in store.list()] == ["vlm"]  # the projector is not a row
        data = mm.read_bytes()
        mm.unlink()
        missing = store.status("vlm")
        assert missing.status == "missing" and "projector is not downloaded" in missing.detail
        with pytest.raises(ModelError):
            store.caption_model("vlm")
        mm.write_bytes(data[:-1] + b"\1")
        assert store.status("vlm").status == "damaged"
