"""Replays a recording's gallery requests against a fresh emulator and compares each answer with Azure's.

For each recording: a fresh in-memory emulator; the recording's subscription and resource group rewritten to the
replay's own (`SUBSCRIPTION`, `GROUP`) in URLs, request bodies and expected answers; the sources seeded
(seeds.py); then every `Microsoft.Compute/galleries*` request in recorded order. Where Azure answered with an
async operation, the emulator's own operation is polled to its end instead of the recorded polls.

An answer matches when the status code, the error code, the presence of `Azure-AsyncOperation` / `Location`
and the whole body agree, except values that differ by nature: `publishedDate` (a timestamp: present and
well-formed is enough); `identifier.uniqueName`, which Azure builds from the real subscription and the
unsanitised gallery name (`…-GALLERY_MDZEM5ICZAWX` for `gallery_000003`), expected as the replay's
subscription and the gallery's name in the URL, upper-cased; a community gallery's `publicNames`, each Azure's
`{publicNamePrefix}-{GUID}` with a GUID of its own (the same prefix and a GUID are expected); and a soft-deleted
version's times (`softDeletedTime`, `consumptionEndTime`, `hardDeletionTargetTime`: timestamps whose distances
from `softDeletedTime`, the retention and grace periods, must be Azure's). A gallery operation must end
Succeeded, as all recorded ones did.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from reconciler.emulator.testing import EmulatorCredential, admin, emulator_server

from .recordings import Exchange, load
from .seeds import seed_document

SUBSCRIPTION = "5eed0000-1111-2222-3333-444455556666"
GROUP = "replay-rg"
ARM_SCOPE = "https://management.azure.com/.default"
_UNIQUE = re.compile(r"^[0-9a-fA-F-]{36}-[A-Z0-9_.]+$")
_PUBLIC_NAME = re.compile(r"^(?P<prefix>.+)-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", re.IGNORECASE)
_SOFT_DELETE_TIMES = ("softDeletedTime", "consumptionEndTime", "hardDeletionTargetTime")
_SUB_RG = re.compile(r"/subscriptions/([^/]+)/resourceGroups/([^/]+)", re.IGNORECASE)


@dataclass
class Outcome:
    """How the emulator answered one recorded request."""

    exchange: Exchange
    status: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.problems


class Rewriter:
    """Maps the recording's subscription, resource group and host onto the replay's.

    The group is known by its sanitised name (`clitest.rg000001`) and, where a recording's sanitiser missed it,
    by its real one: Azure's gallery list spells the group upper-cased, which the CLI's sanitiser did not
    replace (`CLITEST.RGYU75…` in test_gallery_e2e.yaml). An upper-cased spelling maps to `GROUP` upper-cased.
    """

    def __init__(self, exchanges: tuple[Exchange, ...]) -> None:
        first = next(_SUB_RG.search(ex.path) for ex in exchanges if ex.is_gallery)
        self.subscription, self.group = first.group(1), first.group(2)
        names = {self.group, *self._aliases(exchanges)}
        groups = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._pattern = re.compile(
            rf"/subscriptions/{re.escape(self.subscription)}(/resourceGroups/({groups})(?=/|$))?", re.IGNORECASE
        )

    def _aliases(self, exchanges: tuple[Exchange, ...]) -> set[str]:
        """Group spellings in the answers to this group's gallery lists: every item there lives in the group."""
        out = set()
        for ex in exchanges:
            listed = re.search(r"/resourceGroups/([^/]+)/providers/Microsoft\.Compute/galleries$", ex.path, re.I)
            if ex.method == "GET" and listed and listed.group(1).lower() == self.group.lower():
                for item in (ex.response or {}).get("value", []):
                    found = _SUB_RG.search(item.get("id", ""))
                    if found:
                        out.add(found.group(2))
        return out

    def text(self, value: str) -> str:
        def swap(m: re.Match[str]) -> str:
            if not m.group(1):
                return f"/subscriptions/{SUBSCRIPTION}"
            spelled = m.group(2)
            upper = spelled == spelled.upper() and spelled != spelled.lower()
            return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP.upper() if upper else GROUP}"

        return self._pattern.sub(swap, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def url(self, base: str, recorded: str) -> str:
        parts = urlsplit(recorded)
        return f"{base}{self.text(parts.path)}" + (f"?{parts.query}" if parts.query else "")


def _unique_names(body: Any) -> Any:
    """Expected gallery bodies: uniqueName as the emulator derives it (replay subscription, URL name upper-cased)."""
    if isinstance(body, list):
        return [_unique_names(b) for b in body]
    if not isinstance(body, dict):
        return body
    if "value" in body and isinstance(body["value"], list):
        return {**body, "value": _unique_names(body["value"])}
    ident = (body.get("properties") or {}).get("identifier") or {}
    is_gallery = str(body.get("type", "")).lower() == "microsoft.compute/galleries"
    if is_gallery and _UNIQUE.match(ident.get("uniqueName", "")):
        ident["uniqueName"] = f"{SUBSCRIPTION}-{body['name'].upper()}"
    return body


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_time(value: Any) -> bool:
    return _time(value) is not None


def _public_names(expected: Any, actual: Any, path: str) -> list[str]:
    """Each of Azure's `{prefix}-{GUID}` public names has an emulator counterpart with the same prefix and a GUID."""
    if not isinstance(expected, list) or not isinstance(actual, list) or len(expected) != len(actual):
        return [f"{path}: emulator {json.dumps(actual)[:120]}, Azure {json.dumps(expected)[:120]}"]
    out = []
    for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
        w, g = _PUBLIC_NAME.match(str(want)), _PUBLIC_NAME.match(str(got))
        if not (w and g and w.group("prefix") == g.group("prefix")):
            out.append(f"{path}[{i}]: emulator {got!r} is not {w.group('prefix') if w else want!r}-<GUID>")
    return out


def _soft_delete_times(expected: dict[str, Any], actual: dict[str, Any], path: str) -> list[str]:
    """Timestamps, each as far from softDeletedTime as Azure's (the retention and grace periods)."""
    path = f"{path}." if path else ""
    want = {k: _time(expected.get(k)) for k in _SOFT_DELETE_TIMES}
    got = {k: _time(actual.get(k)) for k in _SOFT_DELETE_TIMES}
    out = [f"{path}{k}: {actual.get(k)!r} is not a timestamp" for k in _SOFT_DELETE_TIMES if got[k] is None]
    if out or any(v is None for v in want.values()):
        return out
    for key in _SOFT_DELETE_TIMES[1:]:
        if got[key] - got["softDeletedTime"] != want[key] - want["softDeletedTime"]:  # type: ignore[operator]
            distance = want[key] - want["softDeletedTime"]  # type: ignore[operator]
            out.append(f"{path}{key}: {actual[key]} is not {distance} after softDeletedTime")
    return out


def compare(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Differences between Azure's body and the emulator's, as readable lines (empty: they match)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        if "softDeletedTime" in expected:
            out.extend(_soft_delete_times(expected, actual, path))
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}.{key}" if path else key
            if key in _SOFT_DELETE_TIMES and "softDeletedTime" in expected and key in actual:
                continue
            if key not in actual:
                out.append(f"{where}: missing (Azure: {json.dumps(expected[key])[:120]})")
            elif key not in expected:
                out.append(f"{where}: not in Azure's answer (emulator: {json.dumps(actual[key])[:120]})")
            elif key == "publishedDate":
                if not _is_time(actual[key]):
                    out.append(f"{where}: {actual[key]!r} is not a timestamp")
            elif key == "publicNames":
                out.extend(_public_names(expected[key], actual[key], where))
            else:
                out.extend(compare(expected[key], actual[key], where))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, Azure {len(expected)}: {json.dumps(expected)[:200]}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [line for i, (e, a) in pairs for line in compare(e, a, f"{path}[{i}]")]
    if expected != actual:
        return [f"{path}: emulator {json.dumps(actual)[:120]}, Azure {json.dumps(expected)[:120]}"]
    return []


class Replay:
    """One recording replayed against one emulator; `run()` returns an Outcome per gallery request."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.exchanges = load(name)
        self.rewrite = Rewriter(self.exchanges)

    def _group_location(self) -> str:
        for ex in self.exchanges:
            path = ex.path.rstrip("/")
            if ex.method == "GET" and re.search(r"/resourcegroups/[^/]+$", path, re.IGNORECASE) and ex.status == 200:
                return ex.response["location"]
        return next(ex.body["location"] for ex in self.exchanges if ex.is_gallery and ex.method == "PUT")

    def run(self) -> list[Outcome]:
        with emulator_server(replication_seconds=0.0, retry_after=0) as srv:
            admin(srv).seed(
                seed_document(self.name, self.exchanges, SUBSCRIPTION, GROUP, self._group_location())
            )
            session = requests.Session()
            token = EmulatorCredential().get_token(ARM_SCOPE).token
            headers = {"Authorization": f"Bearer {token}"}
            return [
                self._one(session, srv.url, str(srv.ca_path), headers, ex) for ex in self.exchanges if ex.is_gallery
            ]

    def _one(self, session: requests.Session, base: str, ca: str, headers: dict[str, str], ex: Exchange) -> Outcome:
        body = None if ex.body is None else json.dumps(self.rewrite.value(ex.body))
        send = {**headers, "Content-Type": "application/json"} if body is not None else headers
        resp = session.request(ex.method, self.rewrite.url(base, ex.url), data=body, headers=send, verify=ca)
        outcome = Outcome(ex, resp.status_code)
        actual = resp.json() if resp.content else None
        if resp.status_code != ex.status:
            outcome.problems.append(f"status {resp.status_code}, Azure {ex.status}: {resp.text[:300]}")
        elif ex.status >= 400:
            want = (ex.response or {}).get("error", {}).get("code")
            got = (actual or {}).get("error", {}).get("code")
            if want != got:
                outcome.problems.append(f"error code {got}, Azure {want}")
        else:
            expected = _unique_names(self.rewrite.value(ex.response))
            outcome.problems.extend(compare(expected, actual))
        for header in ("azure-asyncoperation", "location"):
            if (header in ex.headers) != (header in {h.lower() for h in resp.headers}):
                outcome.problems.append(f"header {header}: Azure {'sent' if header in ex.headers else 'did not send'}")
        operation = resp.headers.get("Azure-AsyncOperation")
        if operation and resp.status_code < 300:
            final = _poll(session, operation, headers, ca)
            if final != "Succeeded":
                outcome.problems.append(f"operation ended {final}, Azure's succeeded")
        return outcome


def _poll(session: requests.Session, url: str, headers: dict[str, str], ca: str) -> str:
    for _ in range(200):
        status = session.get(url, headers=headers, verify=ca).json().get("status")
        if status not in ("InProgress", None):
            return str(status)
        time.sleep(0.01)
    return "InProgress"
