"""Long-running operations: capsOperations records, the headers that point at them, and their status.

Gallery operations are polled at `…/Microsoft.Compute/locations/{loc}/capsOperations/{id}` (API-FACTS §6.2); the
image sources' operations at the disk RP's `…/DiskOperations/{id}` and the storage RP's
`…/Microsoft.Storage/locations/{loc}/asyncoperations/{id}` (recorded in recordings/azure-cli/*.yaml).
"""

from __future__ import annotations

import uuid
from typing import Any

from . import regions
from .common import Ctx, Response, iso
from .errors import ArmError


def start(
    ctx: Ctx, resource_id: str, end: float, error: dict[str, str] | None = None, output: dict[str, Any] | None = None
) -> str:
    """Record an operation that finishes at `end` (epoch seconds), with `error` if it ends Failed.

    :param output: the resource an operation status shows as `properties.output` once done (disk RP style).
    """
    op_id = str(uuid.uuid4())
    record = {"name": op_id, "start": ctx.now, "end": end, "error": error, "id": resource_id}
    if output is not None:
        record["output"] = output
    ctx.backend.store.put_op(op_id, record)
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
        elif "output" in op:
            body["properties"] = {"output": op["output"]}
    return body


def _find(ctx: Ctx) -> dict[str, Any]:
    op = ctx.backend.store.get_op(ctx.params["op"])
    if op is None:
        raise ArmError(404, "NotFound", f"The operation '{ctx.params['op']}' could not be found.")
    return op


def _retry(ctx: Ctx, running: bool) -> dict[str, str]:
    seconds = ctx.backend.config.retry_after
    return {"Retry-After": str(seconds)} if running and seconds else {}


def get_status(ctx: Ctx) -> Response:
    """GET …/locations/{loc}/capsOperations/{id} (or DiskOperations): 200 always; with monitor=true, 202 while
    running, then 204 (or 200 with the resource, for a disk or snapshot)."""
    body = status_body(_find(ctx), ctx.now)
    running = body["status"] == "InProgress"
    if ctx.req.query.get("monitor", "").lower() == "true":
        if running:
            location = f"{ctx.req.base_url}{ctx.req.path}?monitor=true&api-version={ctx.req.api_version}"
            return Response(202, None, {**_retry(ctx, True), "Location": location})
        if body["status"] == "Failed":
            return Response(400, {"error": body["error"]})
        op = _find(ctx)
        # the disk RP's monitor URL ends with the resource (what clients with final-state-via: location read)
        return Response(200, op["output"]) if "output" in op else Response(204)
    return Response(200, body, _retry(ctx, running))


def get_storage_status(ctx: Ctx) -> Response:
    """GET …/Microsoft.Storage/locations/{loc}/asyncoperations/{id}: 202 while running, then 200 with the account."""
    op = _find(ctx)
    body = status_body(op, ctx.now)
    if body["status"] == "InProgress":
        location = f"{ctx.req.base_url}{ctx.req.path}?monitor=true&api-version={ctx.req.api_version}"
        return Response(202, None, {**_retry(ctx, True), "Location": location})
    if body["status"] == "Failed":
        return Response(400, {"error": body["error"]})
    return Response(200, op.get("output"))
