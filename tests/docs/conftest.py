"""The docs tests drive the CLI against the emulator with the end-to-end suite's fixtures."""

from tests.e2e.conftest import emu, emulated, run  # noqa: F401  (pytest fixtures, registered by import)
