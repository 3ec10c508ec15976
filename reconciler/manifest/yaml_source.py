"""Safe YAML loading that keeps line/column marks and refuses what PyYAML would silently accept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.diagnostics import Diagnostics

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Manifests are hand-written; anything bigger is a mistake (or an attack), not an estate."""

ALIAS_BUDGET = 10_000
"""Nodes that may be produced by expanding aliases; a "billion laughs" file needs far more."""

KeyPath = tuple[str | int, ...]
Pos = tuple[int, int]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
}
# Timestamps stay strings: JSON Schema formats apply to strings, and the builder parses dates itself.
_STRING_TAGS = {_STR, "tag:yaml.org,2002:timestamp"}
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


@dataclass(frozen=True)
class IntSpelling:
    """A YAML 1.1 integer written in a form other than plain decimal (`010`, `0x0a`, `0b11`, `1_0`, `1:0`)."""

    text: str
    """As written."""
    value: int
    """What PyYAML (YAML 1.1) reads it as."""
    form: str
    """"octal", "hexadecimal", "binary", "sexagesimal (base 60)" or "digits with '_' separators"."""


def int_spelling(text: str) -> str | None:
    """The YAML 1.1 integer form of `text` when it is not plain decimal, else None.

    YAML 1.1 (what PyYAML implements) reads a leading zero as octal, `0x`/`0b` prefixes, `_` digit
    separators and base-60 `a:b` as integers; YAML 1.2 and JSON do not, so a manifest value would mean
    different numbers to different tools.
    """
    body = text.strip().lstrip("+-")
    if _DECIMAL.fullmatch(text.strip()):
        return None
    if ":" in body:
        return "sexagesimal (base 60)"
    if body[:2].lower() == "0b":
        return "binary"
    if body[:2].lower() == "0x":
        return "hexadecimal"
    if len(body) > 1 and body[0] == "0":
        return "octal"
    return "digits with '_' separators"


@dataclass(frozen=True)
class SourceDocument:
    """One YAML document of a manifest file, as plain data plus where each value and key was written."""

    file: str
    index: int
    """0-based position of the document in a multi-document file."""
    data: Any
    values: dict[KeyPath, Pos] = field(default_factory=dict, repr=False)
    keys: dict[KeyPath, Pos] = field(default_factory=dict, repr=False)
    int_spellings: dict[KeyPath, IntSpelling] = field(default_factory=dict, repr=False)
    """Integers written in a YAML 1.1 form other than plain decimal, by path (the schema check reports them)."""

    def pos(self, path: KeyPath) -> Pos:
        """Position of the value at `path`, or of its nearest written ancestor."""
        for i in range(len(path), -1, -1):
            found = self.values.get(path[:i])
            if found:
                return found
        return (1, 1)

    def key_pos(self, path: KeyPath) -> Pos:
        """Position of the key naming `path` (falls back to the value's position)."""
        return self.keys.get(path) or self.pos(path)


