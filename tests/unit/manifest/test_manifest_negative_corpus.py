"""Every broken manifest in tests/data/manifests/negative fails with the message and line its header expects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.manifest import load_manifests

from .conftest import NOW, REPO

CORPUS = REPO / "tests" / "data" / "manifests" / "negative"
_EXPECT = re.compile(r"^# expect: (\d+): (.+)$")


def _expectations(path: Path) -> list[tuple[int, str]]:
    # latin-1 never fails, so the non-UTF-8 case can carry a header too
    lines = path.read_bytes().decode("latin-1").splitlines()
    return [(int(m.group(1)), m.group(2)) for m in map(_EXPECT.match, lines) if m]


CASES = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_has_at_least_40_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_manifest_fails_where_expected(path: Path) -> None:
    expected = _expectations(path)
    assert expected, f"{path.name} has no '# expect: <line>: <message>' header"
    bundle, diags = load_manifests([path], env={}, now=NOW)
    errors = diags.errors
    rendered = "\n".join(str(d) for d in errors)
    for line, fragment in expected:
        matches = [d for d in errors if fragment in str(d)]
        assert matches, f"no error containing {fragment!r}; got:\n{rendered}"
        assert any(d.line == line for d in matches), f"{fragment!r} expected at line {line}; got:\n{rendered}"
        assert all(d.file == str(path) for d in matches)
    assert len(errors) == len(expected), f"unexpected extra errors:\n{rendered}"
    assert bundle.has_errors


WARNINGS = sorted((REPO / "tests" / "data" / "manifests" / "warnings").glob("*.yaml"))
_WARN = re.compile(r"^# warn: (\d+): (.+)$")


@pytest.mark.parametrize("path", WARNINGS, ids=[p.stem for p in WARNINGS])
def test_doubtful_manifest_warns_where_expected_and_stays_valid(path: Path) -> None:
    """Rules without a documented or recorded refusal behind them warn; the manifest still validates."""
    expected = [(int(m.group(1)), m.group(2)) for m in map(_WARN.match, path.read_text().splitlines()) if m]
    assert expected, f"{path.name} has no '# warn: <line>: <message>' header"
    bundle, diags = load_manifests([path], env={}, now=NOW)
    assert not diags.errors, "\n".join(map(str, diags.errors))
    rendered = "\n".join(str(d) for d in diags.warnings)
    for line, fragment in expected:
        assert any(fragment in str(d) and d.line == line for d in diags.warnings), f"{fragment!r}:\n{rendered}"
    assert len(diags.warnings) == len(expected), rendered
