"""The slice of ARM the SDK and az need around galleries: metadata, token, subscriptions, tenants, resource groups."""

from __future__ import annotations

import copy
import re
from typing import Any

from . import apiversions
from .common import Ctx, Response, check_location, page
from .errors import ArmError, invalid_parameter, resource_group_not_found
from .store import Record
from .tokens import DEFAULT_TENANT, make_token

RG_TYPE = "Microsoft.Resources/resourceGroups"
_RG_NAME = re.compile(r"^[-\w._()]{1,90}(?<!\.)$")


def metadata(ctx: Ctx) -> Response:
    """Cloud metadata in the 2022-09-01 shape `az cloud register --endpoint-resource-manager` reads."""
    base = ctx.req.base_url
    body = {
        "name": "AzureEmulator",
        "portal": base,
        "resourceManager": f"{base}/",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com",
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "gallery": "https://gallery.azure.com/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
        },
    }
    return Response(200, body)


def msi_token(ctx: Ctx) -> Response:
    """App Service-style managed identity endpoint (IDENTITY_ENDPOINT + X-IDENTITY-HEADER) on loopback."""
    if not ctx.req.headers.get("x-identity-header") and not ctx.req.headers.get("metadata"):
        raise ArmError(401, "Unauthorized", "The X-IDENTITY-HEADER header is required.")
    resource = ctx.req.query.get("resource") or ctx.req.query.get("scope") or "https://management.azure.com/"
    token, expires = make_token(audience=resource.removesuffix("/.default"))
    body = {
        "access_token": token,
        "expires_on": str(expires),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": "00000000-0000-0000-0000-0000000000e1",
    }
    return Response(200, body)


def tenants(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, "tenants")
    tenant_ids = sorted({r.body.get("tenantId", DEFAULT_TENANT) for r in ctx.backend.store.all_of_kind("subscription")})
    value = [
        {
            "id": f"/tenants/{t}",
            "tenantId": t,
            "tenantCategory": "Home",
            "displayName": "Emulator tenant",
            "defaultDomain": "emulator.local",
            "domains": ["emulator.local"],
        }
        for t in tenant_ids
    ]
    return Response(200, {"value": value})


def subscriptions(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, "subscriptions")
    return Response(200, {"value": [r.body for r in ctx.backend.store.all_of_kind("subscription")]})


def subscription_get(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, "subscriptions")
    return Response(200, ctx.backend.subscription(ctx.params["sub"]).body)


def locations(ctx: Ctx) -> Response:
    """The subscription's regions: the emulator's table, canary (EUAP) regions included."""
    from . import regions

    apiversions.check_any(ctx.req.api_version, "locations")
    sub = ctx.backend.subscription(ctx.params["sub"]).body["subscriptionId"]
    value = [
        {
            "id": f"/subscriptions/{sub}/locations/{r}",
            "name": r,
            "displayName": regions.display(r),
            "regionalDisplayName": regions.display(r),
            "type": "Region",
            "metadata": {"regionType": "Physical"},
        }
        for r in regions.all_regions()
    ]
    return Response(200, {"value": value})


def _rg_id(sub: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{name}"


def rg_body(rec: Record) -> dict[str, Any]:
    return copy.deepcopy(rec.body)


def put_resource_group(
    ctx_backend: Any, sub: str, name: str, location: str, tags: dict[str, str] | None
) -> tuple[Record, bool]:
    """Create or update a resource group; shared by the ARM endpoint and the seed loader."""
    if not _RG_NAME.match(name):
        raise ArmError(
            400,
            "InvalidResourceGroupName",
            f"The resource group name '{name}' is invalid. Resource group names can only include alphanumeric, "
            "underscore, parentheses, hyphen, period (except at end), and Unicode characters that match the allowed "
            "characters.",
        )
    with ctx_backend.store.transaction():
        ctx_backend.subscription(sub)
        rid = _rg_id(sub, name)
        old = ctx_backend.store.get(rid)
        loc = check_location(location, RG_TYPE)
        if old is not None:
            if old.body["location"] != loc:
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already exists in location "
                    f"'{old.body['location']}'.",
                )
            rid, name = old.id, old.name
        body: dict[str, Any] = {"id": rid, "name": name, "type": RG_TYPE, "location": loc}
        if tags:
            body["tags"] = tags
        body["properties"] = {"provisioningState": "Succeeded"}
        rec = Record(rid, "resourceGroup", f"/subscriptions/{sub}", sub, name, body)
        ctx_backend.store.put(rec)
    return rec, old is None


def rg_put(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, RG_TYPE)
    raw = ctx.req.json()
    if not isinstance(raw, dict) or not isinstance(raw.get("location"), str):
        raise invalid_parameter("Required parameter 'location' is missing (null).", "location")
    p = ctx.params
    rec, created = put_resource_group(ctx.backend, p["sub"], p["rg"], raw["location"], raw.get("tags"))
    return Response(201 if created else 200, rg_body(rec))


def rg_get(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, RG_TYPE)
    return Response(200, rg_body(ctx.backend.resource_group(ctx.params["sub"], ctx.params["rg"])))


def rg_head(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, RG_TYPE)
    ctx.backend.subscription(ctx.params["sub"])
    found = ctx.backend.store.get(_rg_id(ctx.params["sub"], ctx.params["rg"])) is not None
    return Response(204 if found else 404)


def rg_delete(ctx: Ctx) -> Response:
    """Deletes the group and everything in it, as ARM does; synchronous (200) for simplicity."""
    apiversions.check_any(ctx.req.api_version, RG_TYPE)
    p = ctx.params
    with ctx.backend.store.transaction():
        ctx.backend.subscription(p["sub"])
        rid = _rg_id(p["sub"], p["rg"])
        if ctx.backend.store.get(rid) is None:
            raise resource_group_not_found(p["rg"])
        ctx.backend.store.delete_tree(rid)
    return Response(200)


def rg_list(ctx: Ctx) -> Response:
    apiversions.check_any(ctx.req.api_version, RG_TYPE)
    sub = ctx.params["sub"]
    ctx.backend.subscription(sub)
    size = ctx.backend.config.page_size
    rows = ctx.backend.store.children(
        f"/subscriptions/{sub}", "resourceGroup", ctx.req.query.get("$skiptoken", ""), size + 1
    )
    more = len(rows) > size
    rows = rows[:size]
    return page(ctx, [rg_body(r) for r in rows], more, rows[-1].key if rows else "")
