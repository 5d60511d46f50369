"""`list --json` writes, through SQLite's JSON for the stored fields, exactly the objects the
one-video writer (video_dict) makes: every field, the same values, the same key order."""

from __future__ import annotations

import json

from remix_desktop import cli
from remix_desktop.core.consent import Consent
from remix_desktop.core.library import NewVideo


def test_the_fast_listing_says_what_video_dict_says(library, tmp_path, capsys):
    real = tmp_path / "real clip.mp4"
    real.write_bytes(b"x" * 123)
    rows = [
        NewVideo(path=str(real), fingerprint="fp-real", size=123, mtime=0.0, duration_s=2.0,
                 fps=29.97002997002997, width=640, height=360, rotation=90, codec="h264",
                 title="🎬 Morning \"espresso\"\\ tab\there", description="line one\nline two",
                 tags=("coffee", "bts", "ünïcode"), thumbnail="abc.jpg"),
        NewVideo(path="/gone/Ordner/clip ümlaut.mov", fingerprint="fp-gone", size=9,
                 mtime=0.0, duration_s=0.1, fps=25.0, width=2, height=2, rotation=0,
                 codec="vp9"),
        NewVideo(path="/gone/a\\b.mp4", fingerprint="fp-slash", size=9, mtime=0.0,
                 duration_s=1.0, fps=30.0, width=2, height=2, rotation=0, codec="h264"),
    ]
    with library.write() as conn:
        ids = [library.insert_video(conn, r) for r in rows]
    consent = Consent(library)
    consent.set_permission(ids[:1], "allow")
    state = consent.state()
    fast = json.loads(cli._json_listing(library, consent))
    slow = [cli.video_dict(v, consent, library.home, state) for v in library.videos()]
    assert fast == slow
    assert [list(o) for o in fast] == [list(o) for o in slow]  # the same key order
    assert fast[0]["fps"] == 29.97002997002997  # exactly: not SQLite's 15 digits
    assert fast[1]["name"] == "clip ümlaut.mov" and fast[1]["thumbnail"] is None
    assert fast[1]["file"] == "missing" and fast[0]["effective"] == "allow"


def test_the_listing_matches_its_two_reads_by_id_when_they_scan_in_other_orders(library):
    """The REAL fields come from a second read; an index that makes that read scan in
    another order (here one on them) still pairs each video with its own numbers."""
    rows = [NewVideo(path=f"/gone/clip {i}.mp4", fingerprint=f"fp{i}", size=i, mtime=0.0,
                     duration_s=10.0 - i + 0.123456789012345, fps=24.0 + i / 7, width=2,
                     height=2, rotation=0, codec="h264") for i in range(6)]
    with library.write() as conn:
        for r in rows:
            library.insert_video(conn, r)
        conn.execute("CREATE INDEX by_duration ON videos(duration_s, fps)")
    order = [r[0] for r in library.conn.execute("SELECT id, duration_s, fps FROM videos")]
    assert order != sorted(order)  # the second read does scan in another order
    consent = Consent(library)
    fast = json.loads(cli._json_listing(library, consent))
    slow = [cli.video_dict(v, consent, library.home) for v in library.videos()]
    assert fast == slow
    assert [o["duration_s"] for o in fast] == [r.duration_s for r in rows]
