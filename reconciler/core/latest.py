"""Which version `latest` resolves to for each image definition, before and after a plan (pure).

Azure's rule (API-FACTS §7): `latest` is the highest version number not excluded from latest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.core import model as m
from reconciler.core.changes import Action, ResourceChange
from reconciler.core.live_state import LiveState
from reconciler.kinds import IMAGE_VERSION


@dataclass(frozen=True)
class LatestChange:
    """Which version `latest` resolves to for a definition, before and after the plan."""

    definition: str
    before: str | None
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return {"definition": self.definition, "before": self.before, "after": self.after}


def _latest(versions: Iterable[tuple[str, bool]]) -> str | None:
    """Highest version number not excluded from latest: what a VM asking for `latest` gets."""
    eligible = [name for name, excluded in versions if not excluded]
    if not eligible:
        return None
    return max(eligible, key=m.version_key)


def resolve_latest(desired: m.DesiredState, live: LiveState, changes: Iterable[ResourceChange]) -> list[LatestChange]:
    """For every definition with versions (live or desired): `latest` now, and once the plan is applied.

    A blocked change leaves the live version as it is; a delete that goes ahead removes it.
    """
    by_key = {m.resource_key(c.address): c for c in changes}
    wanted = {m.resource_key(v.address): v for v in desired.versions}
    before: dict[str, list[tuple[str, bool]]] = {}
    after: dict[str, list[tuple[str, bool]]] = {}
    names: dict[str, str] = {}
    for key, item in live.resources.items():
        res = item.resource
        if res.kind is not IMAGE_VERSION:
            continue
        parent = m.resource_key(res.parent_address)
        names.setdefault(parent, res.parent_address)
        entry = (res.name, bool(res.exclude_from_latest))
        before.setdefault(parent, []).append(entry)
        change = by_key.get(key)
        gone = change is not None and change.action is Action.DELETE and change.blocked is None
        if not gone and key not in wanted:
            after.setdefault(parent, []).append(entry)
    for key, version in wanted.items():
        change = by_key.get(key)
        exists = live.resources.get(key) is not None
        if change is not None and change.blocked is not None and exists:
            live_res = live.resources[key].resource
            entry = (live_res.name, bool(live_res.exclude_from_latest))
        elif change is not None and change.blocked is not None:
            continue
        else:
            entry = (version.name, bool(version.exclude_from_latest))
        parent = m.resource_key(version.parent_address or "")
        names.setdefault(parent, version.parent_address or "")
        after.setdefault(parent, []).append(entry)
    for definition in desired.definitions:
        names.setdefault(m.resource_key(definition.address), definition.address)
    return [LatestChange(names[k], _latest(before.get(k, [])), _latest(after.get(k, []))) for k in sorted(names)]
