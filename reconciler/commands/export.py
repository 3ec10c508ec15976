"""`reconcile export`: write manifests for the galleries a resource group already has (to adopt them)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from reconciler.commands.common import fail, open_target_flags, run_async, shows_user_errors, target_options
from reconciler.core.model import DEFAULT_ESTATE
from reconciler.manifest.export import LAYOUTS

SCHEMA = Path("schemas") / "manifest.schema.json"


def schema_file(output: Path) -> Path:
    """The schema the `$schema=` lines point at: a repository's `schemas/manifest.schema.json` in a folder
    above the output (how the repository's own manifests point at it), else the copy packaged with reconcile."""
    for folder in (output, *output.parents):
        if (folder / SCHEMA).is_file():
            return folder / SCHEMA
    from importlib import resources

    return Path(str(resources.files("reconciler").joinpath("schemas", "manifest.schema.json")))


def _check_output(output: Path, force: bool) -> list[Path]:
    """The manifests already in `output` (refused unless --force)."""
    from reconciler.manifest.loader import find_manifest_files

    if output.exists() and not output.is_dir():
        fail(f"--output {output} is a file; name a folder (it is created if missing)")
    if not output.is_dir():
        return []
    existing = [path for path, _ in find_manifest_files([output])[0]]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3]) + (", ..." if len(existing) > 3 else "")
        fail(
            f"{output} already holds {len(existing)} manifest file(s) ({shown}); plan would merge them with the "
            "export. Choose an empty folder, or pass --force to write into it anyway (files of the same names "
            "are replaced)"
        )
    return existing


async def _read(loaded_target: Any, group: str, galleries: set[str] | None) -> Any:
    from azure.core.exceptions import AzureError

    from reconciler.azure.errors import explain_error
    from reconciler.azure.reads import read_group
    from reconciler.azure.session import ArmSession
    from reconciler.errors import UserError

    try:
        async with ArmSession(loaded_target) as clients:
            return await read_group(clients, loaded_target.subscription_id, group, galleries)
    except AzureError as err:
        raise UserError(
            explain_error(err, loaded_target, f"reading resource group {group} (nothing was written)")
        ) from err


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


@click.command()
@click.option("-g", "--resource-group", required=True, metavar="NAME", help="The resource group to export.")
@click.option(
    "--gallery",
    "galleries",
    multiple=True,
    metavar="NAME",
    help="Export only this gallery (repeat for several). Default: every gallery in the resource group.",
)
@click.option(
    "-o", "--output", required=True, metavar="DIR", help="Folder to write the manifests to (created if missing)."
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="gallery",
    show_default=True,
    help="gallery: one file per gallery (<gallery>.yaml). definition: a folder per gallery with gallery.yaml "
    "and one file per definition (<gallery>/<definition>.yaml).",
)
@click.option(
    "--adopt",
    is_flag=True,
    help="Write settings.adopt: true, so the first apply adds the ownership tag to resources made by hand or "
    "by other tools (and changes nothing else). Without it the plan shows them blocked.",
)
@click.option("--force", is_flag=True, help="Write into a folder that already holds manifests.")
@target_options
@shows_user_errors
def export(
    resource_group: str,
    galleries: tuple[str, ...],
    output: str,
    layout: str,
    adopt: bool,
    force: bool,
    **target: Any,
) -> None:
    """Write manifests for the galleries, definitions and versions a resource group already has.

    Reads the target the way plan does (the embedded emulator unless a subscription or --endpoint is
    given), and writes what a person would: defaults and read-only values left out, short region
    names, sources named by resource group and name. `reconcile plan DIR` then shows no change,
    except the ownership tags that adoption adds (--adopt). Nothing is written when anything fails.

    \b
    Exit codes:
      0    the manifests were written
      1    error, and nothing written: a resource group or gallery that does
           not exist, a missing permission, an output folder that already
           holds manifests (without --force), a usage error
      130  interrupted
    """
    from reconciler.manifest.export import ExportRequest, export_estate

    seen: dict[str, str] = {}
    for name in galleries:
        if name.lower() in seen:
            fail(f"--gallery {name} is given twice (gallery names are case-insensitive); give each gallery once")
        seen[name.lower()] = name
    out_dir = Path(output)
    existing = _check_output(out_dir, force)
    resolved = open_target_flags(**target)
    info = resolved.info()
    click.echo(f"Target: {info.name}  (subscription {resolved.subscription_id})", err=True)
    read = run_async(_read(resolved, resource_group, set(seen) or None), resolved, "reading live state")
    if read is None:
        fail(
            f"resource group {resource_group} does not exist in subscription {resolved.subscription_id}; check the "
            "name and the subscription (--subscription)"
        )
    found, names = read
    missing = [name for key, name in seen.items() if key not in {n.lower() for n in names}]
    if missing:
        have = ", ".join(names) if names else "no galleries"
        fail(f"gallery {', '.join(missing)} is not in resource group {resource_group} (it has {have})")
    if not names:
        fail(f"resource group {resource_group} has no galleries; there is nothing to export")
    request = ExportRequest(
        subscription=resolved.subscription_id,
        resource_group=resource_group,
        now=datetime.now(timezone.utc),
        layout=layout,
        adopt=adopt,
        output=out_dir.resolve(),
        schema=schema_file(out_dir.resolve()),
    )
    result = export_estate(found.values(), request)
    try:
        for relative, text in result.files.items():
            path = out_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as err:
        fail(f"cannot write the manifests to {out_dir}: {err.strerror or err}")
    _report(result, out_dir, existing, adopt, resource_group)


def _report(result: Any, out_dir: Path, existing: list[Path], adopt: bool, group: str) -> None:
    counts = result.counts
    click.echo(
        f"Exported {_plural(counts['gallery'], 'gallery', 'galleries')}, "
        f"{_plural(counts['definition'], 'definition')} and {_plural(counts['version'], 'version')} from resource "
        f"group {group} to {out_dir} ({_plural(len(result.files), 'file')})."
    )
    for line in result.left_out:
        click.echo(f"Left out {line}", err=True)
    ours = {(out_dir / p).resolve() for p in result.files}
    others = [p for p in existing if p.resolve() not in ours]
    if others:
        click.echo(
            f"Note: {_plural(len(others), 'other manifest file')} in {out_dir} (not from this export) will be "
            "planned together with it: " + ", ".join(str(p) for p in others[:5]),
            err=True,
        )
    if result.estate.lower() != DEFAULT_ESTATE:
        click.echo(
            f"The resources belong to estate '{result.estate}': the manifests say settings.estate: {result.estate}."
        )
    unowned = result.unowned
    carry = f"{_plural(len(unowned), 'resource')} {'carries' if len(unowned) == 1 else 'carry'}"
    if unowned and adopt:
        click.echo(
            f"{carry} no gallery-reconciler tag; settings.adopt: true is written, "
            "so the first apply adds the tag to each (an in-place tag update shown in the plan) and changes "
            "nothing else."
        )
    elif unowned:
        click.echo(
            f"{carry} no gallery-reconciler tag (made by hand or by another "
            "tool): the plan shows them blocked until the manifests adopt them. Export again with --adopt, or "
            "set settings.adopt: true."
        )
    click.echo(f"Review with: reconcile plan {out_dir}")
