"""What plan, apply and status share: target flags, loading manifests and opening the target, failing cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from reconciler.model import DesiredState
    from reconciler.target import Target

F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """A user-facing error: printed as one message, exit code 1, never a traceback."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Tools that asked for --json also get the error as JSON on stdout; read while the command runs.
        ctx = click.get_current_context(silent=True)
        self.as_json = bool(ctx is not None and ctx.params.get("as_json"))

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.message}", err=True)
        if self.as_json:
            click.echo(json.dumps({"error": self.message}))


def fail(message: str) -> NoReturn:
    raise Failure(message)


def target_options(func: F) -> F:
    options = [
        click.option(
            "--target",
            type=click.Choice(["local", "azure"], case_sensitive=False),
            default=None,
            help="local: the embedded emulator (state in .reconcile/); azure: DefaultAzureCredential. "
            "Default: azure when a subscription is named (flag, manifest, AZURE_SUBSCRIPTION_ID), "
            "else local. Env: RECONCILE_TARGET.",
        ),
        click.option(
            "--endpoint",
            metavar="URL",
            default=None,
            help="An emulator started with `reconcile emulator serve` (https://127.0.0.1:PORT).",
        ),
        click.option(
            "--ca-bundle",
            metavar="PEM",
            default=None,
            type=click.Path(dir_okay=False),
            help="CA certificate to trust for --endpoint (printed by `reconcile emulator serve`).",
        ),
        click.option("--subscription", metavar="ID", default=None, help="Azure subscription id."),
        click.option(
            "--cloud",
            default="AzureCloud",
            show_default=True,
            type=click.Choice(["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"], case_sensitive=False),
            help="Sovereign cloud: ARM endpoint, token audience and authority together.",
        ),
        click.option(
            "--state-dir",
            default=".reconcile",
            show_default=True,
            hidden=True,
            help="Where the embedded emulator keeps its state.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass
class Loaded:
    desired: DesiredState
    paths: list[str]
    target: Target


def print_diagnostics(diags: Any) -> None:
    for d in diags:
        click.echo(str(d), err=True)


def load(
    paths: Sequence[str],
    *,
    target: str | None,
    endpoint: str | None,
    ca_bundle: str | None,
    subscription: str | None,
    cloud: str,
    state_dir: str,
) -> Loaded:
    """Manifests → desired state, and the target opened (the embedded emulator started if chosen)."""
    from reconciler.arm import explain_error, open_target
    from reconciler.manifest import build_desired_state, load_manifests, resolve_subscription
    from reconciler.target import TargetError, TargetRequest

    bundle, diags = load_manifests(list(paths), env=os.environ)
    print_diagnostics(diags)
    if diags.has_errors:
        fail(f"the manifests have {len(diags.errors)} error(s); fix them (`reconcile validate` lists them)")
    manifest_sub = resolve_subscription(bundle, None, {})
    request = TargetRequest(
        target=target,
        endpoint=endpoint,
        ca_bundle=ca_bundle,
        subscription=subscription,
        cloud=cloud,
        state_dir=state_dir,
    )
    try:
        resolved = open_target(request, manifest_sub)
    except TargetError as err:
        fail(str(err))
    except OSError as err:
        fail(explain_error(err, None, "starting the embedded emulator"))
    desired, build_diags = build_desired_state(bundle, subscription_id=resolved.subscription_id)
    if build_diags.has_errors:
        print_diagnostics(build_diags)
        fail("the manifests could not be resolved against the target")
    return Loaded(desired, list(paths), resolved)


def run_async(coro: Any, target: Target, what: str) -> Any:
    """Run a coroutine; Azure and connection errors become one clear message."""
    from azure.core.exceptions import AzureError

    from reconciler.arm import explain_error

    try:
        return asyncio.run(coro)
    except AzureError as err:
        fail(explain_error(err, target, what))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


def console() -> Any:
    from rich.console import Console

    # rich turns colour off by itself when not a terminal or NO_COLOR is set.
    return Console(highlight=False, soft_wrap=True)
