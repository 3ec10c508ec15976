"""Issue 9 §3: only the endpoint is talked to, and nothing waits forever or silently.

Through the real SDK, against a stub HTTPS server (tests/stub_arm.py: cases the emulator does not make,
such as another port, plain http, a redirect, a cycle of links, an endless list) and against the emulator's
response-corruption faults (a foreign or self `nextLink`, a slow body, a silent server, "Paused"). The
`timeout` marker only keeps a regression from hanging the suite; no assertion is about time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from tests.stub_arm import MANIFEST, SILENT, SUBSCRIPTION, Answer, StubArm, Trickle, galleries_path, serve_stub

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

LIST = galleries_path("stubrg")


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    return tmp_path / "certs"


@pytest.fixture
def manifest(tmp_path: Path) -> str:
    path = tmp_path / "stub.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return str(path)


def reconcile(stub: StubArm, *args: str, expect: int = 1) -> Result:
    command, *rest = args
    argv = [command, "--endpoint", stub.url, "--ca-bundle", str(stub.ca_path), *rest]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def empty(method: str, path: str) -> Answer:
    return Answer(200, {"value": []})


@pytest.fixture
def foreign(certs: Path) -> Iterator[StubArm]:
    """A second server, named `localhost`: another host than the target's 127.0.0.1."""
    with serve_stub(certs, empty, host="localhost") as server:
        yield server


@pytest.mark.parametrize("where", ["another host", "another port", "plain http"])
def test_a_next_link_elsewhere_is_refused_before_anything_is_sent(
    where: str, certs: Path, manifest: str, foreign: StubArm
) -> None:
    links: dict[str, str] = {}

    def home(method: str, path: str) -> Answer:
        if path.startswith(LIST) and "skiptoken" not in path:
            return Answer(200, {"value": [], "nextLink": links[where]})
        return Answer(200, {"value": []})

    with serve_stub(certs, home) as stub:
        port = int(foreign.url.rsplit(":", 1)[1])
        links.update(
            {
                "another host": f"{foreign.url}{LIST}?api-version=2025-03-03&$skiptoken=2",
                "another port": f"https://127.0.0.1:{port}{LIST}?api-version=2025-03-03&$skiptoken=2",
                "plain http": f"http{stub.url[5:]}{LIST}?api-version=2025-03-03&$skiptoken=2",
            }
        )
        line = error_line(reconcile(stub, "plan", manifest))
    assert foreign.seen == []
    assert [s.path.split("?")[0] for s in stub.seen] == [LIST]  # the first page only: no second request anywhere
    shown = {"another host": f"https://localhost:{port}", "another port": f"https://127.0.0.1:{port}"}
    shown["plain http"] = f"http://127.0.0.1:{stub.url.rsplit(':', 1)[1]}"
    assert f"refused to send a request to {shown[where]}, which is not the target's endpoint {stub.url}" in line
    assert line.startswith("Error: reading live state (nothing was changed): ")


def test_a_redirect_elsewhere_is_refused_before_anything_is_sent(certs: Path, manifest: str, foreign: StubArm) -> None:
    def home(method: str, path: str) -> Answer:
        return Answer(307, None, {"Location": f"{foreign.url}{path}"})

    with serve_stub(certs, home) as stub:
        line = error_line(reconcile(stub, "plan", manifest))
    assert foreign.seen == []
    assert f"refused to send a request to https://localhost:{foreign.url.rsplit(':', 1)[1]}" in line


def test_a_next_link_pointing_at_itself_is_a_paging_loop(certs: Path, manifest: str) -> None:
    with serve_stub(certs, lambda method, path: Answer(200, {"value": [], "nextLink": stub_url[0] + path})) as stub:
        stub_url = [stub.url]
        line = error_line(reconcile(stub, "plan", manifest))
    assert "the gallery list of resource group stubrg: Azure returned the same nextLink" in line
    assert "twice, so its paging loops" in line
    assert len(stub.seen) == 2  # the first page names itself as next; followed once, it names itself again


