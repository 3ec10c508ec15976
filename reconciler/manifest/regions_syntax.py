"""The az CLI target-region shorthand `name[=replicas[=storagetype]]`, storage types, and region suggestions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

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


def suggest_region(name: str) -> str | None:
    """The closest known region's programmatic name, for "did you mean" hints."""
    folded = fold_region(name)
    match = difflib.get_close_matches(folded, known_regions(), n=1, cutoff=0.6)
    return match[0] if match else None


def region_problem(name: str) -> tuple[str, str | None] | None:
    """(message, hint) if `name` is not an Azure region, else None."""
    if is_known_region(name):
        return None
    guess = suggest_region(name)
    hint = f"did you mean '{guess}' ({display_name(guess)})?" if guess else "see `az account list-locations`"
    return f"unknown Azure region '{name}'", hint
