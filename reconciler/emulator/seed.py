"""Seed documents: subscriptions, resource groups and image sources loaded from YAML or JSON in one call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .arm import put_resource_group
from .backend import DEFAULT_SUBSCRIPTION, Backend, subscription_record
from .errors import ArmError
from .tokens import DEFAULT_TENANT

SOURCE_SECTIONS = {
    "virtualMachines": "virtualmachines",
    "images": "images",
    "snapshots": "snapshots",
    "disks": "disks",
    "storageAccounts": "storageaccounts",
}
# Flat seed spellings; sources.put_source nests them as ARM does (a VM's or image's under storageProfile.osDisk).
_SOURCE_FIELDS = ("osType", "osState", "hyperVGeneration", "diskSizeGB", "hostCaching", "dataDisks", "imageReference")
SECTIONS = ("subscriptions", "resourceGroups", *SOURCE_SECTIONS)


class SeedError(ValueError):
    """A seed document that cannot be applied; the message is one line, fit for the CLI."""


def parse(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise SeedError(f"seed is neither JSON nor YAML: {str(err).splitlines()[0]}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise SeedError("seed document must be a mapping with keys " + ", ".join(SECTIONS))
    return doc


def load_file(path: Path) -> dict[str, Any]:
    try:
        return parse(path.read_text("utf-8"))
    except OSError as err:
        raise SeedError(f"cannot read seed file {path}: {err.strerror}") from None


def _items(doc: dict[str, Any], section: str) -> list[dict[str, Any]]:
    items = doc.get(section) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SeedError(f"'{section}' must be a list of mappings")
    return items


def _need(item: dict[str, Any], key: str, section: str, index: int) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise SeedError(f"{section}[{index}]: '{key}' is required and must be a string")
    return value


def apply(backend: Backend, doc: dict[str, Any]) -> list[str]:
    """Create (or update) everything in the seed; returns the ids, in order. Idempotent."""
    unknown = sorted(set(doc) - set(SECTIONS))
    if unknown:
        raise SeedError(f"unknown seed section(s): {', '.join(unknown)}; expected {', '.join(SECTIONS)}")
    created: list[str] = []
    try:
        for i, item in enumerate(_items(doc, "subscriptions")):
            sub = _need(item, "id", "subscriptions", i)
            rec = subscription_record(sub, str(item.get("displayName", sub)), str(item.get("tenantId", DEFAULT_TENANT)))
            with backend.store.transaction():
                backend.store.put(rec)
            created.append(rec.id)
        for i, item in enumerate(_items(doc, "resourceGroups")):
            sub = str(item.get("subscription", DEFAULT_SUBSCRIPTION))
            name = _need(item, "name", "resourceGroups", i)
            rec, _ = put_resource_group(
                backend, sub, name, _need(item, "location", "resourceGroups", i), item.get("tags")
            )
            created.append(rec.id)
        for section, segment in SOURCE_SECTIONS.items():
            for i, item in enumerate(_items(doc, section)):
                created.append(_apply_source(backend, section, segment, i, item))
    except ArmError as err:
        raise SeedError(f"{err.code}: {err.message}") from None
    return created


def _apply_source(backend: Backend, section: str, segment: str, i: int, item: dict[str, Any]) -> str:
    from .sources import put_source

    sub = str(item.get("subscription", DEFAULT_SUBSCRIPTION))
    props: dict[str, Any] = {k: item[k] for k in _SOURCE_FIELDS if k in item}
    if segment == "storageaccounts":
        blobs = item.get("blobs", [])
        if not isinstance(blobs, list) or not all(isinstance(b, str) for b in blobs):
            raise SeedError(f"{section}[{i}]: 'blobs' must be a list of VHD URIs")
        props = {"blobs": blobs}
    rec, _ = put_source(
        backend,
        sub,
        _need(item, "resourceGroup", section, i),
        segment,
        _need(item, "name", section, i),
        _need(item, "location", section, i),
        props,
        item.get("tags"),
    )
    return rec.id
