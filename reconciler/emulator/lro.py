"""Long-running operations: capsOperations records, the headers that point at them, and their status."""

from __future__ import annotations

import uuid
from typing import Any

from . import regions
from .common import Ctx, Response, iso
from .errors import ArmError


def start(ctx: Ctx, resource_id: str, end: float, error: dict[str, str] | None = None) -> str:
    """Record an operation that finishes at `end` (epoch seconds), with `error` if it ends Failed."""
    op_id = str(uuid.uuid4())
    ctx.backend.store.put_op(op_id, {"name": op_id, "start": ctx.now, "end": end, "error": error, "id": resource_id})
    return op_id


def headers(ctx: Ctx, op_id: str, location: str, delete: bool = False, in_progress: bool = True) -> dict[str, str]:
    sub = ctx.params["sub"]
    version = ctx.req.api_version or ""
    base = f"{ctx.req.base_url}/subscriptions/{sub}/providers/Microsoft.Compute/locations/{regions.fold(location)}"
    url = f"{base}/capsOperations/{op_id}"
    out = {"Azure-AsyncOperation": f"{url}?api-version={version}"}
    if delete:
        out["Location"] = f"{url}?monitor=true&api-version={version}"
    retry = ctx.backend.config.retry_after
    if retry > 0 and in_progress:
        out["Retry-After"] = str(int(retry))
    return out


def status_body(op: dict[str, Any], now: float) -> dict[str, Any]:
    body: dict[str, Any] = {"startTime": iso(op["start"]), "status": "InProgress", "name": op["name"]}
    if now >= op["end"]:
        body["endTime"] = iso(op["end"])
        body["status"] = "Failed" if op.get("error") else "Succeeded"
        if op.get("error"):
            body["error"] = op["error"]
    return body


def get_status(ctx: Ctx) -> Response:
    """GET …/locations/{loc}/capsOperations/{id}: 200 always; with monitor=true, Location-style 202/204."""
    op = ctx.backend.store.get_op(ctx.params["op"])
    if op is None:
        raise ArmError(404, "NotFound", f"The operation '{ctx.params['op']}' could not be found.")
    body = status_body(op, ctx.now)
    running = body["status"] == "InProgress"
    retry = {"Retry-After": str(ctx.backend.config.retry_after)} if running and ctx.backend.config.retry_after else {}
    if ctx.req.query.get("monitor", "").lower() == "true":
        if running:
            return Response(
                202,
                None,
                {
                    **retry,
                    "Location": f"{ctx.req.base_url}{ctx.req.path}?monitor=true&api-version={ctx.req.api_version}",
                },
            )
        if body["status"] == "Failed":
            return Response(400, {"error": body["error"]})
        return Response(204)
    return Response(200, body, retry)
