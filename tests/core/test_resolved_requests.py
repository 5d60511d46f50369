"""A remix batch planned and fully resolved in core: what is hashed, cached and exported is
what ran (issue 12, item 3); output kinds and settings as declared tables (item 7, 8)."""

from __future__ import annotations

import pytest

from remix_desktop.core import remix
from remix_desktop.core.consent import Consent
from remix_desktop.core.errors import UsageError
from remix_desktop.core.importer import run_import
from remix_desktop.core.previews import OUTPUT_KINDS, output_kind
from remix_desktop.core.remix import (DIFFUSION, PRESETS, Remixer, RemixRequest, resolve,
                                      work_size)
from remix_desktop.core.schema import SETTING_DEFAULTS, NewVideo, Video
from remix_desktop.core.settings import SETTINGS, declared


def diffusion_request(**kw):
    return RemixRequest(video_id=1, fingerprint="f", frame_s=1.0, caption="Me when it runs",
                        style=DIFFUSION, image_model="sd-turbo", **kw)


def test_a_resolved_request_names_every_value_the_engine_uses():
    request = resolve(diffusion_request(prompt="comic book"), "sd2")
    assert request.resolved and not diffusion_request(prompt="comic book").resolved
    params = request.params()
    assert params["prompt_text"] == PRESETS["comic book"][0]
    assert params["negative_prompt"] == PRESETS["comic book"][1]
    for name, value in (("strength", 0.5), ("steps", 1), ("cfg", 1.0),
                        ("sampler", remix.DEFAULT_SAMPLER), ("family", "sd2"),
                        ("diffusion_size", remix.DEFAULT_DIFFUSION_SIZE), ("output", "still")):
        assert params[name] == value, name
    # the creator's own values win over the defaults
    own = resolve(diffusion_request(prompt="a red bike", steps=6, strength=0.4), "sd1")
    assert (own.prompt_text, own.negative_prompt, own.steps, own.strength) == \
        ("a red bike", "", 6, 0.4)


def test_the_hash_changes_when_a_default_changes(monkeypatch):
    before = resolve(diffusion_request(prompt="comic book"), "sd2").key()
    assert resolve(diffusion_request(prompt="comic book"), "sd2").key() == before
    from dataclasses import replace as changed

    from remix_desktop.core.model_kinds import FAMILIES

    monkeypatch.setitem(FAMILIES, "sd2", changed(FAMILIES["sd2"], turbo_strength=0.7))
    assert resolve(diffusion_request(prompt="comic book"), "sd2").key() != before
    monkeypatch.undo()
    monkeypatch.setitem(PRESETS, "comic book", ("comic, ink", "photo"))
    assert resolve(diffusion_request(prompt="comic book"), "sd2").key() != before
    monkeypatch.undo()
    # another family's defaults are other values, so another preview
    assert resolve(diffusion_request(prompt="comic book"), "sd1").key() != before


def test_work_size_keeps_the_aspect_on_multiples_of_64():
    assert work_size(1920, 1080, 512) == (512, 256)  # 288 lies half-way: to the even 256
    assert work_size(1280, 960, 512) == (512, 384)
    assert work_size(960, 1280, 768) == (576, 768)
    assert work_size(100, 4000, 512) == (64, 512)


def test_plan_makes_one_request_per_caption_and_render_all_reports_stages(library,
                                                                          good_clips):
    video = run_import(library, [good_clips / "h264.mp4"]).imported[0]
    Consent(library).set_permission([video.id], "allow")
    remixer = Remixer(library)
    planned = remixer.plan(video.id, [("Me when one", 1), ("Me when two", 2)], [0.5, 1.0],
                           style="cartoon", layout="classic", size="square")
    assert [(r.caption, r.caption_seed, r.frame_s) for r in planned] == \
        [("Me when one", 1, 0.5), ("Me when two", 2, 1.0)]
    seen = []
    made = remixer.render_all(planned, progress=lambda p: seen.append((p.stage, p.index)))
    assert seen == [("render", 0), ("made", 0), ("render", 1), ("made", 1)]
    assert [p.kind for p in made] == ["still", "still"]
    assert all(p.suffix == ".png" and p.path.is_file() for p in made)
    assert remixer.previews(video.id)[0].kind == "still"
    with pytest.raises(UsageError, match="at least one caption"):
        remixer.plan(video.id, [], [1.0], style="cartoon")


