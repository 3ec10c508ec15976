"""Run plan steps against Azure: dependencies respected, independent steps concurrent, failures contained.

A failed step fails only itself: steps that depend on it are skipped with the cause, everything
else carries on. Long-running operations are awaited through azure-core's pollers; replication
progress is read with `$expand=ReplicationStatus` while a version's operation runs.

Nothing waits silently or forever: a long wait says what it waits for (`Events.message`), and a state
Azure does not document (an LRO status or provisioningState such as "Paused") is waited on for at most
`ExecOptions.unknown_state_timeout`, then reported. Ctrl-C (the run cancelled) raises `ApplyInterrupted`
naming the operations Azure had already accepted, after recording them in the journal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reconciler.apply.journal import Journal
from reconciler.azure import operations as ops
from reconciler.azure.errors import explain_error
from reconciler.azure.reads import read_version
from reconciler.azure.session import Clients
from reconciler.core import model as m
from reconciler.core.arm_json import RegionReplication
from reconciler.core.live_state import LiveResource, LiveState
from reconciler.core.redact import redact_text
from reconciler.core.steps import Operation, Step
from reconciler.kinds import IMAGE_VERSION
from reconciler.kinds import resource_group as rg

T = TypeVar("T")


class Outcome(str, enum.Enum):
    """How a step ended (values appear in the journal and --json results)."""

    SUCCEEDED = "succeeded"
    ACCEPTED = "accepted"
    """Azure accepted the request and carries on (--no-wait)."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not attempted: a step it depends on did not succeed."""
    TIMED_OUT = "timed-out"
    INTERRUPTED = "interrupted"
    """Apply was interrupted while the request was on its way: Azure may or may not have accepted it."""


SUCCEEDED, ACCEPTED, FAILED, SKIPPED, TIMED_OUT, INTERRUPTED = (
    Outcome.SUCCEEDED,
    Outcome.ACCEPTED,
    Outcome.FAILED,
    Outcome.SKIPPED,
    Outcome.TIMED_OUT,
    Outcome.INTERRUPTED,
)

