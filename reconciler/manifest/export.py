"""`reconcile export`: live galleries, definitions and versions as the manifests a person would write (pure).

Each kind maps its own resources (`ResourceKind.to_manifest`); this module decides the files, the order,
the scope and settings, and how references are written (`ExportContext`). Layouts:

- `gallery` (default): one file per gallery, `<gallery>.yaml`, with its definitions and versions;
- `definition`: a folder per gallery, `<gallery>/gallery.yaml` with the scope, settings and the gallery's
  own properties, and `<gallery>/<definition>.yaml` per definition (the layout of `manifests/full/`,
  where each team owns its definition's file). A definition named `gallery` moves the gallery's file
  to `_gallery.yaml` (definition names cannot start with `_`).

Galleries, definitions and versions are written in name order (versions numerically). Nothing here
reads Azure or writes files: `commands/export.py` does both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.core import arm_json as aj
from reconciler.core import model as m
from reconciler.core.live_state import LiveResource
from reconciler.core.redact import redact_json
from reconciler.errors import UserError
from reconciler.kinds import GALLERY, IMAGE_DEFINITION, IMAGE_VERSION
from reconciler.kinds.base import NotExportable
from reconciler.manifest.yaml_writer import Block, Quoted, dump

LAYOUTS = ("gallery", "definition")
API_VERSION = "gallery-reconciler/v1"


@dataclass(frozen=True)
class ExportRequest:
    """What to export and how to write it."""

    subscription: str
    """The target subscription: references into it are written structurally, others as ARM ids."""
    resource_group: str
    now: datetime
    """Dates before it are left out (validate refuses past end-of-life dates)."""
    layout: str = "gallery"
    adopt: bool = False
    """Write `settings.adopt: true`: the first apply adds the ownership tag to resources that lack it."""
    output: Path = Path(".")
    """The folder the files go to (absolute), for the relative path of the schema line."""
    schema: Path | None = None
    """The manifest JSON Schema file the `$schema=` line points at (relative to each file); None: no line."""


@dataclass
class Exported:
    """The files of an export and what a user should be told about it."""

    files: dict[PurePosixPath, str] = field(default_factory=dict)
    """Relative path -> YAML text, in writing order."""
    counts: dict[str, int] = field(default_factory=dict)
    """Kind name -> resources written."""
    unowned: list[str] = field(default_factory=list)
    """Addresses of the exported resources without the ownership tag (made by hand or another tool)."""
    estate: str = m.DEFAULT_ESTATE
    left_out: list[str] = field(default_factory=list)
    """"address: why" for each resource that could not be written."""


class _Context:
    """The exporter's side of `ExportContext` for one export."""

    def __init__(self, request: ExportRequest, resources: list[Any]) -> None:
        self.now = request.now
        self.subscription = request.subscription.lower()
        self.group = request.resource_group.lower()
        self.locations = {m.resource_key(r.address): r.location for r in resources if r.kind is GALLERY}
        self.versions = {r.id.lower(): r.address for r in resources if r.kind is IMAGE_VERSION}
        self.notes: dict[str, list[str]] = {}

    def reference(self, kind: str, resource_id: str) -> Any:
        from azure.mgmt.core.tools import parse_resource_id

        expected = m.ARM_TYPES[kind].lower()
        if aj.resource_type(resource_id) != expected:
            raise NotExportable(f"'{resource_id}' is not the id of a {kind} ({m.ARM_TYPES[kind]})")
        parts = parse_resource_id(resource_id)
        if str(parts.get("subscription", "")).lower() != self.subscription:
            return resource_id
        name, group = str(parts["name"]), str(parts["resource_group"])
        return {"name": name} if group.lower() == self.group else {"resourceGroup": group, "name": name}

    def version_source(self, resource_id: str) -> Any:
        address = self.versions.get(resource_id.lower())
        return {"address": address} if address else resource_id

    def inherited_location(self, resource: Any) -> str | None:
        if resource.kind is GALLERY:
            return resource.location  # each gallery's file has the gallery's location as its scope's
        return self.locations.get(m.resource_key(resource.gallery))

    def note(self, resource: Any, text: str) -> None:
        self.notes.setdefault(m.resource_key(resource.address), []).append(text)

    def notes_of(self, resource: Any) -> list[str]:
        return self.notes.get(m.resource_key(resource.address), [])


def _estate(items: list[LiveResource]) -> str:
    """The one estate that owns the owned resources; refused when they belong to several."""
    owners: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for item in items:
        if item.info.owner is not None:
            owners.setdefault(item.info.owner.lower(), []).append(item.address)
            spelled.setdefault(item.info.owner.lower(), item.info.owner)
    if len(owners) > 1:
        listed = "; ".join(f"{owner}: {', '.join(addresses[:3])}" for owner, addresses in sorted(owners.items()))
        raise UserError(
            f"the resources belong to several estates (tag gallery-reconciler: {listed}); one manifest tree "
            "is one estate, so export the galleries of each estate separately with --gallery"
        )
    return next(iter(spelled.values()), m.DEFAULT_ESTATE)


