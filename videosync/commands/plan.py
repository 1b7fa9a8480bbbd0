"""`videosync plan`: load the three states, call the pure planner, return the plan.

The order is that of the exit codes: a bad manifest or lockfile, or no API key, fails
(exit 3) before any API call; then the local files are stat'ed (and hashed only where the
lockfile recorded the same size, or where a new file may be a vanished entry moved), then
the remote catalog is listed with one call for videos and one for groups, whatever its size.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from videosync.api.client import check_api_key
from videosync.api.sync import SyncVisionClient
from videosync.api.versions import ApiVersionChoice
from videosync.content.localfiles import BYTES_READ, HashCache, LocalFileState, local_file_states
from videosync.errors import InvalidSetting
from videosync.gcpause import collector_paused
from videosync.manifest.loader import load_manifest
from videosync.model import DEFAULT_GROUP, DesiredState, Lockfile, RemoteState
from videosync.planning.fingerprints import (
    Fingerprints,
    fingerprint_bytes,
    fingerprint_local,
    fingerprint_remote,
)
from videosync.planning.moves import move_candidates
from videosync.planning.plan import Plan
from videosync.planning.planner import compute_plan
from videosync.planning.safety import DEFAULT_MAX_DELETE_PERCENT
from videosync.state.lockfile import lockfile_path, read_lockfile
from videosync.state.recovery import lockfile_text, recover_inputs, unseen_recent_uploads

__all__ = [
    "PlanRun",
    "choose_api_version",
    "fetch_remote",
    "local_states",
    "make_plan",
    "require_api_key",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanRun:
    """A plan with everything it was computed from, for status, apply and the CLI."""

    plan: Plan
    manifest_path: Path
    """The manifest, absolute."""
    lockfile_path: Path
    """The lockfile beside it (which may not exist yet)."""
    recorded: Lockfile
    """The lockfile's state, with an interrupted apply's journal replayed over it."""
    remote: RemoteState
    """The catalog as listed for this plan."""
    local: dict[str, LocalFileState]
    """Each local file's size, and its digest where the plan needed it, by key."""


def require_api_key(api_key: str | None) -> str:
    """The key, or an `InvalidSetting` (exit 3) telling the user where to put one, or an
    `InvalidApiKey` saying what is wrong with it (never what it is)."""
    if not api_key:
        raise InvalidSetting(
            "no API key: set REKA_API_KEY (or VIDEOSYNC_API_KEY), "
            "or use --api-url local for the embedded emulator"
        )
    check_api_key(api_key)
    return api_key


def fetch_remote(
    api_url: str,
    api_key: str,
    *,
    api_version: ApiVersionChoice = "v1",
    manifest: DesiredState | None = None,
) -> RemoteState:
    """List the whole catalog: one call for the videos, one for the groups (and under v2
    one for the feature catalog), made at once, in the API version chosen
    (`choose_api_version`)."""
    if api_url == "local":
        raise InvalidSetting(
            "api_url 'local' is resolved by the command line: in Python, serve the emulator "
            "with videosync.emulator.local.local_endpoint(manifest) and pass its url and api_key"
        )
    started = time.perf_counter()
    asked = choose_api_version(api_version, manifest)
    with SyncVisionClient(api_url, api_key, api_version=asked) as client:
        version = client.api_version
        if asked == "auto":
            check = getattr(manifest, "check_api_version", None)
            if check is not None:
                check(version)  # learnt by the probe: refuse before the catalog is listed
            log.info(
                "API %s: %s",
                version,
                "the server serves v2" if version == "v2" else "the server does not serve v2",
            )
        videos, groups, dependencies = client.list_catalog()
    elapsed = time.perf_counter() - started
    log.info("listed %d videos and %d groups in %.2f s", len(videos), len(groups), elapsed)
    return RemoteState(
        tuple(videos),
        tuple(groups),
        api_version=version,
        feature_dependencies=dict(dependencies),
    )


