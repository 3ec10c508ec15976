"""A definition with lifecycle rules, and versions published outside the manifests over simulated time.

Versions are published with the SDK (as a pipeline would) and then dated with the emulator's
`set_published_date`; a version created "long ago" (with an end-of-life date that has passed since, which
Azure would refuse to set today) is created with the emulator's clock moved back for that request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Cli

RG = "platform-images"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
IMAGE = f"{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/images/ubuntu-base"
OWNED = {"gallery-reconciler": "managed"}
NOW = datetime.now(timezone.utc)


def write_estate(
    workdir: Path,
    lifecycle: str,
    versions: str = "",
    *,
    settings: str = "",
    gallery_lifecycle: str = "",
    name: str = "estate.yaml",
) -> str:
    """The manifest of gallery `gal` / definition `app` (westeurope) with `lifecycle` (YAML flow mapping)."""
    lines = [
        "apiVersion: gallery-reconciler/v1",
        f"scope: {{resourceGroup: {RG}, location: westeurope}}",
    ]
    if settings:
        lines.append(f"settings: {settings}")
    lines += ["galleries:", "  gal:"]
    if gallery_lifecycle:
        lines.append(f"    lifecycle: {gallery_lifecycle}")
    lines += [
        "    definitions:",
        "      app:",
        "        identifier: {publisher: acme, offer: app, sku: jammy}",
        "        osType: Linux",
        "        osState: Generalized",
        "        hyperVGeneration: V2",
    ]
    if lifecycle:
        lines.append(f"        lifecycle: {lifecycle}")
    lines.append("        versions:" if versions else "        versions: {}")
    text = "\n".join(lines) + "\n" + versions
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def listed(name: str, regions: str = "westeurope", extra: str = "") -> str:
    """A version entry for `write_estate`."""
    lines = [
        f'          "{name}":',
        f"            source: {{managedImage: {{resourceGroup: {RG}, name: ubuntu-base}}}}",
        f"            targetRegions: [{regions}]",
    ]
    lines += [f"            {line}" for line in extra.splitlines() if line]
    return "\n".join(lines) + "\n"


def version_id(name: str, definition: str = "app") -> str:
    gallery = f"{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/gal"
    return f"{gallery}/images/{definition}/versions/{name}"


@contextmanager
def emulator_clock(run: Cli, shift: timedelta) -> Iterator[None]:
    """Requests made inside see the emulator's clock moved by `shift` (negative: the past)."""
    backend = run.emu.backend
    real = backend.clock
    backend.clock = lambda: real() + shift.total_seconds()
    try:
        yield
    finally:
        backend.clock = real


def publish(
    run: Cli,
    name: str,
    days_ago: float,
    *,
    tags: dict[str, str] | None = None,
    regions: tuple[str, ...] = ("westeurope",),
    exclude: bool = False,
    end_of_life: datetime | None = None,
    block_deletion: bool = False,
    definition: str = "app",
) -> None:
    """Publish a version outside the manifests (owned by the default estate unless `tags` say otherwise),
    `days_ago` days ago. With an end-of-life date, the version is created on the emulator's clock of that day,
    so the date may have passed since (Azure refuses only a date past at the time it is set)."""
    publishing: dict[str, Any] = {
        "targetRegions": [{"name": r} for r in regions],
        "excludeFromLatest": exclude,
    }
    if end_of_life is not None:
        publishing["endOfLifeDate"] = end_of_life.isoformat()
    body = {
        "location": "westeurope",
        "tags": OWNED if tags is None else tags,
        "properties": {
            "publishingProfile": publishing,
            "storageProfile": {"source": {"id": IMAGE}},
            "safetyProfile": {"blockDeletionBeforeEndOfLife": block_deletion},
        },
    }
    with emulator_clock(run, -timedelta(days=days_ago)):
        run.compute().gallery_image_versions.begin_create_or_update(RG, "gal", definition, name, body).result()
    run.admin.set_published_date(version_id(name, definition), NOW - timedelta(days=days_ago))


def live_versions(run: Cli, definition: str = "app") -> list[str]:
    """The versions Azure has, lowest first."""
    names = [v.name for v in run.compute().gallery_image_versions.list_by_gallery_image(RG, "gal", definition)]
    return sorted(names, key=lambda n: tuple(int(p) for p in n.split(".")))


def resources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in plan["resources"]}


def retention_deletions(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Version name -> resource entry, for every deletion a retention rule plans."""
    return {
        r["address"].rsplit("/", 1)[1]: r
        for r in plan["resources"]
        if r["action"] == "delete" and (r["reason"] or {}).get("code") == "retention"
    }


def kept(plan: dict[str, Any], definition: str = "gal/app") -> dict[str, str]:
    """Version name -> guard code, for the versions a guard keeps from the rule."""
    (report,) = [r for r in plan["retention"] if r["definition"] == definition]
    return {k["version"]: k["guard"]["code"] for k in report["kept"]}
