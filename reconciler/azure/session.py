"""The SDK session: credential, transport and async clients for one target.

Every Azure call of the tool goes through the clients made here (azure-mgmt-compute and
azure-mgmt-resource, async). Retries, Retry-After and LRO polling are azure-core's. Policies of our
own sit in every client's pipeline, after azure-core's retry policy, so each attempt and each redirect
passes them (`guard_policies`):

- `EndpointOnly`: a request goes only to the target endpoint's scheme, host and port. azure-mgmt-compute's
  pagers send a list's `nextLink` as is (`HttpRequest("GET", next_link)`), and azure-core's bearer policy
  adds the token to every request of the pipeline: a `nextLink`, polling URL or redirect naming another
  host would receive the token. The credential's own requests (to the authority) go through
  azure-identity's pipeline, not these, so the allowed origin is the endpoint's alone.
- `Deadline`: one HTTP exchange, from sending to the last byte of the body, ends within `request_timeout`
  seconds. aiohttp's per-read socket timeout does not stop a server that sends a byte a second; an
  overall deadline does. A long wait is logged (WARNING, so shown by default) with what it waits for.
  Retry-After sleeps between attempts are not counted.

Their errors reach the caller through `StopErrors` (per call, before the retries): azure-core retries
every AzureError, and neither a foreign host nor a deadline that ran out is worth retrying.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import json
import logging
import ssl
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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

READ_CONNECTIONS = 100
"""Connections kept to the endpoint: a level of 100 lists in one wave; more would cost a TLS handshake each
for little (ARM's read burst is 250 per subscription)."""

EMULATOR_TENANT = "00000000-0000-0000-0000-000000000001"
REQUEST_TIMEOUT = 120.0
"""Default deadline of one HTTP exchange with ARM, in seconds (ARM answers reads in well under a second,
and accepts writes of this tool within seconds; the long waits are LROs, made of many short requests)."""
_LOG = logging.getLogger(__name__)
_request_timeout: contextvars.ContextVar[float] = contextvars.ContextVar("request_timeout", default=REQUEST_TIMEOUT)
_in_flight: dict[int, tuple[str, str, float]] = {}
"""Requests sent and not yet answered: id -> (method, URL without its query, start on the monotonic clock)."""


def set_request_timeout(seconds: float | None) -> None:
    """The request deadline for sessions opened from now on in this context (None: `REQUEST_TIMEOUT`)."""
    _request_timeout.set(seconds if seconds is not None else REQUEST_TIMEOUT)


def waiting_for() -> list[str]:
    """The requests still unanswered, oldest first, as "GET https://host/path (12 s)"; for a timeout message."""
    now = time.monotonic()
    pending = sorted(_in_flight.values(), key=lambda entry: entry[2])
    return [f"{method} {url} ({now - start:.0f} s)" for method, url, start in pending]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # a malformed port matches no endpoint
    return scheme, (parts.hostname or "").lower(), port or {"https": 443, "http": 80}.get(scheme)


def _shown(url: str) -> str:
    """A URL as messages name it: without its query (a SAS, a skiptoken) and fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class _Stop(Exception):
    """Carries an AzureError past azure-core's retry policy, which retries every AzureError; `StopErrors` unwraps it."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class EndpointOnly:
    """azure-core async policy (per attempt, so redirects are checked too): only the target's scheme, host and port.

    Refuses anything else before it is sent, with `reconciler.azure.errors.ForeignEndpoint` (one sentence
    naming the foreign host; not retried).
    """

    next: Any

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.allowed = _origin(endpoint)

    async def send(self, request: Any) -> Any:
        from reconciler.azure.errors import ForeignEndpoint

        origin = _origin(request.http_request.url)
        if origin != self.allowed:
            scheme, host, port = origin
            raise _Stop(
                ForeignEndpoint(
                    f"refused to send a request to {scheme}://{host}:{port}, which is not the target's endpoint "
                    f"{self.endpoint}: a response (a nextLink, an operation URL or a redirect) pointed there, "
                    "and it would have received the bearer token"
                )
            )
        return await self.next.send(request)


class Deadline:
    """azure-core async policy (per attempt): each HTTP exchange, headers and the whole body, ends within `seconds`.

    While it waits it logs, every `notice_every` seconds, which request it is waiting for. When the time
    is up the request is cancelled and `reconciler.azure.errors.RequestTimedOut` raised (not retried: a
    server that is that slow once is slow again, and the caller reports it at once).
    """

    next: Any

    def __init__(self, seconds: float, notice_every: float | None = None) -> None:
        self.seconds = seconds
        self.notice_every = notice_every if notice_every is not None else min(15.0, seconds / 4)

    async def send(self, request: Any) -> Any:
        from reconciler.azure.errors import RequestTimedOut

        method, url = request.http_request.method, _shown(request.http_request.url)
        start = time.monotonic()
        task = asyncio.ensure_future(self.next.send(request))
        _in_flight[id(task)] = (method, url, start)
        try:
            while True:
                left = self.seconds - (time.monotonic() - start)
                if left <= 0:
                    raise _Stop(
                        RequestTimedOut(
                            f"no complete answer to {method} {url} within {self.seconds:g} s (the request "
                            "deadline; raise it with --request-timeout if the network is that slow)"
                        )
                    )
                done, _ = await asyncio.wait({task}, timeout=min(left, self.notice_every))
                if done:
                    return task.result()
                waited = time.monotonic() - start
                if waited < self.seconds:
                    _LOG.warning(
                        "still waiting for the answer to %s %s (%.0f s; giving up at %g s)",
                        method,
                        url,
                        waited,
                        self.seconds,
                    )
        finally:
            _in_flight.pop(id(task), None)
            if not task.done():
                task.cancel()
                # Let the transport see the cancellation and drop the connection before going on.
                await asyncio.gather(task, return_exceptions=True)


class StopErrors:
    """azure-core async policy (per call, outside the retries): raises the AzureError a `_Stop` carries."""

    next: Any

    async def send(self, request: Any) -> Any:
        try:
            return await self.next.send(request)
        except _Stop as stop:
            raise stop.error from None


def guard_policies(endpoint: str, request_timeout: float) -> dict[str, list[Any]]:
    """The `per_call_policies` and `per_retry_policies` client options (new instances: a policy is one pipeline's)."""
    return {
        "per_call_policies": [StopErrors()],
        "per_retry_policies": [EndpointOnly(endpoint), Deadline(request_timeout)],
    }


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


class Clients:
    """The SDK clients of one session: azure-mgmt-resource's, and azure-mgmt-compute's made on first use.

    Importing azure-mgmt-compute costs about half a second of CPU; a plan with nothing to create reads
    through `resources.send_request` (the same pipeline: credential, retries, guards) and never needs it.
    Tests may pass ready clients (`Clients(compute=..., resources=...)`).
    """

    def __init__(self, compute: Any = None, resources: Any = None, make_compute: Any = None) -> None:
        self._compute, self.resources, self._make_compute = compute, resources, make_compute

    @property
    def compute(self) -> Any:
        if self._compute is None and self._make_compute is not None:
            self._compute = self._make_compute()
        return self._compute

    @property
    def arm(self) -> Any:
        """A client for raw ARM requests (`send_request`) through the session's pipeline."""
        return self.resources if self.resources is not None else self.compute

    async def close(self) -> None:
        for client in (self._compute, self.resources):
            if client is not None:
                await client.close()


class ArmSession:
    """Async context manager holding the credential, one HTTP session and the clients for a target."""

    def __init__(
        self, target: Target, *, polling_interval: float | None = None, request_timeout: float | None = None
    ) -> None:
        self.target = target
        self._polling = polling_interval if polling_interval is not None else (0.05 if target.is_emulator else 2.0)
        self.request_timeout = request_timeout if request_timeout is not None else _request_timeout.get()
        self._http: Any = None
        self._credential: Any = None
        self.clients: Clients | None = None

    async def __aenter__(self) -> Clients:
        import aiohttp
        from azure.core.pipeline.transport import AioHttpTransport
        from azure.mgmt.resource.resources.aio import ResourceManagementClient

        target = self.target
        ctx = ssl.create_default_context(cafile=target.ca_bundle or None)
        # One TLS context and connection pool for every call: the default async transport rebuilds
        # the context per request, which costs a new handshake each time (see sdk-notes).
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ctx, limit=READ_CONNECTIONS), trust_env=True
        )
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
        sub, timeout = target.subscription_id, self.request_timeout
        credential = self._credential

        def compute() -> Any:
            from azure.mgmt.compute.aio import ComputeManagementClient

            return ComputeManagementClient(credential, sub, **common, **guard_policies(target.endpoint, timeout))

        self.clients = Clients(
            resources=ResourceManagementClient(credential, sub, **common, **guard_policies(target.endpoint, timeout)),
            make_compute=compute,
        )
        return self.clients

    async def __aexit__(self, *exc: object) -> None:
        if self.clients is not None:
            await self.clients.close()
        if self._credential is not None:
            await self._credential.close()
        if self._http is not None:
            await self._http.close()
