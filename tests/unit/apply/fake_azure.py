"""A fake of the azure-mgmt-compute async client surface the executor uses: records calls, fails on request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


class FakeHttpError(Exception):
    """Stands in for an azure-core HttpResponseError raised by a poller."""


@dataclass
class Poller:
    log: list[tuple[str, str]]
    what: tuple[str, str]
    fail: bool = False
    delay: float = 0.0
    state: str | None = None
    """The operation status the poller reports; one that is not terminal never finishes."""

    def status(self) -> str:
        return self.state or "InProgress"

    async def result(self) -> Any:
        await asyncio.sleep(self.delay)
        if self.state is not None and self.state.lower() not in ("succeeded", "failed", "canceled"):
            await asyncio.Event().wait()  # as azure-core's poller: polls on while the status is not terminal
        self.log.append(("done", *self.what[1:]))
        if self.fail:
            raise FakeHttpError(f"Azure refused {self.what[0]} of {self.what[1]}")
        return None


@dataclass
class Body:
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return self.data


@dataclass
class Group:
    """One operation group (galleries, gallery_images, gallery_image_versions)."""

    fake: FakeAzure

    async def begin_create_or_update(self, *names: str, body: Any = None, **kw: Any) -> Poller:
        return await self.fake.send("create", names)

    async def begin_update(self, *names: Any, **kw: Any) -> Poller:
        return await self.fake.send("update", names[:-1])

    async def begin_delete(self, *names: str, **kw: Any) -> Poller:
        return await self.fake.send("delete", names)

    async def get(self, *names: str, **kw: Any) -> Body:
        await asyncio.sleep(self.fake.delay)
        return Body(
            {
                "name": names[-1],
                "location": "westeurope",
                "properties": {
                    "provisioningState": self.fake.version_state,
                    "publishingProfile": {"targetRegions": [{"name": "West Europe"}]},
                    "replicationStatus": {
                        "aggregatedState": "Completed",
                        "summary": [{"region": "West Europe", "state": "Completed", "progress": 100}],
                    },
                },
            }
        )


@dataclass
class FakeResponse:
    """What `send_request` returns: status, headers and a JSON body."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})

    async def read(self) -> bytes:
        import json

        return json.dumps(self.body).encode()


@dataclass
class FakeAzure:
    """`compute` for the executor's Clients; `fail_on` holds 'operation address' strings that fail."""

    fail_on: set[str] = field(default_factory=set)
    delay: float = 0.0
    states: dict[str, str] = field(default_factory=dict)
    """'operation address' -> the status its poller reports (see `Poller.state`)."""
    unanswered: set[str] = field(default_factory=set)
    """'operation address' strings whose request never gets an answer."""
    version_state: str = "Succeeded"
    """The provisioningState a GET of a version returns."""
    log: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    async def send_request(self, request: Any, **kw: Any) -> FakeResponse:
        """`send_request` as the SDK clients have it: a version GET answered like `Group.get`."""
        path = request.url.split("?")[0]
        body = await self.gallery_image_versions.get(path.rsplit("/", 1)[-1])
        return FakeResponse(200, body.as_dict())

    def __post_init__(self) -> None:
        self.galleries = Group(self)
        self.gallery_images = Group(self)
        self.gallery_image_versions = Group(self)

    async def send(self, operation: str, names: tuple[Any, ...]) -> Poller:
        address = "/".join(str(n) for n in names[1:] if isinstance(n, str))
        if f"{operation} {address}" in self.unanswered:
            self.log.append(("sending", address))
            await asyncio.Event().wait()
        return self.start(operation, names)

    def start(self, operation: str, names: tuple[Any, ...]) -> Poller:
        address = "/".join(str(n) for n in names[1:] if isinstance(n, str))
        self.log.append((operation, address))
        key = f"{operation} {address}"
        return Poller(self.log, (operation, address), key in self.fail_on, self.delay, self.states.get(key))
