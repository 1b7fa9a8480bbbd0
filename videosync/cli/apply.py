"""`videosync apply`, `import` and `unlock`: the commands that change the catalog or its lock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from videosync.planning.plan import Plan

from videosync.cli.plan import plan_command, prune_options, rail_options, use_color
from videosync.cli.root import (
    Settings,
    api_endpoint,
    api_url_override,
    cli,
    exit_codes,
    manifest_override,
)
from videosync.errors import ExitCode, PlanRefused, UsageError


@cli.command("apply")
@manifest_override
@api_url_override
@click.argument(
    "planfile", type=click.Path(dir_okay=False, path_type=Path), required=False, default=None
)
@click.option(
    "--yes",
    "-y",
    "--auto-approve",
    "yes",
    is_flag=True,
    help="Apply without asking (for CI); --auto-approve is Terraform's spelling of it.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Plan only, change nothing: the same as `videosync plan` with these options.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    metavar="N",
    help="How many API calls (uploads, delete batches) to keep in flight.",
)
@click.option(
    "--wait",
    is_flag=True,
    help="Then wait until every uploaded video is indexed (API v1), or uploaded with every "
    "declared feature ready, starting each as soon as it can (API v2).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    metavar="S",
    help="With --wait: seconds to wait for indexing before failing.",
)
@prune_options
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    metavar="S",
    help="Take over a lock whose holder on another host gave no sign of life for S seconds.",
)
@rail_options
@click.pass_obj
@exit_codes(
    ExitCode.OK,
    ExitCode.ERROR,
    ExitCode.BAD_INPUT,
    ExitCode.LOCK_HELD,
    ExitCode.REFUSED,
    ExitCode.PARTIAL,
    ExitCode.INTERRUPTED,
)
def apply_command(
    settings: Settings,
    *,
    manifest: Path | None,
    api_url: str | None,
    planfile: Path | None,
    yes: bool,
    dry_run: bool,
    parallelism: int,
    wait: bool,
    timeout: float,
    prune: bool,
    prune_default: bool,
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
    lockfile, local files or remote catalog changed since, or as edited if its actions are
    not those the manifest gives. A PLANFILE keeps the --prune and rails it was made with.

    A run interrupted at any point (Ctrl-C, a crash, kill -9) is finished by the next one,
    without uploading anything twice. The first Ctrl-C lets uploads in flight end.

    Cancelled at the prompt, it exits 1; without a terminal and without --yes, 3.

    \b
    Exit codes:
    {exit_codes}
    """
    from videosync.applying.progress import reporter_for
    from videosync.commands.apply import apply
    from videosync.planning.render import render

    if dry_run:  # kubectl's and others' spelling of "show me, change nothing": plan
        if planfile is not None:
            raise UsageError("--dry-run plans from the manifest: give it without PLANFILE")
        return int(
            click.get_current_context().invoke(
                plan_command,
                manifest=manifest,
                api_url=api_url,
                prune=prune,
                prune_default=prune_default,
                allow_protected=allow_protected,
                max_delete=max_delete,
                max_delete_percent=max_delete_percent,
                allow_empty=allow_empty,
            )
        )
    if planfile is None and not yes and not sys.stdin.isatty():
        raise UsageError(
            "apply needs confirmation and there is no terminal to ask: review "
            "`videosync plan`, then run `videosync apply --yes` (or apply a saved PLANFILE)"
        )
    quiet = settings.verbosity < 0

    def confirm(plan: Plan) -> bool:
        if not quiet or not yes:
            click.echo(render(plan, "text", color=use_color("text")), nl=False)
        if yes or planfile is not None:
            return True
        return click.confirm("Apply these changes?", default=False)

    reporter = reporter_for(terminal=sys.stdout.isatty(), quiet=quiet)
    with api_endpoint(settings, manifest, api_url) as (url, key), _show_refused(quiet):
        done = apply(
            manifest or settings.manifest,
            api_url=url,
            api_key=key,
            plan_file=planfile,
            parallelism=parallelism,
            prune=prune,
            prune_default=prune_default,
            allow_protected=allow_protected,
            max_delete=max_delete,
            max_delete_percent=max_delete_percent,
            allow_empty=allow_empty,
            confirm=confirm,
            reporter=reporter,
            wait=wait,
            timeout=timeout,
            lock_timeout=lock_timeout,
            api_version=settings.api_version,
        )
    if done.result is None:
        if not done.confirmed:
            click.echo("Apply cancelled: nothing was changed.", err=True)
            return ExitCode.ERROR
        if not quiet:
            click.echo("No changes. The catalog matches the manifest.")
        return ExitCode.OK
    if not quiet or not done.result.ok:
        click.echo(done.result.summary(), err=not done.result.ok)
    if done.wait is not None:
        click.echo(done.wait.describe(done.names or {}), err=not done.wait.ok)
    if done.result.interrupted:
        return ExitCode.INTERRUPTED
    if done.result.failed:
        return ExitCode.PARTIAL
    return ExitCode.OK if done.ok else ExitCode.ERROR


@contextmanager
def _show_refused(quiet: bool) -> Iterator[None]:
    """A plan a rail refuses is shown (which entries, why) before the one-line error."""
    from videosync.planning.render import render

    try:
        yield
    except PlanRefused as exc:
        if exc.plan is not None and not quiet:
            # why it is refused is the error line that follows
            text = render(exc.plan, "text", color=use_color("text"), problems=False)
            click.echo(text, nl=False)
        raise


@cli.command("import")
@manifest_override
@api_url_override
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

    with api_endpoint(settings, manifest, api_url) as (url, api_key):
        done = import_video(
            manifest or settings.manifest, key, video_id, api_url=url, api_key=api_key
        )
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    if settings.verbosity >= 0:
        click.echo(f"recorded {key} as {video_id} in {done.lockfile}")


@cli.command("unlock")
@manifest_override
@click.option("--yes", "-y", is_flag=True, help="Remove the lock without asking.")
@click.pass_obj
def unlock_command(settings: Settings, *, manifest: Path | None, yes: bool) -> int:
    """Remove a stuck run lock by hand, after showing who held it.

    A lock whose holder died on this machine, or went silent on another for --lock-timeout,
    is taken over by the next apply on its own; this is for the rest (a lock copied in
    with a CI cache, a holder known to be gone). Refused while the holder is a live
    process on this machine. Asks on a terminal; --yes for scripts.
    """
    from videosync.state.lockfile import lockfile_path
    from videosync.state.runlock import lock_holder, remove_lock
    from videosync.workdir import workdir

    path = (manifest or settings.manifest).absolute()
    state = workdir(path.parent)
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
