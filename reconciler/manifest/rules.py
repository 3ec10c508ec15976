"""Semantic rules Azure enforces that a schema cannot express: ranges, uniqueness, cross-field and cross-file checks."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from reconciler.core.api import DEFAULT_HYPER_V_GENERATION, GALLERY_API_VERSION
from reconciler.core.model import OWNERSHIP_TAG
from reconciler.diagnostics import Diagnostics, Severity
from reconciler.manifest.bundle import (
    Declared,
    ManifestBundle,
    definition_location,
    gallery_location,
    gallery_resource_group,
)
from reconciler.manifest.normalise import INT32_MAX, parse_date
from reconciler.manifest.regions_syntax import region_problem
from reconciler.manifest.yaml_source import KeyPath, SourceDocument

NEEDS_V2 = {
    "TrustedLaunch",
    "TrustedLaunchSupported",
    "ConfidentialVM",
    "ConfidentialVmSupported",
    "TrustedLaunchAndConfidentialVmSupported",
}
MAX_TAGS = 50


class Reporter:
    """Emits diagnostics positioned at a resource's property or at a document path."""

    def __init__(self, diags: Diagnostics) -> None:
        self.diags = diags

    def doc(
        self,
        doc: SourceDocument,
        path: KeyPath,
        message: str,
        *,
        hint: str | None = None,
        key: bool = False,
        severity: Severity = Severity.ERROR,
    ) -> None:
        line, column = doc.key_pos(path) if key else doc.pos(path)
        dotted = ".".join(map(str, path)) or None
        add = self.diags.error if severity is Severity.ERROR else self.diags.warning
        add(message, file=doc.file, line=line, column=column, path=dotted, hint=hint)

    def at(
        self, node: Declared, *subpath: str | int, message: str, hint: str | None = None, key: bool = False, **kw: Any
    ) -> None:
        doc, path = node.where(*subpath)
        self.doc(doc, path, message, hint=hint, key=key or not subpath, **kw)


def _check_location(report: Reporter, doc: SourceDocument, path: KeyPath, name: str) -> None:
    problem = region_problem(name)
    if problem:  # the bundled table cannot know every region, so this is only a warning offline
        report.doc(doc, path, problem[0], hint=problem[1], severity=Severity.WARNING)


def _check_tags(report: Reporter, doc: SourceDocument, path: KeyPath, tags: dict[str, str]) -> None:
    for key in tags:
        if key.lower() == OWNERSHIP_TAG[0]:
            report.doc(
                doc,
                (*path, key),
                f"tag '{key}' is reserved: reconcile sets '{OWNERSHIP_TAG[0]}: <estate>' on what it manages",
                key=True,
                hint="use another tag name",
            )


def check_eol(report: Reporter, node: Declared, now: datetime) -> None:
    text = node.props.get("endOfLifeDate")
    if text is None:
        return
    when = parse_date(text)
    if when is None:
        report.at(node, "endOfLifeDate", message=f"'{text}' is not a valid date")
    elif when <= now:
        report.at(
            node,
            "endOfLifeDate",
            message=f"EndOfLifeDate must be set to a future date ({text} has passed)",
            hint="remove it or move it forward",
        )


def _check_scopes(report: Reporter, bundle: ManifestBundle) -> None:
    for doc in bundle.documents:
        scope = doc.data.get("scope") or {}
        if "location" in scope:
            _check_location(report, doc, ("scope", "location"), scope["location"])
        if scope.get("createResourceGroup") and not scope.get("location"):
            report.doc(doc, ("scope", "createResourceGroup"), "creating the resource group needs scope.location")
        if scope.get("createResourceGroup") and not scope.get("resourceGroup"):
            report.doc(doc, ("scope", "createResourceGroup"), "createResourceGroup needs scope.resourceGroup")
        _check_tags(report, doc, ("scope", "tags"), scope.get("tags") or {})
        for gname, gallery in (doc.data.get("galleries") or {}).items():
            gpath = ("galleries", gname)
            _check_tags(report, doc, (*gpath, "tags"), (gallery or {}).get("tags") or {})
            for dname, definition in ((gallery or {}).get("definitions") or {}).items():
                dpath = (*gpath, "definitions", dname)
                _check_tags(report, doc, (*dpath, "tags"), (definition or {}).get("tags") or {})
                for vname, version in ((definition or {}).get("versions") or {}).items():
                    _check_tags(report, doc, (*dpath, "versions", vname, "tags"), (version or {}).get("tags") or {})


