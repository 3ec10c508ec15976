"""`reconcile validate` (offline checks of manifests) and `reconcile schema` (print the manifest JSON Schema)."""

from __future__ import annotations

import json
import os
import sys

import click

from reconciler.commands.common import shows_user_errors
from reconciler.diagnostics import Diagnostics, Severity


def _summary(diags: Diagnostics) -> str:
    errors, warnings = len(diags.errors), len(diags.warnings)
    parts = [f"{errors} error{'s' * (errors != 1)}"] + (
        [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
    )
    return ", ".join(parts)


def run_validate(paths: tuple[str, ...]) -> tuple[Diagnostics, dict[str, int]]:
    """Load, check and build; every problem as a diagnostic, never an exception."""
    diags = Diagnostics()
    counts = {"files": 0, "galleries": 0, "definitions": 0, "versions": 0}
    try:
        from reconciler.azure.target import subscription_precedence
        from reconciler.manifest import build_desired_state, load_manifests

        bundle, loaded = load_manifests(paths)
        diags.extend(loaded)
        counts["files"] = len(bundle.files)
        if not loaded.has_errors:
            state, built = build_desired_state(bundle, subscription_precedence(None, bundle.subscription, os.environ))
            diags.extend(built)
            counts.update(
                galleries=len(state.galleries), definitions=len(state.definitions), versions=len(state.versions)
            )
    except Exception as exc:  # last resort: a bug must still not print a traceback at the user
        diags.error(f"internal error: {exc!r}; this is a bug, please report it")
    return diags.sorted(), counts


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON.")
@shows_user_errors
def validate(paths: tuple[str, ...], as_json: bool) -> None:
    """Check manifests offline: YAML, the schema and Azure's rules. Exit 0 when valid, 1 otherwise.

    PATHS are manifest files or directories (searched recursively for *.yaml and *.yml).
    """
    diags, counts = run_validate(paths)
    if as_json:
        click.echo(json.dumps({"valid": not diags.has_errors, **counts, "diagnostics": diags.to_json()}, indent=2))
    else:
        for diagnostic in diags:
            color = "red" if diagnostic.severity is Severity.ERROR else "yellow"
            click.secho(str(diagnostic), fg=color, err=True)
        if diags.has_errors:
            click.secho(f"Invalid: {_summary(diags)}.", fg="red", err=True)
        else:
            click.secho(
                f"Valid: {counts['files']} file(s), {counts['galleries']} galleries, "
                f"{counts['definitions']} definitions, {counts['versions']} versions"
                + (f" ({_summary(diags)})." if diags else "."),
                fg="green",
            )
    sys.exit(1 if diags.has_errors else 0)


@click.command()
@shows_user_errors
def schema() -> None:
    """Print the manifest JSON Schema (draft 2020-12)."""
    from reconciler.manifest.schema import schema_text

    click.echo(schema_text(), nl=False)
