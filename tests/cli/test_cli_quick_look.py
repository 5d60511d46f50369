"""A diffusion remix's quick look and its memory check, from the CLI, through the real
stable-diffusion.cpp with the all-zero SDXS-512 fixture: `--quick` keeps the quick look
(256 px, one step) without a prompt (the default preset); a machine without the memory a
model needs is told so before anything loads, with what would fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from remix_desktop.core.model_headers import inspect_model
from remix_desktop.core.model_memory import estimate, gb
from remix_desktop.core.remix import work_size
from tests.cli.test_cli import cli
from tests.cli.test_cli_diffusion import diffusion_home  # noqa: F401 - the shared home


@pytest.fixture(scope="module")
def sdxs_home(diffusion_home):
    """The CLI diffusion tests' home (a clip, allowed; the SDXS fixture and its TAESD), with
    the files' paths."""
    home, model_id = diffusion_home
    listed = json.loads(cli(home, "models", "list", "--json").stdout)
    taesd = next(m["path"] for m in listed if m["kind"] == "taesd" and m["path"])
    return home, next(Path(m["path"]) for m in listed if m["id"] == model_id), Path(taesd)


def _params(home, preview_id):
    from remix_desktop.core.home import Home
    from remix_desktop.core.library import Library

    with Library(Home(home)) as library:
        return json.loads(library.conn.execute(
            "SELECT params FROM previews WHERE id = ?", (preview_id,)).fetchone()[0])


def test_quick_keeps_the_quick_look_at_256_px_and_one_step(sdxs_home, tmp_path):
    home, model, _ = sdxs_home
    done = cli(home, "remix", "1", "--style", "diffusion", "--model", model.name, "--quick",
               "--caption", "POV: a first look", "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    [preview] = json.loads(done.stdout)["previews"]
    assert (preview["diffusion"]["size"], preview["diffusion"]["steps"]) == (256, 1)
    params = _params(home, preview["id"])
    assert params["prompt"] == "comic book", "no prompt: the default preset"
    assert (params["diffusion_size"], params["steps"]) == (256, 1)
    with Image.open(preview["path"]) as image:
        assert image.size == (1080, 1080)

    full = cli(home, "remix", "1", "--style", "diffusion", "--model", model.name,
               "--caption", "POV: a first look", "--out", str(tmp_path / "full"), "--json")
    assert full.returncode == 0, full.stderr
    [made] = json.loads(full.stdout)["previews"]
    assert made["id"] != preview["id"] and made["diffusion"]["size"] == 512

    other = cli(home, "remix", "1", "--style", "cartoon", "--quick", "--caption", "x y",
                "--out", str(tmp_path))
    assert other.returncode == 2 and "--quick is for --style diffusion" in other.stderr


def test_a_model_that_does_not_fit_is_refused_before_it_loads_with_what_would(
        sdxs_home, tmp_path, monkeypatch):
    home, model, taesd = sdxs_home
    table, tae = inspect_model(model).table, inspect_model(taesd).table
    width, height = work_size(320, 180, 512)  # the clip's frame at the size the model works
    as_is = estimate(table, "sdxs", taesd_table=tae, width=width, height=height)
    small = estimate(table, "sdxs", weight_type="q4_0", taesd_table=tae, width=width,
                     height=height)
    assert small.total < as_is.total
    limit = (as_is.total + small.total) // 2  # room for the q4_0, not for the F16 file
    monkeypatch.setenv("REMIX_DESKTOP_MEMORY_LIMIT", str(limit))
    refused = cli(home, "remix", "1", "--style", "diffusion", "--model", model.name,
                  "--caption", "POV: too big", "--out", str(tmp_path), "--json")
    assert refused.returncode != 0
    assert (f"{model.name} needs about {gb(as_is.total)} at {width}x{height}, {gb(limit)} free: "
            f"quantize it to q4_0") in refused.stderr
    assert f"to need about {gb(small.total)}" in refused.stderr
    assert not list(tmp_path.iterdir()), "nothing made"

    monkeypatch.setenv("REMIX_DESKTOP_MEMORY_LIMIT", str(small.total // 2))
    tight = cli(home, "remix", "1", "--style", "diffusion", "--model", model.name,
                "--caption", "POV: too big", "--out", str(tmp_path))
    assert tight.returncode != 0 and "even quantized to q4_0 it would need" in tight.stderr

    monkeypatch.setenv("REMIX_DESKTOP_MEMORY_LIMIT", "lots")
    wrong = cli(home, "remix", "1", "--style", "diffusion", "--model", model.name,
                "--caption", "POV: too big", "--out", str(tmp_path))
    assert wrong.returncode == 2 and "is not a size (say 4G" in wrong.stderr
