"""The merged manifest tree: each resource's properties with the documents they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.manifest.yaml_source import KeyPath, SourceDocument


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

    def own_scope(self) -> dict[str, Any]:
        """The declaring document's scope, else the first scope among the other documents mentioning it."""
        for doc in [self.home[0]] + [doc for doc, _ in self.mentions]:
            scope = doc.data.get("scope")
            if scope:
                return scope
        return {}

    def scope(self) -> dict[str, Any]:
        """`own_scope`, falling back to the parent's for resources only scope-less files mention."""
        scope = self.own_scope()
        if not scope and self.parent is not None:
            return self.parent.scope()
        return scope

    def default_tags(self) -> dict[str, str]:
        """Scope tags cascade: the parent's defaults, overridden by this resource's own scope tags."""
        inherited = self.parent.default_tags() if self.parent is not None else {}
        return {**inherited, **(self.own_scope().get("tags") or {})}


@dataclass(frozen=True)
class ManifestBundle:
    """Merged, schema-valid manifest documents. Build the model from it with `build_desired_state`."""

    documents: tuple[SourceDocument, ...] = ()
    galleries: dict[str, Declared] = field(default_factory=dict)
    """Keyed by lower-cased gallery name."""
    subscription: str | None = None
    """scope.subscription, when any document names one (they must agree)."""
    settings: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    has_errors: bool = False
    """True when loading reported errors; `build_desired_state` then refuses to build a partial estate."""
    removed: frozenset[str] = frozenset()
    """Lower-cased addresses of resources cut out with their children for schema errors (`manifest.partial`)."""
    incomplete: frozenset[str] = frozenset()
    """Lower-cased addresses of resources that lost properties to schema errors; their own rules are skipped."""

    def is_removed(self, address: str) -> bool:
        """Whether the resource at `address`, or one of its ancestors, was cut out for schema errors."""
        parts = address.lower().split("/")
        return any("/".join(parts[:n]) in self.removed for n in range(1, len(parts) + 1))

    def is_checkable(self, address: str) -> bool:
        """Whether the rules may check this resource's own properties: none of them was cut out."""
        return not self.is_removed(address) and address.lower() not in self.incomplete

    def is_complete(self, address: str) -> bool:
        """Whether nothing of this resource or its ancestors was cut out (so inherited values are sure)."""
        parts = address.lower().split("/")
        prefixes = {"/".join(parts[:n]) for n in range(1, len(parts) + 1)}
        return not prefixes & (self.removed | self.incomplete)

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
    """The gallery's resource group: from the first document (in path order) mentioning it with a scope.

    Other mentioning documents must agree (a rule checks it); documents without a scope inherit it.
    """
    for doc, _ in gallery.mentions:
        group = (doc.data.get("scope") or {}).get("resourceGroup")
        if group:
            return group, doc
    return None


def gallery_location(gallery: Declared) -> str | None:
    """`location`, else scope.location of the declaring document, else of the first other one that has it."""
    if gallery.props.get("location"):
        return str(gallery.props["location"])
    for doc, _ in [gallery.home, *gallery.mentions]:
        location = (doc.data.get("scope") or {}).get("location")
        if location:
            return str(location)
    return None


def definition_location(definition: Declared) -> str | None:
    """A definition's region: its own `location`, else its gallery's (`gallery_location`)."""
    if definition.parent is None:
        return definition.props.get("location")
    return definition.props.get("location") or gallery_location(definition.parent)
