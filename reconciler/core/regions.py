"""Azure region names: one canonical spelling for every way users and ARM write a region."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

_FOLD = re.compile(r"[\s_\-]+")


@cache
def _table() -> tuple[dict[str, str], frozenset[str]]:
    raw = json.loads(resources.files("reconciler.data").joinpath("regions.json").read_text("utf-8"))
    return dict(raw["regions"]), frozenset(raw["withoutZoneRedundantStorage"])


def fold_region(name: str) -> str:
    """Fold any spelling ("East US 2", "eastus2", "EastUS2", "east-us-2") to ARM's programmatic name.

    Unknown regions are folded the same way, so two spellings of a region we do not know still
    compare equal; `is_known_region` says whether it is one Azure has.
    """
    return _FOLD.sub("", name).lower()


def is_known_region(name: str) -> bool:
    return fold_region(name) in _table()[0]


def display_name(name: str) -> str:
    """ARM's display name ("East US 2") for any spelling; unknown regions are returned folded."""
    folded = fold_region(name)
    return _table()[0].get(folded, folded)


def known_regions() -> list[str]:
    return sorted(_table()[0])


def supports_zrs(name: str) -> bool:
    return fold_region(name) not in _table()[1]
