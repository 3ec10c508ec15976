"""The schema-valid part of a document: what the Azure rules may still check when other parts are broken.

`reconcile validate` reports every problem in one run. A schema error makes the value it concerns
unusable, but not the rest of the file, so before merging:

- a property with an error is cut out of its gallery, definition or version, and that resource is
  *incomplete*: the rules skip its own checks (its children are still checked);
- a resource whose name or whole value is wrong is *removed* with everything inside it;
- an error outside every resource (scope, settings, the document's shape) drops the document, since the
  scope applies to all of it; everything the document mentions is then incomplete.

The addresses are remembered, so no rule reports what was cut out as missing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.manifest.schema import schema_errors
from reconciler.manifest.yaml_source import KeyPath, SourceDocument

_CHILDREN = ("galleries", "definitions", "versions")


@dataclass
class Cuts:
    """Lower-cased addresses (`gallery`, `gallery/definition`, `gallery/definition/version`) left out."""

    removed: set[str] = field(default_factory=set)
    """Resources cut out with their children."""
    incomplete: set[str] = field(default_factory=set)
    """Resources that lost some of their own properties."""

    def update(self, other: Cuts) -> None:
        self.removed |= other.removed
        self.incomplete |= other.incomplete


def _unit(path: KeyPath) -> KeyPath | None:
    """The key path of the innermost resource holding `path`, or None when it is outside every resource."""
    if len(path) >= 6 and path[0] == "galleries" and path[2] == "definitions" and path[4] == "versions":
        return path[:6]
    if len(path) >= 4 and path[0] == "galleries" and path[2] == "definitions":
        return path[:4]
    if len(path) >= 2 and path[0] == "galleries":
        return path[:2]
    return None


def _address(unit: KeyPath) -> str:
    return "/".join(str(part) for part in unit[1::2]).lower()


def mentioned(data: Any) -> set[str]:
    """Every gallery, definition and version address a document's data names (as far as it is mappings)."""
    found: set[str] = set()

    def walk(node: Any, prefix: str, children: tuple[str, ...]) -> None:
        if not children or not isinstance(node, dict) or not isinstance(node.get(children[0]), dict):
            return
        for name, child in node[children[0]].items():
            address = f"{prefix}/{name}".lstrip("/").lower()
            found.add(address)
            walk(child, address, children[1:])

    walk(data, "", _CHILDREN)
    return found


def _lookup(data: Any, path: KeyPath) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _problems(document: SourceDocument, spellings: bool) -> list[tuple[KeyPath, Any]]:
    """(path, jsonschema error, or None for a YAML integer spelling) for every schema problem."""
    found: list[tuple[KeyPath, Any]] = []
    for error in schema_errors(document):
        path: KeyPath = tuple(error.absolute_path)
        if "propertyNames" in error.schema_path:
            path = (*path, error.instance)  # a bad name: the named resource is the broken one
        found.append((path, error))
    if spellings:
        found += [(path, None) for path in document.int_spellings]
    return found


def _cut(data: Any, problems: list[tuple[KeyPath, Any]], cuts: Cuts) -> bool:
    """Cut the resources or properties `problems` are in out of `data`; False when one is outside them."""
    remove: set[KeyPath] = set()
    cut_keys: set[KeyPath] = set()
    for path, error in problems:
        unit = _unit(path)
        if unit is None:
            return False
        value = _lookup(data, unit)
        renamed = error is not None and "propertyNames" in error.schema_path
        if len(path) > len(unit) and not renamed and isinstance(value, dict):
            cut_keys.add(path[: len(unit) + 1])
        elif error is not None and error.validator == "additionalProperties" and isinstance(value, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            cut_keys.update((*unit, key) for key in value if key not in known)
        else:  # a bad name, a value that is no mapping, a missing required property: nothing of it is usable
            remove.add(unit)
        cuts.incomplete.add(_address(unit))
    # Outer resources first, so nothing inside an already removed resource is looked up afterwards.
    for path in sorted(remove | cut_keys, key=len):
        parent = _lookup(data, path[:-1])
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    cuts.removed |= {_address(unit) for unit in remove}
    return True


def valid_part(document: SourceDocument) -> tuple[SourceDocument | None, Cuts]:
    """The document with its schema problems cut out (None: nothing of it is usable), and what was cut."""
    cuts = Cuts()
    part = replace(document, data=copy.deepcopy(document.data))
    # Cutting a required property leaves its resource invalid; the next round removes the resource.
    for round_ in range(3):
        problems = _problems(part, spellings=round_ == 0)
        if not problems:
            return part, cuts
        if not _cut(part.data, problems, cuts):
            break
    return None, Cuts(incomplete=mentioned(document.data))
