"""Issue 9 §3 in the executor: no silent or endless waits, and Ctrl-C names (and journals) what Azure accepted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.executor import ApplyInterrupted, ExecOptions, Executor, Outcome, StepResult
from reconciler.apply.journal import Journal
from reconciler.azure.session import Clients
from reconciler.core import model as m
from reconciler.core.diff import DiffOptions, diff_states
from reconciler.core.live_state import LiveState
from reconciler.core.steps import Step, build_steps
from tests.unit.apply.fake_azure import FakeAzure
from tests.unit.plan_fixtures import SUB, as_live, definition, desired_state, gallery, live_state, version

pytestmark = pytest.mark.timeout(120)  # a regression must not hang the suite; no assertion is about time


class Events:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.results: list[StepResult] = []

    def started(self, step: Step) -> None: ...
    def progress(self, step: Step, regions: Any) -> None: ...

    def message(self, step: Step, text: str) -> None:
        self.messages.append((step.address, text))

    def finished(self, result: StepResult) -> None:
        self.results.append(result)


def executor(
    desired: m.DesiredState, live: LiveState, fake: FakeAzure, events: Events, journal: Journal | None = None, **kw: Any
) -> tuple[Executor, list[Step]]:
    steps = build_steps(diff_states(desired, live, DiffOptions()), desired, live)
    options = ExecOptions(progress_interval=0.01, **kw)
    return Executor(Clients(compute=fake, resources=None), desired, live, events, options, journal), steps


def test_an_operation_status_azure_does_not_document_is_waited_on_with_a_bound_then_reported() -> None:
    fake, events = FakeAzure(states={"create gal": "Paused"}), Events()
    run, steps = executor(desired_state(gallery(), definition()), live_state(), fake, events, unknown_state_timeout=0.1)
    results = {r.step.address: r for r in asyncio.run(run.run(steps, timeout=20))}
    assert results["gal"].status is Outcome.TIMED_OUT
    assert results["gal"].message.startswith("Azure reported the operation as 'Paused', a state it does not document")
    assert results["gal/ubuntu"].status is Outcome.SKIPPED
    assert ("gal", "Azure reports the operation as 'Paused', a state it does not document; waiting up to 0.1 s "
            "for that to change") in events.messages  # fmt: skip


def test_a_provisioning_state_azure_does_not_document_is_bounded_not_read_as_settled() -> None:
    source = version("1.0.0")
    promoted = version(
        "1.0.0",
        gallery_name="prod",
        source=m.Source(m.SourceKind.GALLERY_IMAGE_VERSION, id=source.id, address=source.address),
    )
    desired = desired_state(gallery(), definition(), source, gallery("prod"), definition(gallery_name="prod"), promoted)
    live = live_state(as_live(gallery()), as_live(definition()), as_live(source))
    fake, events = FakeAzure(version_state="Paused"), Events()
    run, steps = executor(desired, live, fake, events, unknown_state_timeout=0.1)
    results = {r.step.address: r for r in asyncio.run(run.run(steps, timeout=20))}
    waited = results[promoted.address]
    assert waited.status is Outcome.TIMED_OUT
    assert f"Azure reported the replication of source {source.address} as 'Paused'" in waited.message
    assert ("create", promoted.address) not in fake.log  # never created from a source in an unknown state


def test_a_long_wait_says_what_it_is_waiting_for() -> None:
    fake, events = FakeAzure(states={"create gal": "Running"}), Events()
    run, steps = executor(desired_state(gallery()), live_state(), fake, events, wait_notice_interval=0.05)
    (result,) = asyncio.run(run.run(steps, timeout=1))
    assert result.status is Outcome.TIMED_OUT  # the overall limit ended it, as apply --timeout does
    notices = [text for address, text in events.messages if address == "gal"]
    assert notices and all(t.startswith("waiting for the operation (Running), ") for t in notices)


def test_ctrl_c_names_and_journals_what_azure_accepted_and_what_was_on_its_way(tmp_path: Path) -> None:
    # The version create is accepted and replicating; the second version's request never got an answer.
    fake = FakeAzure(
        states={"create gal/ubuntu/1.0.0": "InProgress"},
        unanswered={"create gal/ubuntu/1.1.0"},
        version_state="Creating",
    )
    events = Events()
    journal = Journal(tmp_path / "journal.jsonl", {"name": "test", "subscriptionId": SUB})
    desired = desired_state(gallery(), definition(), version("1.0.0"), version("1.1.0"))
    run, steps = executor(desired, live_state(), fake, events, journal)

    async def interrupt() -> ApplyInterrupted:
        task = asyncio.create_task(run.run(steps))
        while not {("create", "gal/ubuntu/1.0.0"), ("sending", "gal/ubuntu/1.1.0")} <= set(fake.log):
            await asyncio.sleep(0.01)
        task.cancel()  # what Ctrl-C does (commands.common.run_async)
        with pytest.raises(ApplyInterrupted) as caught:
            await task
        return caught.value

    interrupted = asyncio.run(interrupt())
    assert [r.step.address for r in interrupted.accepted] == ["gal/ubuntu/1.0.0"]
    assert [r.step.address for r in interrupted.unsure] == ["gal/ubuntu/1.1.0"]
    assert interrupted.journal == str(tmp_path / "journal.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    outcomes = {(entry["resource"], entry["outcome"]) for entry in lines}
    assert outcomes == {
        ("gal", "succeeded"),
        ("gal/ubuntu", "succeeded"),
        ("gal/ubuntu/1.0.0", "accepted"),
        ("gal/ubuntu/1.1.0", "interrupted"),
    }
    accepted = next(entry for entry in lines if entry["resource"] == "gal/ubuntu/1.0.0")
    assert "after Azure accepted the request" in accepted["message"] and "reconcile status" in accepted["message"]


def test_ctrl_c_with_nothing_in_flight_says_so(tmp_path: Path) -> None:
    from reconciler.commands.common import _interrupted_text

    text = _interrupted_text(ApplyInterrupted([], [], None))
    assert text == "Interrupted.\nNo request to Azure was in flight; re-run `reconcile apply` to finish the rest."