def test_a_cycle_of_next_links_is_a_paging_loop(certs: Path, manifest: str) -> None:
    def pages(method: str, path: str) -> Answer:
        following = "b" if path.endswith("=a") else "a"
        return Answer(200, {"value": [], "nextLink": f"{urls[0]}{LIST}?api-version=2025-03-03&$skiptoken={following}"})

    with serve_stub(certs, pages) as stub:
        urls = [stub.url]
        line = error_line(reconcile(stub, "plan", manifest))
    assert "Azure returned the same nextLink" in line
    assert len(stub.seen) == 3  # first page -> a -> b -> a again: stopped before asking for a twice


def test_a_list_without_end_is_stopped_at_the_page_limit(
    certs: Path, manifest: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.azure import reads

    monkeypatch.setattr(reads, "MAX_PAGES", 5)
    counter = iter(range(10_000))

    def pages(method: str, path: str) -> Answer:
        return Answer(200, {"value": [], "nextLink": f"{urls[0]}{LIST}?$skiptoken={next(counter)}"})

    with serve_stub(certs, pages) as stub:
        urls = [stub.url]
        line = error_line(reconcile(stub, "plan", manifest))
    assert "the gallery list of resource group stubrg goes on past 5 pages" in line
    assert len(stub.seen) == 5


def test_a_server_that_never_answers_meets_the_request_deadline_and_the_wait_is_named(
    certs: Path, manifest: str
) -> None:
    with serve_stub(certs, lambda method, path: SILENT) as stub:
        result = reconcile(stub, "plan", "--request-timeout", "2s", manifest)
    line = error_line(result)
    assert f"no complete answer to GET {stub.url}{LIST} within 2 s (the request deadline" in line
    assert f"still waiting for the answer to GET {stub.url}{LIST}" in result.stderr
    assert len(stub.seen) == 1  # not retried: the caller hears at once


def test_a_body_sent_a_byte_at_a_time_meets_the_request_deadline(certs: Path, manifest: str) -> None:
    body = {"value": [], "padding": "x" * 200}  # 200 bytes at 20 a second: 10 s, past the 1 s deadline
    with serve_stub(certs, lambda method, path: Trickle(body, interval=0.05)) as stub:
        line = error_line(reconcile(stub, "plan", "--request-timeout", "1s", manifest))
    assert f"no complete answer to GET {stub.url}{LIST} within 1 s" in line


def test_plan_timeout_bounds_the_whole_plan_and_names_what_it_waited_for(certs: Path, manifest: str) -> None:
    with serve_stub(certs, lambda method, path: SILENT) as stub:
        line = error_line(reconcile(stub, "plan", "--timeout", "1s", "--request-timeout", "10m", manifest))
    assert line.startswith("Error: reading live state did not finish within the --timeout of 1 s; still waiting for ")
    assert f"GET {stub.url}{LIST} (" in line
    assert line.endswith("; nothing was changed")


def test_plan_timeout_is_validated(certs: Path, manifest: str) -> None:
    with serve_stub(certs, empty) as stub:
        assert "not a duration" in error_line(reconcile(stub, "plan", "--timeout", "soon", manifest))
        assert "not a duration" in error_line(reconcile(stub, "plan", "--request-timeout", "soon", manifest))


def test_an_operation_status_azure_does_not_document_is_waited_on_with_a_bound_then_reported(certs: Path) -> None:
    """The real azure-core ARM poller keeps polling a status it does not know ("Paused"); the executor does not."""
    from reconciler.apply.executor import ExecOptions, Executor, Outcome
    from reconciler.azure.session import ArmSession
    from reconciler.azure.target import ENDPOINT, Target, resolve_cloud
    from reconciler.core.diff import DiffOptions, diff_states
    from reconciler.core.steps import build_steps
    from tests.unit.plan_fixtures import desired_state, gallery, live_state

    operation = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/westeurope/capsOperations/op1"

    def answer(method: str, path: str) -> Answer:
        if method == "PUT":
            body = {"name": "gal", "location": "westeurope", "properties": {"provisioningState": "Creating"}}
            return Answer(201, body, {"Azure-AsyncOperation": f"{urls[0]}{operation}?api-version=2025-03-03"})
        return Answer(200, {"name": "op1", "status": "Paused", "startTime": "2026-01-01T00:00:00Z"})

    messages: list[str] = []

    class Events:
        def started(self, step: Any) -> None: ...
        def progress(self, step: Any, regions: Any) -> None: ...
        def message(self, step: Any, text: str) -> None:
            messages.append(text)

        def finished(self, result: Any) -> None: ...

    desired = desired_state(gallery())
    live = live_state()
    steps = build_steps(diff_states(desired, live, DiffOptions()), desired, live)

    async def apply(stub: StubArm) -> Any:
        target = Target(ENDPOINT, stub.url, SUBSCRIPTION, resolve_cloud("AzureCloud"), str(stub.ca_path))
        options = ExecOptions(progress_interval=0.05, unknown_state_timeout=0.5)
        async with ArmSession(target, polling_interval=0.05) as clients:
            return await Executor(clients, desired, live, Events(), options).run(steps, timeout=60)

    with serve_stub(certs, answer) as stub:
        urls = [stub.url]
        (result,) = asyncio.run(apply(stub))
    assert result.status is Outcome.TIMED_OUT
    assert "Azure reported the operation as 'Paused', a state it does not document, for " in result.message
    assert "stopped waiting" in result.message and "reconcile status" in result.message
    assert any("'Paused', a state it does not document; waiting up to 0.5 s" in m for m in messages)
    assert sum(1 for s in stub.seen if s.method == "GET") >= 2  # it did poll, and stopped


# ---------------------------------------------------------------- the same through the emulator's corruption faults

GALLERIES = r"^GET .*/resourceGroups/platform-images/providers/Microsoft.Compute/galleries$"


def emulator_error(run: Any, *args: str) -> str:
    from tests.e2e.test_apply import estate, version_yaml

    result = run("plan", *args, estate(run.workdir, version_yaml()), expect=1)
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_emulator_a_foreign_next_link_is_refused(run: Any) -> None:
    run.admin.corrupt({"kind": "nextLink", "url": "https://elsewhere.example/x?sig=abc", "match": GALLERIES})
    line = emulator_error(run)
    assert "refused to send a request to https://elsewhere.example:443, which is not the target's endpoint" in line
    assert "sig=abc" not in line


def test_emulator_a_self_next_link_is_a_paging_loop(run: Any) -> None:
    run.admin.corrupt({"kind": "nextLink", "url": "self", "match": GALLERIES})
    assert "the gallery list of resource group platform-images: Azure returned the same nextLink" in emulator_error(run)


def test_emulator_a_slow_body_and_a_silent_server_meet_the_request_deadline(run: Any) -> None:
    run.admin.corrupt({"kind": "slowBody", "byteMs": 200, "match": GALLERIES})
    assert "within 1 s (the request deadline" in emulator_error(run, "--request-timeout", "1s")
    run.admin.corrupt({"kind": "silent", "holdSeconds": 30, "match": GALLERIES})
    assert "within 1 s (the request deadline" in emulator_error(run, "--request-timeout", "1s")


def test_emulator_a_paused_operation_is_bounded_and_reported(emu: Any) -> None:
    from reconciler.apply.executor import ExecOptions, Executor, Outcome
    from reconciler.azure.session import ArmSession
    from reconciler.azure.target import ENDPOINT, Target, resolve_cloud
    from reconciler.core.diff import DiffOptions, diff_states
    from reconciler.core.steps import build_steps
    from reconciler.emulator.testing import admin
    from tests.unit.plan_fixtures import desired_state, gallery, live_state

    admin(emu).corrupt({"kind": "lroStatus", "status": "Paused", "match": "capsOperations"})
    wanted = gallery("pausedgal", subscription_id=emu.default_subscription, resource_group="platform-images")
    desired, live = desired_state(wanted), live_state()
    steps = build_steps(diff_states(desired, live, DiffOptions()), desired, live)

    async def apply() -> Any:
        target = Target(ENDPOINT, emu.url, emu.default_subscription, resolve_cloud("AzureCloud"), str(emu.ca_path))
        options = ExecOptions(progress_interval=0.05, unknown_state_timeout=0.5)
        async with ArmSession(target, polling_interval=0.05) as clients:
            return await Executor(clients, desired, live, _Quiet(), options).run(steps, timeout=60)

    (result,) = asyncio.run(apply())
    assert result.status is Outcome.TIMED_OUT
    assert "Azure reported the operation as 'Paused', a state it does not document" in result.message


class _Quiet:
    def started(self, step: Any) -> None: ...
    def progress(self, step: Any, regions: Any) -> None: ...
    def message(self, step: Any, text: str) -> None: ...
    def finished(self, result: Any) -> None: ...
