"""The mass-delete rails: refuse a plan that would empty or gut the managed catalog.

The accidents they are for are rclone's and Terraform's classics: a manifest pointed at the
wrong folder (or a glob that no longer matches) resolves to nothing, and the plan deletes
every video the lockfile manages. Two rails, both on `plan` and `apply`:

- the *empty* rail: a manifest that resolves to zero videos while the lockfile manages some
  is refused outright, unless `--allow-empty`;
- the *percent* rail: a plan that deletes more than `--max-delete-percent` (default 50) of
  the managed videos is refused. "Managed" means the lockfile's entries (a replace's old copy
  still to delete is not one). A plan that deletes a single video is never refused by the
  percentage (1 of 1 is 100%, 1 of 2 is 50%): removing one entry is the most ordinary edit,
  and the accident it cannot catch, a manifest that lost its only video, is the empty rail's.

Like every guard (guards.py) a rail never removes an action: it adds a problem that names
the numbers and the flag, and a plan with problems is not applied (exit 5).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from videosync.model import Lockfile, is_orphan_key
from videosync.planning.plan import Action

__all__ = ["DEFAULT_MAX_DELETE_PERCENT", "managed_keys", "rail_problems"]

DEFAULT_MAX_DELETE_PERCENT = 50


def managed_keys(recorded: Lockfile) -> list[str]:
    """The lockfile's entries that count as managed videos (not a replace's leftovers)."""
    return [key for key in recorded.videos if not is_orphan_key(key)]


def rail_problems(
    actions: Sequence[Action],
    recorded: Lockfile,
    desired_keys: Collection[str],
    remote_ids: Collection[str],
    *,
    max_delete_percent: int | None = DEFAULT_MAX_DELETE_PERCENT,
    allow_empty: bool = False,
) -> tuple[str, ...]:
    """One line per rail that refuses the plan (empty when none does)."""
    managed = managed_keys(recorded)
    if not managed:
        return ()
    if not desired_keys:
        if allow_empty:
            # Asked for in so many words: emptying the catalog is the plan, not an accident.
            return ()
        return (
            f"the manifest resolves to 0 videos while the lockfile manages {len(managed)}: "
            f"applying it would delete all {len(managed)}; check the manifest's path and "
            "globs, or rerun with --allow-empty if the catalog is meant to be emptied",
        )
    if max_delete_percent is None or max_delete_percent >= 100:
        return ()
    managed_set = set(managed)
    deleted = sum(
        1
        for a in actions
        if a.resource == "video"
        and a.kind == "delete"
        and a.key in managed_set
        and a.video_id in remote_ids
    )
    if deleted <= 1 or deleted * 100 <= max_delete_percent * len(managed):
        return ()
    percent = deleted * 100 / len(managed)
    return (
        f"this plan deletes {deleted} of the {len(managed)} managed videos ({percent:.0f}%), "
        f"more than --max-delete-percent {max_delete_percent} allows; review it, then rerun "
        f"with --max-delete-percent {_enough(deleted, len(managed))} (or 100 to turn the "
        "rail off)",
    )


def _enough(deleted: int, managed: int) -> int:
    """The smallest whole percentage that lets `deleted` of `managed` through."""
    return min(100, -(-deleted * 100 // managed))