class _Writer:
    def __init__(self, request: ExportRequest, items: list[LiveResource]) -> None:
        self.request = request
        self.resources = [item.resource for item in items]
        self.below: dict[str, list[Any]] = {}
        for resource in sorted(self.resources, key=lambda r: (r.kind.depth, r.kind.sort_key(r))):
            if resource.parent_address is not None:
                self.below.setdefault(m.resource_key(resource.parent_address), []).append(resource)
        self.context = _Context(request, self.resources)
        self.out = Exported(counts={kind.name: 0 for kind in (GALLERY, IMAGE_DEFINITION, IMAGE_VERSION)})

    def children(self, parent: Any) -> list[Any]:
        """The resources directly below `parent`, in plan order (names; versions numerically)."""
        return self.below.get(m.resource_key(parent.address), [])

    def properties(self, resource: Any) -> tuple[Block | None, str]:
        """The resource's own properties as a block, or (None, why) when it cannot be written."""
        try:
            props = resource.kind.to_manifest(resource, self.context)
        except NotExportable as why:
            self.out.left_out.append(f"{resource.address}: {why}")
            return None, str(why)
        self.out.counts[resource.kind.name] += 1
        # A secret in a free-text value (a SAS in a release-note URI, a token in a tag) is not written either.
        return Block(redact_json(props)), ""

    def definition(self, definition: Any) -> Block | None:
        block, _ = self.properties(definition)
        if block is None:
            return None
        versions = Block()
        skipped = []
        for version in self.children(definition):
            props, why = self.properties(version)
            if props is None:
                skipped.append(f"version {version.name} left out: {why}")
                continue
            versions.items[Quoted.of(version.name)] = props
            versions.comments[Quoted.of(version.name)] = self.context.notes_of(version)
        if versions.items or skipped:
            block.items["versions"] = versions
            block.comments["versions"] = skipped
        return block

    def settings(self) -> dict[str, Any] | None:
        settings: dict[str, Any] = {}
        if self.out.estate.lower() != m.DEFAULT_ESTATE:
            settings["estate"] = self.out.estate
        if self.request.adopt:
            settings["adopt"] = True
        return settings or None

    def header(self, path: PurePosixPath, lines: list[str]) -> list[str]:
        out = []
        if self.request.schema is not None:
            here = (self.request.output / path).parent
            relative = os.path.relpath(self.request.schema, here)
            out += [f"yaml-language-server: $schema={PurePosixPath(Path(relative).as_posix())}", ""]
        return out + lines

    def document(self, gallery: Any, gallery_block: Block, definitions: Block | None, *, scope: bool) -> Block:
        doc = Block({"apiVersion": API_VERSION})
        if scope:
            doc.items["scope"] = {"resourceGroup": gallery.resource_group, "location": gallery.location}
            if settings := self.settings():
                doc.items["settings"] = settings
        if definitions is not None:
            gallery_block.items["definitions"] = definitions
        galleries = Block({gallery.name: gallery_block})
        galleries.comments[gallery.name] = self.context.notes_of(gallery) if scope else []
        doc.items["galleries"] = galleries
        return doc

    def gallery(self, gallery: Any) -> None:
        block, _ = self.properties(gallery)
        if block is None:
            return
        group, day = gallery.resource_group, f"{self.request.now:%Y-%m-%d}"
        made = f"Exported by `reconcile export` from resource group {group} on {day}."
        definitions = [(d, self.definition(d)) for d in self.children(gallery)]
        if self.request.layout == "gallery":
            defs = Block()
            for d, props in definitions:
                if props is not None:
                    defs.items[d.name] = props
                    defs.comments[d.name] = self.context.notes_of(d)
            path = PurePosixPath(f"{gallery.name}.yaml")
            doc = self.document(gallery, block, defs if defs.items else None, scope=True)
            self.out.files[path] = dump(doc, self.header(path, [made]))
            return
        folder = PurePosixPath(gallery.name)
        names = {d.name.lower() for d, _ in definitions}
        path = folder / ("_gallery.yaml" if "gallery" in names else "gallery.yaml")
        lines = [made, "Each definition is in its own file next to this one (the files inherit this scope)."]
        self.out.files[path] = dump(self.document(gallery, block, None, scope=True), self.header(path, lines))
        for d, props in definitions:
            if props is None:
                continue
            file = folder / f"{d.name}.yaml"
            defs = Block({d.name: props}, {d.name: self.context.notes_of(d)})
            doc = self.document(gallery, Block(), defs, scope=False)
            self.out.files[file] = dump(doc, self.header(file, [f"Definition {d.address}; {made}"]))


def export_estate(items: Iterable[LiveResource], request: ExportRequest) -> Exported:
    """The manifests of the live resources (galleries and everything below them), as files.

    Raises UserError when the resources belong to several estates (one manifest tree is one estate).
    """
    if request.layout not in LAYOUTS:
        raise UserError(f"unknown layout {request.layout!r}; use one of {', '.join(LAYOUTS)}")
    listed = list(items)
    writer = _Writer(request, listed)
    writer.out.estate = _estate(listed)
    writer.out.unowned = sorted(
        (item.address for item in listed if item.info.owner is None),
        key=lambda a: (a.count("/"), m.resource_key(a)),
    )
    for gallery in sorted((r for r in writer.resources if r.kind is GALLERY), key=GALLERY.sort_key):
        writer.gallery(gallery)
    return writer.out
