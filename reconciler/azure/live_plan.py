"""Plan against what Azure has now: read the live state in bulk, check what must exist, diff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from reconciler.azure.errors import explain_error
from reconciler.azure.reads import read_live
from reconciler.azure.recycle_bin import read_recycle_bin
from reconciler.azure.regions import subscription_regions
from reconciler.azure.session import Clients
from reconciler.azure.source_reads import read_sources
from reconciler.azure.target import Target
from reconciler.core.diff import DiffOptions
from reconciler.core.live_state import LiveState
from reconciler.core.model import DesiredState
from reconciler.core.plan import Plan, build_plan, with_source_report
from reconciler.core.source_checks import check_regions, check_sources, source_ids, unknown_regions
from reconciler.errors import UserError
from reconciler.kinds import resource_group as rg


async def plan_live(
    clients: Clients, desired: DesiredState, target: Target, options: DiffOptions, paths: Iterable[str]
) -> tuple[Plan, LiveState]:
    """(plan, live state read for it).

    Reads the sources of the versions the plan creates and records what Azure would refuse about them as
    the plan's problems. Raises UserError when the live state cannot be read (with Azure's reason in plain
    words) or when a resource group the manifests need does not exist and no scope asks to create it.
    """
    from azure.core.exceptions import AzureError

    try:
        live = await read_live(clients, desired)
        bin_ = await read_recycle_bin(clients, desired, live)
        if bin_:
            live = replace(live, recycle_bin=bin_)
    except AzureError as err:
        raise UserError(explain_error(err, target, "reading live state (nothing was changed)")) from err
    missing = rg.missing(desired, live.resource_groups)
    if missing:
        names = ", ".join(g.name for g in missing)
        raise UserError(
            f"resource group(s) {names} do not exist in subscription {target.subscription_id}; create "
            "them, or set scope.createResourceGroup: true so the tool creates them"
        )
    plan = build_plan(desired, live, target.info(), options=options, manifest_paths=paths)
    unknown = unknown_regions(desired)
    if unknown:
        # Only for regions the bundled table does not know: the subscription's list is the truth.
        try:
            available = await subscription_regions(clients, target.subscription_id)
        except AzureError as err:
            raise UserError(explain_error(err, target, "reading the subscription's regions")) from err
        plan = replace(plan, problems=plan.problems + tuple(check_regions(desired, available)))
    ids = source_ids(plan.changes, desired)
    if ids:
        try:
            facts = await read_sources(clients, target.subscription_id, ids)
        except AzureError as err:
            raise UserError(explain_error(err, target, "reading the versions' sources (nothing was changed)")) from err
        plan = with_source_report(plan, check_sources(plan.changes, desired, live, facts))
    return plan, live
