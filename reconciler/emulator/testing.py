"""Test helpers other suites import: an emulator context manager, an admin client, a static credential, an SDK client.

Typical use in a pytest fixture::

    from reconciler.emulator.testing import emulator_server, admin, make_compute_client

    @pytest.fixture
    def emu():
        with emulator_server() as srv:   # in-memory, replication_seconds=0, retry_after=0
            yield srv

    def test_x(emu):
        client = make_compute_client(emu)
        admin(emu).faults(next429=2)
        admin(emu).corrupt({"kind": "removeFields", "fields": ["value.*.properties"], "match": "/images$"})
        ...
        assert admin(emu).requests()["byOperation"]["Galleries_Get"] == 1
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from .server import EmulatorServer
from .tokens import DEFAULT_TENANT, make_token

ARM_SCOPE = "https://management.azure.com/.default"


@contextmanager
def emulator_server(**kwargs: Any) -> Iterator[EmulatorServer]:
    """Start an emulator for one test (or session) and stop it afterwards.

    Defaults are the cheap test settings: in-memory store, instant replication, no Retry-After,
    no delete-consistency window. Any EmulatorServer keyword overrides them.
    """
    options: dict[str, Any] = {
        "data": None,
        "replication_seconds": 0.0,
        "retry_after": 0,
        "delete_consistency_seconds": 0.0,
    }
    options.update(kwargs)
    server = EmulatorServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


class EmulatorCredential:
    """A static azure-core TokenCredential: a well-formed, unsigned JWT with a `tid` claim (never logged)."""

    def __init__(self, tenant_id: str = DEFAULT_TENANT) -> None:
        self._tenant = tenant_id
        self._token: tuple[str, int] | None = None

    def __repr__(self) -> str:
        return f"EmulatorCredential(tenant_id={self._tenant!r})"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        if self._token is None or self._token[1] - time.time() < 300:
            self._token = make_token(self._tenant)
        return AccessToken(*self._token)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        token = self.get_token(*scopes)
        return AccessTokenInfo(token.token, token.expires_on)

    def close(self) -> None:
        return None

    def __enter__(self) -> EmulatorCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def make_compute_client(srv: EmulatorServer, subscription_id: str | None = None, **kwargs: Any) -> Any:
    """A ComputeManagementClient pointed at `srv`, trusting its CA, with fast polling and retries."""
    from azure.mgmt.compute import ComputeManagementClient

    options: dict[str, Any] = {
        "base_url": srv.url,
        "connection_verify": str(srv.ca_path),
        "polling_interval": 0.01,
        "retry_backoff_factor": 0.01,
        "retry_backoff_max": 0.05,
        "credential_scopes": [ARM_SCOPE],
    }
    options.update(kwargs)
    return ComputeManagementClient(EmulatorCredential(), subscription_id or srv.default_subscription, **options)


class Admin:
    """Client for the /_emulator/ admin endpoints (stdlib only, trusts the emulator's CA)."""

    def __init__(self, url: str, ca_path: Path | str) -> None:
        self.url = url.rstrip("/")
        self._ctx = ssl.create_default_context(cafile=str(ca_path))

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self._ctx, timeout=30) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            raise RuntimeError(f"{method} {path} -> {err.code}: {detail}") from None
        return json.loads(payload) if payload else None

    def requests(self) -> dict[str, Any]:
        return self.call("GET", "/_emulator/requests")

    def reset(self) -> dict[str, Any]:
        return self.call("POST", "/_emulator/requests/reset")

    def faults(self, **settings: Any) -> dict[str, Any]:
        return self.call("POST", "/_emulator/faults", settings)

    def corrupt(self, *rules: dict[str, Any]) -> dict[str, Any]:
        """Replace the response corruption rules (see `reconciler.emulator.corruption`); none clears them.

        Example: ``admin(srv).corrupt({"kind": "html", "status": 502, "match": "/galleries$", "count": 1})``.
        """
        return self.faults(corrupt=list(rules))

    def clear_faults(self) -> dict[str, Any]:
        return self.call("DELETE", "/_emulator/faults")

    def config(self, **settings: Any) -> dict[str, Any]:
        return self.call("POST", "/_emulator/config", settings)

    def seed(self, document: dict[str, Any] | str) -> dict[str, Any]:
        raw = document.encode() if isinstance(document, str) else json.dumps(document).encode()
        return self.call("POST", "/_emulator/seed", raw=raw)

    def state(self) -> dict[str, Any]:
        return self.call("GET", "/_emulator/state")

    def set_published_date(self, version_id: str, when: str | datetime) -> dict[str, Any]:
        """Backdate (or move) a version's read-only `publishedDate`; `when` is a datetime or ISO 8601 text."""
        stamp = when.isoformat() if isinstance(when, datetime) else when
        return self.call("POST", "/_emulator/published-date", {"id": version_id, "publishedDate": stamp})


def admin(srv: EmulatorServer) -> Admin:
    return Admin(srv.url, srv.ca_path)
