"""Response corruption faults: what a captive portal, a broken proxy or a misbehaving server sends back.

Each rule of the fault document's `corrupt` list changes the answers to the requests it matches, after
the emulator has handled them (a write is carried out; only its answer is corrupted). `render` turns a
handler's `Response` plus the matching rules into `Wire`, the bytes and pacing the server sends.

Kinds (see docs/emulator.md for the document format):

- `html`: an HTML page instead of JSON, status 200 (a captive portal) or any other (a gateway's 502 page);
- `truncate`: the JSON cut after `bytes` bytes (default half), well framed, or with `closeEarly` the
  full Content-Length announced and the connection closed after the cut;
- `removeFields` / `setFields`: dotted paths into the JSON body, `*` for every item of a list
  (`value.*.properties.storageProfile`, `value`, `properties.osState`), removed or set to a value;
- `nextLink`: the body's `nextLink` set to a URL, or to the request's own URL with `"self"`;
- `lroStatus`: an operation status (`status`) and a resource's `properties.provisioningState` set to
  a value Azure does not document (default `Paused`);
- `slowBody`: the body sent one byte every `byteMs` milliseconds (default 1000), with `headers: true`
  the status line and headers too;
- `silent`: no answer at all; the connection is held open until the client gives up, the server stops
  or `holdSeconds` (default 300) pass.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from .common import JSON_TYPE

HTML_TYPE = "text/html; charset=utf-8"

_COMMON = {"kind", "match", "count"}
_PARAMS: dict[str, dict[str, Any]] = {
    "html": {"status": 200},
    "truncate": {"bytes": None, "closeEarly": False},
    "removeFields": {"fields": None},
    "setFields": {"fields": None},
    "nextLink": {"url": None},
    "lroStatus": {"status": "Paused"},
    "slowBody": {"byteMs": 1000, "headers": False},
    "silent": {"holdSeconds": 300.0},
}
KINDS = tuple(_PARAMS)

CAPTIVE_PORTAL = (
    "<!DOCTYPE html>\n<html><head><title>Network login</title></head>\n"
    '<body><h1>Sign in to continue</h1><form method="post" action="/login">'
    '<input name="user"><input name="password" type="password"><button>Connect</button>'
    "</form></body></html>\n"
)


def gateway_page(status: int) -> str:
    """The page Azure Application Gateway sends for a gateway error (502, 504, ...)."""
    title = f"{status} {_reason(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n"
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


@dataclass
class Wire:
    """What goes on the wire for one response, and how."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    content_type: str | None = None
    arm_headers: bool = True
    """Send x-ms-request-id and the other headers ARM adds (a captive portal or a gateway page does not)."""
    declared_length: int | None = None
    """Content-Length to announce when it is not len(body): the connection then closes after the body."""
    byte_delay: float = 0.0
    """Seconds between bytes of the body (0: all at once)."""
    slow_head: bool = False
    """Send the status line and headers byte by byte too."""
    hold: float | None = None
    """Answer nothing; hold the connection open for at most this many seconds."""
    reason: str = field(init=False)

    def __post_init__(self) -> None:
        self.reason = _reason(self.status)


class RuleError(ValueError):
    """A corruption rule that cannot be used; the message says why (the admin endpoint answers 400)."""


