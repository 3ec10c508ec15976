"""The SDK session: credential, transport and async clients for one target, and Azure errors in plain words.

Every Azure call of the tool goes through the clients made here (azure-mgmt-compute and
azure-mgmt-resource, async). Retries, Retry-After and LRO polling are azure-core's.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.model import DEFAULT_SUBSCRIPTION
from reconciler.target import AZURE, ENDPOINT, LOCAL, Target, TargetError, TargetRequest, choose_target, resolve_cloud

EMULATOR_TENANT = "00000000-0000-0000-0000-000000000001"


class EmulatorToken:
    """Async credential for emulators: a well-formed, unsigned JWT (emulators have no identities)."""

    def __init__(self, tenant: str = EMULATOR_TENANT) -> None:
        self._tenant = tenant

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        now = int(time.time())
        claims = {
            "aud": scopes[0].removesuffix("/.default") if scopes else "",
            "tid": self._tenant,
            "oid": "reconciler",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }

        def part(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
        return AccessToken(token, now + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> EmulatorToken:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def open_target(request: TargetRequest, manifest_subscription: str | None) -> Target:
    """Resolve the target; for `local`, start the embedded emulator (state under request.state_dir)."""
    kind, subscription = choose_target(request, manifest_subscription)
    cloud = resolve_cloud(request.cloud)
    if kind == LOCAL:
        from reconciler.emulator import start_embedded

        server = start_embedded(state_dir=Path(request.state_dir))
        if subscription and subscription.lower() != server.default_subscription:
            # The embedded emulator is ours: a manifest written for a real subscription runs against it as is.
            server.apply_seed({"subscriptions": [{"id": subscription, "displayName": "from the manifests"}]})
        return Target(LOCAL, server.url, subscription or server.default_subscription, cloud, str(server.ca_path))
    if kind == ENDPOINT:
        endpoint = request.endpoint or ""
        if not endpoint.startswith("https://"):
            raise TargetError(
                f"--endpoint {endpoint!r} must be an https:// URL (bearer tokens are never sent over plain http)"
            )
        if request.ca_bundle and not Path(request.ca_bundle).is_file():
            raise TargetError(
                f"--ca-bundle {request.ca_bundle!r} is not a file; pass the CA certificate path "
                "that `reconcile emulator serve` printed"
            )
        return Target(ENDPOINT, endpoint.rstrip("/"), subscription or DEFAULT_SUBSCRIPTION, cloud, request.ca_bundle)
    assert subscription is not None
    return Target(AZURE, cloud.arm_endpoint, subscription, cloud)


@dataclass
class Clients:
    compute: Any
    resources: Any


class ArmSession:
    """Async context manager holding the credential, one HTTP session and the clients for a target."""

    def __init__(self, target: Target, *, polling_interval: float | None = None) -> None:
        self.target = target
        self._polling = polling_interval if polling_interval is not None else (0.05 if target.is_emulator else 2.0)
        self._http: Any = None
        self._credential: Any = None
        self.clients: Clients | None = None

    async def __aenter__(self) -> Clients:
        import aiohttp
        from azure.core.pipeline.transport import AioHttpTransport
        from azure.mgmt.compute.aio import ComputeManagementClient
        from azure.mgmt.resource.resources.aio import ResourceManagementClient

        target = self.target
        ctx = ssl.create_default_context(cafile=target.ca_bundle or None)
        # One TLS context and connection pool for every call: the default async transport rebuilds
        # the context per request, which costs a new handshake each time (see sdk-notes).
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=64), trust_env=True)
        if target.is_emulator:
            self._credential = EmulatorToken()
        else:
            from azure.identity.aio import DefaultAzureCredential

            self._credential = DefaultAzureCredential(authority=target.cloud.authority_host)
        common: dict[str, Any] = {
            "base_url": target.endpoint,
            "credential_scopes": [target.cloud.scope],
            "transport": AioHttpTransport(session=self._http, session_owner=False),
            "polling_interval": self._polling,
            # azure-core's RetryPolicy does the retrying; a reconciler reading a whole estate under ARM
            # throttling deserves a few more status and connection retries than the default 3.
            "retry_status": 6,
            "retry_connect": 5,
            "retry_read": 5,
        }
        self.clients = Clients(
            compute=ComputeManagementClient(self._credential, target.subscription_id, **common),
            resources=ResourceManagementClient(self._credential, target.subscription_id, **common),
        )
        return self.clients

    async def __aexit__(self, *exc: object) -> None:
        if self.clients is not None:
            await self.clients.compute.close()
            await self.clients.resources.close()
        if self._credential is not None:
            await self._credential.close()
        if self._http is not None:
            await self._http.close()


_ACTION = re.compile(r"perform action '([^']+)'")


def explain_error(err: BaseException, target: Target | None = None, what: str | None = None) -> str:
    """One sentence for an Azure or connection error, saying what failed and what to do."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    prefix = f"{what}: " if what else ""
    # A credential chain that found nothing raises ClientAuthenticationError with no HTTP response;
    # ARM's own 401 comes with one and is reported below.
    if isinstance(err, ClientAuthenticationError) and getattr(err, "response", None) is None:
        return (
            prefix + "no Azure credential is available. Sign in with `az login`, or set AZURE_CLIENT_ID, "
            "AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE for workload identity / "
            "CI OIDC), or run where a managed identity is assigned"
        )
    if isinstance(err, HttpResponseError):
        code = getattr(getattr(err, "error", None), "code", None) or ""
        message = getattr(getattr(err, "error", None), "message", None) or err.message or str(err)
        message = message.splitlines()[0] if message else ""
        status = err.status_code
        if status == 403 or code in ("AuthorizationFailed", "LinkedAuthorizationFailed"):
            action = _ACTION.search(message)
            needed = f" the RBAC action '{action.group(1)}'" if action else " permission"
            return (
                prefix + f"permission denied: the signed-in identity lacks{needed}. Grant it a role that "
                f"includes it (for example 'Compute Gallery Artifacts Publisher' or Contributor) on the "
                f"resource group. Azure said: {message}"
            )
        if status == 401:
            return prefix + f"Azure refused the credential ({code or status}): {message}"
        if code == "SubscriptionNotFound" or (
            status == 404 and "subscription" in message.lower() and code != "ResourceGroupNotFound"
        ):
            sub = target.subscription_id if target else "the subscription"
            return (
                prefix + f"subscription {sub} was not found or is not visible to the credential; check the "
                f"subscription id and that the identity has access to it ({message})"
            )
        if code == "ResourceGroupNotFound":
            return (
                prefix + f"{message} Create it, or set scope.createResourceGroup: true in the manifest so "
                "the tool creates it"
            )
        return prefix + (f"{code}: {message}" if code else f"HTTP {status}: {message}")
    if isinstance(err, ServiceRequestError):
        where = target.endpoint if target else "the ARM endpoint"
        return prefix + f"cannot reach {where}: {err}. Check the endpoint, network and --ca-bundle"
    return prefix + f"{type(err).__name__}: {err}"
