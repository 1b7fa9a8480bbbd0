"""`videosync apply`: plan (or load a saved plan), confirm, carry it out, optionally wait.

The whole run holds the run lock of the lockfile (`RunLock`): from planning to the last
lockfile write, so nothing another videosync does can slip between the plan that was
shown and the changes made. A journal left by an interrupted run is replayed by the plan
(`recovery.py`) and saved into the lockfile before any new work starts.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from videosync.api.client import VisionClient
from videosync.api.versions import ApiVersionChoice
from videosync.applying.applier import Applier, ApplyOptions
from videosync.applying.indexwait import WaitResult, wait_features, wait_indexed
from videosync.applying.outcome import ApplyResult
from videosync.applying.progress import Reporter, SilentReporter
from videosync.commands.plan import PlanRun, make_plan, require_api_key
from videosync.errors import PathOutsideProject, PlanFileEdited
from videosync.model import DEFAULT_GROUP
from videosync.planning.fingerprints import check_fingerprints
from videosync.planning.plan import Plan, action_difference
from videosync.planning.safety import DEFAULT_MAX_DELETE_PERCENT
from videosync.state.journal import Journal
from videosync.state.lockfile import lockfile_path, save_lockfile
from videosync.state.runlock import DEFAULT_LOCK_TIMEOUT, RunLock
from videosync.workdir import journal_path, workdir

__all__ = ["ApplyRun", "apply"]


@dataclass(frozen=True)
class ApplyRun:
    """A finished `apply`: the plan carried out, what happened, and the wait's outcome."""

    plan: Plan
    result: ApplyResult | None
    """None when nothing was done (no changes, or the person said no)."""
    confirmed: bool = True
    wait: WaitResult | None = None
    names: dict[str, str] | None = None
    """video_id → manifest key of each upload, to name them in messages."""

    @property
    def ok(self) -> bool:
        return (
            self.confirmed
            and (self.result is None or self.result.ok)
            and (self.wait is None or self.wait.ok)
        )


def apply(
    manifest_path: Path,
    *,
    api_url: str,
    api_key: str | None,
    plan_file: Path | None = None,
    parallelism: int = 4,
    prune: bool = False,
    prune_default: bool = False,
    allow_protected: bool = False,
    max_delete: int | None = None,
    max_delete_percent: int | None = DEFAULT_MAX_DELETE_PERCENT,
    allow_empty: bool = False,
    confirm: Callable[[Plan], bool] | None = None,
    reporter: Reporter | None = None,
    wait: bool = False,
    timeout: float = 600.0,
    options: ApplyOptions | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    api_version: ApiVersionChoice = "v1",
) -> ApplyRun:
    """Make the catalog match the manifest at `manifest_path` (or apply `plan_file`).

    `confirm` sees the plan and says whether to go on (None: go on). Raises `LockHeld`
    when another run holds the lock, `StalePlan` for a saved plan whose inputs changed,
    `PlanFileEdited` for one whose actions are not those its manifest gives,
    `PathOutsideProject` for a path that leads out of the manifest's folder when the work
    starts, `PlanRefused` when a guard refuses the plan, `StateWriteFailed` when the journal
    or the lockfile cannot be written (a full disk: the run stops, the next one converges).

    A saved plan is computed again, with the --prune and --prune-default it was made with
    (read back from its prune deletes) and every rail lifted: its rails were passed when it
    was saved (`plan --out` saves no refused plan), and they only add problems, never
    actions. The rail and prune arguments given here are not used with a `plan_file`,
    nor is `api_version`: a saved plan is applied in the API version it was made for.
    """
    key = require_api_key(api_key)
    saved = Plan.load(plan_file) if plan_file is not None else None
    if saved is not None:
        prune, prune_default = _prune_scope(saved)
        allow_protected, max_delete, max_delete_percent, allow_empty = True, None, None, True
        api_version = saved.api_version
    manifest_path = manifest_path.absolute()
    root = manifest_path.parent
    lock_path = lockfile_path(manifest_path)
    with RunLock(lock_path, workdir(root), "apply", lock_timeout=lock_timeout):
        run = make_plan(
            manifest_path,
            api_url=api_url,
            api_key=key,
            prune=prune,
            prune_default=prune_default,
            allow_protected=allow_protected,
            max_delete=max_delete,
            max_delete_percent=max_delete_percent,
            allow_empty=allow_empty,
            api_version=api_version,
        )
        plan = run.plan
        if saved is not None:
            assert plan.fingerprints is not None and plan_file is not None
            check_fingerprints(saved.fingerprints, plan.fingerprints)
            difference = action_difference(saved.actions, plan.actions)
            if difference is not None:
                raise PlanFileEdited(plan_file, difference)
            # The saved plan's actions, as computed again: the same, but with what a plan
            # file never holds (a signed URL's query string, which the server needs).
            plan = replace(plan, problems=saved.problems)
        plan.require_applicable()
        _save_recovered(run)
        if not plan.has_changes:
            return ApplyRun(plan, None)
        if confirm is not None and not confirm(plan):
            return ApplyRun(plan, None, confirmed=False)
        # Last, after the question (which may wait for minutes): a file swapped for a link
        # while the person read the plan is not uploaded either.
        _check_paths(plan, root)
        options = options or ApplyOptions(parallelism=parallelism)
        return asyncio.run(
            _execute(
                run,
                plan=plan,
                root=root,
                api_url=api_url,
                api_key=key,
                reporter=reporter,
                options=options,
                wait=wait,
                timeout=timeout,
            )
        )


