"""Build the immutable desired-state model from a merged manifest bundle.

The generic part lives here (scopes, tags, origins, references, resource groups, settings); each
kind's `from_manifest` (in `reconciler.kinds`) maps its own properties.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.core.model import (
    ARM_TYPES,
    DEFAULT_ESTATE,
    DEFAULT_MAX_RETENTION_DELETIONS,
    DEFAULT_SUBSCRIPTION,
    OWNERSHIP_TAG_NAME,
    DesiredState,
    Origin,
    Policy,
    ResourceGroup,
    Source,
    SourceKind,
    Tags,
    desired_state,
    freeze_tags,
)
from reconciler.core.regions import fold_region
from reconciler.diagnostics import Diagnostics
from reconciler.kinds import KINDS
from reconciler.kinds.gallery import gallery_id
from reconciler.manifest.bundle import Declared, ManifestBundle, gallery_resource_group
from reconciler.manifest.normalise import parse_date


class BuildError(Exception):
    """A bundle the rules should have refused (an internal inconsistency, reported as a bug)."""


class Builder:
    """What every kind's `from_manifest` needs: the subscription, and how to resolve scopes and references."""

    def __init__(self, bundle: ManifestBundle, subscription: str) -> None:
        self.bundle, self.subscription = bundle, subscription
        self.estate: str = bundle.settings.get("estate") or DEFAULT_ESTATE

    def origin(self, node: Declared, *subpath: str | int) -> Origin:
        """Where the node (or one of its properties) is written: the key's file, line and column."""
        doc, path = node.where(*subpath) if subpath else node.home
        line, column = doc.key_pos(path)
        return Origin(doc.file, line, column)

    def property_origins(self, node: Declared, *names: str) -> tuple[tuple[str, Origin], ...]:
        """(property, origin) for each of `names` the node sets, for diagnostics about that property."""
        return tuple((name, self.origin(node, name)) for name in names if name in node.props)

    def tags(self, node: Declared) -> Tags:
        merged = {**node.default_tags(), **(node.props.get("tags") or {})}
        merged[OWNERSHIP_TAG_NAME] = self.estate
        return freeze_tags(merged)

    def group(self, node: Declared) -> str:
        while node.parent is not None:
            node = node.parent
        found = gallery_resource_group(node)
        if found is None:
            raise BuildError(f"gallery {node.name} has no resource group (the rules should have said so)")
        return found[0]

    def cleared(self, node: Declared, nested: tuple[str, ...] = ()) -> frozenset[str]:
        """Manifest keys the node sets to null ("there must be none"), with `a.b` for keys of the `nested` mappings."""
        found = {key for key, value in node.props.items() if value is None}
        for key in nested:
            inner = node.props.get(key)
            if isinstance(inner, dict):
                found |= {f"{key}.{sub}" for sub, value in inner.items() if value is None}
        return frozenset(found)

    def parent_of(self, node: Declared) -> Declared:
        """The node's parent (definitions and versions always have one)."""
        if node.parent is None:
            raise BuildError(f"{node.address} has no parent")
        return node.parent

    def date(self, text: str | None) -> datetime | None:
        """A manifest date, or None when unset."""
        return parse_date(text) if text else None

    def reference(self, kind: str, value: Any, default_group: str) -> str:
        if isinstance(value, str):
            return value
        subscription = value.get("subscription") or self.subscription
        group = value.get("resourceGroup") or default_group
        return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{ARM_TYPES[kind]}/{value['name']}"

    def source(self, source: dict[str, Any], group: str) -> Source:
        ((kind, value),) = source.items()
        if kind == "vhd":
            account = self.reference("storageAccount", value["storageAccount"], group)
            return Source(SourceKind.VHD, uri=value["uri"], storage_account_id=account)
        if kind == "galleryImageVersion" and isinstance(value, dict):
            target = self.bundle.find(value["address"])
            if target is None:
                raise BuildError(f"source address {value['address']} is not in the manifests")
            definition = self.parent_of(target)
            gallery = self.parent_of(definition)
            resource_id = gallery_id(self.subscription, self.group(target), gallery.name, definition.name, target.name)
            address = f"{gallery.name}/{definition.name}/{target.name}"
            return Source(SourceKind.GALLERY_IMAGE_VERSION, id=resource_id, address=address)
        return Source(SourceKind(kind), id=self.reference(kind, value, group))

    def resource_groups(self) -> tuple[ResourceGroup, ...]:
        """Every scope's resource group; created when any scope asks, in the region that scope names."""
        seen: dict[str, dict[str, Any]] = {}
        for doc in self.bundle.documents:
            scope = doc.data.get("scope") or {}
            if not scope.get("resourceGroup"):
                continue
            entry = seen.setdefault(
                scope["resourceGroup"].lower(), {"name": scope["resourceGroup"], "create": False, "locations": []}
            )
            location = scope.get("location")
            if scope.get("createResourceGroup"):
                entry["create"] = True
                entry["locations"].insert(0, location)  # the creating scope's region wins
            elif location:
                entry["locations"].append(location)
        groups = [
            ResourceGroup(
                self.subscription,
                e["name"],
                fold_region(e["locations"][0]) if e["locations"] and e["locations"][0] else None,
                e["create"],
            )
            for e in seen.values()
        ]
        return tuple(sorted(groups, key=lambda g: g.name.lower()))


def build_desired_state(bundle: ManifestBundle, subscription_id: str | None = None) -> tuple[DesiredState, Diagnostics]:
    """The desired state of a bundle that loaded without errors.

    :param subscription_id: the target subscription (see `azure.target.subscription_precedence`); None falls back to
        scope.subscription, then to `model.DEFAULT_SUBSCRIPTION` (the embedded emulator).
    """
    diags = Diagnostics()
    if bundle.has_errors:
        diags.error("the manifests have errors (reported when loading); nothing was built")
        return DesiredState(), diags
    builder = Builder(bundle, subscription_id or bundle.subscription or DEFAULT_SUBSCRIPTION)
    try:
        resources = []
        nodes = list(bundle.galleries.values())
        for kind in KINDS:
            resources.extend(kind.from_manifest(builder, node) for node in nodes)
            nodes = [child for node in nodes for child in node.children.values()]
        state = desired_state(
            resources,
            builder.resource_groups(),
            Policy(
                allow_replace=bool(bundle.settings.get("allowReplace")),
                prune=bool(bundle.settings.get("prune")),
                allow_community=bool(bundle.settings.get("allowCommunity")),
                bypass_soft_delete=bool(bundle.settings.get("bypassSoftDelete")),
                prune_unmanaged=tuple(bundle.settings.get("pruneUnmanaged") or ()),
                estate=builder.estate,
                max_retention_deletions=_max_retention_deletions(bundle.settings),
                adopt=bool(bundle.settings.get("adopt")),
            ),
        )
    except Exception as exc:  # the rules should make this unreachable; never show a traceback
        diags.error(f"internal error while building the desired state: {exc!r}; this is a bug, please report it")
        return DesiredState(), diags
    return state, diags


def _max_retention_deletions(settings: dict[str, Any]) -> int:
    value = settings.get("maxRetentionDeletions")
    return DEFAULT_MAX_RETENTION_DELETIONS if value is None else int(value)
