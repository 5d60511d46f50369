"""Property test: whatever the sequence of changes and undos, the gate never lets a denied
video through, and the library agrees with a plain model of the rules."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from remix_desktop.core.consent import ALL, Consent
from remix_desktop.core.errors import RemixNotAllowed, UsageError
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library, NewVideo
from remix_desktop.core.video_files import fingerprint

N = 5
perms = st.sampled_from(["allow", "deny", "default"])


class ConsentMachine(RuleBasedStateMachine):
    @initialize()
    def open_library(self):
        self.dir = tempfile.mkdtemp()
        self.library = Library(Home(self.dir))
        self.consent = Consent(self.library)
        rows = []  # small real files: the gate checks a video's file against its fingerprint
        for i in range(N):
            path = os.path.join(self.dir, f"{i}.mp4")
            with open(path, "wb") as fh:
                fh.write(b"video %d" % i)
            # every other video shows a face (as the look at import would have recorded)
            rows.append(NewVideo(path, fingerprint(path), os.path.getsize(path), 0, 1, 30, 64,
                                 64, 0, "h264", face_share=0.5 if i % 2 else 0.0,
                                 face_samples=12))
        with self.library.write() as conn:
            self.ids = [Library.insert_video(conn, row) for row in rows]
        self.own = {i: "default" for i in self.ids}
        self.default, self.optout, self.likeness = "deny", False, True
        self.face = {vid: bool(i % 2) for i, vid in enumerate(self.ids)}
        self.history: list[tuple] = []  # the model's undo stack

    def teardown(self):
        if hasattr(self, "library"):
            self.library.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _set(self, ids, value, selection):
        old = {i: self.own[i] for i in ids if self.own[i] != value}
        change = self.consent.set_permission(selection, value)
        assert change.count == len(old)
        if old:
            self.history.append(("own", old))
            self.own.update({i: value for i in old})

    @rule(index=st.integers(0, N - 1), value=perms)
    def set_one(self, index, value):
        self._set([self.ids[index]], value, [self.ids[index]])

    @rule(indexes=st.sets(st.integers(0, N - 1), min_size=1), value=perms)
    def set_selection(self, indexes, value):
        ids = [self.ids[i] for i in indexes]
        self._set(ids, value, ids)

    @rule(value=perms)
    def set_all(self, value):
        self._set(self.ids, value, ALL)

    @rule(value=st.sampled_from(["allow", "deny"]))
    def set_default(self, value):
        if self.consent.set_default(value).audit_id is not None:
            self.history.append(("default", self.default))
            self.default = value

    @rule(on=st.booleans())
    def set_optout(self, on):
        if self.consent.set_optout(on).audit_id is not None:
            self.history.append(("optout", self.optout))
            self.optout = on

    @rule(on=st.booleans())
    def set_likeness(self, on):
        if self.consent.set_likeness(on).audit_id is not None:
            self.history.append(("likeness", self.likeness))
            self.likeness = on

    @rule()
    def undo(self):
        if not self.history:
            with pytest.raises(UsageError):
                self.consent.undo()
            return
        self.consent.undo()
        kind, old = self.history.pop()
        if kind == "own":
            self.own.update(old)
        elif kind == "default":
            self.default = old
        elif kind == "likeness":
            self.likeness = old
        else:
            self.optout = old

    @invariant()
    def gate_agrees_with_the_rules(self):
        if not hasattr(self, "library"):
            return
        for vid in self.ids:
            own = self.own[vid]
            face_rule = self.likeness and self.face[vid]
            allowed = not self.optout and (own == "allow" or (
                own == "default" and self.default == "allow" and not face_rule))
            if allowed:
                assert self.consent.gate(vid).video.id == vid
            else:
                with pytest.raises(RemixNotAllowed):
                    self.consent.gate(vid)
        assert {v.id: v.permission for v in self.library.videos()} == self.own


ConsentMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30,
                                            deadline=None)
TestConsentMachine = ConsentMachine.TestCase