def choose_api_version(
    setting: ApiVersionChoice, manifest: DesiredState | None
) -> ApiVersionChoice:
    """The version to speak, before asking the server: `auto` stays `auto` (v2 where the
    server serves it), unless the manifest writes fields only v1 carries (`start`,
    `thumbnails: true`) and none only v2 carries: then v1, which every server serves."""
    if setting != "auto" or manifest is None:
        return setting
    fields = getattr(manifest, "version_fields", ())
    needs = {f.version for f in fields}
    if needs == {"v1"}:
        written = sorted({f.field for f in fields})
        log.info(
            "API v1: the manifest writes %s, which only v1 carries (--api-version to choose)",
            ", ".join(written),
        )
        return "v1"
    return "auto"


def local_states(
    manifest: DesiredState, recorded: Lockfile, *, use_git: bool = True
) -> dict[str, LocalFileState]:
    """Stat every local file; hash (or take from the cache) only those the plan needs.

    With `use_git`, git's index vouches for unmodified tracked files, which are then not read.
    """
    git_root = manifest.root if use_git else None
    paths = {v.key: v.path for v in manifest.videos if v.path is not None}
    sizes = {
        key: entry.size
        for key, entry in recorded.videos.items()
        if entry.size is not None and entry.spec.source.path is not None
    }
    cache = HashCache.for_manifest_dir(manifest.root)
    started, read_before = time.perf_counter(), BYTES_READ.total
    # Unmodified tracked files are proven unchanged by git, unread (content/localfiles.py).
    states = local_file_states(paths, sizes, cache, recorded=recorded.videos, git_root=git_root)
    # A second, small pass: the new files that may be a vanished entry moved (same size).
    sizes_now = {key: state.size for key, state in states.items()}
    candidates = move_candidates(recorded, {v.key for v in manifest.videos}, sizes_now)
    if candidates:
        picked = {key: paths[key] for key in candidates}
        expected = {key: sizes_now[key] for key in candidates}
        states.update(
            local_file_states(picked, expected, cache, recorded=candidates, git_root=git_root)
        )
    cache.save()
    read, elapsed = BYTES_READ.total - read_before, time.perf_counter() - started
    log.info("checked %d local files, read %d bytes to hash, in %.2f s", len(paths), read, elapsed)
    return states


# After a crash, how long an announced upload may still be in the server's hands, and how
# long to wait for it before planning it again (recovery.unseen_recent_uploads).
_SETTLE_WITHIN = 30.0
_SETTLE_PAUSES = (0.5, 1.0, 1.5)


def _settled(
    root: Path, recorded: Lockfile, remote: RemoteState, relist: Callable[[], RemoteState]
) -> RemoteState:
    """The catalog once the uploads a killed run just sent have landed (or a few seconds)."""
    for pause in _SETTLE_PAUSES:
        unseen = unseen_recent_uploads(root, recorded, remote.videos, _SETTLE_WITHIN)
        if not unseen:
            break
        log.warning(
            "waiting %.1f s for %d upload(s) an interrupted run sent moments ago", pause, unseen
        )
        time.sleep(pause)
        remote = relist()
    return remote


def _note_default_spared(
    manifest: DesiredState, recorded: Lockfile, remote: RemoteState, plan: Plan
) -> None:
    """Say once what `--prune` left in `default`, where it pruned before --prune-default."""
    if not any(v.group == DEFAULT_GROUP for v in manifest.videos):
        return  # the manifest does not use `default`: --prune never reached it
    known = {e.video_id for e in recorded.videos.values()}
    known |= {a.video_id for a in plan.actions if a.video_id}
    spared = sum(
        1 for v in remote.videos if v.group_id == DEFAULT_GROUP and v.video_id not in known
    )
    if spared:
        videos = "video" if spared == 1 else "videos"
        log.warning(
            "--prune leaves the %d unmanaged %s in the shared group `default` alone (other "
            "catalogs may keep theirs there); add --prune-default to delete them too",
            spared,
            videos,
        )


