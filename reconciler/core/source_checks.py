"""The checks Azure makes on an image version's sources, made by the plan before anything is written (pure).

Rules whose refusal Azure documents or the recordings show (API-FACTS §5.3) are errors: a source that does
not exist or is in another region ("Source <id> is not found. Please check source exists, and in the same
region as gallery image version being created."), an OS type, OS state or Hyper-V generation that differs
from the definition's ("Cannot create Gallery Image Version from <id> since the OS State in the parent
gallery image (...) is not ..."), a source version that failed. Rules without that evidence warn: size
limits ([D-ACG]: full replication handles images under 2 TB, shallow up to 32 TB), architecture and
purchase plan mismatches, sources that could not be read. What a source kind cannot tell (a VHD's
contents) is said plainly as a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.core import model as m
from reconciler.core.changes import Action, ResourceChange
from reconciler.core.live_state import LiveState
from reconciler.core.reasons import Note, Why
from reconciler.core.source_facts import SourceFacts
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.kinds import IMAGE_VERSION

FULL_REPLICATION_MAX_GB = 2048
"""[D-ACG] (azure-compute-gallery.md, replicationMode): full replication handles images under 2 TB."""
SHALLOW_REPLICATION_MAX_GB = 32 * 1024
"""[D-ACG]: shallow replication handles images up to 32 TB."""


@dataclass
class SourceReport:
    """What the source checks found: diagnostics for the plan, notes per version address."""

    problems: list[Diagnostic] = field(default_factory=list)
    notes: dict[str, list[Why[Note]]] = field(default_factory=dict)
    waits: dict[str, str] = field(default_factory=dict)
    """Version address -> id of a source version still replicating, which apply waits for."""


def _planned_versions(changes: Iterable[ResourceChange], desired: m.DesiredState) -> list[Any]:
    wanted = desired.by_key()
    out = []
    for change in changes:
        if change.kind == IMAGE_VERSION.name and change.action in (Action.CREATE, Action.REPLACE):
            resource = wanted.get(m.resource_key(change.address))
            if resource is not None:
                out.append(resource)
    return out


def _read_ids(version: Any) -> list[str]:
    ids = []
    sources = [version.source, *(d.source for d in version.data_disks)]
    for source in sources:
        if source is None or source.address:
            continue  # a version of these manifests: validate checks it, apply waits for it
        if source.kind is m.SourceKind.VHD:
            if source.storage_account_id:
                ids.append(source.storage_account_id)
        elif source.id:
            ids.append(source.id)
    return ids


def source_ids(changes: Iterable[ResourceChange], desired: m.DesiredState) -> list[str]:
    """Every source a planned version create needs read (deduplicated by the reader)."""
    return [i for v in _planned_versions(changes, desired) for i in _read_ids(v)]


def _definition(version: Any, desired: m.DesiredState, live: LiveState) -> Any:
    key = m.resource_key(version.parent_address)
    live_def = live.resources.get(key)
    if live_def is not None:
        return live_def.resource  # it exists: what Azure has is what the version is checked against
    return desired.by_key().get(key)


class _Checker:
    def __init__(self, report: SourceReport, version: Any, definition: Any) -> None:
        self.report, self.version, self.definition = report, version, definition

    def add(self, severity: Severity, prop: str, message: str, hint: str | None = None) -> None:
        origin = self.version.origin_of(prop)
        self.report.problems.append(
            Diagnostic(
                severity,
                f"version {self.version.address}: {message}",
                file=origin.file if origin else None,
                line=origin.line if origin else None,
                column=origin.column if origin else None,
                path=None,
                hint=hint,
            )
        )

    def exists(self, facts: SourceFacts | None, prop: str, what: str) -> bool:
        """False (and a problem) when the source is missing or unreadable: its other checks are skipped."""
        if facts is None:
            return False
        if not facts.found:
            self.add(
                Severity.ERROR,
                prop,
                f"{what} {facts.id} does not exist, so Azure would refuse the version",
                "check the name and resource group of the source",
            )
            return False
        if facts.unreadable:
            self.add(
                Severity.WARNING,
                prop,
                f"{what} {facts.id} could not be read ({facts.unreadable}); its region, OS and size were not checked",
                "grant the identity read access to it to have the plan check it",
            )
            return False
        if facts.location and facts.location != self.version.location:
            self.add(
                Severity.ERROR,
                prop,
                f"{what} {facts.id} is in {facts.location}, but the version is created in {self.version.location} "
                "(its gallery's region), and Azure takes sources from that region only",
                f"copy the source to {self.version.location}, or keep the gallery where the source is",
            )
        return True

    def in_targets(self, facts: SourceFacts) -> None:
        """Azure: "Gallery image version publishing profile regions <...> must contain the location of image
        version <sourceRegion>." (API-FACTS §5.3, [D-TSG]; [D-SIG]: the source region is one of the targets)."""
        targets = {t.name for t in self.version.target_regions}
        if facts.location and targets and facts.location not in targets:
            self.add(
                Severity.ERROR,
                "targetRegions",
                f"the target regions do not include the source's region {facts.location}, which Azure requires",
                f"add {facts.location} to targetRegions",
            )

    def os(self, facts: SourceFacts) -> None:
        d, hint_where = self.definition, f"definition {self.version.parent_address}"
        if d is None:
            return
        if facts.os_type and facts.os_type.lower() != d.os_type.lower():
            self.add(
                Severity.ERROR,
                "source",
                f"the source's OS type is {facts.os_type}, the definition's {d.os_type}",
                f"make the version from a {d.os_type} source, or use another definition",
            )
        if facts.os_state and facts.os_state.lower() != d.os_state.lower():
            self.add(
                Severity.ERROR,
                "source",
                f"the source is {facts.os_state}, the definition {d.os_state}; Azure refuses a version whose "
                "source's OS state differs from its definition's",
                f"make the version from a {d.os_state.lower()} source, or use a {facts.os_state} definition",
            )
        generation = d.hyper_v_generation or d.effective_hyper_v_generation
        if facts.hyper_v_generation and facts.hyper_v_generation.upper() != generation.upper():
            unset = d.hyper_v_generation is None
            self.add(
                Severity.ERROR,
                "source",
                f"the source is Hyper-V generation {facts.hyper_v_generation}, the definition "
                + (
                    f"{generation} (unset, which Azure takes as {generation} at the api-version this tool uses)"
                    if unset
                    else generation
                ),
                f"set hyperVGeneration: {facts.hyper_v_generation} on {hint_where}"
                if unset
                else f"make the version from a generation {generation[1:]} source",
            )
        arch = (getattr(d, "architecture", None) or "x64").lower()
        if facts.architecture and facts.architecture.lower() != arch:
            self.add(
                Severity.WARNING,
                "source",
                f"the source's architecture is {facts.architecture}, the definition's {arch}",
                f"set architecture: {facts.architecture} on {hint_where}",
            )
        plan = d.purchase_plan
        theirs = facts.purchase_plan
        mine = (plan.name, plan.product, plan.publisher) if plan else None
        if theirs and mine != theirs:
            self.add(
                Severity.WARNING,
                "source",
                f"the source carries purchase plan {'/'.join(theirs)}, the definition "
                + ("none" if mine is None else "/".join(mine)),
                f"set purchasePlan {{name: {theirs[0]}, product: {theirs[1]}, publisher: {theirs[2]}}} on {hint_where}",
            )

    def size(self, facts: SourceFacts, prop: str) -> None:
        shallow = (self.version.replication_mode or "").lower() == "shallow"
        limit = SHALLOW_REPLICATION_MAX_GB if shallow else FULL_REPLICATION_MAX_GB
        sizes = [("OS disk", facts.os_disk_size_gb)] + [
            (f"data disk LUN {lun}", size) for lun, size in facts.data_disks
        ]
        for what, size in sizes:
            if size is not None and size >= limit:
                mode = "shallow" if shallow else "full"
                self.add(
                    Severity.WARNING,
                    prop,
                    f"the source's {what} is {size} GB; {mode} replication handles images "
                    + ("up to 32 TB" if shallow else "under 2 TB")
                    + " (Azure's documented limit), so replication would fail",
                    None if shallow else "set replicationMode: Shallow (up to 32 TB), or use a smaller source",
                )

    def replication(self, facts: SourceFacts) -> None:
        state = (facts.provisioning_state or "").lower()
        if state in ("creating", "updating"):
            self.report.waits[self.version.address] = facts.id
            self.report.notes.setdefault(self.version.address, []).append(Why(Note.WAITS_FOR_SOURCE, (facts.id,)))
        elif state == "failed":
            self.add(
                Severity.ERROR,
                "source",
                f"the source version {facts.id} failed; Azure only makes versions from one that replicated",
                "repair or replace the source version first",
            )


