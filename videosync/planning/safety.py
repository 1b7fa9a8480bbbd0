"""Safety: what stops a plan from being applied, and why, in the words of the flag that allows it.

A safety check never removes an action. It marks an action `blocked` (shown in the plan) or
adds a *problem* to the plan; a plan with problems is not applied (`PlanRefused`, exit 5).

Guards, one action at a time: `protect: true` entries are not replaced or deleted without
`--allow-protected`; a managed group is not deleted while videos stay in it.

Every video a plan deletes on the server counts toward both delete rails, whatever deletes
it (`deleted_videos`): an entry removed from the manifest, a replace's old copy (deleted
once the new one is up, or left by an earlier run), the recorded copy an adopt supersedes,
a duplicate, an unmanaged video `--prune` deletes. A change to `defaults:` that replaces
every video deletes every old copy, and that is what the rails are for.

- `--max-delete N` caps the videos a plan deletes;
- the *percent* rail refuses a plan that deletes more than `--max-delete-percent` (default
  50) of the videos it can reach: the managed ones (recorded in the lockfile and still on
  the server, a replace's old copy still to delete included) and every other video it
  deletes (duplicates, and with `--prune` the unmanaged videos of the pruned groups; the
  unmanaged videos it leaves alone are not in its reach). So a `--prune` that would empty
  a shared group of another catalog's videos is measured against this catalog's size. A
  plan that deletes a single video is never refused by the percentage (1 of 1 is 100%,
  1 of 2 is 50%): removing one entry is the most ordinary edit, and the accident it cannot
  catch, a manifest that lost its only video, is the empty rail's;
- the *empty* rail, for rclone's and Terraform's classic accident: a manifest pointed at the
  wrong folder (or a glob that no longer matches) resolves to nothing, and the plan deletes
  every video the lockfile manages. It is refused outright, unless `--allow-empty`, which
  then lifts the percentage for the managed videos (emptying them is the plan), not for
  the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from videosync.model import Lockfile, RemoteVideo, is_orphan_key
from videosync.planning.plan import Action

__all__ = [
    "DEFAULT_MAX_DELETE_PERCENT",
    "deleted_videos",
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


# A delete's cause, in the word the --max-delete refusal counts it by.
_DELETE_CAUSES = {"duplicate": "duplicate", "unmanaged": "pruned"}


def deleted_videos(actions: Sequence[Action], remote_ids: Collection[str]) -> dict[str, str]:
    """Every video on the server the plan deletes, by id, with what deletes it in a word
    (`deleted`, `replaced`, `old copy`, `duplicate`, `pruned`)."""
    deleted: dict[str, str] = {}
    for a in actions:
        if a.resource != "video":
            continue
        if a.kind == "replace":
            video_id, why = a.video_id, "replaced"
        elif a.kind == "adopt":
            video_id, why = a.replaces, "old copy"
        elif a.kind == "delete":
            video_id, why = a.video_id, _DELETE_CAUSES.get(a.cause, "deleted")
            if is_orphan_key(a.key):
                why = "old copy"
        else:
            continue
        if video_id is not None and video_id in remote_ids:
            deleted.setdefault(video_id, why)
    return deleted


def rail_problems(
    actions: Sequence[Action],
    recorded: Lockfile,
    desired_keys: Collection[str],
    remote_ids: Collection[str],
    *,
    max_delete_percent: int | None = DEFAULT_MAX_DELETE_PERCENT,
    allow_empty: bool = False,
) -> tuple[str, ...]:
    """One line per mass-delete rail that refuses the plan (empty when none does)."""
    managed = managed_keys(recorded)
    emptying = bool(managed) and not desired_keys
    if emptying and not allow_empty:
        return (
            f"the manifest resolves to 0 videos while the lockfile manages {len(managed)}: "
            f"applying it would delete all {len(managed)}; check the manifest's path and "
            "globs, or rerun with --allow-empty if the catalog is meant to be emptied",
        )
    if max_delete_percent is None or max_delete_percent >= 100:
        return ()
    on_server = {e.video_id for e in recorded.videos.values() if e.video_id in remote_ids}
    deleted = deleted_videos(actions, remote_ids)
    others = {video_id: why for video_id, why in deleted.items() if video_id not in on_server}
    reach = len(on_server) + len(others)
    # --allow-empty asked for the managed videos to go, in so many words; not for others.
    count = len(others) if emptying else len(deleted)
    if count <= 1 or count * 100 <= max_delete_percent * reach:
        return ()
    percent = f"{count * 100 / reach:.0f}%"
    if others:
        kinds = Counter(others.values())
        extra = " and ".join(
            f"{kinds[why]} {phrase}" for why, phrase in _BEYOND_MANAGED if kinds[why]
        )
        what = f"{count} of the {reach} videos it can reach ({percent}: the {len(on_server)} "
        what += f"managed, plus {extra})"
    else:
        what = f"{count} of the {reach} managed videos ({percent})"
    return (
        f"this plan deletes {what}, more than --max-delete-percent {max_delete_percent} "
        f"allows; review it, then rerun with --max-delete-percent {_enough(count, reach)} "
        "(or 100 to turn the rail off)",
    )


# The videos a plan can delete beyond the managed ones, as its refusal names them.
_BEYOND_MANAGED = (
    ("pruned", "unmanaged that --prune deletes"),
    ("duplicate", "duplicates of managed entries"),
    ("old copy", "old copies"),
    ("replaced", "replaced copies"),
    ("deleted", "others"),
)


def _enough(deleted: int, reach: int) -> int:
    """The smallest whole percentage that lets `deleted` of `reach` through."""
    return min(100, -(-deleted * 100 // reach))


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
        deleted = Counter(deleted_videos(actions, remote.keys()).values())
        total = sum(deleted.values())
        if total > max_delete:
            counts = [f"{deleted['deleted']} deleted", f"{deleted['replaced']} replaced"]
            counts += [
                f"{deleted[why]} {why if deleted[why] == 1 else plural}"
                for why, plural in _COUNTED
                if deleted[why]
            ]
            problems.append(
                f"this plan deletes {total} videos ({', '.join(counts)}), more than "
                f"--max-delete {max_delete} allows; review it, then raise --max-delete"
            )
    return tuple(problems)


_COUNTED = (("old copy", "old copies"), ("duplicate", "duplicates"), ("pruned", "pruned"))
