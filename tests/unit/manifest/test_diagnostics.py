"""Diagnostics: rendering, severity filters and JSON."""

from __future__ import annotations

import json

from reconciler.diagnostics import Diagnostic, Diagnostics, Severity


def test_rendering_with_and_without_a_source() -> None:
    full = Diagnostic(Severity.ERROR, "bad", "m.yaml", 3, 7, "galleries.g.osType", "did you mean 'osType'?")
    assert str(full) == "m.yaml:3:7: galleries.g.osType: bad (did you mean 'osType'?)"
    assert str(Diagnostic(Severity.ERROR, "no subscription")) == "no subscription"
    assert str(Diagnostic(Severity.ERROR, "gone", path="corp/ubuntu/1.0.0")) == "corp/ubuntu/1.0.0: gone"
    assert str(Diagnostic(Severity.ERROR, "too big", "m.yaml")) == "m.yaml: too big"
    assert str(Diagnostic(Severity.WARNING, "no effect", "m.yaml", 1, 1, "x")) == "m.yaml:1:1: warning: x: no effect"


def test_collection_behaviour() -> None:
    diags = Diagnostics()
    assert not diags and not diags.has_errors
    diags.warning("w", file="b.yaml", line=2)
    assert diags and not diags.has_errors
    diags.error("e", file="a.yaml", line=9)
    diags.extend([Diagnostic(Severity.ERROR, "sourceless")])
    assert diags.has_errors and len(diags) == 3
    assert [d.message for d in diags.errors] == ["e", "sourceless"]
    assert [d.message for d in diags.warnings] == ["w"]
    assert [d.message for d in diags.sorted()] == ["sourceless", "e", "w"]
    assert diags[0].message == "w" and [d.message for d in diags[1:]] == ["e", "sourceless"]


def test_json_is_plain_data() -> None:
    diags = Diagnostics([Diagnostic(Severity.ERROR, "bad", "m.yaml", 1, 2, "a.b", "hint")])
    assert json.loads(json.dumps(diags.to_json())) == [
        {"severity": "error", "message": "bad", "file": "m.yaml", "line": 1, "column": 2, "path": "a.b", "hint": "hint"}
    ]
