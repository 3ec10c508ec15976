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
        from reconciler.core.redact import redact_text

        message = redact_text(self.message)
        click.echo(f"Error: {message}", err=True)
        if self.as_json:
            click.echo(json.dumps({"error": message}))


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
            "--request-timeout",
            metavar="DURATION",
            envvar="RECONCILE_REQUEST_TIMEOUT",
            default=None,
            help="Limit for each HTTP request to Azure, from sending it to the last byte of the answer "
            "(retries start afresh), e.g. 60s. Default 120s. Env: RECONCILE_REQUEST_TIMEOUT.",
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
    from reconciler.core.redact import redact_text

    for d in diags:
        click.echo(redact_text(str(d)), err=True)


def load(
    paths: Sequence[str],
    *,
    target: str | None,
    endpoint: str | None,
    ca_bundle: str | None,
    subscription: str | None,
    cloud: str,
    state_dir: str,
    request_timeout: str | None = None,
) -> Loaded:
    """Manifests → desired state, and the target opened (the embedded emulator started if chosen).

    Also sets the request deadline (`--request-timeout`) of the sessions the command opens.
    """
    from reconciler.azure.errors import explain_error
    from reconciler.azure.session import open_target, set_request_timeout
    from reconciler.azure.target import TargetRequest
    from reconciler.manifest import build_desired_state, load_manifests

    set_request_timeout(parse_duration(request_timeout, "--request-timeout"))
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
    request_timeout: str | None = None,
) -> Target:
    """The target the flags name, for a command without manifests (`export`); the embedded emulator started.

    Also sets the request deadline (`--request-timeout`) of the sessions the command opens, as `load` does.
    """
    from reconciler.azure.errors import explain_error
    from reconciler.azure.session import open_target, set_request_timeout
    from reconciler.azure.target import TargetRequest

    set_request_timeout(parse_duration(request_timeout, "--request-timeout"))
    request = TargetRequest(target, endpoint, ca_bundle, subscription, cloud, state_dir)
    try:
        return open_target(request, None)
    except OSError as err:
        raise UserError(explain_error(err, None, "starting the embedded emulator")) from err


def run_async(coro: Any, target: Target, what: str, timeout: float | None = None) -> Any:
    """Run a coroutine; Azure and connection errors become one clear message.

    `timeout` (seconds) bounds a read-only run (plan): when it runs out, the error names the requests still
    unanswered. Ctrl-C cancels the run; an apply interrupted that way (`ApplyInterrupted`) is reported
    with the operations Azure had already accepted and carries on with. Exit code 130 after Ctrl-C.
    """
    from azure.core.exceptions import AzureError

    from reconciler.apply.executor import ApplyInterrupted
    from reconciler.azure.errors import explain_error

    try:
        return asyncio.run(_cancellable(coro, timeout, what))
    except AzureError as err:
        raise UserError(explain_error(err, target, what)) from err
    except ApplyInterrupted as err:
        click.echo(_interrupted_text(err), err=True)
        sys.exit(130)
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("Interrupted.", err=True)
        sys.exit(130)


async def _cancellable(coro: Any, timeout: float | None, what: str) -> Any:
    """Await `coro` as a task that Ctrl-C cancels (a second Ctrl-C raises KeyboardInterrupt at once)."""
    import signal

    from reconciler.azure.session import waiting_for

    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(coro)

    def interrupt() -> None:
        loop.remove_signal_handler(signal.SIGINT)  # back to Python's handler: the next Ctrl-C is KeyboardInterrupt
        task.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, interrupt)
        handled = True
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        handled = False
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            pending = waiting_for()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            still = f"; still waiting for {', '.join(pending[:3])}" if pending else ""
            raise UserError(f"{what} did not finish within the --timeout of {timeout:g} s{still}; nothing was changed")
        return task.result()
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _interrupted_text(err: Any) -> str:
    from reconciler.core.redact import redact_text

    lines = ["Interrupted."]
    if err.accepted:
        lines.append("Azure had already accepted these operations and carries on with them:")
        lines += [
            f"  {r.step.label}" + (f" (request id {r.request_ids[-1]})" if r.request_ids else "") for r in err.accepted
        ]
    if err.unsure:
        lines.append("These requests were on their way; Azure may have accepted them:")
        lines += [f"  {r.step.label}" for r in err.unsure]
    if err.accepted or err.unsure:
        lines.append(
            "Follow them with `reconcile status` on the same manifests (--wait waits for replication); "
            "re-run `reconcile apply` to finish the rest."
            + (f" They are recorded in the journal {err.journal}." if err.journal else "")
        )
    else:
        lines.append("No request to Azure was in flight; re-run `reconcile apply` to finish the rest.")
    return redact_text("\n".join(lines))


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
