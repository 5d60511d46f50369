"""A vision projector (an "mmproj" GGUF) is not a caption model: refused with what it is."""

from __future__ import annotations

import pytest

from remix_desktop.core.model_headers import ModelFileError, inspect_model
from tests.cli.test_cli import cli

from .test_model_headers import STR, U32, write_gguf


def mmproj(path):
    return write_gguf(path, [("general.architecture", STR, "clip"),
                             ("general.name", STR, "mmproj-SmolVLM"),
                             ("clip.has_vision_encoder", U32, 1)],
                      [("v.patch_embd.weight", [16, 16, 3, 8], 0)])


def test_inspect_refuses_a_vision_projector(tmp_path):
    with pytest.raises(ModelFileError, match="is a vision projector .an mmproj file.*pairs "
                                             "with a vision language model"):
        inspect_model(mmproj(tmp_path / "mmproj-model-f16.gguf"))


def test_models_add_refuses_it_in_one_sentence(tmp_path):
    path = mmproj(tmp_path / "mmproj.gguf")
    result = cli(tmp_path / "home", "models", "add", str(path))
    assert result.returncode != 0
    assert "vision projector" in result.stderr and "vision language model" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    listed = cli(tmp_path / "home", "models", "list")
    assert "mmproj" not in listed.stdout
