"""Run plan steps against Azure: dependencies respected, independent steps concurrent, failures contained.

A failed step fails only itself: steps that depend on it are skipped with the cause, everything
else carries on. Long-running operations are awaited through azure-core's pollers; replication
progress is read with `$expand=ReplicationStatus` while a version's operation runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.apply.journal import Journal
from reconciler.azure import operations as ops
from reconciler.azure.errors import explain_error
from reconciler.azure.reads import read_version
from reconciler.azure.session import Clients
from reconciler.core import model as m
from reconciler.core.arm_json import RegionReplication
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.core.steps import Operation, Step
from reconciler.kinds import IMAGE_VERSION
from reconciler.kinds import resource_group as rg


class Outcome(str, enum.Enum):
    """How a step ended (values appear in the journal and --json results)."""

    SUCCEEDED = "succeeded"
    ACCEPTED = "accepted"
    """Azure accepted the request and carries on (--no-wait)."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not attempted: a step it depends on did not succeed."""
    TIMED_OUT = "timed-out"


SUCCEEDED, ACCEPTED, FAILED, SKIPPED, TIMED_OUT = (
    Outcome.SUCCEEDED,
    Outcome.ACCEPTED,
    Outcome.FAILED,
    Outcome.SKIPPED,
    Outcome.TIMED_OUT,
)


@dataclass
class StepResult:
    """The outcome of one step, with a sentence, Azure's request ids and the time it took (seconds)."""

    step: Step
    status: Outcome
    message: str = ""
    request_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in (SUCCEEDED, ACCEPTED)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.step.address,
            "kind": self.step.kind,
            "operation": self.step.operation.value,
            "status": self.status.value,
            "message": self.message,
            "requestIds": self.request_ids,
            "seconds": round(self.seconds, 3),
        }


class Events(Protocol):
    """What the executor reports as it goes (implemented by `reconciler.render.progress`)."""

    def started(self, step: Step) -> None: ...
    def progress(self, step: Step, regions: tuple[RegionReplication, ...]) -> None: ...
    def message(self, step: Step, text: str) -> None: ...
    def finished(self, result: StepResult) -> None: ...


@dataclass(frozen=True)
class ExecOptions:
    """How apply runs: concurrency, whether to wait for replication, and time limits (seconds)."""

    parallelism: int = 10
    wait: bool = True
    """Wait for image version replication; False returns once Azure accepted each request."""
    operation_timeout: float | None = None
    progress_interval: float = 5.0
    source_timeout: float = 4 * 3600.0
    delete_conflict_timeout: float = 180.0


