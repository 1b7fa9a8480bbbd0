"""`videosync plan`, `status` and `remote`: what would change, and what is."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from videosync.cli.root import (
    Settings,
    api_endpoint,
    api_url_override,
    cli,
    exit_codes,
    manifest_override,
)
from videosync.errors import ExitCode


def use_color(fmt: str) -> bool:
    """Colour only for text on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _stacked(options: list[Any], command: Any) -> Any:
    """`command` with `options` applied as decorators, listed in the order --help shows."""
    for option in reversed(options):
        command = option(command)
    return command


def rail_options(command: Any) -> Any:
    """The safety rails plan and apply share: each refusal names its numbers and its flag."""
    options = [
        click.option(
            "--allow-protected",
            is_flag=True,
            help="Allow replacing or deleting `protect: true` entries (the flag recorded in "
            "videosync.lock counts, even once the entry is gone from the manifest).",
        ),
        click.option(
            "--max-delete",
            type=click.IntRange(min=0),
            default=None,
            metavar="N",
            help="Refuse the plan if it deletes more than N videos. Every delete counts: "
            "entries removed, replaced and superseded copies, duplicates, --prune.",
        ),
        click.option(
            "--max-delete-percent",
            type=click.IntRange(0, 100),
            default=50,
            show_default=True,
            metavar="P",
            help="Refuse the plan if it deletes more than P% of the videos it can reach: "
            "those videosync.lock manages, plus the others it deletes (duplicates, --prune). "
            "Every delete counts; a single delete is never refused by this; 100 turns it off.",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="Allow a manifest that resolves to no video at all while videosync.lock "
            "manages some (it deletes them all).",
        ),
    ]
    return _stacked(options, command)


def prune_options(command: Any) -> Any:
    """--prune, and the opt-in it takes to reach the `default` group other catalogs share."""
    options = [
        click.option(
            "--prune",
            is_flag=True,
            help="Also delete remote videos videosync does not manage, in the groups the "
            "manifest uses, except `default` (see --prune-default).",
        ),
        click.option(
            "--prune-default",
            is_flag=True,
            help="With --prune, prune the shared `default` group too: it deletes every video "
            "there that videosync.lock does not record, another catalog's included.",
        ),
    ]
    return _stacked(options, command)


@cli.command("plan")
@manifest_override
@api_url_override
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PLANFILE",
    help="Save the plan, with fingerprints of its inputs, for `videosync apply PLANFILE`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (--format json).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for a terminal, json for programs, markdown for a pull-request comment.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has changes, 0 when it has none (for CI).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    expose_value=False,
    help="Accepted for habit: plan never changes anything.",
)
@prune_options
@rail_options
@click.pass_obj
@exit_codes(ExitCode.OK, ExitCode.ERROR, ExitCode.CHANGES, ExitCode.BAD_INPUT, ExitCode.REFUSED)
def plan_command(
    settings: Settings,
    *,
    manifest: Path | None,
    api_url: str | None,
    out: Path | None,
    as_json: bool,
    fmt: str,
    detailed_exitcode: bool,
    prune: bool,
    prune_default: bool,
    allow_protected: bool,
    max_delete: int | None,
    max_delete_percent: int,
    allow_empty: bool,
) -> int:
    """Show what apply would upload, replace, adopt, move and delete, and why. Changes nothing.

    One list call reads the catalog; files whose size and modification time are unchanged
    are not read again (their hashes are cached in .videosync/).

    \b
    A renamed or moved file (same content and upload attributes, name included) is a
    move: only videosync.lock changes. --format markdown never exceeds 65,000 characters.

    A plan a safety rail refuses is still printed, with the reason, and exits 5.

    \b
    Exit codes:
    {exit_codes}
    """
    from videosync.commands.plan import make_plan
    from videosync.planning.render import render

    with api_endpoint(settings, manifest, api_url) as (url, key):
        run = make_plan(
            manifest or settings.manifest,
            api_url=url,
            api_key=key,
            prune=prune,
            prune_default=prune_default,
            allow_protected=allow_protected,
            max_delete=max_delete,
            max_delete_percent=max_delete_percent,
            allow_empty=allow_empty,
            api_version=settings.api_version,
        )
    fmt = "json" if as_json else fmt
    # A refused plan's problems are the error line that follows the text (said once).
    click.echo(render(run.plan, fmt, color=use_color(fmt), problems=False), nl=False)
    run.plan.require_applicable()
    if out is not None:
        run.plan.save(out)
        if settings.verbosity >= 0:
            click.echo(f"Saved the plan to {out}: `videosync apply {out}` applies it.", err=True)
    return ExitCode.CHANGES if detailed_exitcode and run.plan.has_changes else ExitCode.OK


@cli.command("status")
@manifest_override
@api_url_override
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when a video drifts or an entry is not uploaded yet, 0 when none (for CI).",
)
@click.pass_obj
def status_command(
    settings: Settings,
    *,
    manifest: Path | None,
    api_url: str | None,
    as_json: bool,
    detailed_exitcode: bool,
) -> int:
    """Show each managed video: its video_id, remote indexing status and drift.

    Drift is ok, missing (gone remotely), failed (indexing failed), changed (the manifest
    or the file differs from what was uploaded), removed (no longer in the manifest) or
    moved (the next apply records it under its new key).

    With --detailed-exitcode it exits 2 when there is drift or an entry not uploaded yet,
    as `plan --detailed-exitcode` does on changes; without it, drift is exit 0.
    """
    from videosync.commands.status import render_status, status

    with api_endpoint(settings, manifest, api_url) as (url, key):
        result = status(
            manifest or settings.manifest,
            api_url=url,
            api_key=key,
            api_version=settings.api_version,
        )
    click.echo(result.to_json() if as_json else render_status(result), nl=False)
    return ExitCode.CHANGES if detailed_exitcode and result.has_drift else ExitCode.OK


@cli.command("remote")
@manifest_override
@api_url_override
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
@click.pass_obj
@exit_codes(ExitCode.OK, ExitCode.ERROR, ExitCode.BAD_INPUT)
def remote_command(
    settings: Settings, *, manifest: Path | None, api_url: str | None, as_json: bool
) -> None:
    """List the videos on the server: those videosync.lock records, by key, and the
    others, by name and source; each with its video_id, group and indexing status.

    It reads videosync.lock and the catalog (one list call for videos, one for groups),
    not the manifest, which may be mid-edit. Changes nothing.

    \b
    Exit codes:
    {exit_codes}
    """
    from videosync.commands.remote import remote_listing, render_remote

    with api_endpoint(settings, manifest, api_url) as (url, key):
        listing = remote_listing(
            manifest or settings.manifest,
            api_url=url,
            api_key=key,
            api_version=settings.api_version,
        )
    click.echo(listing.to_json() if as_json else render_remote(listing), nl=False)