def _prune_scope(saved: Plan) -> tuple[bool, bool]:
    """The --prune and --prune-default a saved plan was made with, as far as they shaped
    its actions: whether it prunes, and whether it prunes in `default`."""
    pruned = [a for a in saved.actions if a.resource == "video" and a.cause == "unmanaged"]
    return bool(pruned), any(a.group_id == DEFAULT_GROUP for a in pruned)


def _check_paths(plan: Plan, root: Path) -> None:
    """Resolve each local path the plan uploads or records inside the manifest's folder
    again, or raise `PathOutsideProject`: a normalised relative path, whose folders and
    file, once links are followed, are inside the folder. (The manifest's loader checked
    them when the plan was made; this is for what changed on disk since.) Unchanged
    entries upload and record nothing, and are not looked at."""
    real_root = os.path.realpath(root)
    real_folders: dict[str, str] = {}
    for action in plan.changes:
        path = action.spec.source.path if action.spec is not None else None
        if path is None:
            continue
        if path.startswith("/") or posixpath.normpath(path) != path or path.startswith(".."):
            raise PathOutsideProject(path, root)
        folder, _, name = path.rpartition("/")
        try:
            real_folder = real_folders.get(folder)
            if real_folder is None:
                real_folder = os.path.realpath(posixpath.join(real_root, folder))
                real_folders[folder] = real_folder
            real = f"{real_folder}/{name}"
            if stat.S_ISLNK(os.lstat(real).st_mode):
                real = os.path.realpath(real)
        except OSError:
            pass  # gone or unreadable since the plan: its upload fails on its own
        except ValueError:  # a NUL character
            raise PathOutsideProject(path, root) from None
        if not real.startswith(real_root.rstrip("/") + "/"):
            raise PathOutsideProject(path, root, real)


def _save_recovered(run: PlanRun) -> None:
    """Make what the journal recorded part of the lockfile, then start a fresh journal."""
    journal = Journal(journal_path(run.manifest_path.parent))
    if journal.path.exists():
        save_lockfile(run.lockfile_path, run.recorded)
        journal.clear()


async def _execute(
    run: PlanRun,
    *,
    plan: Plan,
    root: Path,
    api_url: str,
    api_key: str,
    reporter: Reporter | None,
    options: ApplyOptions,
    wait: bool,
    timeout: float,
) -> ApplyRun:
    reporter = reporter or SilentReporter()
    async with VisionClient(api_url, api_key, api_version=plan.api_version) as client:
        applier = Applier(
            plan,
            run.recorded,
            root=root,
            lock_path=run.lockfile_path,
            client=client,
            remote_videos=run.remote.videos,
            remote_group_ids={g.group_id for g in run.remote.groups},
            reporter=reporter,
            options=options,
        )
        with _interrupts(applier, reporter):
            result = await applier.run()
        names = {o.video_id: o.key for o in result.outcomes if o.video_id and o.ok}
        waited = None
        if wait and plan.api_version == "v2" and not result.interrupted:
            wanted = _features_to_wait_for(plan, result)
            if wanted:
                reporter.note(f"waiting for {len(wanted)} video(s) and their features…")
                waited = await wait_features(client, wanted, timeout=timeout, note=reporter.note)
        elif wait and result.uploaded and not result.interrupted:
            reporter.note(f"waiting for {len(result.uploaded)} video(s) to be indexed…")
            waited = await wait_indexed(client, result.uploaded, timeout=timeout)
    return ApplyRun(plan, result, wait=waited, names=names)


def _features_to_wait_for(plan: Plan, result: ApplyResult) -> dict[str, tuple[str, ...]]:
    """v2: each video this apply uploaded, or started features on, and its features."""
    specs = {a.key: a.spec for a in plan.actions if a.spec is not None}
    wanted: dict[str, tuple[str, ...]] = {}
    for outcome in result.outcomes:
        spec = specs.get(outcome.key)
        if not outcome.ok or outcome.video_id is None or spec is None:
            continue
        if outcome.verb == "deleted" or outcome.resource != "video":
            continue  # a replace's old copy, a delete: nothing to wait for
        if outcome.video_id in result.uploaded or spec.features:
            wanted[outcome.video_id] = spec.features
    return wanted


@contextmanager
def _interrupts(applier: Applier, reporter: Reporter) -> Iterator[None]:
    """First Ctrl-C: start nothing new, let uploads in flight end. Second: abort them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    pressed = 0

    def on_sigint() -> None:
        nonlocal pressed
        pressed += 1
        if pressed == 1:
            applier.stop()
            reporter.note(
                f"stopping: no new work; waiting for {applier.in_flight} action(s) in flight "
                "(Ctrl-C again to abort them)"
            )
        else:
            applier.abort()
            reporter.note("aborting the actions in flight")

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
