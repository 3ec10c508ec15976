"""Just enough of PowerShell to read the docs' Az cmdlet examples: literals, variables, hashtables, arrays,
backtick continuations and cmdlet invocations with named parameters.

PowerShell cannot be installed here, so the docs' PowerShell lines are read, not run: `parse` returns the
cmdlet invocations with their parameter values evaluated (strings interpolated, `$variables` resolved), and
tests compare those values with the REST fields the cmdlets set. Anything outside this subset is an error,
so an example the reader cannot check is not silently skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_CMDLET = re.compile(r"[A-Z][a-z]+-[A-Za-z]+")
_BARE = re.compile(r"[A-Za-z0-9_.:/+-]+")


class PowerShellError(ValueError):
    """Code outside the subset this reader understands."""


@dataclass(frozen=True)
class Opaque:
    """A value computed at run time (a cmdlet's output, a property of one): known by its text only."""

    text: str


@dataclass
class Invocation:
    cmdlet: str
    parameters: dict[str, Any] = field(default_factory=dict)  # name (as written) -> value; switches: True


class _Reader:
    def __init__(self, text: str, variables: dict[str, Any]) -> None:
        self.s = text
        self.i = 0
        self.vars = variables
        self.invocations: list[Invocation] = []

    def error(self, what: str) -> PowerShellError:
        line = self.s.count("\n", 0, self.i) + 1
        return PowerShellError(f"line {line}: {what}: {self.s[self.i : self.i + 40]!r}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip(self, newlines: bool) -> None:
        """Skip blanks, comments and backtick continuations; newlines and ';' too when `newlines`."""
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "`" and self.s[self.i + 1 : self.i + 2] == "\n":
                self.i += 2
            elif c == "`" and self.s[self.i + 1 : self.i + 3] == "\r\n":
                self.i += 3
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            elif newlines and c in "\n;":
                self.i += 1
            else:
                return

    def statements(self) -> None:
        while True:
            self.skip(newlines=True)
            if self.i >= len(self.s):
                return
            self.statement()
            self.skip(newlines=False)
            if self.peek() not in ("", "\n", ";"):
                raise self.error("expected the end of the statement")

    def statement(self) -> None:
        if self.peek() == "$":
            name = self.variable_name()
            self.skip(newlines=False)
            if self.peek() != "=":
                raise self.error("expected '=' after a variable at the start of a statement")
            self.i += 1
            self.skip(newlines=False)
            self.vars[name.lower()] = self.invocation_or_value()
        else:
            self.invocation_or_value()

    def invocation_or_value(self) -> Any:
        match = _CMDLET.match(self.s, self.i)
        if match:
            self.i = match.end()
            return self.invocation(match.group(0))
        return self.value()

    def invocation(self, cmdlet: str) -> Opaque:
        call = Invocation(cmdlet)
        while True:
            self.skip(newlines=False)
            if self.peek() in ("", "\n", ";", ")"):
                break
            if self.peek() != "-":
                raise self.error(f"{cmdlet}: positional arguments are not used in the docs")
            match = re.compile(r"-([A-Za-z]+)").match(self.s, self.i)
            if not match:
                raise self.error("expected a parameter name")
            self.i = match.end()
            self.skip(newlines=False)
            if self.peek() in ("", "\n", ";", ")", "-"):
                call.parameters[match.group(1)] = True  # a switch
            else:
                call.parameters[match.group(1)] = self.value()
        self.invocations.append(call)
        return Opaque(cmdlet)

    def variable_name(self) -> str:
        match = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)").match(self.s, self.i)
        if not match:
            raise self.error("expected a variable")
        self.i = match.end()
        return match.group(1)

    def value(self) -> Any:
        c = self.peek()
        if c == "'":
            return self.single_quoted()
        if c == '"':
            return self.double_quoted()
        if self.s.startswith("@{", self.i):
            return self.hashtable()
        if self.s.startswith("@(", self.i):
            return self.array()
        if c == "(":
            return self.parenthesized()
        if c == "$":
            name = self.variable_name()
            if name.lower() in ("true", "false"):
                return name.lower() == "true"
            if name.lower() not in self.vars:
                raise self.error(f"${name} is not defined")
            return self.vars[name.lower()]
        match = _BARE.match(self.s, self.i)
        if not match:
            raise self.error("expected a value")
        self.i = match.end()
        word = match.group(0)
        return int(word) if word.isdigit() else word

    def single_quoted(self) -> str:
        out, self.i = [], self.i + 1
        while True:
            if self.i >= len(self.s):
                raise self.error("unterminated string")
            c = self.s[self.i]
            if c == "'" and self.s[self.i + 1 : self.i + 2] == "'":
                out.append("'")
                self.i += 2
            elif c == "'":
                self.i += 1
                return "".join(out)
            else:
                out.append(c)
                self.i += 1

    def double_quoted(self) -> str:
        out, self.i = [], self.i + 1
        while True:
            if self.i >= len(self.s):
                raise self.error("unterminated string")
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "`":
                out.append(self.s[self.i + 1])
                self.i += 2
            elif c == "$" and re.match(r"\$[A-Za-z_]", self.s[self.i : self.i + 2]):
                value = self.value()
                if not isinstance(value, str):
                    raise self.error("only string variables are interpolated")
                out.append(value)
            else:
                out.append(c)
                self.i += 1

    def hashtable(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        self.i += 2
        while True:
            self.skip(newlines=True)
            if self.peek() == "}":
                self.i += 1
                return table
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.s, self.i)
            if not match:
                raise self.error("expected a hashtable key")
            self.i = match.end()
            self.skip(newlines=False)
            if self.peek() != "=":
                raise self.error("expected '=' in a hashtable")
            self.i += 1
            self.skip(newlines=False)
            table[match.group(0)] = self.value()

    def array(self) -> list[Any]:
        items: list[Any] = []
        self.i += 2
        while True:
            self.skip(newlines=True)
            if self.peek() == ")":
                self.i += 1
                return items
            items.append(self.value())
            self.skip(newlines=True)
            if self.peek() == ",":
                self.i += 1

    def parenthesized(self) -> Opaque:
        """`(Get-AzContext).Subscription.Id` and the like: a run-time value, kept as text."""
        start, depth = self.i, 0
        while self.i < len(self.s):
            if self.s[self.i] == "(":
                depth += 1
            elif self.s[self.i] == ")":
                depth -= 1
                if depth == 0:
                    self.i += 1
                    break
            self.i += 1
        member = re.compile(r"(\.[A-Za-z_][A-Za-z0-9_]*)*").match(self.s, self.i)
        if member:
            self.i = member.end()
        return Opaque(self.s[start : self.i])


def parse(text: str, variables: dict[str, Any] | None = None) -> tuple[list[Invocation], dict[str, Any]]:
    """The cmdlet invocations in `text`, and the variables afterwards (names lower-cased, as PowerShell
    matches them)."""
    reader = _Reader(text, {k.lower(): v for k, v in (variables or {}).items()})
    reader.statements()
    return reader.invocations, reader.vars
