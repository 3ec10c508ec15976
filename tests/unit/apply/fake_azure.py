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

    async def result(self) -> Any:
        await asyncio.sleep(self.delay)
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
        return self.fake.start("create", names)

    async def begin_update(self, *names: Any, **kw: Any) -> Poller:
        return self.fake.start("update", names[:-1])

    async def begin_delete(self, *names: str, **kw: Any) -> Poller:
        return self.fake.start("delete", names)

    async def get(self, *names: str, **kw: Any) -> Body:
        return Body(
            {
                "name": names[-1],
                "location": "westeurope",
                "properties": {
                    "provisioningState": "Succeeded",
                    "publishingProfile": {"targetRegions": [{"name": "West Europe"}]},
                    "replicationStatus": {
                        "aggregatedState": "Completed",
                        "summary": [{"region": "West Europe", "state": "Completed", "progress": 100}],
                    },
                },
            }
        )


@dataclass
class FakeAzure:
    """`compute` for the executor's Clients; `fail_on` holds 'operation address' strings that fail."""

    fail_on: set[str] = field(default_factory=set)
    delay: float = 0.0
    log: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.galleries = Group(self)
        self.gallery_images = Group(self)
        self.gallery_image_versions = Group(self)

    def start(self, operation: str, names: tuple[Any, ...]) -> Poller:
        address = "/".join(str(n) for n in names[1:] if isinstance(n, str))
        self.log.append((operation, address))
        return Poller(self.log, (operation, address), f"{operation} {address}" in self.fail_on, self.delay)
