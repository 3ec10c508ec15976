"""Embedded mode: the emulator in-process on an ephemeral port, state under <state_dir>/emulator/."""

from __future__ import annotations

from pathlib import Path

from .server import DEMO_SEED, EmulatorServer


def start_embedded(
    state_dir: Path | str = Path(".reconcile"),
    replication_seconds: float = 2.0,
    delete_consistency_seconds: float = 2.0,
    retry_after: int = 1,
    **kwargs: object,
) -> EmulatorServer:
    """Start (and return) an emulator whose data lives in `state_dir/emulator`; a fresh one gets the demo seed.

    Defaults are mildly realistic (2 s per region, a 2 s delete-consistency window) so `reconcile apply`
    exercises its waiting and retry paths; pass 0 for instant behaviour.
    """
    data = Path(state_dir) / "emulator"
    fresh = not (data / "state.sqlite").exists()
    server = EmulatorServer(
        data=data,
        replication_seconds=replication_seconds,
        delete_consistency_seconds=delete_consistency_seconds,
        retry_after=retry_after,
        seed=DEMO_SEED if fresh else None,
        **kwargs,  # type: ignore[arg-type]
    )
    return server.start()
