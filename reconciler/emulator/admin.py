"""Admin endpoints under /_emulator/: request counters, faults, seed, runtime config and a state dump."""

from __future__ import annotations

import json
from dataclasses import asdict

from . import seed, versions
from .backend import Backend
from .common import Request, Response
from .errors import ArmError

_CONFIG_TYPES = {
    "replication_seconds": float,
    "page_size": int,
    "latency_ms": int,
    "retry_after": int,
    "delete_consistency_seconds": float,
}
# camelCase spellings accepted too, to match the faults document's style
_ALIASES = {
    "replicationSeconds": "replication_seconds",
    "pageSize": "page_size",
    "latencyMs": "latency_ms",
    "retryAfter": "retry_after",
    "deleteConsistencySeconds": "delete_consistency_seconds",
}


def _json(req: Request) -> object:
    if not req.raw_body.strip():
        return {}
    try:
        return json.loads(req.raw_body)
    except ValueError as err:
        raise ArmError(400, "InvalidRequestContent", f"Body is not valid JSON: {err}") from None


def _config(backend: Backend, req: Request) -> Response:
    if req.method == "POST":
        doc = _json(req)
        if not isinstance(doc, dict):
            raise ArmError(400, "InvalidRequestContent", "The config document must be a JSON object.")
        updates = {}
        for key, value in doc.items():
            name = _ALIASES.get(key, key)
            if name not in _CONFIG_TYPES:
                raise ArmError(400, "InvalidParameter", f"Unknown config setting '{key}'.", key)
            try:
                if isinstance(value, bool):
                    raise ValueError
                number = _CONFIG_TYPES[name](value)
            except (TypeError, ValueError):
                raise ArmError(400, "InvalidParameter", f"Invalid value {value!r} for '{key}'.", key) from None
            if number < 0 or (name == "page_size" and number < 1):
                raise ArmError(400, "InvalidParameter", f"Invalid value {value!r} for '{key}'.", key)
            updates[name] = number
        for name, number in updates.items():
            setattr(backend.config, name, number)
    return Response(200, asdict(backend.config))


def handle(backend: Backend, req: Request) -> Response:
    path = req.path.rstrip("/").lower()
    method = req.method
    if path == "/_emulator/requests" and method == "GET":
        return Response(200, backend.request_counts())
    if path == "/_emulator/requests/reset" and method == "POST":
        backend.reset_counts()
        return Response(200, backend.request_counts())
    if path == "/_emulator/faults":
        if method == "POST":
            return Response(200, backend.faults.update(_json(req)))
        if method == "DELETE":
            backend.faults.clear()
            return Response(200, asdict(backend.faults.cfg))
        if method == "GET":
            return Response(200, asdict(backend.faults.cfg))
    if path == "/_emulator/seed" and method == "POST":
        try:
            created = seed.apply(backend, seed.parse(req.raw_body.decode("utf-8", "replace")))
        except seed.SeedError as err:
            raise ArmError(400, "InvalidSeed", str(err)) from None
        return Response(200, {"created": created})
    if path == "/_emulator/published-date" and method == "POST":
        doc = _json(req)
        if (
            not isinstance(doc, dict)
            or not isinstance(doc.get("id"), str)
            or not isinstance(doc.get("publishedDate"), str)
        ):
            raise ArmError(400, "InvalidRequestContent", 'Send {"id": "<version id>", "publishedDate": "<ISO 8601>"}.')
        return Response(200, versions.set_published_date(backend, doc["id"], doc["publishedDate"]))
    if path == "/_emulator/config" and method in ("GET", "POST"):
        return _config(backend, req)
    if path == "/_emulator/state" and method == "GET":
        return Response(200, backend.store.dump())
    if path == "/_emulator/health" and method == "GET":
        return Response(200, {"status": "ok"})
    raise ArmError(404, "NotFound", f"No admin endpoint {method} {req.path}.")