def _check_tag_count(report: Reporter, node: Declared) -> None:
    merged = {**node.default_tags(), **(node.props.get("tags") or {})}
    merged[OWNERSHIP_TAG[0]] = OWNERSHIP_TAG[1]
    if len(merged) > MAX_TAGS:
        where = ("tags",) if "tags" in node.props else ()
        report.at(
            node,
            *where,
            message=f"{len(merged)} tags with the scope's defaults and the ownership tag; Azure allows {MAX_TAGS}",
        )


def _check_gallery(report: Reporter, gallery: Declared) -> None:
    found = gallery_resource_group(gallery)
    if found is None:
        report.at(
            gallery,
            message=f"gallery '{gallery.name}' has no resource group",
            hint="set scope.resourceGroup in the file that declares it",
        )
    else:
        group, source = found
        for doc, _ in gallery.mentions:
            other = (doc.data.get("scope") or {}).get("resourceGroup")
            if other and other.lower() != group.lower():
                line, column = source.pos(("scope", "resourceGroup"))
                report.doc(
                    doc,
                    ("scope", "resourceGroup"),
                    f"this file's scope puts gallery '{gallery.name}' in resource group '{other}', "
                    f"but {source.file}:{line}:{column} puts it in '{group}'",
                    hint="a gallery lives in one resource group; move its definitions to a file with that scope",
                )
    location = gallery_location(gallery)
    if location is None:
        report.at(gallery, message=f"gallery '{gallery.name}' has no location", hint="set location or scope.location")
    elif "location" in gallery.props:
        _check_location(report, *gallery.where("location"), location)
    _check_tag_count(report, gallery)
    _check_sharing(report, gallery)


# Direct shared galleries, during the preview: "You can share up to 30 subscriptions and 5 tenants"
# (share-gallery-direct docs). A warning: the limits may have been lifted since.
MAX_SHARED = {"subscriptions": 30, "tenants": 5}


def _check_sharing(report: Reporter, gallery: Declared) -> None:
    sharing = gallery.props.get("sharing")
    if not isinstance(sharing, dict) or "permissions" not in sharing:
        return
    permissions = sharing["permissions"]
    for key in ("subscriptions", "tenants"):
        if key in sharing and permissions != "Groups":
            report.at(
                gallery,
                "sharing",
                key,
                message=f"sharing.{key} needs permissions: Groups (a direct shared gallery), not {permissions}",
                hint=f"set permissions: Groups, or remove {key}",
                key=True,
            )
        elif len(sharing.get(key) or ()) > MAX_SHARED[key]:
            report.at(
                gallery,
                "sharing",
                key,
                message=f"{len(sharing[key])} {key}: Azure documents at most {MAX_SHARED[key]} for a direct shared "
                "gallery (preview limits)",
                severity=Severity.WARNING,
            )
    if permissions == "Community" and "community" not in sharing:
        report.at(
            gallery,
            "sharing",
            message="a community gallery needs sharing.community: publisherUri, publisherContact, eula and "
            "publicNamePrefix (Azure publishes them)",
            hint="add sharing.community",
            key=True,
        )
    elif permissions != "Community" and "community" in sharing:
        report.at(
            gallery,
            "sharing",
            "community",
            message=f"sharing.community is for permissions: Community, not {permissions}",
            hint="set permissions: Community, or remove community",
            key=True,
        )


