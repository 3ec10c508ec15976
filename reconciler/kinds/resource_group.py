"""Resource groups: created when a manifest's scope says `createResourceGroup: true`, never changed or deleted.

Resource groups are not read into the live state like gallery resources: the reads only learn
whether each group exists (a gallery list that answers ResourceGroupNotFound).
"""

from __future__ import annotations

from typing import Any

from reconciler.core import model as m
from reconciler.core.changes import Action, FieldChange, ResourceChange
from reconciler.core.reasons import Reason, Why
from reconciler.core.regions import fold_region

NAME = "resourceGroup"
"""The plan's kind for a resource group the manifests ask the tool to create."""


def address(name: str) -> str:
    """Plan address of a resource group (gallery addresses never contain a colon)."""
    return f"{NAME}:{name}"


def group_id(subscription_id: str, name: str) -> str:
    from azure.mgmt.core.tools import resource_id

    return resource_id(subscription=subscription_id, resource_group=name)


def planned_creates(desired: m.DesiredState, exists: dict[tuple[str, str], bool]) -> list[ResourceChange]:
    """A create for each group a scope asks for (`createResourceGroup: true`) that does not exist yet."""
    out = []
    for group in desired.resource_groups:
        if exists.get((group.subscription_id, group.name.lower())) or not group.create:
            continue
        out.append(
            ResourceChange(
                address(group.name),
                NAME,
                Action.CREATE,
                group_id(group.subscription_id, group.name),
                reason=Why(Reason.CREATE_RESOURCE_GROUP),
                changes=(FieldChange("location", None, fold_region(group.location or "")),),
            )
        )
    return out


def missing(desired: m.DesiredState, exists: dict[tuple[str, str], bool]) -> list[m.ResourceGroup]:
    """Groups the manifests need that do not exist and that no scope asks to create."""
    return [g for g in desired.resource_groups if not exists.get((g.subscription_id, g.name.lower())) and not g.create]


async def create(resources_client: Any, group: m.ResourceGroup, hook: Any) -> None:
    """PUT the resource group (azure-mgmt-resource; not a long-running operation)."""
    await resources_client.resource_groups.create_or_update(
        group.name, {"location": group.location or ""}, raw_response_hook=hook
    )
