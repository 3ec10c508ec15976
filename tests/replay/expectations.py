"""Recorded requests the emulator cannot answer yet, each with the open issue whose feature it needs.

Every entry is a strict expected failure: when the feature lands and the request starts to match, the test
fails until its entry is removed here, so each request flips to passing on its own. Keys are (recording, index
of the exchange in the file); `test_replay.py` checks that every key names a replayed gallery request.
"""

from __future__ import annotations

XFAIL: dict[tuple[str, int], str] = {}
