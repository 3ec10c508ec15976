"""Each broken manifest in tests/data/manifests/negative fails (or warns) with the line and message it expects."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.manifest import load_manifests

from .conftest import NOW, REPO

CORPUS = REPO / "tests" / "data" / "manifests" / "negative"
_HEADER = re.compile(r"^# (expect|warn): (\d+): (.+)$")


def _expectations(path: Path, kind: str = "expect") -> list[tuple[int, str]]:
    # latin-1 never fails, so the non-UTF-8 case can carry a header too
    lines = path.read_bytes().decode("latin-1").splitlines()
    return [(int(m.group(2)), m.group(3)) for m in map(_HEADER.match, lines) if m and m.group(1) == kind]


def _match(path: Path, expected: list[tuple[int, str]], found: list[Any], what: str) -> None:
    rendered = "\n".join(str(d) for d in found)
    for line, fragment in expected:
        matches = [d for d in found if fragment in str(d)]
        assert matches, f"no {what} containing {fragment!r}; got:\n{rendered}"
        assert any(d.line == line for d in matches), f"{fragment!r} expected at line {line}; got:\n{rendered}"
        assert all(d.file == str(path) for d in matches)
    assert len(found) == len(expected), f"unexpected extra {what}s:\n{rendered}"


CASES = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_has_at_least_40_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_manifest_fails_where_expected(path: Path) -> None:
    expected, warned = _expectations(path), _expectations(path, "warn")
    assert expected or warned, f"{path.name} has no '# expect: <line>: <message>' (or '# warn: ...') header"
    bundle, diags = load_manifests([path], env={}, now=NOW)
    _match(path, expected, diags.errors, "error")
    _match(path, warned, diags.warnings, "warning")
    assert bundle.has_errors == bool(expected)