def check_sources(
    changes: Iterable[ResourceChange], desired: m.DesiredState, live: LiveState, facts: dict[str, SourceFacts]
) -> SourceReport:
    """Every problem Azure would find with the sources of the versions the plan creates."""
    report = SourceReport()
    for version in _planned_versions(changes, desired):
        checker = _Checker(report, version, _definition(version, desired, live))
        source = version.source
        if source is not None and not source.address:
            if source.kind is m.SourceKind.VHD:
                account = facts.get((source.storage_account_id or "").lower())
                checker.exists(account, "source", "the VHD's storage account")
                report.notes.setdefault(version.address, []).append(
                    Why(Note.SOURCE_NOT_CHECKED, ("OS type", "generation", "size"))
                )
            else:
                found = facts.get((source.id or "").lower())
                if found is not None and checker.exists(found, "source", "source"):
                    checker.in_targets(found)
                    checker.os(found)
                    checker.size(found, "source")
                    if source.kind is m.SourceKind.GALLERY_IMAGE_VERSION:
                        checker.replication(found)
        for disk in version.data_disks:
            if disk.source is None or disk.source.address:
                continue
            key = disk.source.storage_account_id if disk.source.kind is m.SourceKind.VHD else disk.source.id
            found = facts.get((key or "").lower())
            exists = found is not None and checker.exists(found, "dataDisks", f"data disk LUN {disk.lun} source")
            if exists and found is not None and disk.source.kind is not m.SourceKind.VHD:
                checker.size(found, "dataDisks")
    return report


def unknown_regions(desired: m.DesiredState) -> set[str]:
    """Regions the manifests name that the bundled table does not know (folded)."""
    from reconciler.core.regions import is_known_region

    names = {r.location for r in desired.resources} | {t.name for v in desired.versions for t in v.target_regions}
    return {n for n in names if n and not is_known_region(n)}


def check_regions(desired: m.DesiredState, available: set[str]) -> list[Diagnostic]:
    """Target regions the subscription does not list: Azure refuses the version (an unavailable location)."""
    out = []
    for version in desired.versions:
        missing = sorted(t.name for t in version.target_regions if t.name not in available)
        if not missing:
            continue
        origin = version.origin_of("targetRegions")
        out.append(
            Diagnostic(
                Severity.ERROR,
                f"version {version.address}: the subscription has no region {', '.join(missing)}, so Azure would "
                "refuse the version",
                file=origin.file if origin else None,
                line=origin.line if origin else None,
                column=origin.column if origin else None,
                hint="check the spelling; `az account list-locations -o table` lists the subscription's regions",
            )
        )
    return out
