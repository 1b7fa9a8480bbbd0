"""The root of the command line: global options, settings, exit codes and `main`.

Only the `videosync.cli` package imports click, and only it reads the environment. No
business logic lives here (STYLE.md): each command parses its arguments, calls the
library, renders, and returns an exit code; `main` maps errors to exit codes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from videosync.api.routes import DEFAULT_API_URL
from videosync.api.versions import API_VERSION_CHOICES, ApiVersionChoice
from videosync.cli.usage import usage_error_line
from videosync.errors import ExitCode, InvalidApiKey, VideosyncError, exit_code_lines
from videosync.planning.render import redact_urls
from videosync.version import __version__
from videosync.workdir import local_data_dir, make_cache_dir


@dataclass
class Settings:
    """Global options, resolved once from flags and the environment."""

    manifest: Path
    api_url: str
    api_key: str | None
    verbosity: int
    api_version: ApiVersionChoice = "auto"


_API_KEY_SETTINGS = ("REKA_API_KEY", "VIDEOSYNC_API_KEY")
"""Where the API key is read from, the first one set winning."""


def _api_key_setting() -> str | None:
    """The environment variable the API key is read from, or None when none is set."""
    return next((name for name in _API_KEY_SETTINGS if os.environ.get(name)), None)


def _api_key_from_env() -> str | None:
    setting = _api_key_setting()
    return os.environ[setting] if setting is not None else None


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
    # .videosync/ first: a file in its place or a read-only project is one line, no emulator.
    make_cache_dir(local_data_dir(path).parent)
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


# --- secrets kept out of every line printed --------------------------------------------

_CREDENTIAL_HEADER = re.compile(
    r"(?i)(x-api-key|authorization)"  # proxy-authorization too
    # httpcore's `(b'x-api-key', b'…')`, a dict's `'x-api-key': '…'`, a `Name: …` line
    r"(['\"][ \t]*[:,][ \t]*b?['\"]|[ \t]*[:=][ \t]*)"
    r"[^'\"\r\n]*"
)


class _Redactor:
    """Takes secrets out of a text: each API key set in the environment, in every form it
    may be printed in (as is, trimmed, escaped as a Python or JSON string or as bytes), the
    value of any credential header (`X-Api-Key`, `Authorization`) whatever it holds, and
    the query string of any URL (a presigned URL's signature, in an error the embedded
    emulator or httpx logs)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            for text in {secret, secret.strip()}:
                forms |= {
                    text,
                    repr(text)[1:-1],
                    ascii(text)[1:-1],
                    repr(text.encode("utf-8", "surrogateescape"))[2:-1],
                    json.dumps(text)[1:-1],
                }
        # Longest first: a form inside a longer one must not leave the rest of it behind.
        self._forms = sorted((f for f in forms if f.strip()), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, "<api key>")
        return redact_urls(_CREDENTIAL_HEADER.sub(r"\1\2<hidden>", text))


def _redactor() -> _Redactor:
    """A redactor of the keys in the environment (both, whichever one is used)."""
    return _Redactor(os.environ.get(name, "") for name in _API_KEY_SETTINGS)


class _RedactingFilter(logging.Filter):
    """Rewrites each record so no handler prints a secret: its message, its traceback and
    its stack (httpcore's `-vv` lines show response headers, which a server may echo)."""

    def __init__(self) -> None:
        super().__init__()
        self.redact = _Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it when the line is printed
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_REDACTING_FILTER = _RedactingFilter()


class _PlainFormatter(logging.Formatter):
    """A log line as the error line reads: `warning: …`."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {super().format(record)}"


def _log_level(verbosity: int) -> int:
    if verbosity > 0:
        return logging.INFO if verbosity == 1 else logging.DEBUG
    return logging.ERROR if verbosity < 0 else logging.WARNING


def _log_formatter(verbosity: int) -> logging.Formatter:
    # By default a warning reads as the error line does (`warning: …`); -v and -vv, for
    # looking into a run, name the level and the module of every line.
    if verbosity > 0:
        return logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return _PlainFormatter("%(message)s")


def _configure_logging(verbosity: int) -> None:
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(_log_formatter(verbosity))
    logging.basicConfig(level=_log_level(verbosity), handlers=[stderr])
    # On every handler of the root logger (each line of every logger goes through one), not
    # on loggers: a logger's filter does not see the lines of the loggers below it.
    _REDACTING_FILTER.redact = _redactor()
    for handler in logging.getLogger().handlers:
        handler.addFilter(_REDACTING_FILTER)


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
@click.option(
    "--api-version",
    type=click.Choice(API_VERSION_CHOICES),
    envvar="VIDEOSYNC_API_VERSION",
    default="auto",
    show_default=True,
    help="Vision API version to speak (env VIDEOSYNC_API_VERSION): v2 updates a video's name, "
    "title, description and group in place and runs features; v1 replaces instead. auto: v2 "
    "where the server serves it, unless the manifest writes start or thumbnails (only v1).",
)
@click.option("-v", "--verbose", count=True, help="More output; -v also shows tracebacks.")
@click.option("-q", "--quiet", count=True, help="Less output: errors only.")
@click.pass_context
@exit_codes(*ExitCode)
def cli(
    ctx: click.Context,
    *,
    manifest: Path,
    api_url: str,
    api_version: ApiVersionChoice,
    verbose: int,
    quiet: int,
) -> None:
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
        api_version=api_version,
    )


def _verbosity_after_command(ctx: click.Context, param: click.Parameter, count: int) -> None:
    """`-v`/`-q` after the command count as they do before it."""
    settings = ctx.find_object(Settings)
    if not count or settings is None:
        return
    settings.verbosity += count if param.name == "verbose" else -count
    root = logging.getLogger()
    root.setLevel(_log_level(settings.verbosity))
    for handler in root.handlers:
        if _REDACTING_FILTER in handler.filters:  # the handler _configure_logging set up
            handler.setFormatter(_log_formatter(settings.verbosity))


class _Command(click.Command):
    """A command that also takes the global `-v` and `-q` after its name (`plan -v`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params += [
            click.Option(
                ["-v", "--verbose"],
                count=True,
                expose_value=False,
                callback=_verbosity_after_command,
                help="More output (as before the command); -v also shows tracebacks.",
            ),
            click.Option(
                ["-q", "--quiet"],
                count=True,
                expose_value=False,
                callback=_verbosity_after_command,
                help="Less output: errors only (as before the command).",
            ),
        ]


cli.command_class = _Command

# Commands: each is a thin wrapper over the library, grouped by concept below.


def _print_error(line: str, traceback_too: bool) -> None:
    """The error being handled, in one line (after its traceback with -v), secrets taken out."""
    redact = _redactor()
    if traceback_too:
        click.echo(redact(traceback.format_exc()), err=True, nl=False)
    click.echo(redact(line), err=True)


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
        click.echo(usage_error_line(exc), err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except VideosyncError as exc:
        if isinstance(exc, InvalidApiKey):
            exc.setting = _api_key_setting() or exc.setting  # say which variable to fix
        _print_error(f"error: {exc}", verbose)
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        _print_error(
            f"error: internal error: {type(exc).__name__}: {exc} (run with -v for details)",
            verbose,
        )
        sys.exit(ExitCode.ERROR)
    # Commands return their exit code (an int) or None for success.
    sys.exit(rc if isinstance(rc, int) else ExitCode.OK)
