"""What plan, apply and status share: target flags, loading manifests and opening the target, failing cleanly.

Commands raise `reconciler.errors.UserError`; the CLI shows it as `Failure` (one message, exit 1, and a JSON
object on stdout for a command run with --json).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from reconciler.errors import UserError

if TYPE_CHECKING:
    from reconciler.azure.target import Target
    from reconciler.core.model import DesiredState

F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """How the CLI shows a UserError: printed as one message, exit code 1, never a traceback."""

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
    raise UserError(message)


def shows_user_errors(callback: F) -> F:
    """Wrap a command callback so a UserError becomes a Failure while the command's context is current."""
    import functools

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except UserError as err:
            raise Failure(str(err)) from err

    return wrapper  # type: ignore[return-value]


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
    from reconciler.azure.errors import explain_error
    from reconciler.azure.session import open_target
    from reconciler.azure.target import TargetRequest
    from reconciler.manifest import build_desired_state, load_manifests

    bundle, diags = load_manifests(list(paths), env=os.environ)
    print_diagnostics(diags)
    if diags.has_errors:
        fail(f"the manifests have {len(diags.errors)} error(s); fix them (`reconcile validate` lists them)")
    manifest_sub = bundle.subscription
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
    except OSError as err:
        raise UserError(explain_error(err, None, "starting the embedded emulator")) from err
    desired, build_diags = build_desired_state(bundle, subscription_id=resolved.subscription_id)
    if build_diags.has_errors:
        print_diagnostics(build_diags)
        fail("the manifests could not be resolved against the target")
    return Loaded(desired, list(paths), resolved)


def open_target_flags(
    *,
    target: str | None,
    endpoint: str | None,
    ca_bundle: str | None,
    subscription: str | None,
    cloud: str,
    state_dir: str,
) -> Target:
    """The target the flags name, for a command without manifests (`export`); the embedded emulator started."""
    from reconciler.azure.errors import explain_error
    from reconciler.azure.session import open_target
    from reconciler.azure.target import TargetRequest

    request = TargetRequest(target, endpoint, ca_bundle, subscription, cloud, state_dir)
    try:
        return open_target(request, None)
    except OSError as err:
        raise UserError(explain_error(err, None, "starting the embedded emulator")) from err


def run_async(coro: Any, target: Target, what: str) -> Any:
    """Run a coroutine; Azure and connection errors become one clear message."""
    from azure.core.exceptions import AzureError

    from reconciler.azure.errors import explain_error

    try:
        return asyncio.run(coro)
    except AzureError as err:
        raise UserError(explain_error(err, target, what)) from err
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


def console() -> Any:
    from rich.console import Console

    # rich turns colour off by itself when not a terminal or NO_COLOR is set.
    return Console(highlight=False, soft_wrap=True)


def parse_duration(text: str | None, flag: str) -> float | None:
    """'90', '90s', '15m', '2h' -> seconds; None when the flag was not given. Raises UserError otherwise."""
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    raw = text.strip().lower()
    scale = units.get(raw[-1:])
    number = raw[:-1] if scale else raw
    try:
        value = float(number) * (scale or 1)
    except ValueError:
        fail(f"{flag} {text!r} is not a duration; write e.g. 90s, 15m or 2h")
    if value <= 0:
        fail(f"{flag} must be positive")
    return value
