"""A model file swapped behind the app's back is not trusted: the embedded model's stamp
covers the inode and change time, and a model added by reference is hashed when added and
checked before it is loaded."""

from __future__ import annotations

import os
import shutil

import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.model_manifest import ModelError, caption_model_path, manifest, verified
from remix_desktop.core.model_store import ModelStore


@pytest.fixture(scope="module")
def gemma_file(tmp_path_factory):
    return caption_model_path(Home(tmp_path_factory.mktemp("gemma-swap")).ensure())


def zero_middle_keeping_mtime(path, length=8 << 20):
    before = os.stat(path)
    with open(path, "r+b") as fh:
        fh.seek(before.st_size // 2)
        fh.write(bytes(length))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # what `touch -r` does
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_the_embedded_model_zeroed_with_its_mtime_put_back_is_not_verified(tmp_path,
                                                                           gemma_file):
    home = Home(tmp_path / "home").ensure()
    path = caption_model_path(home)
    entry = manifest()["gemma-3-270m-q4_k_m"]
    assert verified(path, entry)
    zero_middle_keeping_mtime(path)
    assert not verified(path, entry)
    again = caption_model_path(home)  # the damaged file is replaced from the package
    assert again == path and verified(path, entry)


def test_a_referenced_model_is_checked_before_it_is_used(library, gemma_file, tmp_path):
    outside = tmp_path / "mine.gguf"
    shutil.copyfile(gemma_file, outside)
    store = ModelStore(library)
    store.add(outside)
    assert store.caption_path("mine.gguf") == outside
    zero_middle_keeping_mtime(outside)
    with pytest.raises(ModelError, match="has changed since it was added"):
        store.caption_path("mine.gguf")
    assert ModelStore(library).status("mine.gguf").status == "damaged"
    assert [m.status for m in store.verify("mine.gguf")] == ["damaged"]


def test_a_copied_model_records_its_hash_and_a_touched_file_with_same_bytes_passes(
        library, gemma_file, tmp_path):
    outside = tmp_path / "copy-me.gguf"
    shutil.copyfile(gemma_file, outside)
    store = ModelStore(library)
    store.add(outside, copy=True)
    inside = library.home.models / "copy-me.gguf"
    row = library.conn.execute("SELECT sha256 FROM models WHERE id = 'copy-me.gguf'").fetchone()
    assert row[0] and len(row[0]) == 64
    os.utime(inside)  # touched, same bytes: hashed again, still the same model
    assert store.caption_path("copy-me.gguf") == inside


def test_missing_model_advice_depends_on_where_it_came_from(library, gemma_file, tmp_path):
    outside = tmp_path / "gone.gguf"
    shutil.copyfile(gemma_file, outside)
    store = ModelStore(library)
    store.add(outside)
    outside.unlink()
    with pytest.raises(ModelError) as caught:
        store.caption_path("gone.gguf")
    assert "added by reference" in str(caught.value) and "download" not in str(caught.value)
    assert "put it back" in store.status("gone.gguf").detail
