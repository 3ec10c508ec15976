"""The emulator's own region table: programmatic names, display names and which regions lack ZRS."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

_FOLD = re.compile(r"[\s_\-]+")


@cache
def _table() -> tuple[dict[str, str], frozenset[str]]:
    raw = json.loads(resources.files("reconciler.emulator.data").joinpath("regions.json").read_text("utf-8"))
    return dict(raw["regions"]), frozenset(raw["withoutZoneRedundantStorage"])


def fold(name: str) -> str:
    """ARM's programmatic name for any spelling: "East US 2" and "eastus2" are the same region."""
    return _FOLD.sub("", name).lower()


def is_known(name: str) -> bool:
    return fold(name) in _table()[0]


def display(name: str) -> str:
    folded = fold(name)
    return _table()[0].get(folded, name)


def supports_zrs(name: str) -> bool:
    return fold(name) not in _table()[1]


def all_regions() -> list[str]:
    return sorted(_table()[0])
