"""What a vision caption model said a frame shows is offered in "About this video" as a
suggestion for the description: used (then editable and saved) or dismissed, never written
into the description without the creator; a vision model chosen for captions runs through
the real worker, with its stages shown ("reading the frame", then "writing captions")."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("llama_cpp.mtmd_cpp")

from remix_desktop.core.captions_store import CaptionStore  # noqa: E402
from remix_desktop.core.importer import run_import  # noqa: E402
from remix_desktop.core.model_store import ModelStore  # noqa: E402

from .test_captions_kept import restarted, settle, show  # noqa: E402
from .test_remix_panel import ENGINE_TIMEOUT  # noqa: E402


@pytest.fixture
def camera(context, clip_dir):
    video = run_import(context.library, [clip_dir / "clip.mov"]).imported[0]
    context.consent.set_permission([video.id], "allow")
    return video


def test_a_suggestion_is_used_into_the_description_and_kept_there(qtbot, context, panel,
                                                                   camera):
    CaptionStore(context.library).suggest(camera.id, "a cat asleep on a sunny windowsill",
                                          "smolvlm-256m-instruct")
    show(qtbot, panel, camera.id)
    hint = panel.info.suggestion
    assert hint.isVisible() and "smolvlm-256m-instruct sees" in hint.label.text()
    assert "a cat asleep on a sunny windowsill" in hint.label.text()
    assert panel.info.description_edit.toPlainText() == ""  # offered, not written
    hint.use.click()
    settle(context)
    assert panel.info.description_edit.toPlainText() == "a cat asleep on a sunny windowsill"
    assert not hint.isVisible()
    assert context.library.video(camera.id).description == "a cat asleep on a sunny windowsill"
    assert CaptionStore(context.library).suggestion(camera.id) is None
    with restarted(qtbot, context, panel) as again:
        show(qtbot, again, camera.id)
        assert not again.info.suggestion.isVisible()
        assert again.info.description_edit.toPlainText() == "a cat asleep on a sunny windowsill"


def test_a_dismissed_suggestion_leaves_the_description_alone(qtbot, context, panel, camera):
    context.library.set_info(camera.id, title="", description="my own words", tags=())
    CaptionStore(context.library).suggest(camera.id, "a dog on a beach", None)
    show(qtbot, panel, camera.id)
    assert "The vision model sees" in panel.info.suggestion.label.text()
    panel.info.suggestion.dismiss.click()
    settle(context)
    assert panel.info.description_edit.toPlainText() == "my own words"
    assert context.library.video(camera.id).description == "my own words"
    assert CaptionStore(context.library).suggestion(camera.id) is None


def test_a_vision_model_chosen_for_captions_reads_the_frame_first(qtbot, context, panel,
                                                                   camera, tmp_path):
    from tests.vlm_fixture import write_tiny_pair

    lm, mm = write_tiny_pair(tmp_path, projector="idefics3")
    store = ModelStore(context.library)
    store.add(lm, projector=mm)
    store.choose(lm.name)
    context.apply_settings()
    show(qtbot, panel, camera.id)
    stages = []
    real = panel._progress
    panel._progress = lambda done, total, message, stage="": (
        stages.append(message), real(done, total, message, stage))
    job = panel.write_captions()
    assert job is not None
    qtbot.waitUntil(lambda: panel.caption_list.count() > 0, timeout=ENGINE_TIMEOUT)
    settle(context)
    assert any("reading the frame" in m.lower() for m in stages)
    assert any("writing captions" in m.lower() for m in stages)
    kept = CaptionStore(context.library).list(camera.id)
    assert kept and {c.model_id for c in kept} == {lm.name}
