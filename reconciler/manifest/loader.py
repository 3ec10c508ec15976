"""Load a tree of manifest files: find them, parse, interpolate, schema-check and merge into one bundle."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.diagnostics import Diagnostics
from reconciler.kinds import BY_NAME, KINDS, ResourceKind
from reconciler.manifest.bundle import Declared, ManifestBundle
from reconciler.manifest.interpolate import interpolate_document
from reconciler.manifest.yaml_source import KeyPath, SourceDocument, load_yaml_file

API_VERSION = "gallery-reconciler/v1"
MANIFEST_SUFFIXES = (".yaml", ".yml")


def _where(doc: SourceDocument, path: KeyPath) -> str:
    line, column = doc.key_pos(path)
    return f"{doc.file}:{line}:{column}"


def find_manifest_files(paths: Sequence[str | Path]) -> tuple[list[tuple[Path, str]], Diagnostics]:
    """Files to load as (path, display name): files as given, directories searched recursively, sorted."""
    diags = Diagnostics()
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    if not paths:
        diags.error("no manifest paths given")
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in MANIFEST_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not files:
                diags.error(
                    f"no manifests found in directory '{given}'",
                    file=str(given),
                    hint="manifest files end in .yaml or .yml",
                )
            candidates = [(p, str(p)) for p in files]
        elif path.exists():
            candidates = [(path, str(given))]
        else:
            diags.error(f"no such file or directory: '{given}'", file=str(given))
            continue
        for candidate, display in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                found.append((candidate, display))
    return found, diags


def _check_api_version(doc: SourceDocument, diags: Diagnostics) -> bool:
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a single value ({doc.data!r:.40})"
        line, column = doc.pos(())
        diags.error(
            f"a manifest document must be a mapping (apiVersion, scope, galleries), not {kind}",
            file=doc.file,
            line=line,
            column=column,
            hint=f"start the document with 'apiVersion: {API_VERSION}'",
        )
        return False
    version = doc.data.get("apiVersion")
    if version == API_VERSION:
        return True
    line, column = doc.pos(("apiVersion",) if "apiVersion" in doc.data else ())
    if version is None:
        message = "missing apiVersion"
    else:
        message = f"unknown apiVersion '{version}'; this reconcile understands '{API_VERSION}'"
    diags.error(message, file=doc.file, line=line, column=column, path="apiVersion", hint=f"apiVersion: {API_VERSION}")
    return False


class _Merger:
    def __init__(self, diags: Diagnostics) -> None:
        self.diags = diags
        self.galleries: dict[str, Declared] = {}
        self.subscription: tuple[str, SourceDocument] | None = None
        self.settings: dict[str, tuple[Any, SourceDocument]] = {}

    def _same_name(self, node: Declared, name: str, doc: SourceDocument, path: KeyPath) -> None:
        if node.name != name:
            first_doc, first_path = node.mentions[0]
            line, column = doc.key_pos(path)
            self.diags.error(
                f"{node.kind} '{name}' is written '{node.name}' at {_where(first_doc, first_path)}; "
                "Azure names are case-insensitive, so both mean the same resource",
                file=doc.file,
                line=line,
                column=column,
                path=".".join(map(str, path)),
                hint=f"spell it '{node.name}' everywhere",
            )

    def _child(self, table: dict[str, Declared], kind: str, name: str, parent: Declared | None) -> Declared:
        node = table.get(name.lower())
        if node is None:
            node = table[name.lower()] = Declared(kind, name, parent)
        return node

    def _props(self, node: Declared, data: dict[str, Any], doc: SourceDocument, path: KeyPath) -> None:
        child = BY_NAME[node.kind].child
        child_key = child.manifest_key if child is not None else None
        for key, value in data.items():
            if key == child_key:
                continue
            if key in node.prop_where:
                other_doc, other_path = node.prop_where[key]
                line, column = doc.key_pos((*path, key))
                self.diags.error(
                    f"'{key}' of {node.kind} '{node.address}' is also set at {_where(other_doc, other_path)}",
                    file=doc.file,
                    line=line,
                    column=column,
                    path=".".join(map(str, (*path, key))),
                    hint="set each property in one file only",
                )
                continue
            node.props[key] = value
            node.prop_where[key] = (doc, (*path, key))

    def add(self, doc: SourceDocument) -> None:
        self._scope(doc)
        self._merge_level(KINDS[0], self.galleries, None, doc.data, (), doc)

    def _merge_level(
        self,
        kind: ResourceKind,
        table: dict[str, Declared],
        parent: Declared | None,
        data: dict[str, Any],
        path: KeyPath,
        doc: SourceDocument,
    ) -> None:
        """Merge one kind's entries of a document (`galleries`, `definitions`, ...) and recurse into children.

        Inner kinds may be spread over files (a file adds versions to a definition declared elsewhere);
        the innermost kind (versions) is defined once.
        """
        for name, item in (data.get(kind.manifest_key) or {}).items():
            item_path: KeyPath = (*path, kind.manifest_key, name)
            existing = table.get(name.lower())
            if kind.child is None and existing is not None:
                line, column = doc.key_pos(item_path)
                self.diags.error(
                    f"{kind.name} '{existing.address}' is already defined at {_where(*existing.mentions[0])}",
                    file=doc.file,
                    line=line,
                    column=column,
                    path=".".join(item_path),
                    hint=f"each {kind.name} is defined once",
                )
                continue
            node = self._child(table, kind.name, name, parent)
            self._mention(node, name, doc, item_path, item)
            if kind.child is not None:
                self._merge_level(kind.child, node.children, node, item or {}, item_path, doc)

    def _mention(self, node: Declared, name: str, doc: SourceDocument, path: KeyPath, data: dict[str, Any]) -> None:
        self._same_name(node, name, doc, path)
        node.mentions.append((doc, path))
        self._props(node, data or {}, doc, path)

    def _scope(self, doc: SourceDocument) -> None:
        scope = doc.data.get("scope") or {}
        subscription = scope.get("subscription")
        if subscription:
            if self.subscription is None:
                self.subscription = (subscription, doc)
            elif self.subscription[0].lower() != subscription.lower():
                self._conflict(doc, ("scope", "subscription"), self.subscription[1], ("scope", "subscription"))
        for key, value in (doc.data.get("settings") or {}).items():
            if key not in self.settings:
                self.settings[key] = (value, doc)
            elif self.settings[key][0] != value:
                self._conflict(doc, ("settings", key), self.settings[key][1], ("settings", key))

    def _conflict(self, doc: SourceDocument, path: KeyPath, other: SourceDocument, other_path: KeyPath) -> None:
        line, column = doc.pos(path)
        self.diags.error(
            f"conflicts with the value at {_where(other, other_path)}",
            file=doc.file,
            line=line,
            column=column,
            path=".".join(map(str, path)),
            hint="files of one estate must agree on it",
        )


def load_manifests(
    paths: Sequence[str | Path],
    env: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> tuple[ManifestBundle, Diagnostics]:
    """Load, check and merge manifests. Never raises on bad input: problems come back as diagnostics.

    :param paths: files and directories (searched recursively for *.yaml / *.yml).
    :param env: variables for `${VAR}` interpolation; defaults to `os.environ`.
    :param now: the present for end-of-life checks (tests inject it); defaults to the current UTC time.
    """
    from reconciler.manifest.partial import Cuts, mentioned, valid_part
    from reconciler.manifest.rules import check_bundle  # rules import the bundle; keep the cycle one-way
    from reconciler.manifest.schema import validate_document

    env = os.environ if env is None else env
    files, diags = find_manifest_files(paths)
    valid: list[SourceDocument] = []
    cuts = Cuts()
    for path, display in files:
        documents, file_diags = load_yaml_file(path, display)
        diags.extend(file_diags)
        for raw in documents:
            if not _check_api_version(raw, diags):
                cuts.incomplete |= mentioned(raw.data)
                continue
            document, more = interpolate_document(raw, env)
            diags.extend(more)
            schema_diags = validate_document(document)
            # a value with an unset variable is unknown, so what the schema thinks of it is noise
            unknown = {d.path for d in more}
            diags.extend(d for d in schema_diags if d.path not in unknown)
            if more.has_errors:  # an unset variable: no value in the document is sure to be what was meant
                cuts.incomplete |= mentioned(document.data)
                continue
            if schema_diags.has_errors:
                part, cut = valid_part(document)
                cuts.update(cut)
                if part is None:
                    continue
                document = part
            valid.append(document)
    valid.sort(key=lambda d: (d.file, d.index))
    merger = _Merger(diags)
    for document in valid:
        merger.add(document)
    bundle = ManifestBundle(
        documents=tuple(valid),
        galleries=merger.galleries,
        subscription=merger.subscription[0] if merger.subscription else None,
        settings={k: v for k, (v, _) in merger.settings.items()},
        files=tuple(display for _, display in files),
        removed=frozenset(cuts.removed),
        incomplete=frozenset(cuts.incomplete),
    )
    try:
        diags.extend(check_bundle(bundle, now=now))
    except Exception as exc:  # the rules expect schema-valid data; a gap there must not become a traceback
        diags.error(f"internal error while checking the manifests: {exc!r}; this is a bug, please report it")
    return replace(bundle, has_errors=diags.has_errors), diags
