"""Which ARM endpoint a run talks to: the embedded emulator, an emulator by URL, or Azure (any cloud)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.target_info import TargetInfo
from reconciler.errors import UserError

LOCAL, ENDPOINT, AZURE = "local", "endpoint", "azure"


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str
    authority_host: str

    @property
    def scope(self) -> str:
        return self.arm_endpoint.rstrip("/") + "/.default"


CLOUDS = {
    c.name.lower(): c
    for c in (
        Cloud("AzureCloud", "https://management.azure.com", "login.microsoftonline.com"),
        Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net", "login.microsoftonline.us"),
        Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
    )
}


class TargetError(UserError):
    """A target that cannot be used as asked: the message says what to do."""


@dataclass(frozen=True)
class TargetRequest:
    """What flags and environment say about the target, before anything is started."""

    target: str | None = None
    endpoint: str | None = None
    ca_bundle: str | None = None
    subscription: str | None = None
    cloud: str = "AzureCloud"
    state_dir: str = ".reconcile"


@dataclass(frozen=True)
class Target:
    kind: str
    endpoint: str
    subscription_id: str
    cloud: Cloud
    ca_bundle: str | None = None
    """CA certificate to trust in addition to nothing else (emulators); None = the system's trust store."""
    state_dir: str | None = None
    """The embedded emulator's state directory (kind local only)."""

    @property
    def is_emulator(self) -> bool:
        return self.kind in (LOCAL, ENDPOINT)

    @property
    def identity(self) -> str:
        """What names this target across runs (a saved plan must be applied where it was made).

        The embedded emulator listens on a new port each run, so it is named by its state directory (the
        data it serves) as a file: URI; other targets by their endpoint URL.
        """
        if self.kind == LOCAL and self.state_dir is not None:
            return Path(self.state_dir).resolve().as_uri()
        return self.endpoint

    def info(self) -> TargetInfo:
        """What a plan records about the target; its `endpoint` is the target's `identity`."""
        if self.kind == LOCAL:
            name = "local emulator (embedded; nothing in Azure is touched)"
        elif self.kind == ENDPOINT:
            name = f"emulator at {self.endpoint} (nothing in Azure is touched)"
        else:
            name = f"Azure ({self.cloud.name}) subscription {self.subscription_id}"
        return TargetInfo(
            self.kind, name, self.identity, self.subscription_id, self.cloud.name if self.kind == AZURE else None
        )


def subscription_precedence(flag: str | None, manifest: str | None, env: Mapping[str, str]) -> str | None:
    """The subscription a run targets: --subscription > scope.subscription > AZURE_SUBSCRIPTION_ID > None."""
    return flag or manifest or env.get("AZURE_SUBSCRIPTION_ID") or None


def choose_target(
    request: TargetRequest, manifest_subscription: str | None, env: Mapping[str, str] | None = None
) -> tuple[str, str | None]:
    """(target kind, subscription or None) by the documented precedence.

    Explicit --endpoint wins; then --target, then RECONCILE_TARGET; otherwise Azure exactly when
    something (flag, manifest, AZURE_SUBSCRIPTION_ID) names a subscription, else the embedded emulator.
    """
    env = os.environ if env is None else env
    subscription = subscription_precedence(request.subscription, manifest_subscription, env)
    if request.endpoint:
        return ENDPOINT, subscription
    kind = (request.target or env.get("RECONCILE_TARGET") or "").strip().lower()
    if kind and kind not in (LOCAL, AZURE):
        source = "--target" if request.target else "RECONCILE_TARGET"
        raise TargetError(f"{source} is {kind!r}; use 'local' (the embedded emulator) or 'azure'")
    if not kind:
        kind = AZURE if subscription else LOCAL
    if kind == AZURE and not subscription:
        raise TargetError(
            "the target is Azure but no subscription is named: pass --subscription, set "
            "scope.subscription in a manifest, or set AZURE_SUBSCRIPTION_ID"
        )
    return kind, subscription


def resolve_cloud(name: str) -> Cloud:
    cloud = CLOUDS.get(name.lower())
    if cloud is None:
        raise TargetError(f"unknown cloud {name!r}; use one of {', '.join(c.name for c in CLOUDS.values())}")
    return cloud
