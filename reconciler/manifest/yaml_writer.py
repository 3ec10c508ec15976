"""Write manifests as a person would: block style for the estate's structure, flow style for small values.

PyYAML's dumper picks one style for a whole document and writes no comments, so the layout is done
here and PyYAML only spells scalars (it quotes whatever YAML 1.1 would read as another type, such as
`'010'`, `'yes'` or `'1:0'`, so the loader reads back exactly the string that was written). `Block`
marks the mappings that hold the estate's structure (documents, galleries, definitions, versions),
which are always written one key per line and may carry comments; every other mapping and list is
written in flow style (`{publisher: a, offer: b}`, `[westeurope, northeurope=2]`) when it fits on
its line, in block style otherwise. Dates are written plain (`2030-12-31`): the loader keeps
timestamps as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

WIDTH = 110
"""Longest line written in flow style (a value that does not fit is written in block style)."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?")


@dataclass
class Block:
    """A mapping written one key per line, with comment lines above any of its keys."""

    items: dict[Any, Any] = field(default_factory=dict)
    comments: dict[Any, list[str]] = field(default_factory=dict)


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_.=/-]*")
"""Strings that YAML 1.1 reads back as the same string when written plain, bar the words below."""
_WORDS = frozenset(
    w for word in ("yes", "no", "true", "false", "on", "off", "null") for w in (word, word.capitalize(), word.upper())
)


def scalar(value: Any, *, flow: bool = True) -> str:
    """A scalar as YAML that reads back as the same value; `flow`: also valid inside `[...]` and `{...}`."""
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value not in _WORDS:
        return value
    return _spelled(type(value), value, flow)


@lru_cache(maxsize=4096)
def _spelled(kind: type, value: Any, flow: bool) -> str:
    # `kind` keeps True and 1 (equal, with one hash) apart in the cache.
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    if isinstance(value, str) and not value.isprintable():
        # Line breaks and control characters: one double-quoted line, escaped by PyYAML.
        text = yaml.safe_dump([value], default_flow_style=True, default_style='"', width=1 << 30, allow_unicode=True)
        return text.strip()[1:-1]
    if flow:
        return yaml.safe_dump([value], default_flow_style=True, width=1 << 30, allow_unicode=True).strip()[1:-1]
    text = yaml.safe_dump({"k": value}, default_flow_style=False, width=1 << 30, allow_unicode=True)
    return text.removeprefix("k: ").rstrip("\n")


def version_key(name: str) -> str:
    """A version name as a mapping key: always double-quoted, as docs/manifests.md writes them."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(key: Any) -> str:
    return key.text if isinstance(key, Quoted) else scalar(key)


@dataclass(frozen=True)
class Quoted:
    """A mapping key written double-quoted (version names, which look like numbers)."""

    text: str

    @classmethod
    def of(cls, name: str) -> Quoted:
        return cls(version_key(name))


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value)


def _entry(key: Any, value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    head = f"{pad}{_key(key)}:"
    if isinstance(value, Block):
        if not value.items:
            lines.append(f"{head} {{}}")
            return
        lines.append(head)
        _block(value, indent + 2, lines)
        return
    if not isinstance(value, (dict, list)):
        lines.append(f"{head} {scalar(value, flow=False)}")
        return
    flow = _flow(value)
    if not value or len(head) + 1 + len(flow) <= WIDTH:
        lines.append(f"{head} {flow}")
        return
    lines.append(head)
    if isinstance(value, dict):
        for k, v in value.items():
            _entry(k, v, indent + 2, lines)
    else:
        for item in value:
            _item(item, indent + 2, lines)


def _item(value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if not isinstance(value, (dict, list)):
        lines.append(f"{pad}- {scalar(value, flow=False)}")
        return
    flow = _flow(value)
    if not isinstance(value, dict) or not value or len(pad) + 2 + len(flow) <= WIDTH:
        lines.append(f"{pad}- {flow}")
        return
    inner: list[str] = []
    for k, v in value.items():
        _entry(k, v, indent + 2, inner)
    inner[0] = f"{pad}- {inner[0][indent + 2 :]}"
    lines.extend(inner)


def _block(block: Block, indent: int, lines: list[str]) -> None:
    for key, value in block.items.items():
        for comment in block.comments.get(key, ()):
            lines.append(" " * indent + ("# " + comment if comment else "#"))
        _entry(key, value, indent, lines)


def dump(document: Block, header: list[str]) -> str:
    """One YAML document: the header as comment lines, then the document."""
    lines = [("# " + line if line else "#") for line in header]
    _block(document, 0, lines)
    return "\n".join(lines) + "\n"
