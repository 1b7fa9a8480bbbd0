"""The command line: parses arguments, calls the library, renders, maps errors to exit codes.

No business logic lives here (STYLE.md). This is the only module that imports click and
the only one that reads the environment.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from videosync import __version__
from videosync.errors import VideosyncError

if TYPE_CHECKING:
    from videosync.plan import Plan

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BAD_INPUT = 3
EXIT_LOCK_HELD = 4
"""Another run holds the lock (runlock.LockHeld and local.LocalEmulatorBusy carry it)."""
EXIT_REFUSED = 5
"""A safety rail or guard refused the plan (errors.PlanRefused carries it)."""
EXIT_PARTIAL = 6
"""Some actions failed; the others were done and recorded."""
EXIT_INTERRUPTED = 130

DEFAULT_API_URL = "https://vision-agent.api.reka.ai"


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
def _endpoint(
    settings: Settings, manifest: Path | None, api_url: str | None
) -> Iterator[tuple[str, str | None]]:
    """The API URL and key a command calls; `--api-url local` serves the emulator meanwhile."""
    url = api_url or settings.api_url
    if url != "local":
        yield url, settings.api_key
        return
    from videosync.local import local_endpoint

    with local_endpoint(manifest or settings.manifest) as endpoint:
        yield endpoint.url, endpoint.api_key


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
      0  ok, or no changes
      1  error (API, network, a stale saved plan, a failed --wait)
      2  changes found (plan --detailed-exitcode)
      3  bad input: manifest, lockfile or arguments (nothing was sent)
      4  the lock is held by another apply
      5  refused by a safety rail: --max-delete, --max-delete-percent, an empty
         manifest (--allow-empty), protected entries (--allow-protected)
      6  partial failure: some actions failed, the rest were done and recorded
      130  interrupted (Ctrl-C)
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

# --- validate / init (the manifest) ------------------------------------------------------


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
def validate_command(
    settings: Settings, *, files: tuple[Path, ...], manifest: Path | None, as_json: bool
) -> int:
    """Check the manifest completely, offline: schema, files, keys, groups, timestamps.

    Every problem is reported at once as FILE:LINE:COLUMN: KEY: MESSAGE, sorted by line.
    FILES, when given (as pre-commit does), are checked instead of the -f manifest.

    \b
    Exit codes: 0 valid, 3 invalid.
    """
    from videosync.commands.validate import errors_json, validate

    results = [validate(path) for path in (files or (manifest or settings.manifest,))]
    exit_code = EXIT_OK if all(result.ok for result in results) else EXIT_BAD_INPUT
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


# --- plan / status (the planner) ---------------------------------------------------------


def _use_color(fmt: str) -> bool:
    """Colour only for text on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


_manifest_override = click.option(
    "-f",
    "--manifest",
    "manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The manifest (same as the global -f; the lockfile sits beside it).",
)
_api_url_override = click.option(
    "--api-url", default=None, help="Vision API base URL (same as the global --api-url)."
)


