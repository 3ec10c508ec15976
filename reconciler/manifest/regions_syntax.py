"""The az CLI target-region shorthand `name[=replicas[=storagetype]]`, storage types, and region suggestions."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from reconciler.core.regions import display_name, fold_region, is_known_region, known_regions

STORAGE_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
_STORAGE_BY_FOLD = {t.lower(): t for t in STORAGE_TYPES}

MAX_REPLICAS = 100
"""Azure's documented maximum replica count per region."""


def canonical_storage_type(text: str) -> str | None:
    """ "standard_zrs" -> "Standard_ZRS"; None when it is no storage type Azure knows."""
    return _STORAGE_BY_FOLD.get(text.strip().lower())


@dataclass(frozen=True)
class RegionSpec:
    name: str
    """As written (not folded), so diagnostics can quote it."""
    replicas: int | None = None
    storage_account_type: str | None = None


class ShorthandError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def parse_target_region(text: str) -> RegionSpec:
    """Parse "eastus", "southcentralus=1" or "eastus=1=standard_zrs" (storage type in any case).

    Raises ShorthandError; region validity is checked separately (`region_problem`).
    """
    parts = text.split("=")
    if len(parts) > 3 or not parts[0].strip():
        raise ShorthandError(
            f"'{text}' is not a target region: expected name[=replicas[=storagetype]]",
            "for example 'eastus', 'southcentralus=1' or 'eastus=1=Standard_ZRS'",
        )
    name = parts[0].strip()
    replicas: int | None = None
    storage: str | None = None
    if len(parts) >= 2:
        count = parts[1].strip()
        if not count.isdigit() or not count.isascii():
            raise ShorthandError(f"replica count '{count}' in '{text}' is not a whole number")
        replicas = int(count)
        if not 1 <= replicas <= MAX_REPLICAS:
            raise ShorthandError(f"replica count {replicas} in '{text}' is out of range 1..{MAX_REPLICAS}")
    if len(parts) == 3:
        storage = canonical_storage_type(parts[2])
        if storage is None:
            raise ShorthandError(
                f"'{parts[2].strip()}' in '{text}' is not a storage account type",
                "one of " + ", ".join(STORAGE_TYPES),
            )
    return RegionSpec(name, replicas, storage)


def format_target_region(spec: RegionSpec) -> str:
    """The shorthand for a spec (inverse of `parse_target_region` up to region/storage spelling)."""
    text = fold_region(spec.name)
    if spec.replicas is not None or spec.storage_account_type is not None:
        text += f"={spec.replicas if spec.replicas is not None else 1}"
    if spec.storage_account_type is not None:
        text += f"={spec.storage_account_type}"
    return text


@cache
def _early_access() -> frozenset[str]:
    raw = json.loads(resources.files("reconciler.data").joinpath("regions.json").read_text("utf-8"))
    return frozenset(raw.get("earlyAccess", ()))


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps count 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, right in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right))
            if i > 1 and j > 1 and left == b[j - 2] and a[i - 2] == right:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def suggest_region(name: str) -> str | None:
    """The known region a misspelling most likely meant (programmatic name), for "did you mean" hints.

    The fewest edits win (a swap of two letters is one edit); among equally close regions a public one
    wins over an early-access (EUAP) one, then the most similar overall. Nothing is suggested when even
    the closest region needs more than a third of the name changed.
    """
    folded = fold_region(name)
    if not folded:
        return None
    distances = {region: edit_distance(folded, region) for region in known_regions()}
    closest = min(distances.values())
    if closest > max(1, len(folded) // 3):
        return None
    early = _early_access()
    return min(
        (region for region, distance in distances.items() if distance == closest),
        key=lambda r: (r in early, -difflib.SequenceMatcher(None, folded, r).ratio(), r),
    )


def region_problem(name: str) -> tuple[str, str | None] | None:
    """(message, hint) if `name` is not in the bundled region table, else None.

    The table cannot know every region (new ones, early access), so callers report this as a warning.
    """
    if is_known_region(name):
        return None
    guess = suggest_region(name)
    hint = f"did you mean '{guess}' ({display_name(guess)})?" if guess else "see `az account list-locations`"
    return f"unknown Azure region '{name}' (not in reconcile's table of regions)", hint
