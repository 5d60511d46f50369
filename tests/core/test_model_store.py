"""The model store: manifest entries, files added by copy or reference, verify, remove,
and a download from a loopback server checked by its header."""

from __future__ import annotations

import http.server
import threading
from functools import partial

import pytest

from remix_desktop.core import model_store
from remix_desktop.core.errors import UsageError
from remix_desktop.core.model_headers import ModelFileError
from remix_desktop.core.model_manifest import ModelEntry, caption_model_path
from remix_desktop.core.model_store import ModelStore


@pytest.fixture(scope="module")
def gemma_file(tmp_path_factory):
    from remix_desktop.core.home import Home

    return caption_model_path(Home(tmp_path_factory.mktemp("gemma")).ensure())


def by_id(store):
    return {m.id: m for m in store.list()}


def test_manifest_lists_the_default_and_the_diffusion_models(library):
    items = by_id(ModelStore(library))
    assert items["gemma-3-270m-q4_k_m"].kind == "caption"
    assert items["sd-turbo"].status == "not downloaded" and items["sd-turbo"].family == "sd2"
    # every diffusion download is checked by the SHA-256 its publisher shows
    assert all(items[i].detail == "" for i in ("sd-turbo", "sdxl-turbo", "taesd",
                                                "sd-turbo-q8_0", "sd-turbo-q4_0"))
    assert items["sdxl-turbo"].size == 6938081905
    quantized = items["sd-turbo-q4_0"]
    assert (quantized.family, quantized.weight_type, quantized.size) == ("sd2", "q4_0",
                                                                         2185459424)
    assert items["sd-turbo-q8_0"].weight_type == "q8_0" and items["sd-turbo"].weight_type is None


def test_add_by_reference_and_by_copy_then_remove(library, gemma_file, tmp_path):
    store = ModelStore(library)
    outside = tmp_path / "my-model.gguf"
    outside.hardlink_to(gemma_file)
    added = store.add(outside)
    assert (added.kind, added.family, added.source) == ("caption", "gemma3", "reference")
    with pytest.raises(UsageError, match="already registered"):
        store.add(outside)
    assert "was not touched" in store.remove("my-model.gguf")
    assert outside.exists(), "a referenced file is the creator's: never deleted"

    copied = store.add(outside, copy=True)
    assert copied.source == "folder" and copied.status == "installed"
    inside = library.home.models / "my-model.gguf"
    assert inside.exists()
    store.remove("my-model.gguf")
    assert not inside.exists() and outside.exists()


def test_a_file_that_is_not_a_model_is_refused(library, tmp_path):
    bogus = tmp_path / "weights.safetensors"
    bogus.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelFileError):
        ModelStore(library).add(bogus)
    assert "weights.safetensors" not in by_id(ModelStore(library))


def test_a_damaged_file_in_the_folder_is_reported(library, gemma_file):
    damaged = library.home.models / "cut.gguf"
    with open(gemma_file, "rb") as src:
        damaged.write_bytes(src.read(100_000))
    item = by_id(ModelStore(library))["cut.gguf"]
    assert item.status == "damaged" and item.detail
    [checked] = ModelStore(library).verify("cut.gguf")
    assert checked.status == "damaged"


def serve(folder):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_download_from_the_manifest_checks_the_header(library, gemma_file, tmp_path,
                                                      monkeypatch):
    public = tmp_path / "public"
    public.mkdir()
    (public / "model.gguf").hardlink_to(gemma_file)
    (public / "junk.safetensors").write_bytes(b"not a model at all" * 100)
    server = serve(public)
    port = server.server_address[1]
    entries = {
        "good": ModelEntry("good", "caption", "gemma3", "Good", "good.gguf", None, None, "-",
                           f"http://127.0.0.1:{port}/model.gguf"),
        "junk": ModelEntry("junk", "diffusion", "sd2", "Junk", "junk.safetensors", None, None,
                           "-", f"http://127.0.0.1:{port}/junk.safetensors"),
    }
    monkeypatch.setattr(model_store, "manifest", lambda: entries)
    try:
        store = ModelStore(library)
        path = store.download("good")
        assert path.stat().st_size == gemma_file.stat().st_size
        with pytest.raises(ModelFileError):
            store.download("junk")
        assert not (library.home.models / "junk.safetensors").exists()
    finally:
        server.shutdown()
