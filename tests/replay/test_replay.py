"""Every recorded Azure answer to a gallery request, replayed against the emulator: one test per request.

See replayer.py for how a recording is replayed and what "matches" means, seeds.py for the sources, and
expectations.py for the requests that wait for another issue's feature (strict expected failures).
"""

from __future__ import annotations

import filecmp
from functools import cache

import pytest

from .expectations import XFAIL
from .recordings import HERE, SHARED, load, names
from .replayer import Outcome, Replay


@cache
def _outcomes(name: str) -> dict[int, Outcome]:
    """Replay a recording once per test process; requests are then checked one by one."""
    return {o.exchange.index: o for o in Replay(name).run()}


def _cases() -> list[object]:
    cases = []
    for name in names():
        for ex in load(name):
            if not ex.is_gallery:
                continue
            marks = []
            reason = XFAIL.get((name, ex.index))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            label = f"{name.split('/')[-1]}[{ex.index}] {ex.label()}"
            cases.append(pytest.param(name, ex.index, marks=marks, id=label))
    return cases


@pytest.mark.parametrize(("recording", "index"), _cases())
def test_recorded_request_matches(recording: str, index: int) -> None:
    outcome = _outcomes(recording)[index]
    assert outcome.matches, f"{outcome.exchange.label()}:\n  " + "\n  ".join(outcome.problems)


def test_every_expected_failure_names_a_replayed_request() -> None:
    replayed = {(name, ex.index) for name in names() for ex in load(name) if ex.is_gallery}
    assert set(XFAIL) <= replayed, sorted(set(XFAIL) - replayed)


def test_every_recording_has_gallery_requests() -> None:
    assert len(names()) >= 10
    for name in names():
        assert any(ex.is_gallery for ex in load(name)), f"{name} has no Microsoft.Compute/galleries request"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared reference folder {SHARED} is not on this machine")
def test_recordings_are_the_shared_ones() -> None:
    """The copies here are the shared folder's recordings, all of them, byte for byte."""
    shared = sorted(str(p.relative_to(SHARED)) for p in SHARED.rglob("*") if p.suffix in (".yaml", ".json"))
    assert names() == shared
    mismatch = [n for n in shared if not filecmp.cmp(HERE / n, SHARED / n, shallow=False)]
    assert mismatch == []
