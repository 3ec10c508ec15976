"""The merged manifest tree: each resource's properties with the documents they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.manifest.yaml_source import KeyPath, SourceDocument

CHILDREN = {"gallery": "definitions", "definition": "versions", "version": None}


@dataclass
class Declared:
    """A gallery, definition or version merged from every document that mentions it."""

    kind: str
    name: str
    """As first written; ARM names are case-insensitive, so children are keyed by `name.lower()`."""
    parent: Declared | None = None
    props: dict[str, Any] = field(default_factory=dict)
    prop_where: dict[str, tuple[SourceDocument, KeyPath]] = field(default_factory=dict)
    mentions: list[tuple[SourceDocument, KeyPath]] = field(default_factory=list)
    children: dict[str, Declared] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.parent.address}/{self.name}" if self.parent else self.name

    @property
    def home(self) -> tuple[SourceDocument, KeyPath]:
        """The document declaring this resource: the first that sets a property, else the first mention."""
        for doc, path in self.mentions:
            if any(where[0] is doc for where in self.prop_where.values()):
                return doc, path
        return self.mentions[0]

    def where(self, *subpath: str | int) -> tuple[SourceDocument, KeyPath]:
        """Document and key path of a property (or of the resource itself when `subpath` is empty)."""
        if subpath and subpath[0] in self.prop_where:
            doc, path = self.prop_where[str(subpath[0])]
            return doc, (*path, *subpath[1:])
        doc, path = self.home
        return doc, (*path, *subpath)

    def default_tags(self) -> dict[str, str]:
        """Scope tags cascade: the parent's defaults, overridden by the declaring document's scope tags."""
        inherited = self.parent.default_tags() if self.parent is not None else {}
        doc, _ = self.home
        return {**inherited, **((doc.data.get("scope") or {}).get("tags") or {})}

    def scope(self) -> dict[str, Any]:
        """The scope of the declaring document, falling back to the parent's for scope-less files."""
        doc, _ = self.home
        scope = doc.data.get("scope") or {}
        if not scope and self.parent is not None:
            return self.parent.scope()
        return scope


@dataclass(frozen=True)
class ManifestBundle:
    """Merged, schema-valid manifest documents. Build the model from it with `build_desired_state`."""

    documents: tuple[SourceDocument, ...] = ()
    galleries: dict[str, Declared] = field(default_factory=dict)
    """Keyed by lower-cased gallery name."""
    subscription: str | None = None
    """scope.subscription, when any document names one (they must agree)."""
    settings: dict[str, bool] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    has_errors: bool = False
    """True when loading reported errors; `build_desired_state` then refuses to build a partial estate."""

    def definitions(self) -> list[Declared]:
        return [d for g in self.galleries.values() for d in g.children.values()]

    def versions(self) -> list[Declared]:
        return [v for d in self.definitions() for v in d.children.values()]

    def find(self, address: str) -> Declared | None:
        """A gallery, definition or version by address, case-insensitively."""
        node: Declared | None = None
        table = self.galleries
        for part in address.split("/"):
            node = table.get(part.lower())
            if node is None:
                return None
            table = node.children
        return node


def gallery_resource_group(gallery: Declared) -> tuple[str, SourceDocument] | None:
    """The gallery's resource group: from its declaring document's scope, else any mentioning document's."""
    ordered = [gallery.home] + [m for m in gallery.mentions if m is not gallery.home]
    for doc, _ in ordered:
        group = (doc.data.get("scope") or {}).get("resourceGroup")
        if group:
            return group, doc
    return None


def gallery_location(gallery: Declared) -> str | None:
    return gallery.props.get("location") or gallery.scope().get("location")


def definition_location(definition: Declared) -> str | None:
    assert definition.parent is not None
    return definition.props.get("location") or gallery_location(definition.parent)
