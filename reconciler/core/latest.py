"""Which version `latest` resolves to for each image definition, region by region, before and after a plan (pure).

Azure's rule for a definition (API-FACTS §7, [D-SIG]): `latest` is the highest version number not excluded
from latest. From api-version 2022-03-03 a target region has its own `excludeFromLatest` ("Contains the flag
setting to hide an image when users specify version='latest'", TargetRegion in the GalleryRP spec), and a VM
is created from a replica in its own region, so `latest` is a per-region answer (the SDKs model it as
`LatestGalleryImageVersion`: "the gallery image version with latest version in a particular region").

The rule this preview uses (ours; Azure documents no precedence between the two flags):

- the regions of a definition are the union of the target regions of its versions (a version without target
  regions is in its own location, where Azure puts it);
- a version counts in a region only if that region is one of its target regions;
- either flag excludes: a version is excluded in a region when its version-level `excludeFromLatest` is true
  *or* that region's `excludeFromLatest` is true. Both spec texts are unconditional, so a region's `false`
  never brings back a version excluded as a whole, and the preview never promises a version Azure may hide;
- replication progress does not count: a region still replicating (or whose replication failed, which apply
  requests again) counts as the version's region. The preview shows where `latest` settles once replication
  finishes, which `reconcile apply` waits for; `reconcile status` shows the progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core import model as m
from reconciler.core.changes import Action, ResourceChange
from reconciler.core.live_state import LiveState
from reconciler.kinds import IMAGE_DEFINITION, IMAGE_VERSION


@dataclass(frozen=True)
class Candidate:
    """One version as the `latest` rule sees it: its name, its version-level flag and its regions' flags."""

    name: str
    excluded: bool
    """Version-level `excludeFromLatest`."""
    regions: Mapping[str, bool]
    """Folded target region name -> that region's `excludeFromLatest`."""

    def eligible_in(self, region: str) -> bool:
        """Whether a VM in `region` asking for `latest` may get this version (the module's rule)."""
        return region in self.regions and not self.excluded and not self.regions[region]

    @property
    def eligible(self) -> bool:
        """Whether `latest` may resolve to it in at least one of its regions."""
        return any(self.eligible_in(region) for region in self.regions)

    @classmethod
    def of(cls, version: Any, *, promoted: bool = False) -> Candidate:
        """From an `ImageVersion` (desired or live); `promoted`: as the promotion rule leaves it once replicated."""
        regions = {r.name: bool(r.exclude_from_latest) for r in version.target_regions}
        if not regions and version.location:
            regions = {version.location: False}
        return cls(version.name, bool(version.exclude_from_latest) and not promoted, regions)


