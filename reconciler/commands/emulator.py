"""`reconcile emulator serve|seed`: run the local Azure Compute Gallery emulator or load a seed into it."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from reconciler.commands.common import shows_user_errors
from reconciler.errors import UserError

DEFAULT_DATA = Path(".reconcile") / "emulator"


def _instructions(url: str, ca: str) -> str:
    return f"""Azure Compute Gallery emulator listening on {url}
CA certificate (clients must trust it): {ca}

Point reconcile at it:
  reconcile plan --endpoint {url} --ca-bundle {ca} manifests/

Point the Azure SDK at it:
  ComputeManagementClient(cred, "00000000-0000-0000-0000-000000000000", base_url="{url}",
                          connection_verify="{ca}", credential_scopes=["https://management.azure.com/.default"])

Point the az CLI at it:
  export REQUESTS_CA_BUNDLE={ca}
  az cloud register -n AzureEmulator --endpoint-resource-manager {url}/ && az cloud set -n AzureEmulator
  export IDENTITY_ENDPOINT={url}/msi/token IDENTITY_HEADER=emulator
  az login --identity

Press Ctrl-C to stop."""


@click.group()
def emulator() -> None:
    """Run or seed the local Azure Compute Gallery emulator."""


@emulator.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless --allow-remote)."
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--data",
    default=str(DEFAULT_DATA),
    show_default=True,
    help="Directory for state.sqlite and certificates, or ':memory:'.",
)
@click.option("--latency-ms", type=click.IntRange(0, 60_000), default=0, show_default=True)
@click.option("--replication-seconds", type=click.FloatRange(0, 86_400), default=2.0, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option(
    "--retry-after",
    type=click.IntRange(0, 3600),
    default=1,
    show_default=True,
    help="Retry-After seconds on LRO responses (integer; 0 omits it).",
)
@click.option(
    "--delete-consistency-seconds",
    type=click.FloatRange(0, 3600),
    default=0.0,
    show_default=True,
    help="How long a parent DELETE answers 409 after its last child was deleted.",
)
@click.option("--seed", "seed_file", type=click.Path(dir_okay=False), default=None, help="Seed document to apply.")
@click.option("--no-demo-seed", is_flag=True, help="Do not apply the built-in demo seed to a fresh data directory.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --host. The emulator accepts any bearer token, so anyone who can reach "
    "it can change its state.",
)
@shows_user_errors
def serve(
    host: str,
    port: int,
    data: str,
    latency_ms: int,
    replication_seconds: float,
    page_size: int,
    retry_after: int,
    delete_consistency_seconds: float,
    seed_file: str | None,
    no_demo_seed: bool,
    allow_remote: bool,
) -> None:
    """Serve the emulator over HTTPS until Ctrl-C."""
    from reconciler.emulator import DEMO_SEED, EmulatorServer

    if seed_file is not None and not Path(seed_file).is_file():
        raise UserError(f"seed file not found: {seed_file}")
    memory = data == ":memory:"
    fresh = memory or not (Path(data) / "state.sqlite").exists()
    seed = seed_file or (str(DEMO_SEED) if fresh and not no_demo_seed else None)
    try:
        server = EmulatorServer(
            data=None if memory else Path(data),
            host=host,
            port=port,
            replication_seconds=replication_seconds,
            page_size=page_size,
            latency_ms=latency_ms,
            retry_after=retry_after,
            delete_consistency_seconds=delete_consistency_seconds,
            seed=seed,
            allow_remote=allow_remote,
        ).start()
    except ValueError as err:  # SeedError is a ValueError too
        raise UserError(str(err)) from err
    except OSError as err:
        raise UserError(f"cannot start the emulator on {host}:{port}: {err.strerror or err}") from err
    stop = threading.Event()
    try:
        # inside the try, so a Ctrl-C right after the banner still stops cleanly
        click.echo(_instructions(server.url, str(server.ca_path)))
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        click.echo("\nstopping emulator", err=True)
    finally:
        server.stop()


@emulator.command()
@click.argument("seed_file", type=click.Path(dir_okay=False))
@click.option("--data", default=None, help=f"Data directory to seed directly (default {DEFAULT_DATA}).")
@click.option("--endpoint", default=None, help="URL of a running emulator to seed over HTTPS.")
@click.option("--ca-bundle", type=click.Path(dir_okay=False), default=None, help="CA certificate for --endpoint.")
@shows_user_errors
def seed(seed_file: str, data: str | None, endpoint: str | None, ca_bundle: str | None) -> None:
    """Load a seed document (YAML or JSON): resource groups, VMs, images, snapshots, disks, storage accounts."""
    from reconciler.emulator import seed as seeding

    if data and endpoint:
        raise click.UsageError("give either --data or --endpoint, not both")
    try:
        doc = seeding.load_file(Path(seed_file))
        if endpoint:
            if not ca_bundle:
                raise click.UsageError("--endpoint needs --ca-bundle (the emulator's CA certificate)")
            created = _seed_remote(endpoint, ca_bundle, doc)
        else:
            created = _seed_local(Path(data) if data else DEFAULT_DATA, doc)
    except seeding.SeedError as err:
        raise UserError(str(err)) from err
    click.echo(f"seeded {len(created)} resource(s)")
    for rid in created:
        click.echo(f"  {rid}")


def _seed_local(data: Path, doc: dict) -> list[str]:
    from reconciler.emulator import seed as seeding
    from reconciler.emulator.backend import Backend, Config
    from reconciler.emulator.store import Store

    fresh = not (data / "state.sqlite").exists()
    try:
        data.mkdir(parents=True, exist_ok=True)
        store = Store(data / "state.sqlite")
    except OSError as err:
        raise UserError(f"cannot open data directory {data}: {err.strerror or err}") from err
    try:
        backend = Backend(store, Config())
        if fresh:
            # A fresh state directory gets the demo seed first, as `serve` and the embedded target give it:
            # seeding one's own sources must not take away the quickstart's.
            from reconciler.emulator import DEMO_SEED

            seeding.apply(backend, seeding.load_file(Path(DEMO_SEED)))
        return seeding.apply(backend, doc)
    finally:
        store.close()


def _seed_remote(endpoint: str, ca_bundle: str, doc: dict) -> list[str]:
    import json

    from reconciler.emulator.testing import Admin

    if not Path(ca_bundle).is_file():
        raise UserError(f"CA bundle not found: {ca_bundle}")
    try:
        result = Admin(endpoint, ca_bundle).call("POST", "/_emulator/seed", raw=json.dumps(doc).encode())
    except (OSError, RuntimeError) as err:
        raise UserError(f"seeding {endpoint} failed: {err}") from err
    return list(result.get("created", []))
