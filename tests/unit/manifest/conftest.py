"""Shared fixtures for the manifest tests: a fixed "now" and a writer of manifest trees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a manifest file below tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