def _rail_options(command: Any) -> Any:
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
            help="Refuse the plan if it deletes more than N videos (replaced copies included).",
        ),
        click.option(
            "--max-delete-percent",
            type=click.IntRange(0, 100),
            default=50,
            show_default=True,
            metavar="P",
            help="Refuse the plan if it deletes more than P% of the videos videosync.lock "
            "manages (a single delete is never refused by this; 100 turns it off).",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="Allow a manifest that resolves to no video at all while videosync.lock "
            "manages some (it deletes them all).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command("plan")
@_manifest_override
@_api_url_override
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
    "--prune",
    is_flag=True,
    help="Also delete remote videos videosync does not manage, in the groups the manifest uses.",
)
@_rail_options
@click.pass_obj
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

    \b
    Exit codes: 0 success (with --detailed-exitcode: no changes), 2 changes found with
    --detailed-exitcode, 1 error, 3 bad input, 5 refused by a safety rail (the plan is
    still printed, with the reason).
    """
    from videosync.commands.plan import make_plan
    from videosync.errors import PlanRefused
    from videosync.render import render

    with _endpoint(settings, manifest, api_url) as (url, key):
        run = make_plan(
            manifest or settings.manifest,
            api_url=url,
            api_key=key,
            prune=prune,
            allow_protected=allow_protected,
            max_delete=max_delete,
            max_delete_percent=max_delete_percent,
            allow_empty=allow_empty,
        )
    fmt = "json" if as_json else fmt
    click.echo(render(run.plan, fmt, color=_use_color(fmt)), nl=False)
    if not run.plan.applicable:
        raise PlanRefused("the plan cannot be applied: " + "; ".join(run.plan.problems))
    if out is not None:
        run.plan.save(out)
        if settings.verbosity >= 0:
            click.echo(f"Saved the plan to {out}: `videosync apply {out}` applies it.", err=True)
    return EXIT_CHANGES if detailed_exitcode and run.plan.has_changes else EXIT_OK


@cli.command("status")
@_manifest_override
@_api_url_override
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status_command(
    settings: Settings, *, manifest: Path | None, api_url: str | None, as_json: bool
) -> None:
    """Show each managed video: its video_id, remote indexing status and drift.

    Drift is ok, missing (gone remotely), failed (indexing failed), changed (the manifest
    or the file differs from what was uploaded), removed (no longer in the manifest) or
    moved (the next apply records it under its new key).
    """
    from videosync.commands.status import render_status, status

    with _endpoint(settings, manifest, api_url) as (url, key):
        result = status(manifest or settings.manifest, api_url=url, api_key=key)
    click.echo(result.to_json() if as_json else render_status(result), nl=False)


# --- apply / import (the applier) --------------------------------------------------------


@cli.command("apply")
@_manifest_override
@_api_url_override
@click.argument(
    "planfile", type=click.Path(dir_okay=False, path_type=Path), required=False, default=None
)
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    metavar="N",
    help="How many API calls (uploads, delete batches) to keep in flight.",
)
@click.option("--wait", is_flag=True, help="Then wait until every uploaded video is indexed.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    metavar="S",
    help="With --wait: seconds to wait for indexing before failing.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete remote videos videosync does not manage, in the groups the manifest uses.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    metavar="S",
    help="Take over a lock whose holder on another host gave no sign of life for S seconds.",
)
@_rail_options
@click.pass_obj
def apply_command(
    settings: Settings,
    *,
    manifest: Path | None,
    api_url: str | None,
    planfile: Path | None,
    yes: bool,
    parallelism: int,
    wait: bool,
    timeout: float,
    prune: bool,
    allow_protected: bool,
    max_delete: int | None,
    max_delete_percent: int,
    allow_empty: bool,
    lock_timeout: float,
) -> int:
    """Make the catalog match the manifest: upload, replace, adopt, delete; record it all.

    Without PLANFILE it plans, shows the plan and asks before changing anything (--yes to
    skip the question; without a terminal --yes is required). With PLANFILE (saved by
    `plan --out`) it applies exactly that plan, or refuses it as stale if the manifest,
    lockfile, local files or remote catalog changed since.

    A run interrupted at any point (Ctrl-C, a crash, kill -9) is finished by the next one,
    without uploading anything twice. The first Ctrl-C lets uploads in flight end.

    \b
    Exit codes: 0 done or nothing to do, 1 error (a stale saved plan, a failed --wait,
    cancelled at the prompt), 3 bad input or no --yes without a terminal, 4 the lock is
    held by another apply, 5 refused by a safety rail, 6 some actions failed (the rest
    were done and recorded; the next run does what is left), 130 interrupted.
    """
    from videosync.commands.apply import apply
    from videosync.errors import UsageError
    from videosync.progress import reporter_for
    from videosync.render import render

    if planfile is None and not yes and not sys.stdin.isatty():
        raise UsageError(
            "apply needs confirmation and there is no terminal to ask: review "
            "`videosync plan`, then run `videosync apply --yes` (or apply a saved PLANFILE)"
        )
    quiet = settings.verbosity < 0

    def confirm(plan: Plan) -> bool:
        if not quiet or not yes:
            click.echo(render(plan, "text", color=_use_color("text")), nl=False)
        if yes or planfile is not None:
            return True
        return click.confirm("Apply these changes?", default=False)

    reporter = reporter_for(terminal=sys.stdout.isatty(), quiet=quiet)
    with _endpoint(settings, manifest, api_url) as (url, key), _show_refused(quiet):
        done = apply(
            manifest or settings.manifest,
            api_url=url,
            api_key=key,
            plan_file=planfile,
            parallelism=parallelism,
            prune=prune,
            allow_protected=allow_protected,
            max_delete=max_delete,
            max_delete_percent=max_delete_percent,
            allow_empty=allow_empty,
            confirm=confirm,
            reporter=reporter,
            wait=wait,
            timeout=timeout,
            lock_timeout=lock_timeout,
        )
    if done.result is None:
        if not done.confirmed:
            click.echo("Apply cancelled: nothing was changed.", err=True)
            return EXIT_ERROR
        if not quiet:
            click.echo("No changes. The catalog matches the manifest.")
        return EXIT_OK
    if not quiet or not done.result.ok:
        click.echo(done.result.summary(), err=not done.result.ok)
    if done.wait is not None:
        click.echo(done.wait.describe(done.names or {}), err=not done.wait.ok)
    if done.result.interrupted:
        return EXIT_INTERRUPTED
    if done.result.failed:
        return EXIT_PARTIAL
    return EXIT_OK if done.ok else EXIT_ERROR


@contextmanager
def _show_refused(quiet: bool) -> Iterator[None]:
    """A plan a rail refuses is shown (which entries, why) before the one-line error."""
    from videosync.errors import PlanRefused
    from videosync.render import render

    try:
        yield
    except PlanRefused as exc:
        if exc.plan is not None and not quiet:
            click.echo(render(exc.plan, "text", color=_use_color("text")), nl=False)
        raise


@cli.command("import")
@_manifest_override
@_api_url_override
@click.argument("key")
@click.argument("video_id")
@click.pass_obj
def import_command(
    settings: Settings, *, manifest: Path | None, api_url: str | None, key: str, video_id: str
) -> None:
    """Record the existing remote video VIDEO_ID as the upload of manifest entry KEY.

    The video must exist (one get call checks it). The local file is hashed, so the next
    plan is a no-op when the video matches the entry; where its name or group differ from
    the manifest a warning says so (and the next plan replaces it).
    """
    from videosync.commands.importing import import_video

    with _endpoint(settings, manifest, api_url) as (url, api_key):
        done = import_video(
            manifest or settings.manifest, key, video_id, api_url=url, api_key=api_key
        )
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    if settings.verbosity >= 0:
        click.echo(f"recorded {key} as {video_id} in {done.lockfile}")


# --- unlock (the run lock) ---------------------------------------------------------------


@cli.command("unlock")
@_manifest_override
@click.option("--yes", "-y", is_flag=True, help="Remove the lock without asking.")
@click.pass_obj
def unlock_command(settings: Settings, *, manifest: Path | None, yes: bool) -> int:
    """Remove a stuck run lock by hand, after showing who held it.

    A lock whose holder died on this machine, or went silent on another for --lock-timeout,
    is taken over by the next apply on its own; this is for the rest (a lock copied in
    with a CI cache, a holder known to be gone). Refused while the holder is a live
    process on this machine. Asks on a terminal; --yes for scripts.
    """
    from videosync.errors import UsageError
    from videosync.hashing import CACHE_DIR_NAME
    from videosync.lockfile import lockfile_path
    from videosync.runlock import lock_holder, remove_lock

    path = (manifest or settings.manifest).absolute()
    state = path.parent / CACHE_DIR_NAME
    holder = lock_holder(state)
    if holder is None and not (state / "apply.lock").exists():
        click.echo(f"{lockfile_path(path).name} is not locked")
        return 0
    who = holder.describe() if holder else "a run that left no note"
    click.echo(f"{lockfile_path(path).name} is locked by {who}")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("unlock needs confirmation and there is no terminal: add --yes")
        if not click.confirm("Remove this lock?", default=False):
            return 1
    remove_lock(lockfile_path(path), state)
    click.echo("lock removed")
    return 0


# --- emulator ----------------------------------------------------------------------------


@cli.command("emulator")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any other than loopback exposes the emulator (plain HTTP) "
    "to the network: allowed, with a warning.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8787,
    show_default=True,
    help="Port to listen on; 0 picks a free one. The URL is printed on start.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".videosync/emulator"),
    show_default=True,
    help="Where videos (files) and metadata (SQLite) are kept across restarts.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="Accept this API key; repeat for more, each key is its own tenant. "
    "Default: the key in REKA_API_KEY (or VIDEOSYNC_API_KEY).",
)
@click.option(
    "--open", "open_", is_flag=True, help="Accept any API key (each key still its own tenant)."
)
@click.option(
    "--index-delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a video stays pending, and then indexing, before it is indexed.",
)
@click.option(
    "--latency",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="MS",
    help="Delay every API response by this many milliseconds.",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    metavar="P",
    help="Probability that an API request meets an injected fault: 429 (Retry-After: 1), "
    "500, 503, or a dropped connection (before or after the request took effect).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Seed of the fault draw: the same requests in the same order meet the same faults.",
)
@click.option(
    "--max-upload-bytes",
    type=click.IntRange(min=1),
    default=10 * 1024**3,
    show_default=True,
    metavar="N",
    help="Largest file accepted by an upload or fetched from a video_url (413 past it).",
)
@click.pass_obj
def emulator_command(
    settings: Settings,
    *,
    host: str,
    port: int,
    data_dir: Path,
    api_keys: tuple[str, ...],
    open_: bool,
    index_delay: float,
    latency: int,
    fault_rate: float,
    seed: int,
    max_upload_bytes: int,
) -> None:
    """Run a local Vision API emulator until Ctrl-C.

    It implements the video management calls (upload, get, delete, groups) with the
    data kept in --data-dir, so videosync, curl and the API docs' examples can be tried
    without an account. Point videosync at it with --api-url http://127.0.0.1:8787.
    """
    from videosync.emulator import EmulatorConfig, serve_forever
    from videosync.emulator.server import is_loopback
    from videosync.errors import UsageError

    if not api_keys and settings.api_key:
        api_keys = (settings.api_key,)
    if not api_keys and not open_:
        raise UsageError(
            "the emulator needs a key to accept: give --api-key KEY, set REKA_API_KEY, "
            "or use --open to accept any key"
        )
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}: other machines can reach this emulator "
            "over plain HTTP",
            err=True,
        )
    if settings.verbosity >= 0:
        logging.getLogger("videosync.emulator").setLevel(logging.INFO)
    config = EmulatorConfig(
        data_dir=data_dir,
        host=host,
        port=port,
        api_keys=api_keys,
        open=open_,
        index_delay=index_delay,
        latency_ms=latency,
        fault_rate=fault_rate,
        seed=seed,
        max_upload_bytes=max_upload_bytes,
    )
    keys = "any key" if open_ else f"{len(api_keys)} key(s)"

    def announce(url: str) -> None:
        click.echo(f"listening on {url}", nl=True)
        click.echo(f"data in {data_dir}; accepting {keys}; Ctrl-C stops", err=True)
        sys.stdout.flush()

    serve_forever(config, announce)



def main(argv: list[str] | None = None) -> None:
    """Entry point of the `videosync` console script."""
    verbose = any(a.startswith("-v") or a == "--verbose" for a in (argv or sys.argv[1:]))
    try:
        rc = cli.main(args=argv, prog_name="videosync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
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
        sys.exit(EXIT_ERROR)
    # Commands return their exit code (an int) or None for success.
    sys.exit(rc if isinstance(rc, int) else EXIT_OK)
