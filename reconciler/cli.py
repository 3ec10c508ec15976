"""The `reconcile` command line: a lazy click group that imports each command only when it runs."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from reconciler import __version__

# name -> "module:attribute"; kept lazy so `reconcile --help` never imports the Azure SDK.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("reconciler.commands.validate:validate", "Check manifests offline: schema and Azure's rules."),
    "schema": ("reconciler.commands.validate:schema", "Print the manifest JSON Schema."),
    "plan": ("reconciler.commands.plan:plan", "Show what apply would change in the target."),
    "apply": ("reconciler.commands.apply:apply", "Converge the target to the manifests (or a saved plan)."),
    "status": ("reconciler.commands.status:status", "Show replication state per image version and region."),
    "export": ("reconciler.commands.export:export", "Write manifests for the galleries a resource group has."),
    "emulator": ("reconciler.commands.emulator:emulator", "Run or seed the local Azure Compute Gallery emulator."),
}


USAGE_ERROR = 1
"""Exit code of a usage error (click's default is 2, which `plan --detailed-exitcode` means "changes")."""


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use, and whose usage errors exit USAGE_ERROR."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _usage_errors_exit_1():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        # A subcommand parses its arguments inside the group's invoke: its usage errors pass through here.
        with _usage_errors_exit_1():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@contextmanager
def _usage_errors_exit_1() -> Iterator[None]:
    try:
        yield
    except click.UsageError as err:
        err.exit_code = USAGE_ERROR
        raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconcile")
@click.option(
    "--log-level",
    envvar="RECONCILE_LOG_LEVEL",
    default="warning",
    show_default=True,
    type=click.Choice(["error", "warning", "info", "debug"], case_sensitive=False),
    help="Log to stderr. info: one line per Azure request (headers redacted); debug: more. "
    "Tokens and secrets are never logged. Env: RECONCILE_LOG_LEVEL.",
)
def cli(log_level: str) -> None:
    """Declarative reconciler for Azure Compute Gallery.

    Describe galleries, image definitions and image versions in YAML, review
    `reconcile plan`, converge with `reconcile apply`. Without an Azure
    subscription the target is the embedded local emulator.

    Exit codes: 0 success, 1 error (usage errors included), and for
    `plan --detailed-exitcode` 2 (changes) or 3 (only blocked changes); see
    each command's --help.
    """
    configure_logging(log_level)


def configure_logging(level_name: str) -> None:
    """Send the tool's and azure-core's logs to stderr at the chosen level (replacing an earlier setup).

    azure-core's HTTP logging policy logs one line per request and response at INFO, with an allow-list of
    headers: Authorization and other secrets are shown as REDACTED. Every record of the 'azure' and
    'reconciler' loggers also passes `RedactSecrets` (a filter on their handler, so records of child loggers
    such as azure.core.pipeline.policies.http_logging_policy pass it too: a logger's own filters see only
    the records logged on it): URLs with a SAS, tokens, and Azure's error texts that quote them.
    """
    import logging

    level = getattr(logging, level_name.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    handler.set_name("reconcile")
    for name in ("azure", "reconciler"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "reconcile"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)


class RedactSecrets:
    """A logging filter that redacts a record's message, exception text and stack (`reconciler.core.redact`)."""

    def filter(self, record: Any) -> bool:
        import logging

        from reconciler.core.redact import redact_text

        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it; keep only the format string, redacted
            message = str(record.msg)
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def main() -> None:
    try:
        cli(prog_name="reconcile")
    except Exception as err:
        # Every expected failure is reported by the command itself; this is the last line of defence.
        if os.environ.get("RECONCILE_DEBUG"):
            raise
        click.echo(
            f"Error: internal error ({type(err).__name__}: {err}). This is a bug in reconcile; "
            "run again with RECONCILE_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        sys.exit(1)