class _Refused(Exception):
    def __init__(self, message: str, pos: Pos, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.pos, self.hint = message, pos, hint


def _mark(node: Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    """Turns a composed node graph into plain data, counting alias expansion and catching duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, diags: Diagnostics, file: str) -> None:
        self.loader, self.diags, self.file = loader, diags, file
        self.budget = ALIAS_BUDGET
        self.converted: set[int] = set()
        self.active: set[int] = set()
        self.values: dict[KeyPath, Pos] = {}
        self.keys: dict[KeyPath, Pos] = {}
        self.int_spellings: dict[KeyPath, IntSpelling] = {}

    def convert(self, node: Node, path: KeyPath, expanding: bool = False) -> Any:
        if id(node) in self.active:
            raise _Refused("recursive alias: a node contains an alias to itself", _mark(node))
        expanding = expanding or id(node) in self.converted
        if expanding:
            self.budget -= 1
            if self.budget < 0:
                raise _Refused(
                    f"aliases expand to more than {ALIAS_BUDGET} nodes (an alias bomb?); refusing to load",
                    _mark(node),
                    "use fewer nested aliases",
                )
        self.converted.add(id(node))
        self.values.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:
            self._unsupported_tag(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.convert(child, (*path, i), expanding) for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path, expanding)
        finally:
            self.active.discard(id(node))
        raise _Refused(f"unsupported YAML node {type(node).__name__}", _mark(node))  # pragma: no cover

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag in _STRING_TAGS:
            return node.value
        construct = _SCALAR_TAGS.get(node.tag)
        if construct is None:
            self._unsupported_tag(node, path)
            return node.value
        value = construct(self.loader, node)
        if node.tag == _INT:
            form = int_spelling(node.value)
            if form is not None:
                self.int_spellings.setdefault(path, IntSpelling(node.value, value, form))
        return value

    def _unsupported_tag(self, node: Node, path: KeyPath) -> None:
        self.diags.error(
            f"unsupported YAML tag '{node.tag}'",
            file=self.file,
            line=_mark(node)[0],
            column=_mark(node)[1],
            path=_dotted(path),
            hint="manifests are plain data: no tags; use ${VAR} for values from the environment",
        )

    def _mapping(self, node: MappingNode, path: KeyPath, expanding: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Pos] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.diags.error(
                    "mapping keys must be plain names, not lists or mappings",
                    file=self.file,
                    line=_mark(key_node)[0],
                    column=_mark(key_node)[1],
                    path=_dotted(path),
                )
                continue
            key = str(key_node.value)
            if key in first_seen:
                line, _ = first_seen[key]
                self.diags.error(
                    f"duplicate key '{key}' (first written at line {line}); YAML would silently keep only the last",
                    file=self.file,
                    line=_mark(key_node)[0],
                    column=_mark(key_node)[1],
                    path=_dotted((*path, key)),
                    hint="remove one of them",
                )
                continue
            first_seen[key] = _mark(key_node)
            self.keys[(*path, key)] = _mark(key_node)
            result[key] = self.convert(value_node, (*path, key), expanding)
        # `<<: *base` merge keys: explicit keys win, in any order, as YAML 1.1 specifies.
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise _Refused("'<<' must merge a mapping or a list of mappings", _mark(source))
                merged = self.convert(source, path, True)
                for key, value in merged.items():
                    result.setdefault(key, value)
        return result


def _dotted(path: KeyPath) -> str | None:
    return ".".join(str(p) for p in path) or None


def _yaml_error(exc: yaml.YAMLError, text: str, file: str, diags: Diagnostics) -> None:
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        diags.error(
            f"invalid YAML: unacceptable character #x{exc.character:04x}",
            file=file,
            line=line,
            column=column,
            hint="manifests must be printable text",
        )
        return
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    source_line = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
    indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
    if "\t" in indent:
        diags.error(
            "tab character in indentation: YAML allows only spaces for indentation",
            file=file,
            line=line,
            column=indent.index("\t") + 1,
            hint="replace the tab with spaces",
        )
        return
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    diags.error(message, file=file, line=line, column=column)


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser and composer when PyYAML was built with it (8x faster on large estates; its nodes carry the
same line and column marks), else the pure-Python one. Construction is ours either way (`_Converter`)."""


def parse_yaml(text: str, file: str) -> tuple[list[SourceDocument], Diagnostics]:
    """Parse every document of `text`. Null (empty) documents are dropped."""
    diags = Diagnostics()
    documents: list[SourceDocument] = []
    loader: Any = None
    try:
        loader = _LOADER(text)  # the reader checks characters here already
        index = 0
        while loader.check_node():
            node = loader.get_node()
            document_diags = Diagnostics()
            converter = _Converter(loader, document_diags, file)
            try:
                data = converter.convert(node, ())
            except _Refused as refused:
                diags.error(refused.message, file=file, line=refused.pos[0], column=refused.pos[1], hint=refused.hint)
                return [], diags
            diags.extend(document_diags)
            # A document with YAML-level errors is not checked further: its data is not what the author meant.
            if data is not None and not document_diags.has_errors:
                documents.append(
                    SourceDocument(file, index, data, converter.values, converter.keys, converter.int_spellings)
                )
            index += 1
    except yaml.YAMLError as exc:
        _yaml_error(exc, text, file, diags)
        return [], diags
    except RecursionError:
        diags.error("YAML nesting is too deep", file=file)
        return [], diags
    finally:
        if loader is not None:
            loader.dispose()
    if not documents and not diags.has_errors:
        diags.error("manifest file is empty: it contains no YAML document", file=file, line=1, column=1)
    return documents, diags


def read_text(path: Path, file: str) -> tuple[str | None, Diagnostics]:
    """Read a manifest file as UTF-8 text within the size limit."""
    diags = Diagnostics()
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            diags.error(
                f"file is {size / 1024 / 1024:.1f} MB; manifests are limited to {MAX_FILE_BYTES // 1024 // 1024} MB",
                file=file,
                hint="split the estate over several files",
            )
            return None, diags
        raw = path.read_bytes()
    except OSError as exc:
        diags.error(f"cannot read file: {exc.strerror or exc}", file=file)
        return None, diags
    try:
        return raw.decode("utf-8-sig"), diags
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        diags.error(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            file=file,
            line=line,
            column=column,
            hint="save the file as UTF-8",
        )
        return None, diags


def load_yaml_file(path: Path, file: str) -> tuple[list[SourceDocument], Diagnostics]:
    text, diags = read_text(path, file)
    if text is None:
        return [], diags
    documents, more = parse_yaml(text, file)
    diags.extend(more)
    return documents, diags
