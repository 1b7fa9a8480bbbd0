"""The guards that stop a plan from being applied: protect, group deletes, `--max-delete`.

A guard never removes an action: it marks it `blocked` (shown in the plan) or adds a
problem, and a plan with problems is not applicable (DESIGN.md, "The plan").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from videosync.model import RemoteVideo
from videosync.planning.plan import Action

__all__ = ["guard_group_delete", "guard_protect", "problems_of"]


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
        deletes = sum(1 for a in actions if a.kind == "delete" and a.resource == "video"
                      and a.video_id in remote)  # fmt: skip
        replaces = sum(1 for a in actions if a.kind == "replace")
        if deletes + replaces > max_delete:
            problems.append(
                f"this plan deletes {deletes + replaces} videos ({deletes} deleted, {replaces} "
                f"replaced), more than --max-delete {max_delete} allows; review it, then "
                "raise --max-delete"
            )
    return tuple(problems)