def _check_definition(
    report: Reporter, definition: Declared, now: datetime, seen: dict[tuple[str, ...], Declared]
) -> None:
    props = definition.props
    for required in ("identifier", "osType", "osState"):
        if required not in props:
            report.at(
                definition,
                message=f"missing required property '{required}' (not set in any file)",
                hint="a file may add versions to a definition, but some file must declare it fully",
            )
    identifier = props.get("identifier")
    if identifier:
        triple = tuple(identifier[k].lower() for k in ("publisher", "offer", "sku"))
        other = seen.get(triple)
        if other is not None:
            doc, path = other.where("identifier")
            line, column = doc.key_pos(path)
            report.at(
                definition,
                "identifier",
                key=True,
                message=f"Gallery image: {other.name} identified by (publisher:{identifier['publisher']}, "
                f"offer:{identifier['offer']}, sku:{identifier['sku']}) already exists ({doc.file}:{line}:{column})",
                hint="Choose a different publisher, offer, sku combination.",
            )
        else:
            seen[triple] = definition
    if "location" in props:
        _check_location(report, *definition.where("location"), props["location"])
    check_eol(report, definition, now)
    for name in ("vCPUs", "memory"):
        bounds = (props.get("recommended") or {}).get(name) or {}
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            report.at(
                definition,
                "recommended",
                name,
                message=f"The minimum value of {name} must not be greater than the maximum value of {name}.",
            )
    # Unset, the generation is what Azure defaults to at the api-version the tool pins (core.api).
    generation = props.get("hyperVGeneration") or DEFAULT_HYPER_V_GENERATION
    features = props.get("features") or {}
    security = features.get("securityType")
    # No recorded or documented refusal backs these three, so they warn (Terraform's acceptance tests even
    # create NVMe on a V1 definition).
    if security in NEEDS_V2 and generation != "V2":
        report.at(
            definition,
            "features",
            "securityType",
            message=f"security type {security} needs a V2 (generation 2) definition",
            hint="set hyperVGeneration: V2",
            severity=Severity.WARNING,
        )
    if "NVMe" in (features.get("diskControllerTypes") or []) and generation != "V2":
        report.at(
            definition,
            "features",
            "diskControllerTypes",
            message="VMs from a V1 (generation 1) definition cannot boot from an NVMe disk controller",
            hint="set hyperVGeneration: V2 if the images are generation 2",
            severity=Severity.WARNING,
        )
    if props.get("architecture") == "Arm64" and generation != "V2":
        report.at(
            definition,
            "architecture",
            message="Arm64 images need a V2 (generation 2) definition",
            hint="set hyperVGeneration: V2",
            severity=Severity.WARNING,
        )
    if "hyperVGeneration" not in props and "osType" in props:
        report.at(
            definition,
            message=f"hyperVGeneration is unset: Azure creates the definition as {DEFAULT_HYPER_V_GENERATION} at "
            f"api-version {GALLERY_API_VERSION} (the one this tool uses; V1 before 2025-03-03), and a version "
            "whose source has another generation is refused",
            hint="set hyperVGeneration: V1 or V2 to say which",
            severity=Severity.WARNING,
        )
    _check_tag_count(report, definition)


def check_bundle(bundle: ManifestBundle, *, now: datetime | None = None) -> Diagnostics:
    """Every semantic problem of a merged bundle (its documents are schema-valid, broken parts cut out)."""
    from reconciler.manifest.rules_promotion import check_promotion_cycles
    from reconciler.manifest.rules_versions import check_version

    now = now or datetime.now(timezone.utc)
    diags = Diagnostics()
    report = Reporter(diags)
    _check_scopes(report, bundle)
    # Resources that lost properties to schema errors skip their own rules; their children are still checked.
    for gallery in bundle.galleries.values():
        if bundle.is_checkable(gallery.address):
            _check_gallery(report, gallery)
        identifiers: dict[tuple[str, ...], Declared] = {}
        for definition in gallery.children.values():
            if bundle.is_checkable(definition.address):
                _check_definition(report, definition, now, identifiers)
            # an inherited location is only sure when nothing on the way was cut out
            location = definition_location(definition) if bundle.is_complete(definition.address) else None
            for version in definition.children.values():
                if bundle.is_checkable(version.address):
                    check_version(report, bundle, version, location, now)
                    _check_tag_count(report, version)
    check_promotion_cycles(report, bundle)
    for version in bundle.versions():
        if bundle.is_removed(version.address):
            continue
        parts = version.name.split(".")
        if any(int(p) > INT32_MAX for p in parts):
            report.at(
                version,
                message=f"version '{version.name}': each part of Major.Minor.Patch must be at most {INT32_MAX}",
            )
    return diags