@dataclass(frozen=True)
class RegionLatest:
    """`latest` in one region of a definition, before and after the plan (None = no eligible version)."""

    region: str
    before: str | None
    after: str | None

    def to_json(self) -> dict[str, Any]:
        return {"region": self.region, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class LatestChange:
    """Which version `latest` resolves to for a definition, before and after the plan.

    `regions` has one entry per region of the definition (sorted by name). When every region agrees
    (`uniform`), `before` and `after` are that common answer; when they disagree, `before`/`after` hold the
    side on which they still agree and None on the side where they do not, and `regions` is the answer.
    """

    definition: str
    before: str | None
    after: str | None
    regions: tuple[RegionLatest, ...] = ()

    @property
    def uniform(self) -> bool:
        """Every region resolves `latest` to the same version, before and after."""
        return len({(r.before, r.after) for r in self.regions}) <= 1

    @property
    def moves(self) -> bool:
        """`latest` changes in at least one region (or for the definition as a whole)."""
        return self.before != self.after or any(r.before != r.after for r in self.regions)

    def to_json(self) -> dict[str, Any]:
        return {
            "definition": self.definition,
            "before": self.before,
            "after": self.after,
            "uniform": self.uniform,
            "regions": [r.to_json() for r in self.regions],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LatestChange:
        regions = tuple(RegionLatest(r["region"], r.get("before"), r.get("after")) for r in data.get("regions", []))
        return cls(data["definition"], data.get("before"), data.get("after"), regions)


def latest_in(region: str, versions: Iterable[Candidate]) -> str | None:
    """The highest version (numerically) eligible in `region`; None when no version is."""
    eligible = [v.name for v in versions if v.eligible_in(region)]
    return max(eligible, key=m.version_key) if eligible else None


def _common(values: Iterable[str | None]) -> str | None:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def preview(definition: str, before: list[Candidate], after: list[Candidate]) -> LatestChange:
    """`latest` for one definition in each of its regions, given its versions before and after the plan."""
    regions = sorted({r for v in (*before, *after) for r in v.regions})
    rows = tuple(RegionLatest(r, latest_in(r, before), latest_in(r, after)) for r in regions)
    return LatestChange(definition, _common(r.before for r in rows), _common(r.after for r in rows), rows)


@dataclass(frozen=True)
class Versions:
    """Every definition's versions as the `latest` rule sees them, now (`before`) and once the plan is applied
    (`after`), keyed by the definition's `resource_key`; `names` spells each definition as first seen."""

    names: dict[str, str]
    before: dict[str, list[Candidate]]
    after: dict[str, list[Candidate]]


def _promoting(change: ResourceChange | None, version: Any) -> bool:
    """The promotion rule clears the version's flag in this apply, once it has replicated (`core.lifecycle`)."""
    return (
        bool(getattr(version, "promote_when_replicated", False))
        and change is not None
        and change.actionable
        and change.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)
    )


def versions_before_after(desired: m.DesiredState, live: LiveState, changes: Iterable[ResourceChange]) -> Versions:
    """Each definition's versions before and after the plan (live or desired).

    A blocked change leaves the live version as it is; a delete that goes ahead removes it; a version the
    promotion rule publishes excluded counts as promoted once the apply that writes it has seen it replicate.
    """
    by_key = {m.resource_key(c.address): c for c in changes}
    wanted = {m.resource_key(v.address): v for v in desired.versions}
    before: dict[str, list[Candidate]] = {}
    after: dict[str, list[Candidate]] = {}
    names: dict[str, str] = {}
    for key, item in live.resources.items():
        res = item.resource
        if res.kind is IMAGE_DEFINITION:
            names.setdefault(key, res.address)
        if res.kind is not IMAGE_VERSION:
            continue
        parent = m.resource_key(res.parent_address)
        names.setdefault(parent, res.parent_address)
        entry = Candidate.of(res)
        before.setdefault(parent, []).append(entry)
        change = by_key.get(key)
        gone = change is not None and change.action is Action.DELETE and change.blocked is None
        if not gone and key not in wanted:
            after.setdefault(parent, []).append(entry)
    for key, version in wanted.items():
        change = by_key.get(key)
        exists = live.resources.get(key) is not None
        if change is not None and change.blocked is not None and exists:
            entry = Candidate.of(live.resources[key].resource)
        elif change is not None and change.blocked is not None:
            continue
        else:
            entry = Candidate.of(version, promoted=_promoting(change, version))
        parent = m.resource_key(version.parent_address or "")
        names.setdefault(parent, version.parent_address or "")
        after.setdefault(parent, []).append(entry)
    for definition in desired.definitions:
        names.setdefault(m.resource_key(definition.address), definition.address)
    return Versions(names, before, after)


def resolve_latest(desired: m.DesiredState, live: LiveState, changes: Iterable[ResourceChange]) -> list[LatestChange]:
    """For every definition (live or desired): `latest` in each region now, and once the plan is applied.

    Definitions are listed by address (case-insensitive), pruned ones included (see `versions_before_after`).
    """
    seen = versions_before_after(desired, live, changes)
    return [preview(seen.names[k], seen.before.get(k, []), seen.after.get(k, [])) for k in sorted(seen.names)]


def touched_definitions(changes: Iterable[ResourceChange]) -> set[str]:
    """Keys of the definitions a plan changes: the definition itself or any of its versions (blocked or not)."""
    touched: set[str] = set()
    for change in changes:
        if change.action is Action.NOOP:
            continue
        if change.kind == IMAGE_DEFINITION.name:
            touched.add(m.resource_key(change.address))
        elif change.kind == IMAGE_VERSION.name:
            touched.add(m.resource_key(change.address.rsplit("/", 1)[0]))
    return touched


def shown_latest(
    latest: Iterable[LatestChange], changes: Iterable[ResourceChange], *, show_unchanged: bool = False
) -> list[LatestChange]:
    """The previews a rendering shows: every definition the plan touches or whose `latest` moves (all of them
    with `show_unchanged`)."""
    touched = touched_definitions(changes)
    return [lc for lc in latest if show_unchanged or lc.moves or m.resource_key(lc.definition) in touched]
