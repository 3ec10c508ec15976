"""Local Azure Compute Gallery emulator: an HTTPS ARM look-alike for galleries, definitions and versions."""

from __future__ import annotations

from .backend import DEFAULT_SUBSCRIPTION
from .embedded import start_embedded
from .server import DEMO_SEED, EmulatorServer

__all__ = ["DEFAULT_SUBSCRIPTION", "DEMO_SEED", "EmulatorServer", "start_embedded"]
