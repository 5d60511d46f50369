"""The engine runs a caption model by the back end its job names (a table, not a class
written into the worker)."""

from __future__ import annotations

import pytest

from remix_desktop.engine import worker
from remix_desktop.engine.protocol import CaptionJob


def test_the_caption_job_names_its_back_end_and_the_worker_looks_it_up():
    assert CaptionJob.__dataclass_fields__["backend"].default == "text"
    assert set(worker.CAPTION_BACKENDS) == {"text", "vision"}
    assert worker.caption_backend("text") is worker.CAPTION_BACKENDS["text"]
    with pytest.raises(ValueError, match="no caption back end 'audio'"):
        worker.caption_backend("audio")