def make_plan(
    manifest_path: Path,
    *,
    api_url: str,
    api_key: str | None,
    prune: bool = False,
    prune_default: bool = False,
    allow_protected: bool = False,
    max_delete: int | None = None,
    max_delete_percent: int | None = DEFAULT_MAX_DELETE_PERCENT,
    allow_empty: bool = False,
    remote: RemoteState | None = None,
    api_version: ApiVersionChoice = "v1",
) -> PlanRun:
    """Compute the plan for the manifest at `manifest_path` against the live catalog.

    `api_version` is the Vision API version to speak (`auto`: v2 where the server serves
    it, unless the manifest writes fields only v1 carries); a manifest that writes fields
    the chosen version cannot carry is refused (`ManifestInvalid`, exit 3), each at its
    `file:line`.

    The returned plan carries fingerprints of its inputs (for `plan --out`). `remote`
    replaces the list calls with a catalog already fetched. `prune` deletes the unmanaged
    videos in the groups the manifest uses, in the shared `default` group only with
    `prune_default` too (a warning says how many it left there).
    """
    if prune_default and not prune:
        raise InvalidSetting("--prune-default widens --prune to `default`: give both")
    # Planning a large catalog allocates millions of long-lived objects and frees almost
    # none: the cyclic collector would rescan them over and over, for nothing to collect.
    with collector_paused():
        return _make_plan(
            manifest_path,
            api_url=api_url,
            api_key=api_key,
            prune=prune,
            prune_default=prune_default,
            allow_protected=allow_protected,
            max_delete=max_delete,
            max_delete_percent=max_delete_percent,
            allow_empty=allow_empty,
            remote=remote,
            api_version=api_version,
        )


def _make_plan(
    manifest_path: Path,
    *,
    api_url: str,
    api_key: str | None,
    prune: bool,
    prune_default: bool,
    allow_protected: bool,
    max_delete: int | None,
    max_delete_percent: int | None,
    allow_empty: bool,
    remote: RemoteState | None,
    api_version: ApiVersionChoice,
) -> PlanRun:
    manifest = load_manifest(manifest_path)
    api_version = choose_api_version(api_version, manifest)
    if api_version != "auto":
        # Known before any call: a field this version cannot carry stops the plan now.
        manifest.check_api_version(api_version)
    elif {f.version for f in manifest.version_fields} == {"v1", "v2"}:
        manifest.check_api_version("v2")  # refused under either version: say it now
    lock_path = lockfile_path(manifest.path)
    recorded, lock_bytes = read_lockfile(lock_path)
    if remote is not None:
        # A catalog given, not listed here: a field its version cannot carry is never
        # dropped silently (file:line, what to do). A listing checks it as it learns it.
        manifest.check_api_version(remote.api_version)
        local = local_states(manifest, recorded)
    else:
        # Input is valid and a key is there: list the catalog while the files are stat'ed
        # (and, where needed, hashed) here; one waits on the network, the other on disk.
        key = require_api_key(api_key)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="list") as pool:
            listing = pool.submit(
                fetch_remote, api_url, key, api_version=api_version, manifest=manifest
            )
            local = local_states(manifest, recorded)
            remote = listing.result()
        version = remote.api_version
        remote = _settled(
            manifest.root,
            recorded,
            remote,
            lambda: fetch_remote(api_url, key, api_version=version, manifest=manifest),
        )
    # An interrupted apply left a journal: plan from the state it recorded (recovery.py).
    recorded, local, recovered = recover_inputs(manifest, recorded, remote, local)
    if recovered:
        lock_bytes = lockfile_text(recorded)  # what apply saves before it starts
    plan = compute_plan(
        manifest,
        recorded,
        remote.videos,
        remote.groups,
        local=local,
        prune=prune,
        prune_default=prune_default,
        allow_protected=allow_protected,
        max_delete=max_delete,
        max_delete_percent=max_delete_percent,
        allow_empty=allow_empty,
        api_version=remote.api_version,
        feature_dependencies=remote.feature_dependencies,
    )
    if plan.migrate_from is not None:
        log.warning(
            "the lockfile was recorded under API %s: apply records the catalog under %s "
            "(same service, same video ids: nothing is uploaded for that)",
            plan.migrate_from,
            plan.api_version,
        )
    if prune and not prune_default:
        _note_default_spared(manifest, recorded, remote, plan)
    fingerprints = Fingerprints(
        manifest=manifest.digest,
        lockfile=fingerprint_bytes(lock_bytes),
        remote=fingerprint_remote(remote.videos, remote.groups),
        local=fingerprint_local(local),
    )
    return PlanRun(
        plan=replace(plan, fingerprints=fingerprints),
        manifest_path=manifest.path,
        lockfile_path=lock_path,
        recorded=recorded,
        remote=remote,
        local=local,
    )
