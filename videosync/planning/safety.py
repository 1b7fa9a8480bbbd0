"""Safety: what stops a plan from being applied, and why, in the words of the flag that allows it.

A safety check never removes an action. It marks an action `blocked` (shown in the plan) or
adds a *problem* to the plan; a plan with problems is not applied (`PlanRefused`, exit 5).

Guards, one action at a time: `protect: true` entries are not replaced or deleted without
`--allow-protected`; a managed group is not deleted while videos stay in it; `--max-delete N`
caps the videos a plan deletes (replaced copies included).

The mass-delete rails, for rclone's and Terraform's classic accidents: a manifest pointed at
the wrong folder (or a glob that no longer matches) resolves to nothing, and the plan
deletes every video the lockfile manages.

- the *empty* rail: a manifest that resolves to zero videos while the lockfile manages some
  is refused outright, unless `--allow-empty`;
- the *percent* rail: a plan that deletes more than `--max-delete-percent` (default 50) of
  the managed videos is refused. "Managed" means the lockfile's entries (a replace's old copy
  still to delete is not one). A plan that deletes a single video is never refused by the
  percentage (1 of 1 is 100%, 1 of 2 is 50%): removing one entry is the most ordinary edit,
  and the accident it cannot catch, a manifest that lost its only video, is the empty rail's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from videosync.model import Lockfile, RemoteVideo, is_orphan_key
from videosync.planning.plan import Action

__all__ = [
    "DEFAULT_MAX_DELETE_PERCENT",
    "guard_group_delete",
    "guard_protect",
    "managed_keys",
    "problems_of",
    "rail_problems",
]

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


# --- guards ---------------------------------------------------------------------------


def guard_protect(
    action: Action, allow_protected: bool, remote: Mapping[str, RemoteVideo]
) -> Action:
    """Block the replace or delete of a `protect: true` entry unless --allow-protected."""
    if allow_protected or not action.protect or action.kind not in ("delete", "replace"):
        return action
    if action.video_id not in remote:
        return action  # nothing left on the server to protect
    verb = "deleted" if action.kind == "delete" else "replaced"
    return replace(
        action, blocked=f"protected (protect: true): not {verb} without --allow-protected"
    )


def guard_group_delete(
    action: Action, remote_videos: Sequence[RemoteVideo], deleted: set[str]
) -> Action:
    """Block a group delete while videos this plan does not delete are still in it."""
    if action.resource != "group" or action.kind != "delete":
        return action
    left = sum(
        1 for v in remote_videos if v.group_id == action.group_id and v.video_id not in deleted
    )
    if not left:
        return action
    return replace(
        action,
        blocked=f"it still holds {left} video(s) this plan does not delete; "
        "move or delete them first",
    )


def problems_of(
    actions: Sequence[Action], remote: Mapping[str, RemoteVideo], max_delete: int | None
) -> tuple[str, ...]:
    """Why the plan must not be applied: one line per guard that refuses it."""
    problems: list[str] = []
    protected = [a.key for a in actions if a.blocked and a.resource == "video"]
    if protected:
        listed = ", ".join(protected[:5]) + (", …" if len(protected) > 5 else "")
        problems.append(
            f"{len(protected)} protected entr{'y' if len(protected) == 1 else 'ies'} would be "
            f"replaced or deleted ({listed}); rerun with --allow-protected to allow it"
        )
    for a in actions:
        if a.blocked and a.resource == "group":
            problems.append(f"group {a.key} cannot be deleted: {a.blocked}")
    if max_delete is not None:
        deletes = sum(
            1
            for a in actions
            if a.kind == "delete" and a.resource == "video" and a.video_id in remote
        )
        replaces = sum(1 for a in actions if a.kind == "replace")
        if deletes + replaces > max_delete:
            problems.append(
                f"this plan deletes {deletes + replaces} videos ({deletes} deleted, {replaces} "
                f"replaced), more than --max-delete {max_delete} allows; review it, then "
                "raise --max-delete"
            )
    return tuple(problems)