def test_output_kinds_are_a_table():
    assert OUTPUT_KINDS["still"].suffix == ".png"
    with pytest.raises(UsageError, match="not a kind of remix"):
        output_kind("hologram")
    with pytest.raises(UsageError, match="not a kind of remix"):
        RemixRequest(video_id=1, fingerprint="f", frame_s=0.0, caption="x", output="gif")
    # a still's key is what it was before kinds existed (cached previews stay valid)
    still = RemixRequest(video_id=1, fingerprint="f", frame_s=0.0, caption="x")
    import hashlib
    import json

    params = {k: v for k, v in still.params().items() if k != "output"}
    assert still.key() == hashlib.sha256(json.dumps(params, sort_keys=True).encode()
                                         ).hexdigest()[:40]
    assert still.params()["output"] == "still"


def test_settings_are_declared_once():
    assert SETTING_DEFAULTS["default_permission"] == "deny"
    assert SETTING_DEFAULTS["optout"] == "0" and SETTING_DEFAULTS["threads"] == "0"
    assert {s.key for s in SETTINGS} == set(SETTING_DEFAULTS)
    assert declared("threads").check("4") == "4"
    for key, bad, why in (("threads", "lots", "whole number"), ("threads", "999", "0 to 64"),
                          ("optout", "yes", r"on \(1\) or off \(0\)"),
                          ("default_permission", "maybe", "not a value")):
        with pytest.raises(UsageError, match=why):
            declared(key).check(bad)
    with pytest.raises(UsageError, match="There is no setting 'colour'"):
        declared("colour")


def test_library_writes_only_declared_settings_it_can_check(library):
    assert library.value("threads") == 0 and library.value("optout") is False
    assert library.set_settings({"threads": "3", "data_mining": library.setting(
        "data_mining")}) == ["threads"]
    assert library.value("threads") == 3
    with pytest.raises(UsageError, match="whole number"):
        library.set_settings({"caption_model": "other", "threads": "x"})
    assert library.setting("caption_model") == SETTING_DEFAULTS["caption_model"]
    with pytest.raises(UsageError, match="through consent"):
        library.set_setting("optout", "1")


def test_one_field_list_makes_the_video_the_new_video_and_the_insert(library):
    new_fields = {f for f in NewVideo.__dataclass_fields__}
    assert new_fields == set(Video._fields) - {"id", "permission", "added_at", "copy_of",
                                               "not_copy_of"}
    with library.write() as conn:
        vid = library.insert_video(conn, NewVideo(
            path="/v/a.mp4", fingerprint="fp", size=1, mtime=0.0, duration_s=1.0, fps=25.0,
            width=2, height=2, rotation=0, codec="h264", tags=("a", "b")))
    video = library.video(vid)
    assert video.tags == ("a", "b") and video.permission == "default" and video.added_at


def test_model_families_carry_their_defaults():
    from remix_desktop.core.model_kinds import FAMILIES, ModelKind, family
    from remix_desktop.core.model_headers import FAMILY_LABELS

    assert FAMILIES["sd2"].defaults("sd-turbo") == (1, 1.0)
    assert FAMILIES["sd1"].defaults("dreamshaper") == (20, 7.0)
    assert FAMILIES["sdxs"].defaults("anything") == (1, 1.0)
    assert [k for k, f in FAMILIES.items() if f.taesd] == ["sd1", "sd2", "sdxs"]
    assert remix.diffusion_defaults("sdxl", "sdxl-turbo") == (1, 1.0)
    assert family("sd9").defaults() == (20, 7.0) and not family("sd9").taesd
    assert FAMILY_LABELS["sd2"] == FAMILIES["sd2"].label
    assert ModelKind.DIFFUSION == "diffusion"  # the stored strings are the kinds


def test_the_caption_job_is_handed_the_model_core_resolved(library):
    from remix_desktop.core.model_kinds import CaptionBackend
    from remix_desktop.core.model_manifest import DEFAULT_CAPTION_MODEL

    model = Remixer(library).caption_model_for()
    assert model.id == DEFAULT_CAPTION_MODEL and model.backend == CaptionBackend.TEXT
    assert model.path.name.endswith(".gguf")
    chosen = Remixer(library, caption_model="no-such-model")
    with pytest.raises(Exception, match="no-such-model"):
        chosen.caption_model_for()


def test_a_preset_is_followed_by_the_clips_topic():
    from remix_desktop.core.remix import preset_prompt

    coffee = {"context": "context", "thing": "coffee", "moment": "first sip"}
    assert preset_prompt("comic book", coffee) == PRESETS["comic book"][0] + ", coffee, first sip"
    guitar = {"context": "context", "thing": "music", "doing": "learning guitar"}
    assert preset_prompt("anime", guitar).endswith(", music, learning guitar")
    assert preset_prompt("pixel art", {"context": "none"}) == PRESETS["pixel art"][0]
    assert preset_prompt("pixel art", None) == PRESETS["pixel art"][0]
