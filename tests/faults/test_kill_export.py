"""SIGKILL during `export` of a large image (seconds of PNG encoding), at several moments: no
partial file under the final name, an existing file is never clobbered (it is the old one or
the whole new one), and the hidden `.part` temporary is never taken for an export."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from remix_desktop.core.export import read_xmp
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library

from .support import assert_clear_error, cli, decodes, kill_when, start_cli

SIDE = 2800  # random pixels: zlib works hard, the temporary file is written for about a second


@pytest.fixture(scope="module")
def big_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.png"
    pixels = np.random.default_rng(7).integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, compress_level=0)
    return path


@pytest.fixture
def big_preview(ready_home, big_png) -> int:
    """Preview 1 of the allowed video 1: a large noisy image, recorded like a real one."""
    home = Home(ready_home)
    os.link(big_png, home.previews / "big.png")
    with Library(home) as library, library.write() as conn:
        conn.execute("INSERT INTO previews(video_id, request_hash, file, caption, params, "
                     "created_at) VALUES (1, 'big', 'big.png', 'A big one', "
                     "'{\"style\": \"none\"}', '2025-01-01T00:00:00Z')")
    return 1


def part_appeared(folder, target):
    return lambda: any(n.name.startswith(f".{target.name}.") and n.name.endswith(".part")
                       for n in folder.iterdir())


def check_folder(folder, target, others: dict) -> None:
    for path, data in others.items():
        assert path.read_bytes() == data, f"{path.name} was touched"
    for entry in folder.iterdir():
        if entry != target and entry not in others:
            assert entry.name.startswith(f".{target.name}.") and entry.name.endswith(".part"), \
                f"unexpected file {entry.name}"


@pytest.mark.parametrize("after_s", [0.0, 0.7])
def test_sigkill_during_export_leaves_no_partial_file(ready_home, big_preview, tmp_path,
                                                      after_s):
    folder = tmp_path / "exports"
    folder.mkdir()
    neighbour = folder / "earlier.png"
    Image.new("RGB", (8, 8), "red").save(neighbour)
    others = {neighbour: neighbour.read_bytes()}
    target = folder / "remix.png"

    proc = start_cli(ready_home, "export", str(big_preview), "--out", str(target))
    kill_when(proc, part_appeared(folder, target), after_s)

    if target.exists():  # the kill came after the file was linked into place: it is whole
        assert decodes(target) == (SIDE, SIDE) and "A big one" in read_xmp(target)
    check_folder(folder, target, others)

    again = cli(ready_home, "export", str(big_preview), "--out", str(target))
    if target.exists() and again.returncode != 0:  # finished by the killed run: kept as is
        assert_clear_error(again, "already exists")
    else:
        assert again.returncode == 0, again.stderr
    assert decodes(target) == (SIDE, SIDE) and "A big one" in read_xmp(target)
    check_folder(folder, target, others)


@pytest.mark.parametrize("after_s", [0.4])
def test_sigkill_during_forced_export_keeps_the_old_file_or_the_whole_new_one(
        ready_home, big_preview, tmp_path, after_s):
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "remix.png"
    Image.new("RGB", (16, 16), "blue").save(target)
    old = target.read_bytes()

    refused = cli(ready_home, "export", str(big_preview), "--out", str(target))
    assert_clear_error(refused, "already exists", "--force")
    assert target.read_bytes() == old, "an existing file is never replaced without --force"

    proc = start_cli(ready_home, "export", str(big_preview), "--out", str(target), "--force")
    kill_when(proc, part_appeared(folder, target), after_s)
    if target.read_bytes() != old:
        assert decodes(target) == (SIDE, SIDE), "the new file is whole"
    check_folder(folder, target, {})
