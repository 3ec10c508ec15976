"""The SDK session: credential, transport and async clients for one target.

Every Azure call of the tool goes through the clients made here (azure-mgmt-compute and
azure-mgmt-resource, async). Retries, Retry-After and LRO polling are azure-core's.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.azure.target import (
    AZURE,
    ENDPOINT,
    LOCAL,
    Target,
    TargetError,
    TargetRequest,
    choose_target,
    resolve_cloud,
)
from reconciler.core.model import DEFAULT_SUBSCRIPTION

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
        return Target(
            LOCAL,
            server.url,
            subscription or server.default_subscription,
            cloud,
            str(server.ca_path),
            state_dir=request.state_dir,
        )
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
    if subscription is None:  # choose_target guarantees one for Azure
        raise TargetError("the target is Azure but no subscription is named")
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
