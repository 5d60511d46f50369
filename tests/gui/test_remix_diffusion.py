"""The remix panel's diffusion style through the real stable-diffusion.cpp worker, with the
all-zero SDXS-512 fixture (added by reference, never copied): it exercises the code path, not
image quality."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("stable_diffusion_cpp")

from remix_desktop.core.model_store import ModelStore  # noqa: E402
from remix_desktop.core.remix import PRESETS  # noqa: E402
from remix_desktop.gui.jobs import JobState  # noqa: E402
from tests.gui.test_remix_panel import (  # noqa: E402,F401 - fixtures
    TIMEOUT, allowed, coffee, finish)
from remix_desktop.gui.remix_previews import describe  # noqa: E402
from tests.sd_fixture import build_sdxs_fixture  # noqa: E402

DIFFUSION_TIMEOUT = 120_000


@pytest.fixture(scope="module")
def sdxs(tmp_path_factory):
    return build_sdxs_fixture(tmp_path_factory.mktemp("sdxs-panel"))


def choose_diffusion(qtbot, panel):
    panel.style_combo.setCurrentIndex(panel.style_combo.findData("diffusion"))
    assert panel.style_combo.currentText() == "Diffusion (AI redraw)"
    assert panel.diffusion_box.isVisible()
    job = panel.models_job
    qtbot.waitUntil(lambda: job.state not in (JobState.QUEUED, JobState.RUNNING),
                    timeout=TIMEOUT)
    qtbot.waitUntil(lambda: panel.model_combo.count() > 0 or panel.model_note.isVisible(),
                    timeout=TIMEOUT)


def test_without_a_diffusion_model_the_panel_says_where_to_add_one(qtbot, panel, allowed):
    panel.set_video(allowed.id)
    panel.caption_list.add_own("POV: redrawn", edit=False)
    choose_diffusion(qtbot, panel)
    assert panel.model_note.isVisible() and "Models…" in panel.model_note.text()
    assert not panel.generate_button.isEnabled() and panel.generate() is None
    assert [panel.preset_combo.itemData(i) for i in range(panel.preset_combo.count())] == [
        *PRESETS, None]
    panel.preset_combo.setCurrentIndex(panel.preset_combo.count() - 1)
    assert panel.prompt_edit.isVisible()
    panel.style_combo.setCurrentIndex(panel.style_combo.findData("none"))
    assert not panel.diffusion_box.isVisible()


def test_a_diffusion_remix_from_the_panel(qtbot, context, panel, allowed, sdxs, monkeypatch):
    model, taesd = sdxs
    store = ModelStore(context.library)
    store.add(model)  # by reference: the sparse 1 GB file is never copied
    store.add(taesd)
    panel.set_video(allowed.id)
    panel.caption_list.add_own("POV: redrawn by a tiny model", edit=False)
    choose_diffusion(qtbot, panel)
    assert panel.model_combo.currentData() == model.name
    assert panel.steps_spin.value() == 1, "SDXS defaults: one step"
    assert panel.strength_spin.value() == pytest.approx(0.5)
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("comic book"))
    panel.steps_spin.setValue(1)
    panel.seed_spin.setValue(7)
    panel.diffusion_size = 64
    cancels = []
    real_cancel = context.diffusion_engine.cancel
    monkeypatch.setattr(context.diffusion_engine, "cancel",
                        lambda: (cancels.append(1), real_cancel()))

    progress = []
    job = panel.generate()
    job.signals.progress.connect(lambda d, t, m: progress.append((d, t, m)))
    shown = []  # what the panel showed of each sampling step, while the run went on
    job.signals.partial.connect(lambda _p: shown.append((
        not panel.step_box.isHidden(), panel.step_view.image(), panel.step_label.text())))
    finish(qtbot, context, job, timeout=DIFFUSION_TIMEOUT)
    assert any("sampling" in m for _d, _t, m in progress), progress
    assert panel.preview_list.count() == 1
    [preview] = panel.context.remixer(context.library).previews(allowed.id)
    assert preview.params["style"] == "diffusion"
    assert preview.params["image_model"] == model.name
    assert preview.params["prompt"] == "comic book" and preview.params["seed"] == 7
    assert preview.params["diffusion_size"] == 64 and preview.params["steps"] == 1
    assert preview.path.is_file()
    assert not cancels
    # the low-resolution look at the sampling step was drawn in the panel while it ran
    # (connected after the panel's own slot: it sees what the panel just drew) ...
    assert shown and shown[-1][0]
    assert shown[-1][1] is not None and shown[-1][1].width() > 0
    assert shown[-1][2] == "Step 1 of 1"
    # ... and the noisy step is not left on show once the preview is made (issue 13)
    assert panel.step_box.isHidden() and panel.step_view.image() is None
    again = panel.generate()  # the same caption, frame and settings: made before
    finish(qtbot, context, again, timeout=DIFFUSION_TIMEOUT)
    assert panel.preview_list.count() == 1
    assert panel.status_label.text() == ("Nothing new to make; 1 with the same caption, frame "
                                         "and settings was made before and is selected.")
    assert "Prompt “comic book”, strength 0.5, seed 7" in describe(preview)
    assert ("At 64\u00a0px, 1\u00a0step, prompt “comic book”, strength 0.5, seed 7"
            in describe(preview, full=False)), "the detail beside the picture: one line"
    # the model used is remembered as the chosen diffusion model (the CLI's default too)
    assert context.library.setting("diffusion_model") == model.name
    assert ModelStore(context.library).diffusion_choice() == model.name

    panel.caption_list.add_own("POV: cancelled", edit=False)
    panel.diffusion_size = 512  # slow enough to be cancelled mid-sampling
    panel.steps_spin.setValue(4)
    job = panel.generate()
    job.signals.progress.connect(lambda d, t, m: "sampling" in m and panel.cancel())
    finish(qtbot, context, job, timeout=DIFFUSION_TIMEOUT, state=JobState.CANCELLED)
    assert cancels, "Cancel reaches the diffusion engine"


def test_the_quick_look_shows_first_and_can_be_kept(qtbot, context, panel, allowed, sdxs):
    """At 512 px the panel shows a 256 px quick look (composed with the caption) first, with
    "Keep quick look": pressed, the full render stops and the quick look is the preview."""
    model, taesd = sdxs
    store = ModelStore(context.library)
    store.add(model)
    store.add(taesd)
    panel.set_video(allowed.id)
    panel.caption_list.add_own("POV: a first look", edit=False)
    choose_diffusion(qtbot, panel)
    panel.diffusion_size = 512
    job = panel.generate()
    seen = []

    def on_partial(_payload):
        if panel.keep_quick_button.isVisible() and not seen:
            seen.append((panel.step_label.text(), panel.step_view.image()))
            panel.keep_quick_button.click()

    job.signals.partial.connect(on_partial)
    finish(qtbot, context, job, timeout=DIFFUSION_TIMEOUT)
    assert seen, "the quick look was shown with its button"
    label, image = seen[0]
    assert label.startswith("Quick look at preview 1 (256 px)")
    assert image is not None and image.width() == 1080, "the composed remix, caption and all"
    [preview] = panel.context.remixer(context.library).previews(allowed.id)
    assert (preview.params["diffusion_size"], preview.params["steps"]) == (256, 1)
    assert panel.step_box.isHidden() and not panel.keep_quick_button.isVisible()
    assert panel.status_label.text() == ("Made 1 preview; the quick look was kept and the "
                                         "full-size render stopped.")
    assert f"Drawn by {model.name} at 256\u00a0px (a quick look), 1\u00a0step" in describe(preview)
