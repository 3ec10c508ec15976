"""The apply engine with a fake client: ordering, failure isolation, skipped dependents, cycles refused."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from reconciler.apply.executor import ExecOptions, Executor, Outcome, StepResult
from reconciler.azure.session import Clients
from reconciler.core import model as m
from reconciler.core.diff import DiffOptions, diff_states
from reconciler.core.live_state import LiveState
from reconciler.core.steps import DependencyCycle, Operation, Step, build_steps, order_steps
from tests.unit.apply.fake_azure import FakeAzure
from tests.unit.plan_fixtures import as_live, definition, desired_state, gallery, live_state, version


class Recorder:
    def __init__(self) -> None:
        self.results: list[StepResult] = []
        self.running = 0
        self.most_running = 0

    def started(self, step: Step) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)

    def progress(self, step: Step, regions: Any) -> None: ...
    def message(self, step: Step, text: str) -> None: ...

    def finished(self, result: StepResult) -> None:
        self.results.append(result)
        self.running -= 1 if result.status is not Outcome.SKIPPED else 0


def run(
    desired: m.DesiredState,
    live: LiveState,
    fake: FakeAzure,
    wait: bool = False,
    events: Recorder | None = None,
    **options: Any,
) -> list[StepResult]:
    changes = diff_states(desired, live, DiffOptions(allow_replace=True, prune=True))
    steps = build_steps(changes, desired, live)
    executor = Executor(
        Clients(compute=fake, resources=None), desired, live, events or Recorder(), ExecOptions(wait=wait, **options)
    )
    return asyncio.run(executor.run(steps))


def empty() -> LiveState:
    return live_state()


def test_parents_are_created_before_children() -> None:
    fake = FakeAzure()
    results = run(desired_state(gallery(), definition(), version("1.0.0"), version("1.1.0")), empty(), fake)
    assert {r.status for r in results} == {Outcome.SUCCEEDED, Outcome.ACCEPTED}
    order = [entry for entry in fake.log if entry[0] == "create"]
    done = [entry[1] for entry in fake.log if entry[0] == "done"]
    assert order[0] == ("create", "gal")
    # a definition starts only once its gallery finished, versions only once the definition did
    assert fake.log.index(("create", "gal/ubuntu")) > fake.log.index(("done", "gal"))
    for v in ("gal/ubuntu/1.0.0", "gal/ubuntu/1.1.0"):
        assert fake.log.index(("create", v)) > fake.log.index(("done", "gal/ubuntu"))
    assert done[:2] == ["gal", "gal/ubuntu"]


def test_a_failure_fails_its_resource_only_and_dependents_are_skipped_with_the_cause() -> None:
    fake = FakeAzure(fail_on={"create gal/ubuntu"})
    desired = desired_state(
        gallery(), definition(), version("1.0.0"), definition("debian"), version("2.0.0", definition_name="debian")
    )
    results = {r.step.address: r for r in run(desired, empty(), fake)}
    assert results["gal/ubuntu"].status is Outcome.FAILED
    assert "Azure refused create of gal/ubuntu" in results["gal/ubuntu"].message
    skipped = results["gal/ubuntu/1.0.0"]
    assert skipped.status is Outcome.SKIPPED
    assert skipped.message == "skipped because create definition gal/ubuntu failed"
    assert ("create", "gal/ubuntu/1.0.0") not in fake.log
    # the independent branch goes on
    assert results["gal/debian"].status is Outcome.SUCCEEDED
    assert results["gal/debian/2.0.0"].status is Outcome.ACCEPTED


def test_deletes_run_children_first() -> None:
    fake = FakeAzure()
    live = live_state(as_live(gallery()), as_live(definition()), as_live(version("1.0.0")), as_live(version("1.1.0")))
    results = run(desired_state(), live, fake)
    assert all(r.status is Outcome.SUCCEEDED for r in results)
    deletes = [e for e in fake.log if e[0] == "delete"]
    assert deletes[-1] == ("delete", "gal")
    assert fake.log.index(("delete", "gal/ubuntu")) > max(
        fake.log.index(("done", "gal/ubuntu/1.0.0")), fake.log.index(("done", "gal/ubuntu/1.1.0"))
    )


def test_parallelism_bounds_operations_in_flight() -> None:
    fake = FakeAzure(delay=0.01)
    versions = [version(f"1.0.{i}") for i in range(12)]
    # updates of existing versions wait on nothing: only the bound holds them back
    live = live_state(
        as_live(gallery()), as_live(definition()), *(as_live(replace(v, replica_count=2)) for v in versions)
    )
    recorder = Recorder()
    results = run(
        desired_state(gallery(), definition(), *versions), live, fake, wait=True, parallelism=3, events=recorder
    )
    assert [r.status for r in results] == [Outcome.SUCCEEDED] * 12
    assert recorder.most_running == 3


def test_a_version_made_from_another_waits_for_it() -> None:
    source = version("1.0.0")
    promoted = version(
        "1.0.0",
        gallery_name="prod",
        source=m.Source(m.SourceKind.GALLERY_IMAGE_VERSION, id=source.id, address=source.address),
    )
    desired = desired_state(gallery(), definition(), source, gallery("prod"), definition(gallery_name="prod"), promoted)
    steps = build_steps(diff_states(desired, empty()), desired, empty())
    by_id = {s.id: s for s in steps}
    assert f"create:{source.address}" in by_id[f"create:{promoted.address}"].deps


def test_a_cycle_is_refused_before_anything_runs() -> None:
    a = Step(Operation.CREATE, "gal/ubuntu/1.0.0", "version", deps={"create:gal/ubuntu/2.0.0"})
    b = Step(Operation.CREATE, "gal/ubuntu/2.0.0", "version", deps={"create:gal/ubuntu/1.0.0"})
    with pytest.raises(DependencyCycle) as caught:
        order_steps([a, b])
    assert "create version gal/ubuntu/1.0.0" in str(caught.value)
    assert "create version gal/ubuntu/2.0.0" in str(caught.value)


def test_replace_deletes_then_creates_the_same_address() -> None:
    fake = FakeAzure()
    live = live_state(as_live(gallery()), as_live(definition(os_type="Windows")))
    run(desired_state(gallery(), definition()), live, fake)
    assert fake.log.index(("create", "gal/ubuntu")) > fake.log.index(("done", "gal/ubuntu"))
    assert fake.log.index(("delete", "gal/ubuntu")) < fake.log.index(("create", "gal/ubuntu"))


def test_the_summary_counts_resources_like_the_plan_not_steps() -> None:
    from reconciler.apply.executor import summarise

    fake = FakeAzure()
    live = live_state(as_live(gallery()), as_live(definition(os_type="Windows")))
    results = run(desired_state(gallery(), definition()), live, fake)  # a replace: delete then create
    assert len(results) == 2
    assert summarise(results)["succeeded"] == 1
