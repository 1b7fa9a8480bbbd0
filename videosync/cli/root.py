"""The root of the command line: global options, settings, exit codes and `main`.

Only the `videosync.cli` package imports click, and only it reads the environment. No
business logic lives here (STYLE.md): each command parses its arguments, calls the
library, renders, and returns an exit code; `main` maps errors to exit codes.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from videosync.api.routes import DEFAULT_API_URL
from videosync.errors import ExitCode, VideosyncError, exit_code_lines
from videosync.version import __version__


@dataclass
class Settings:
    """Global options, resolved once from flags and the environment."""

    manifest: Path
    api_url: str
    api_key: str | None
    verbosity: int


def _api_key_from_env() -> str | None:
    return os.environ.get("REKA_API_KEY") or os.environ.get("VIDEOSYNC_API_KEY") or None


@contextmanager
def api_endpoint(
    settings: Settings, manifest: Path | None, api_url: str | None
) -> Iterator[tuple[str, str | None]]:
    """The API URL and key a command calls; `--api-url local` serves the emulator meanwhile."""
    url = api_url or settings.api_url
    if url != "local":
        yield url, settings.api_key
        return

    path = manifest or settings.manifest
    if not path.is_file():
        # No manifest, no emulator (nor a .videosync/ left in a stray folder): the loader
        # raises the error it gives for any command, exit 3.
        from videosync.manifest.loader import load_manifest

        load_manifest(path)
    # Lazy: the emulator pulls in uvicorn, Starlette and PyAV, which nothing else needs.
    from videosync.emulator.local import local_endpoint

    with local_endpoint(path) as local:
        yield local.url, local.api_key


manifest_override = click.option(
    "-f",
    "--manifest",
    "manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The manifest (same as the global -f; the lockfile sits beside it).",
)
api_url_override = click.option(
    "--api-url", default=None, help="Vision API base URL (same as the global --api-url)."
)


F = TypeVar("F", bound=Callable[..., Any])


def exit_codes(*codes: ExitCode) -> Callable[[F], F]:
    """Write the lines of `codes` from the one table (`videosync.errors`) into the
    command's help, where its docstring says `{exit_codes}` (under a `\\b` line)."""

    def document(command: F) -> F:
        # The docstring's own indentation (4) plus 2: click dedents it, then indents by 2.
        lines = exit_code_lines(codes, indent=" " * 6, width=82)
        command.__doc__ = (command.__doc__ or "").replace("    {exit_codes}", lines)
        return command

    return document


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING
    if verbosity > 0:
        level = logging.INFO if verbosity == 1 else logging.DEBUG
    elif verbosity < 0:
        level = logging.ERROR
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="videosync")
@click.option(
    "-f",
    "--manifest",
    # Not dir_okay=False: the loader reports a directory in one line, exit 3.
    type=click.Path(path_type=Path),
    default=Path("videosync.yaml"),
    show_default=True,
    help="The manifest; the lockfile videosync.lock sits beside it.",
)
@click.option(
    "--api-url",
    envvar="VIDEOSYNC_API_URL",
    default=DEFAULT_API_URL,
    show_default=True,
    help="Vision API base URL (env VIDEOSYNC_API_URL), or 'local' for the embedded emulator.",
)
@click.option("-v", "--verbose", count=True, help="More output; -v also shows tracebacks.")
@click.option("-q", "--quiet", count=True, help="Less output: errors only.")
@click.pass_context
@exit_codes(*ExitCode)
def cli(ctx: click.Context, manifest: Path, api_url: str, verbose: int, quiet: int) -> None:
    """videosync keeps a Vision API video catalog equal to a YAML manifest.

    \b
    Typical use:
      videosync init media/          write a starter videosync.yaml
      videosync validate             check the manifest; no API call
      videosync plan                 show what apply would upload, replace, delete
      videosync apply                carry the plan out and record it in videosync.lock

    The API key is read from REKA_API_KEY (or VIDEOSYNC_API_KEY) and never printed.
    No key? --api-url local runs everything against the embedded emulator, offline,
    with its data in .videosync/local/ beside the manifest.

    \b
    Exit codes (plan, apply; CI can branch on them):
    {exit_codes}
    """
    verbosity = verbose - quiet
    _configure_logging(verbosity)
    ctx.obj = Settings(
        manifest=manifest,
        api_url=api_url,
        api_key=_api_key_from_env(),
        verbosity=verbosity,
    )


# Commands: each is a thin wrapper over the library, grouped by concept below.


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `videosync` console script."""
    verbose = any(a.startswith("-v") or a == "--verbose" for a in (argv or sys.argv[1:]))
    try:
        rc = cli.main(args=argv, prog_name="videosync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except VideosyncError as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if verbose:
            traceback.print_exc()
        click.echo(
            f"error: internal error: {type(exc).__name__}: {exc} (run with -v for details)",
            err=True,
        )
        sys.exit(ExitCode.ERROR)
    # Commands return their exit code (an int) or None for success.
    sys.exit(rc if isinstance(rc, int) else ExitCode.OK)
