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
