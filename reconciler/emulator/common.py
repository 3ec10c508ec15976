"""Shared request context, response type and helpers used by every handler module."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import regions
from .errors import ArmError, invalid_json

if TYPE_CHECKING:
    from .backend import Backend
    from .store import Record

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Response:
    """What a handler answers; `body` None means an empty body."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (fault injection)


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    raw_body: bytes
    client_ip: str
    host: str  # as the client addressed us, e.g. "127.0.0.1:8443"

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    def json(self) -> Any:
        if not self.raw_body.strip():
            return None
        try:
            return json.loads(self.raw_body)
        except (ValueError, UnicodeDecodeError) as err:
            raise invalid_json(f"{err.__class__.__name__}: {err}. Path '', line 1.") from None


@dataclass
class Ctx:
    """Everything a handler needs: the request, its path parameters and the backend."""

    req: Request
    params: dict[str, str]
    backend: Backend

    @property
    def now(self) -> float:
        return self.backend.clock()


def iso(epoch: float) -> str:
    """ARM's timestamp shape: 7 fractional digits and an explicit +00:00 offset."""
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0+00:00"


def parse_time(value: str) -> float:
    text = value.strip().replace("Z", "+00:00")
    # Python < 3.11 rejects 7 fractional digits; trim to microseconds.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        rest = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{rest}"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def check_location(value: str, rtype: str) -> str:
    if not regions.is_known(value):
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{value}' is not available for resource type '{rtype}'. "
            f"List of available regions for the resource type is '{','.join(regions.all_regions())}'.",
        )
    return regions.fold(value)


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge for PATCH: objects merge key by key, anything else (lists included) replaces."""
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def page(ctx: Ctx, items: list[dict[str, Any]], more: bool, last_key: str) -> Response:
    """A list page; `nextLink` is absolute https so the SDK and az follow it as they do on Azure."""
    body: dict[str, Any] = {"value": items}
    if more:
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in ctx.req.query.items() if k != "$skiptoken")
        sep = "&" if query else ""
        body["nextLink"] = f"{ctx.req.base_url}{ctx.req.path}?{query}{sep}$skiptoken={quote(last_key, safe='')}"
    return Response(200, body)


def store_resource(
    ctx: Ctx,
    rid: str,
    kind: str,
    rtype: str,
    parent_id: str,
    name: str,
    location: str,
    tags: Any,
    props: dict[str, Any],
    meta: dict[str, Any],
) -> Record:
    """Store a gallery, image or version record with its ARM body; call inside the request's transaction."""
    from .store import Record

    body: dict[str, Any] = {"id": rid, "name": name, "type": rtype, "location": location}
    # An empty map is echoed as sent; only a body without `tags` has none (recordings/azure-cli/*: "tags": {}).
    if tags is not None:
        body["tags"] = tags
    body["properties"] = props
    rec = Record(rid, kind, parent_id, ctx.params["sub"], name, body, meta)
    ctx.backend.store.put(rec)
    return rec