class Executor:
    """Runs steps against Azure: each waits for its dependencies, at most `parallelism` at once.

    Every finished step is reported to `events` and appended to `journal` (when given).
    """

    def __init__(
        self,
        clients: Clients,
        desired: m.DesiredState,
        live: LiveState,
        events: Events,
        options: ExecOptions,
        journal: Journal | None = None,
    ) -> None:
        self.clients = clients
        self.desired = desired.by_key()
        self.groups = {rg.address(g.name).lower(): g for g in desired.resource_groups}
        self.journal = journal
        self.live = live
        self.events = events
        self.options = options
        self.sem = asyncio.Semaphore(max(1, options.parallelism))
        self.results: dict[str, StepResult] = {}
        self._futures: dict[str, asyncio.Future[StepResult]] = {}

    async def run(self, steps: list[Step], timeout: float | None = None) -> list[StepResult]:
        """Run every step; results in the steps' order. `timeout` (seconds) bounds the whole run."""
        loop = asyncio.get_running_loop()
        self._futures = {s.id: loop.create_future() for s in steps}
        tasks = [asyncio.create_task(self._run_step(s)) for s in steps]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            for step in steps:
                if step.id not in self.results:
                    self.results[step.id] = StepResult(
                        step,
                        TIMED_OUT,
                        "the overall --timeout ran out while this "
                        "was still running (Azure carries on; re-run apply or "
                        "`reconcile status --wait` to follow it)",
                    )
                    self._report(self.results[step.id])
        return [self.results[s.id] for s in steps]

    async def _run_step(self, step: Step) -> None:
        for dep in sorted(step.deps):
            future = self._futures.get(dep)
            if future is None:
                continue
            done = await future
            if not done.ok:
                result = StepResult(step, SKIPPED, f"skipped because {done.step.label} {done.status.value}")
                self._finish(step, result)
                return
        async with self.sem:
            self.events.started(step)
            start = time.monotonic()
            record = ops.CallRecord()
            try:
                coro = self._perform(step, record)
                status, message = await asyncio.wait_for(coro, self.options.operation_timeout)
            except (asyncio.TimeoutError, TimeoutError):
                status, message = (
                    TIMED_OUT,
                    (
                        f"still running after the per-operation timeout of "
                        f"{self.options.operation_timeout:g}s (Azure carries on)"
                    ),
                )
            except SourceNotReady as err:
                status, message = FAILED, str(err)
            except Exception as err:  # the boundary: any failure fails this step only
                status, message = FAILED, explain_error(err)
            result = StepResult(step, status, message, record.request_ids, time.monotonic() - start)
        self._finish(step, result)

    def _finish(self, step: Step, result: StepResult) -> None:
        self.results[step.id] = result
        self._futures[step.id].set_result(result)
        self._report(result)

    def _report(self, result: StepResult) -> None:
        if self.journal is not None:
            self.journal.record(result.to_json())
        self.events.finished(result)

    async def _perform(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        if step.operation is Operation.CREATE_GROUP:
            group = self.groups[step.address.lower()]
            await ops.create_resource_group(self.clients, group, record)
            return SUCCEEDED, f"resource group created in {group.location}"
        key = m.resource_key(step.address)
        if step.operation is Operation.DELETE:
            return await self._delete(step, record)
        if step.operation is Operation.SHARE:
            return await self._share(step, record)
        if step.operation is Operation.RESTORE:
            return await self._restore(step, record)
        resource = self.desired[key]
        # Replication is followed region by region: versions are the kind that replicates.
        replicates = resource.kind is IMAGE_VERSION
        if step.operation is Operation.WAIT:
            return await self._follow_replication(step, resource, None)
        for needed in resource.kind.depends_on(resource):
            await self._await_source(step, needed)
        if step.operation is Operation.CREATE:
            poller = await ops.create(self.clients, resource, record)
        else:
            live = self.live.resources[key]
            if replicates:
                live = await self._drop_failed_regions(step, resource, live, record)
            first = resource.kind.preparatory_update(resource, live.resource)
            if first is not None:
                self.events.message(step, "allowing the removal of replicated regions first")
                await (await ops.update(self.clients, first, live, record)).result()
                live = await read_version(self.clients, resource) or live
            poller = await ops.update(self.clients, resource, live, record)
        if replicates:
            if not self.options.wait:
                return ACCEPTED, "Azure accepted it and replicates on; `reconcile status` follows it"
            return await self._follow_replication(step, resource, poller)
        await poller.result()
        return SUCCEEDED, ""

    async def _drop_failed_regions(
        self, step: Step, version: Any, live: LiveResource, record: ops.CallRecord
    ) -> LiveResource:
        """Azure's documented repair for failed replication: remove the failed regions, then add them back.

        The first PATCH drops them (always allowed for regions that never completed); the caller's PATCH
        then adds them again, which starts a fresh replication there.
        """
        failed = {r.region for r in live.info.replication if r.state.lower() == "failed"}
        keep = tuple(r for r in version.target_regions if r.name not in failed)
        if not failed or not keep:
            return live
        self.events.message(step, f"removing failed region(s) {', '.join(sorted(failed))} to add them back")
        poller = await ops.update(self.clients, dataclasses.replace(version, target_regions=keep), live, record)
        await poller.result()
        return await read_version(self.clients, version) or live

    async def _share(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        """The gallery's sharing as the manifests say: `/share` requests one after another, each awaited."""
        from reconciler.kinds.gallery import share_operations

        gallery = self.desired[m.resource_key(step.address)]
        live = self.live.resources.get(m.resource_key(step.address))
        done = []
        for operation in share_operations(gallery, live.resource if live is not None else None):
            self.events.message(step, f"sharing: {operation.operation}")
            await (await ops.share(self.clients, gallery, operation, record)).result()
            count = sum(len(ids) for _, ids in operation.groups)
            done.append(f"{operation.operation} ({count})" if operation.groups else operation.operation)
        return SUCCEEDED, ", ".join(done)

    async def _restore(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        """Restore a soft-deleted version, then update what differs from the manifests (a second step)."""
        from reconciler.core.diff import field_changes

        version = self.desired[m.resource_key(step.address)]
        await (await ops.restore(self.clients, version, record)).result()
        live = await read_version(self.clients, version)
        differs = field_changes(version, live) if live is not None else []
        if not differs:
            return SUCCEEDED, "restored from the recycle bin"
        fixed = [c.path for c in differs if c.forces_replace]
        if fixed:
            return FAILED, (
                f"restored from the recycle bin, but {', '.join(fixed)} differ from the manifests and cannot change "
                "in place; plan again to see the replacement"
            )
        self.events.message(step, "restored; updating what differs from the manifests")
        poller = await ops.update(self.clients, version, live, record)  # type: ignore[arg-type]
        if not self.options.wait:
            return ACCEPTED, "restored, and Azure accepted the update; `reconcile status` follows it"
        return await self._follow_replication(step, version, poller)

    async def _delete(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        from azure.core.exceptions import ResourceNotFoundError

        from reconciler.kinds.gallery import ShareOperation

        item = self.live.resources[m.resource_key(step.address)]
        sharing = getattr(item.resource, "sharing", None)
        if sharing is not None and sharing.community_enabled:
            # "To delete a gallery that's shared with the community, you must first run az sig share reset."
            self.events.message(step, "resetting community sharing first")
            await (await ops.share(self.clients, item.resource, ShareOperation("Reset"), record)).result()

        async def attempt() -> None:
            poller = await ops.delete(self.clients, item.resource, record, bypass_soft_delete=step.bypass_soft_delete)
            await poller.result()

        try:
            await ops.retry_conflicts(
                attempt,
                deadline_s=self.options.delete_conflict_timeout,
                on_wait=lambda text: self.events.message(step, text),
            )
        except ResourceNotFoundError:
            return SUCCEEDED, "already gone"
        return SUCCEEDED, ""

    async def _follow_replication(self, step: Step, version: Any, poller: Any) -> tuple[Outcome, str]:
        """Wait for the operation while showing per-region replication, as often as progress_interval."""
        task = asyncio.ensure_future(poller.result() if poller is not None else self._settled(version))
        while True:
            done, _ = await asyncio.wait({task}, timeout=self.options.progress_interval)
            if done:
                break
            status = await read_version(self.clients, version)
            if status is not None and status.info.replication:
                self.events.progress(step, status.info.replication)
        task.result()  # raises the operation's error
        final = await read_version(self.clients, version)
        if final is not None:
            if final.info.replication:
                self.events.progress(step, final.info.replication)
            failed = [r.region for r in final.info.replication if r.state.lower() == "failed"]
            if failed or (final.info.provisioning_state or "").lower() == "failed":
                return FAILED, f"replication failed in {', '.join(failed) or 'a region'}"
        return SUCCEEDED, "replicated to every target region"

    async def _settled(self, version: Any, on_busy: Callable[[], None] | None = None) -> LiveResource | None:
        """Poll until the version is no longer Creating/Updating; None when it does not exist."""
        while True:
            status = await read_version(self.clients, version)
            if status is None or (status.info.provisioning_state or "").lower() not in ("creating", "updating"):
                return status
            if on_busy is not None:
                on_busy()
                on_busy = None
            await asyncio.sleep(self.options.progress_interval)

    async def _await_source(self, step: Step, address: str) -> None:
        """A version made from another version needs that one to exist and to have finished replicating."""
        source = self.desired.get(m.resource_key(address))
        if source is None or source.kind is not IMAGE_VERSION:
            return
        try:
            status = await asyncio.wait_for(
                self._settled(source, lambda: self.events.message(step, f"waiting for source {address} to replicate")),
                self.options.source_timeout,
            )
        except (asyncio.TimeoutError, TimeoutError) as err:
            raise SourceNotReady(f"its source {address} did not finish replicating in time") from err
        if status is None:
            raise SourceNotReady(f"its source {address} does not exist")
        if (status.info.provisioning_state or "").lower() != "succeeded":
            raise SourceNotReady(f"its source {address} failed to replicate")


class SourceNotReady(Exception):
    """A version's source version is missing, failed or still replicating past the timeout."""


def summarise(results: list[StepResult]) -> dict[str, int]:
    """Count of results per outcome, keyed by the outcome's value ("succeeded", ...)."""
    counts = {o.value: 0 for o in Outcome}
    for r in results:
        counts[r.status.value] += 1
    return counts