# States that mean "still working". Terminal: Succeeded, Failed, Canceled (ARM RPC, async operations).
# In progress: the LRO statuses azure-core and ARM use (InProgress, Accepted, Running, NotStarted) and
# GalleryProvisioningState's non-terminal values (Creating, Updating, Deleting, Migrating; spec 2025-03-03).
TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled"})
BUSY_STATES = frozenset(
    {"inprogress", "accepted", "running", "notstarted", "creating", "updating", "deleting", "migrating"}
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
    unknown_state_timeout: float = 600.0
    """How long an operation may stay in a state Azure does not document before the step is reported timed out."""
    wait_notice_interval: float = 60.0
    """How often a step that waits on Azure says what it is waiting for."""


class UnknownState(Exception):
    """An operation stayed in a state Azure does not document for longer than `unknown_state_timeout`."""


class ApplyInterrupted(Exception):
    """Apply was interrupted (Ctrl-C) while operations were in flight.

    `accepted`: steps whose request Azure had accepted (it carries on with them); `unsure`: steps whose
    request was on its way. Both are in the journal (`journal`, its path, None when disabled).
    """

    def __init__(self, accepted: list[StepResult], unsure: list[StepResult], journal: str | None) -> None:
        super().__init__(f"interrupted with {len(accepted)} operation(s) accepted by Azure")
        self.accepted = accepted
        self.unsure = unsure
        self.journal = journal


class _Watch:
    """Watches one wait: says what it waits for every `wait_notice_interval`, bounds states Azure does not document."""

    def __init__(self, executor: Executor, step: Step, what: str) -> None:
        self.options = executor.options
        self.events = executor.events
        self.step = step
        self.what = what
        self.start = self.last_notice = time.monotonic()
        self.unknown: tuple[str, float] | None = None

    def saw(self, state: str | None) -> None:
        """Record the state seen now; raises UnknownState once an undocumented one outlived its bound."""
        now = time.monotonic()
        folded = (state or "").lower()
        if state and folded not in BUSY_STATES and folded not in TERMINAL_STATES:
            if self.unknown is None or self.unknown[0] != state:
                self.unknown = (state, now)
                self.events.message(
                    self.step,
                    f"Azure reports {self.what} as {state!r}, a state it does not document; waiting up to "
                    f"{_duration(self.options.unknown_state_timeout)} for that to change",
                )
                self.last_notice = now
            elif now - self.unknown[1] >= self.options.unknown_state_timeout:
                raise UnknownState(
                    f"Azure reported {self.what} as {state!r}, a state it does not document, for "
                    f"{_duration(now - self.unknown[1])}; stopped waiting (Azure may carry on: `reconcile status` "
                    "or `reconcile plan` shows where it stands)"
                )
            return
        self.unknown = None
        if now - self.last_notice >= self.options.wait_notice_interval:
            self.last_notice = now
            shown = f" ({state})" if state else ""
            self.events.message(self.step, f"waiting for {self.what}{shown}, {_duration(now - self.start)} so far")


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def _lro_state(poller: Any) -> str | None:
    """The status azure-core's poller last saw ("InProgress", "Succeeded", ...); None when it has none."""
    status = getattr(poller, "status", None)
    if not callable(status):
        return None
    try:
        value = status()
    except Exception:  # a poller that has not polled yet
        return None
    return str(value) if value else None


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
        # Writes in flight: on their way to Azure, or accepted by it and not yet finished (for Ctrl-C).
        self._sending: dict[str, tuple[Step, ops.CallRecord, float]] = {}
        self._accepted: dict[str, tuple[Step, ops.CallRecord, float]] = {}

    async def run(self, steps: list[Step], timeout: float | None = None) -> list[StepResult]:
        """Run every step; results in the steps' order. `timeout` (seconds) bounds the whole run."""
        loop = asyncio.get_running_loop()
        self._futures = {s.id: loop.create_future() for s in steps}
        tasks = [asyncio.create_task(self._run_step(s)) for s in steps]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout)
        except asyncio.CancelledError:
            raise self._interrupted() from None
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

    def _interrupted(self) -> ApplyInterrupted:
        """Record the writes in flight when the run was cancelled, and the exception that names them."""
        now = time.monotonic()
        accepted = [
            StepResult(
                step,
                ACCEPTED,
                "interrupted (Ctrl-C) after Azure accepted the request; Azure carries on with it "
                "(`reconcile status` follows it)",
                record.request_ids,
                now - start,
            )
            for step, record, start in self._accepted.values()
            if step.id not in self.results
        ]
        unsure = [
            StepResult(
                step,
                INTERRUPTED,
                "interrupted (Ctrl-C) while the request was on its way; Azure may have accepted it "
                "(`reconcile plan` shows)",
                record.request_ids,
                now - start,
            )
            for step, record, start in self._sending.values()
            if step.id not in self.results and step.id not in self._accepted
        ]
        for result in accepted + unsure:
            self.results[result.step.id] = result
            if self.journal is not None:
                self.journal.record(result.to_json())
        return ApplyInterrupted(accepted, unsure, str(self.journal.path) if self.journal is not None else None)

    async def _send(self, step: Step, record: ops.CallRecord, call: Awaitable[T]) -> T:
        """Await a write request; while on its way and once accepted, the step counts as in flight."""
        self._sending[step.id] = (step, record, time.monotonic())
        try:
            answer = await call
        except asyncio.CancelledError:
            raise  # still on its way as far as anyone can tell: Ctrl-C reports it
        except BaseException:
            self._sending.pop(step.id, None)
            raise
        self._accepted[step.id] = self._sending.pop(step.id)
        return answer

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
            except UnknownState as err:
                status, message = TIMED_OUT, str(err)
            except SourceNotReady as err:
                status, message = FAILED, str(err)
            except Exception as err:  # the boundary: any failure fails this step only
                status, message = FAILED, explain_error(err)
            result = StepResult(step, status, message, record.request_ids, time.monotonic() - start)
        self._finish(step, result)

    def _finish(self, step: Step, result: StepResult) -> None:
        self._accepted.pop(step.id, None)
        self._sending.pop(step.id, None)
        self.results[step.id] = result
        self._futures[step.id].set_result(result)
        self._report(result)

    def _report(self, result: StepResult) -> None:
        # Messages quote Azure, which quotes request bodies (a source URI with its SAS): redacted for every output.
        result.message = redact_text(result.message)
        if self.journal is not None:
            self.journal.record(result.to_json())
        self.events.finished(result)

    async def _perform(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        if step.operation is Operation.CREATE_GROUP:
            group = self.groups[step.address.lower()]
            await self._send(step, record, ops.create_resource_group(self.clients, group, record))
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
        if step.operation is Operation.CREATE and replicates:
            await self._await_source_by_id(step, resource)
        if step.operation is Operation.CREATE:
            poller = await self._send(step, record, ops.create(self.clients, resource, record))
        else:
            live = self.live.resources[key]
            if replicates:
                live = await self._drop_failed_regions(step, resource, live, record)
            first = resource.kind.preparatory_update(resource, live.resource)
            if first is not None:
                self.events.message(step, "allowing the removal of replicated regions first")
                prepared = await self._send(step, record, ops.update(self.clients, first, live, record))
                await self._await_poller(step, prepared, "the preparatory update")
                live = await read_version(self.clients, resource) or live
            poller = await self._send(step, record, ops.update(self.clients, resource, live, record))
        if replicates:
            if not self.options.wait:
                later = "; the next apply promotes it once replicated" if resource.promote_when_replicated else ""
                return ACCEPTED, f"Azure accepted it and replicates on; `reconcile status` follows it{later}"
            outcome = await self._follow_replication(step, resource, poller, record)
            if outcome[0] is SUCCEEDED and resource.promote_when_replicated:
                return await self._promote(step, resource, record)
            return outcome
        await self._await_poller(step, poller, "the operation")
        return SUCCEEDED, ""

    async def _promote(self, step: Step, version: Any, record: ops.CallRecord) -> tuple[Outcome, str]:
        """The promotion rule (`core.lifecycle`): replicated to every target region, so clear excludeFromLatest."""
        live = await read_version(self.clients, version)
        if live is None:
            return FAILED, "replicated, but it was gone before it could be promoted"
        promoted = dataclasses.replace(version, exclude_from_latest=False, promote_when_replicated=False)
        self.events.message(step, "replicated to every target region; promoting it (clearing excludeFromLatest)")
        poller = await self._send(step, record, ops.update(self.clients, promoted, live, record))
        status, message = await self._follow_replication(step, promoted, poller, record)
        if status is SUCCEEDED:
            return SUCCEEDED, "replicated to every target region, then promoted (excludeFromLatest cleared)"
        return status, f"replicated, but promoting it failed: {message}"

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
        update = ops.update(self.clients, dataclasses.replace(version, target_regions=keep), live, record)
        poller = await self._send(step, record, update)
        await self._await_poller(step, poller, "the removal of the failed regions")
        return await read_version(self.clients, version) or live

    async def _share(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        """The gallery's sharing as the manifests say: `/share` requests one after another, each awaited."""
        from reconciler.kinds.gallery import share_operations

        gallery = self.desired[m.resource_key(step.address)]
        live = self.live.resources.get(m.resource_key(step.address))
        done = []
        for operation in share_operations(gallery, live.resource if live is not None else None):
            self.events.message(step, f"sharing: {operation.operation}")
            poller = await self._send(step, record, ops.share(self.clients, gallery, operation, record))
            await self._await_poller(step, poller, f"the sharing change ({operation.operation})")
            count = sum(len(ids) for _, ids in operation.groups)
            done.append(f"{operation.operation} ({count})" if operation.groups else operation.operation)
        return SUCCEEDED, ", ".join(done)

    async def _restore(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        """Restore a soft-deleted version, then update what differs from the manifests (a second step)."""
        from reconciler.core.diff import field_changes

        version = self.desired[m.resource_key(step.address)]
        restoring = await self._send(step, record, ops.restore(self.clients, version, record))
        await self._await_poller(step, restoring, "the restore")
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
        poller = await self._send(step, record, ops.update(self.clients, version, live, record))  # type: ignore[arg-type]
        if not self.options.wait:
            return ACCEPTED, "restored, and Azure accepted the update; `reconcile status` follows it"
        return await self._follow_replication(step, version, poller, record)

    async def _delete(self, step: Step, record: ops.CallRecord) -> tuple[Outcome, str]:
        from azure.core.exceptions import ResourceNotFoundError

        from reconciler.kinds.gallery import ShareOperation

        item = self.live.resources[m.resource_key(step.address)]
        sharing = getattr(item.resource, "sharing", None)
        if sharing is not None and sharing.community_enabled:
            # "To delete a gallery that's shared with the community, you must first run az sig share reset."
            self.events.message(step, "resetting community sharing first")
            reset = ops.share(self.clients, item.resource, ShareOperation("Reset"), record)
            await self._await_poller(step, await self._send(step, record, reset), "the sharing reset")

        async def attempt() -> None:
            permanent = step.bypass_soft_delete
            deleting = ops.delete(self.clients, item.resource, record, bypass_soft_delete=permanent)
            poller = await self._send(step, record, deleting)
            await self._await_poller(step, poller, "the deletion")

        try:
            await ops.retry_conflicts(
                attempt,
                deadline_s=self.options.delete_conflict_timeout,
                on_wait=lambda text: self.events.message(step, text),
            )
        except ResourceNotFoundError:
            return SUCCEEDED, "already gone"
        return SUCCEEDED, ""

    async def _await_poller(self, step: Step, poller: Any, what: str, version: Any = None) -> Any:
        """The poller's result. Every progress_interval: the replication of `version` shown (when given),
        the operation's state checked (one Azure does not document is bounded), and now and then a word
        on what it waits for."""
        watch = _Watch(self, step, what)
        task = asyncio.ensure_future(poller.result())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.options.progress_interval)
                if done:
                    return task.result()  # raises the operation's error
                if version is not None:
                    status = await read_version(self.clients, version)
                    if status is not None and status.info.replication:
                        self.events.progress(step, status.info.replication)
                watch.saw(_lro_state(poller))
        finally:
            if not task.done():
                task.cancel()

    async def _follow_replication(
        self, step: Step, version: Any, poller: Any, record: ops.CallRecord | None = None
    ) -> tuple[Outcome, str]:
        """Wait until the version's provisioning settles, showing per-region replication as it goes.

        The version's own GET with `$expand=ReplicationStatus` tells both the outcome (provisioningState)
        and the progress, so the operation's status monitor is not polled as well: one read per interval,
        at the pace the service asked for (`Retry-After` of the write, else `progress_interval`).
        """
        del poller  # the resource's state says what the operation's status would
        interval = (record.retry_after if record is not None else None) or self.options.progress_interval
        final = await self._settled(step, version, "the replication", show_progress=True, interval=interval)
        if final is not None:
            if final.info.replication:
                self.events.progress(step, final.info.replication)
            failed = [r for r in final.info.replication if r.state.lower() == "failed"]
            if failed or (final.info.provisioning_state or "").lower() == "failed":
                where = ", ".join(r.region for r in failed) or "a region"
                details = "; ".join(dict.fromkeys(r.details for r in failed if r.details))
                return FAILED, f"replication failed in {where}" + (f" (Azure: {details})" if details else "")
        return SUCCEEDED, "replicated to every target region"

    async def _settled(
        self, step: Step, version: Any, what: str, *, show_progress: bool = False, interval: float | None = None
    ) -> LiveResource | None:
        """Poll until the version's provisioningState is terminal (or absent); None when it does not exist.

        Says what it waits for on the first busy read and now and then after; a state Azure does not
        document is waited on for at most `unknown_state_timeout` (then UnknownState).
        """
        watch = _Watch(self, step, what)
        first = True
        while True:
            status = await read_version(self.clients, version)
            state = status.info.provisioning_state if status is not None else None
            if status is None or not state or state.lower() in TERMINAL_STATES:
                return status
            if show_progress and status.info.replication:
                self.events.progress(step, status.info.replication)
            if first and state.lower() in BUSY_STATES:
                self.events.message(step, f"waiting for {what}")
            first = False
            watch.saw(state)
            await asyncio.sleep(interval or self.options.progress_interval)

    async def _await_source_by_id(self, step: Step, version: Any) -> None:
        """The same wait for a source version given by resource id (outside these manifests), as the plan said."""
        from types import SimpleNamespace

        from azure.mgmt.core.tools import parse_resource_id

        source = version.source
        if source is None or source.kind is not m.SourceKind.GALLERY_IMAGE_VERSION or source.address or not source.id:
            return
        p = parse_resource_id(source.id)
        if p.get("subscription", "").lower() != version.subscription_id.lower():
            return  # another subscription: not readable with this target's clients; Azure decides
        stub = SimpleNamespace(
            subscription_id=p.get("subscription", ""),
            resource_group=p.get("resource_group", ""),
            gallery=p.get("name", ""),
            definition=p.get("child_name_1", ""),
            name=p.get("child_name_2", ""),
        )
        await self._await_version(step, source.id, stub)

    async def _await_source(self, step: Step, address: str) -> None:
        """A version made from another version needs that one to exist and to have finished replicating."""
        source = self.desired.get(m.resource_key(address))
        if source is None or source.kind is not IMAGE_VERSION:
            return
        await self._await_version(step, address, source)

    async def _await_version(self, step: Step, address: str, source: Any) -> None:
        try:
            status = await asyncio.wait_for(
                self._settled(step, source, f"the replication of source {address}"), self.options.source_timeout
            )
        except (asyncio.TimeoutError, TimeoutError) as err:
            raise SourceNotReady(f"its source {address} did not finish replicating in time") from err
        if status is None:
            raise SourceNotReady(f"its source {address} does not exist")
        if (status.info.provisioning_state or "").lower() != "succeeded":
            raise SourceNotReady(f"its source {address} failed to replicate")


class SourceNotReady(Exception):
    """A version's source version is missing, failed or still replicating past the timeout."""


_SEVERITY = [
    Outcome.SUCCEEDED,
    Outcome.ACCEPTED,
    Outcome.SKIPPED,
    Outcome.INTERRUPTED,
    Outcome.TIMED_OUT,
    Outcome.FAILED,
]


def summarise(results: list[StepResult]) -> dict[str, int]:
    """Count of resources per outcome, keyed by the outcome's value ("succeeded", ...).

    Counted per resource, like the plan's summary: a resource whose change took several steps (a replace's
    delete and create, a gallery's create and its share) counts once, with the worst outcome of its steps.
    """
    worst: dict[str, Outcome] = {}
    for r in results:
        key = r.step.address.lower()
        if key not in worst or _SEVERITY.index(r.status) > _SEVERITY.index(worst[key]):
            worst[key] = r.status
    counts = {o.value: 0 for o in Outcome}
    for status in worst.values():
        counts[status.value] += 1
    return counts
