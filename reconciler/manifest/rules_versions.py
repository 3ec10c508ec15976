"""Semantic rules for image versions: sources, data disks, target regions, replication mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.core.regions import display_name, fold_region, is_known_region, supports_zrs
from reconciler.diagnostics import Severity
from reconciler.manifest.bundle import Declared, ManifestBundle
from reconciler.manifest.normalise import RegionEntry, region_entry
from reconciler.manifest.regions_syntax import ShorthandError, region_problem
from reconciler.manifest.resource_ids import id_problem
from reconciler.manifest.rules import Reporter, check_eol

DISK_SOURCES = ("snapshot", "disk", "vhd")


def _check_reference(report: Reporter, version: Declared, path: tuple[str | int, ...], kind: str, value: Any) -> None:
    """An ARM id used as a source must be exactly the id of a resource of the right type (names are schema-checked)."""
    if not isinstance(value, str):
        return
    problem = id_problem(value, kind)
    if problem is not None:
        report.at(version, *path, message=problem[0], hint=problem[1])


def _check_source(report: Reporter, version: Declared, path: tuple[str | int, ...], source: dict[str, Any]) -> None:
    for kind, value in source.items():
        if kind == "vhd":
            _check_reference(
                report, version, (*path, kind, "storageAccount"), "storageAccount", value["storageAccount"]
            )
        elif kind == "galleryImageVersion" and isinstance(value, dict):
            continue
        else:
            _check_reference(report, version, (*path, kind), kind, value)


def _regions(report: Reporter, version: Declared) -> list[tuple[int, RegionEntry]]:
    entries: list[tuple[int, RegionEntry]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(version.props.get("targetRegions") or []):
        try:
            entry = region_entry(item)
        except ShorthandError as exc:
            report.at(version, "targetRegions", index, message=exc.message, hint=exc.hint)
            continue
        where: tuple[str | int, ...] = (
            ("targetRegions", index) if isinstance(item, str) else ("targetRegions", index, "name")
        )
        problem = region_problem(entry.name)
        if problem:  # the bundled table cannot know every region (new, early access): only a warning offline
            report.at(version, *where, message=problem[0], hint=problem[1], severity=Severity.WARNING)
        folded = fold_region(entry.name)
        if folded in seen:
            report.at(
                version,
                *where,
                message=f"Duplicate regions are not allowed in target publishing regions: '{entry.name}' "
                f"is the same region as item {seen[folded] + 1} ({display_name(folded)})",
            )
            continue
        seen[folded] = index
        entries.append((index, entry))
    return entries


def _check_regions(
    report: Reporter, version: Declared, entries: list[tuple[int, RegionEntry]], location: str | None
) -> None:
    props = version.props
    default_storage = props.get("storageAccountType")
    for index, entry in entries:
        storage = entry.storage_account_type or default_storage
        if storage == "Standard_ZRS" and not supports_zrs(entry.name):
            field = ("targetRegions", index) if entry.storage_account_type else ("storageAccountType",)
            report.at(
                version,
                *field,
                message=f"ZRS storage account type is not supported in region {display_name(entry.name)}",
                hint="use Standard_LRS there (set storageAccountType per region)",
            )
        encryption = entry.encryption or {}
        luns = {disk["lun"] for disk in props.get("dataDisks") or []}
        for lun in encryption.get("dataDiskEncryptionSets") or {}:
            if int(lun) not in luns:
                report.at(
                    version,
                    "targetRegions",
                    index,
                    "encryption",
                    "dataDiskEncryptionSets",
                    lun,
                    key=True,
                    message=f"no data disk with LUN {lun} in this version",
                )
        for lun, des in (encryption.get("dataDiskEncryptionSets") or {}).items():
            path = ("targetRegions", index, "encryption", "dataDiskEncryptionSets", lun)
            _check_reference(report, version, path, "diskEncryptionSet", des)
        if "osDiskEncryptionSet" in encryption:
            path = ("targetRegions", index, "encryption", "osDiskEncryptionSet")
            _check_reference(report, version, path, "diskEncryptionSet", encryption["osDiskEncryptionSet"])
    names = {fold_region(e.name) for _, e in entries}
    if location and is_known_region(location) and entries and fold_region(location) not in names:
        # Azure's wording ("must contain the location of image version") is read as the source's region by
        # the emulator; whether the version's own region is required is undocumented, so only warn.
        report.at(
            version,
            "targetRegions",
            key=True,
            message=f"the target regions do not include the version's own location ({fold_region(location)})",
            hint=f"add '{fold_region(location)}' to targetRegions unless you know Azure accepts it",
            severity=Severity.WARNING,
        )


def _check_shallow(report: Reporter, version: Declared, entries: list[tuple[int, RegionEntry]]) -> None:
    props = version.props
    if props.get("replicationMode") != "Shallow":
        return
    if len(props.get("targetRegions") or []) > 1:
        report.at(
            version,
            "targetRegions",
            key=True,
            message="Shallow replication publishes to exactly one target region (the version's own)",
            hint="use replicationMode: Full to replicate to more regions",
        )
    if (props.get("replicaCount") or 1) != 1:
        report.at(version, "replicaCount", message="Shallow replication allows exactly one replica")
    for index, entry in entries:
        if (entry.replicas or 1) != 1:
            report.at(version, "targetRegions", index, message="Shallow replication allows exactly one replica")
        if entry.encryption:
            report.at(
                version,
                "targetRegions",
                index,
                "encryption",
                key=True,
                message="Shallow replication does not support disk encryption sets",
            )


def _check_disks(report: Reporter, version: Declared) -> None:
    props = version.props
    source_kind = next(iter(props["source"]))
    disks = props.get("dataDisks") or []
    if disks and source_kind not in DISK_SOURCES:
        report.at(
            version,
            "dataDisks",
            key=True,
            message=f"data disks cannot be added to a {source_kind} source, which brings its own "
            "(Azure takes the source either from storageProfile or from the individual OS and data disks)",
            hint="use a snapshot, disk or vhd OS source to list data disks",
        )
    seen: dict[int, int] = {}
    for index, disk in enumerate(disks):
        if disk["lun"] in seen:
            report.at(
                version,
                "dataDisks",
                index,
                "lun",
                message=f"Duplicated lun numbers have been detected in the input data disks: LUN {disk['lun']} "
                f"is also used by data disk {seen[disk['lun']] + 1}",
                hint="Lun number must be unique for each data disk.",
            )
        seen.setdefault(disk["lun"], index)
        _check_source(report, version, ("dataDisks", index, "source"), disk["source"])


def _check_gallery_source(report: Reporter, bundle: ManifestBundle, version: Declared) -> None:
    reference = version.props["source"].get("galleryImageVersion")
    if not isinstance(reference, dict):
        return
    address = reference["address"]
    where = ("source", "galleryImageVersion", "address")
    target = bundle.find(address)
    if not bundle.is_complete(address):
        return  # its schema errors are reported; what they cut out is not another problem
    if target is None or target.kind != "version":
        report.at(
            version,
            *where,
            message=f"no version '{address}' in these manifests",
            hint="write gallery/definition/version",
        )
        return
    if target is version:
        report.at(version, *where, message="a version cannot be its own source")
        return
    source_def, this_def = target.parent, version.parent
    if source_def is None or this_def is None:  # versions always sit in a definition
        return
    for prop in ("osType", "osState", "hyperVGeneration"):
        theirs, ours = source_def.props.get(prop), this_def.props.get(prop)
        if theirs and ours and theirs != ours:
            report.at(version, *where, message=f"the source version's definition has {prop} {theirs}, this one {ours}")
    source_regions: set[str] = set()
    for item in target.props.get("targetRegions") or []:
        try:
            source_regions.add(fold_region(region_entry(item).name))
        except ShorthandError:
            return
    ours: set[str] = set()
    for item in version.props.get("targetRegions") or []:
        try:
            ours.add(fold_region(region_entry(item).name))
        except ShorthandError:
            return
    if source_regions and ours and not source_regions & ours:
        report.at(
            version,
            *where,
            message=f"source version '{target.address}' is replicated to {', '.join(sorted(source_regions))}, "
            "none of which is a target region of this version",
            hint="Gallery image version publishing profile regions must contain the location of the source",
        )


def check_version(
    report: Reporter, bundle: ManifestBundle, version: Declared, location: str | None, now: datetime
) -> None:
    props = version.props
    if "source" not in props or "targetRegions" not in props:
        return  # the schema reported it
    check_eol(report, version, now)
    _check_source(report, version, ("source",), props["source"])
    _check_disks(report, version)
    entries = _regions(report, version)
    _check_regions(report, version, entries, location)
    _check_shallow(report, version, entries)
    _check_gallery_source(report, bundle, version)
    safety = props.get("safety") or {}
    from reconciler.manifest.rules_lifecycle import end_of_life_by_rule

    if (
        safety.get("blockDeletionBeforeEndOfLife")
        and props.get("endOfLifeDate") is None
        and not end_of_life_by_rule(version)
    ):
        report.at(
            version,
            "safety",
            "blockDeletionBeforeEndOfLife",
            message="blockDeletionBeforeEndOfLife has no effect without an endOfLifeDate",
            severity=Severity.WARNING,
        )
