"""Fixtures for the emulator suite: a fresh in-memory emulator per test, an SDK client and the admin client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.emulator import DEMO_SEED, EmulatorServer
from reconciler.emulator.testing import Admin, admin, emulator_server, make_compute_client

SUB = "00000000-0000-0000-0000-000000000000"
RG = "myGalleryRG"
VM_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines/myVM"
PI = f"/subscriptions/{SUB}/resourceGroups/platform-images/providers"


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with emulator_server(seed=DEMO_SEED) as srv:
        yield srv


@pytest.fixture
def client(emu: EmulatorServer) -> Any:
    return make_compute_client(emu)


@pytest.fixture
def adm(emu: EmulatorServer) -> Admin:
    return admin(emu)


class Raw:
    """A keep-alive requests session with a bearer token, for protocol-level assertions the SDK hides."""

    def __init__(self, srv: EmulatorServer) -> None:
        import requests

        from reconciler.emulator.testing import EmulatorCredential

        self.url = srv.url
        self.session = requests.Session()
        # per request: requests lets REQUESTS_CA_BUNDLE override a session-level verify
        self.verify = str(srv.ca_path)
        self.token = EmulatorCredential().get_token(ARM_SCOPE).token

    def __call__(self, method: str, path: str, body: Any = None, api: str | None = "2024-03-03", **kw: Any) -> Any:
        params = dict(kw.pop("params", {}))
        if api is not None:
            params["api-version"] = api
        headers = kw.pop("headers", {"Authorization": f"Bearer {self.token}"})
        kw.setdefault("verify", self.verify)
        return self.session.request(method, self.url + path, json=body, params=params, headers=headers, **kw)


ARM_SCOPE = "https://management.azure.com/.default"


@pytest.fixture
def raw(emu: EmulatorServer) -> Raw:
    return Raw(emu)


def gallery_path(gallery: str = "g1", rg: str = RG) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{gallery}"


IDENT = {"publisher": "myPublisher", "offer": "myOffer", "sku": "mySKU"}


def image_body(**props: Any) -> dict[str, Any]:
    base = {"osType": "Linux", "osState": "Generalized", "identifier": dict(IDENT)}
    base.update(props)
    return {"location": "eastus", "properties": base}


def version_body(
    regions: list[Any] | None = None, source: str = VM_ID, location: str = "eastus", **pp: Any
) -> dict[str, Any]:
    """A version body; `location` is the version's region, where Azure takes its source from (myVM: eastus)."""
    targets = [{"name": r} if isinstance(r, str) else r for r in (regions or [location])]
    return {
        "location": location,
        "properties": {
            "publishingProfile": {"targetRegions": targets, **pp},
            "storageProfile": {"source": {"id": source}},
        },
    }


def make_definition(client: Any, gallery: str = "g1", image: str = "img1", **props: Any) -> None:
    client.galleries.begin_create_or_update(RG, gallery, {"location": "eastus"}).result()
    client.gallery_images.begin_create_or_update(RG, gallery, image, image_body(**props)).result()
