"""User-facing errors and warnings as values: what went wrong, where, and how to fix it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, overload


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem. `file`/`line`/`column` are None for sourceless problems (environment, Azure)."""

    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    """Dotted field path ("galleries.corp.definitions.ubuntu.identifier.sku") or a resource address."""
    hint: str | None = None

    @property
    def location(self) -> str | None:
        if self.file is None:
            return None
        parts = [self.file] + [str(n) for n in (self.line, self.column) if n is not None]
        return ":".join(parts)

    def __str__(self) -> str:
        parts = [p for p in (self.location,) if p]
        if self.severity is Severity.WARNING:
            parts.append("warning")
        if self.path:
            parts.append(self.path)
        text = ": ".join([*parts, self.message])
        return f"{text} ({self.hint})" if self.hint else text

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "hint": self.hint,
        }


def error(message: str, **where: Any) -> Diagnostic:
    return Diagnostic(Severity.ERROR, message, **where)


def warning(message: str, **where: Any) -> Diagnostic:
    return Diagnostic(Severity.WARNING, message, **where)


class Diagnostics:
    """An ordered collection of diagnostics; functions return it next to their value."""

    def __init__(self, items: Iterable[Diagnostic] = ()) -> None:
        self._items: list[Diagnostic] = list(items)

    def append(self, diagnostic: Diagnostic) -> None:
        self._items.append(diagnostic)

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self._items.extend(other)

    def error(self, message: str, **where: Any) -> None:
        self.append(error(message, **where))

    def warning(self, message: str, **where: Any) -> None:
        self.append(warning(message, **where))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self._items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self._items if d.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self._items)

    def sorted(self) -> Diagnostics:
        """By file, line and column; sourceless diagnostics first, otherwise stable."""
        return Diagnostics(sorted(self._items, key=lambda d: (d.file or "", d.line or 0, d.column or 0)))

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-ready list of dicts (pass it to `json.dumps`)."""
        return [d.to_json() for d in self._items]

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    @overload
    def __getitem__(self, index: int) -> Diagnostic: ...
    @overload
    def __getitem__(self, index: slice) -> list[Diagnostic]: ...
    def __getitem__(self, index: int | slice) -> Diagnostic | list[Diagnostic]:
        return self._items[index]

    def __repr__(self) -> str:
        return f"Diagnostics({self._items!r})"
