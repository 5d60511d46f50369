"""The real default caption model, assembled once per test session; a diffusion worker."""

from __future__ import annotations

import pytest

from remix_desktop.core.home import Home
from remix_desktop.core.model_manifest import caption_model_path
from remix_desktop.engine.client import EngineClient


@pytest.fixture(scope="session")
def model_home(tmp_path_factory) -> Home:
    return Home(tmp_path_factory.mktemp("model-home")).ensure()


@pytest.fixture(scope="session")
def gemma_path(model_home):
    return caption_model_path(model_home)


@pytest.fixture(scope="session")
def gemma(gemma_path):
    from remix_desktop.engine.llama_text import LlamaTextModel

    return LlamaTextModel(gemma_path, n_threads=2)


@pytest.fixture
def client(tmp_path):
    """A diffusion engine worker of its own, stopped at the end."""
    engine = EngineClient(Home(tmp_path / "engine-home").ensure(), name="diffusion engine")
    yield engine
    engine.stop()