def parse_rule(doc: Any) -> dict[str, Any]:
    """A validated rule with every parameter filled in. Raises RuleError."""
    if not isinstance(doc, dict):
        raise RuleError("each corruption rule must be a JSON object")
    kind = doc.get("kind")
    if kind not in _PARAMS:
        raise RuleError(f"unknown corruption kind {kind!r}; one of {', '.join(KINDS)}")
    unknown = set(doc) - _COMMON - set(_PARAMS[kind])
    if unknown:
        raise RuleError(f"unknown setting(s) {', '.join(sorted(unknown))} for corruption kind '{kind}'")
    rule: dict[str, Any] = {"kind": kind, "match": doc.get("match"), "count": doc.get("count")}
    if rule["match"] is not None:
        try:
            re.compile(str(rule["match"]))
        except re.error as err:
            raise RuleError(f"match is not a regular expression: {err}") from None
        rule["match"] = str(rule["match"])
    if rule["count"] is not None and (not _is_int(rule["count"]) or rule["count"] < 1):
        raise RuleError("count must be a whole number >= 1 (leave it out for every matching request)")
    for name, default in _PARAMS[kind].items():
        rule[name] = _param(kind, name, doc.get(name, default))
    return rule


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _param(kind: str, name: str, value: Any) -> Any:
    bad = RuleError(f"invalid {name} {value!r} for corruption kind '{kind}'")
    if name == "status" and kind == "html":
        if not _is_int(value) or not 100 <= value <= 599:
            raise bad
    elif name == "status":
        if not isinstance(value, str) or not value:
            raise bad
    elif name == "bytes":
        if value is not None and (not _is_int(value) or value < 0):
            raise bad
    elif name in ("closeEarly", "headers"):
        if not isinstance(value, bool):
            raise bad
    elif name == "fields":
        wanted = list if kind == "removeFields" else dict
        if not isinstance(value, wanted) or not value or not all(isinstance(k, str) and k for k in value):
            raise RuleError(f"fields for '{kind}' must be a non-empty {'list' if wanted is list else 'object'}")
    elif name == "url":
        if not isinstance(value, str) or not (value == "self" or value.startswith(("https://", "http://"))):
            raise RuleError('url must be an absolute http(s) URL or "self"')
    elif name == "byteMs":
        if not _is_int(value) or not 0 <= value <= 60_000:
            raise bad
    elif name == "holdSeconds" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise bad
    return float(value) if name == "holdSeconds" else value


def _parents(body: Any, path: list[str]) -> list[tuple[Any, str | int]]:
    """(container, key) pairs that a dotted path with `*` wildcards names; missing parts name nothing."""
    nodes: list[Any] = [body]
    for part in path[:-1]:
        following: list[Any] = []
        for node in nodes:
            if part == "*" and isinstance(node, (list, dict)):
                following += list(node) if isinstance(node, list) else list(node.values())
            elif isinstance(node, dict) and part in node:
                following.append(node[part])
        nodes = following
    last = path[-1]
    found: list[tuple[Any, str | int]] = []
    for node in nodes:
        if last == "*" and isinstance(node, (list, dict)):
            found += [(node, key) for key in (range(len(node)) if isinstance(node, list) else list(node))]
        elif isinstance(node, dict):
            found.append((node, last))
    return found


def _edit_json(body: Any, rule: dict[str, Any], request_url: str) -> Any:
    kind = rule["kind"]
    if kind == "removeFields":
        for dotted in rule["fields"]:
            for parent, key in reversed(_parents(body, dotted.split("."))):
                if isinstance(parent, dict):
                    parent.pop(key, None)
                elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
                    del parent[key]
    elif kind == "setFields":
        for dotted, value in rule["fields"].items():
            for parent, key in _parents(body, dotted.split(".")):
                parent[key] = copy.deepcopy(value)
    elif kind == "nextLink" and isinstance(body, dict):
        body["nextLink"] = request_url if rule["url"] == "self" else rule["url"]
    elif kind == "lroStatus" and isinstance(body, dict):
        if "status" in body:
            body["status"] = rule["status"]
        if isinstance(body.get("properties"), dict) and "provisioningState" in body["properties"]:
            body["properties"]["provisioningState"] = rule["status"]
    return body


def render(status: int, body: Any, headers: dict[str, str], rules: list[dict[str, Any]], request_url: str) -> Wire:
    """The wire form of a handler's answer after the matching `rules` (in order); no rules: plain JSON."""
    if rules and any(r["kind"] in ("removeFields", "setFields", "nextLink", "lroStatus") for r in rules):
        body = copy.deepcopy(body)
        for rule in rules:
            body = _edit_json(body, rule, request_url)
    raw = b"" if body is None else json.dumps(body).encode()
    wire = Wire(status, dict(headers), raw, JSON_TYPE if raw else None)
    for rule in rules:
        kind = rule["kind"]
        if kind == "html":
            page = CAPTIVE_PORTAL if rule["status"] == 200 else gateway_page(rule["status"])
            wire = Wire(rule["status"], {}, page.encode(), HTML_TYPE, arm_headers=False)
        elif kind == "truncate":
            cut = len(wire.body) // 2 if rule["bytes"] is None else min(rule["bytes"], len(wire.body))
            if rule["closeEarly"]:
                wire.declared_length = len(wire.body)
            wire.body = wire.body[:cut]
        elif kind == "slowBody":
            wire.byte_delay, wire.slow_head = rule["byteMs"] / 1000.0, rule["headers"]
        elif kind == "silent":
            wire.hold = rule["holdSeconds"]
    return wire
