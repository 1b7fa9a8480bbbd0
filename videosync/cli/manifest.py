"""`videosync validate` and `videosync init`: the manifest, checked or started."""

from __future__ import annotations

from pathlib import Path

import click

from videosync.cli.root import Settings, cli, exit_codes
from videosync.errors import ExitCode


@cli.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--manifest",
    "manifest",
    type=click.Path(path_type=Path),
    default=None,
    help="The manifest to check (same as the global -f).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the errors as a JSON list ([] if valid)."
)
@click.pass_obj
@exit_codes(ExitCode.OK, ExitCode.BAD_INPUT)
def validate_command(
    settings: Settings, *, files: tuple[Path, ...], manifest: Path | None, as_json: bool
) -> int:
    """Check the manifest completely, offline: schema, files, keys, groups, timestamps.

    Every problem is reported at once as FILE:LINE:COLUMN: KEY: MESSAGE, sorted by line.
    FILES, when given (as pre-commit does), are checked instead of the -f manifest.

    \b
    Exit codes:
    {exit_codes}
    """
    from videosync.commands.validate import errors_json, validate

    results = [validate(path) for path in (files or (manifest or settings.manifest,))]
    exit_code = ExitCode.OK if all(result.ok for result in results) else ExitCode.BAD_INPUT
    if as_json:
        click.echo(errors_json(results))
        return exit_code
    for result in results:
        for error in result.errors:
            click.echo(str(error), err=True)
        # One error is its own summary; -q keeps a valid manifest silent.
        if len(result.errors) != 1 and (settings.verbosity >= 0 or not result.ok):
            click.echo(result.summary(), err=not result.ok)
    return exit_code


@cli.command("init")
@click.argument("folder", type=click.Path(path_type=Path), default=Path(), required=False)
@click.option("--force", is_flag=True, help="Overwrite an existing videosync.yaml.")
@click.pass_obj
def init_command(settings: Settings, *, folder: Path, force: bool) -> None:
    """Write a starter FOLDER/videosync.yaml listing the videos found under FOLDER.

    Videos are recognised by extension and by their first bytes; .videosync/ (the local
    cache) is added to FOLDER/.gitignore. An existing manifest is kept unless --force.
    """
    from videosync.commands.init import init_manifest

    result = init_manifest(folder, force=force)
    for rel, why in result.skipped:
        click.echo(f"skipped {rel}: {why}", err=True)
    if settings.verbosity >= 0:
        count = len(result.videos)
        click.echo(f"wrote {result.manifest} ({count} video{'' if count == 1 else 's'})")
        if result.gitignore is not None:
            click.echo(f"added .videosync/ to {result.gitignore}")
        click.echo(f"next: videosync -f {result.manifest} validate, then plan")
