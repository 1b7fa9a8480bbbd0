"""Managed groups in the plan: created, updated in place, kept, released or deleted.

A group under the manifest's `groups:` with a name (and metadata) is managed: created when
missing, its name and metadata kept in sync, deleted once it leaves the manifest. A group
given by `id:` is only referenced: used, never changed. Pure, like the planner that calls it.
"""

from __future__ import annotations

from collections.abc import Mapping

from videosync.model import DesiredGroup, GroupSpec, Lockfile, RemoteGroup
from videosync.ownership import unrecorded_namesakes
from videosync.planning.diff import diff_attributes
from videosync.planning.plan import Action, short_id

__all__ = ["plan_groups", "resolve_group"]


def resolve_group(
    ref: str, wanted: Mapping[str, DesiredGroup], ids: Mapping[str, str]
) -> str | None:
    """The group_id an entry's `group:` means; None for a managed group not created yet."""
    if ref in wanted:
        group = wanted[ref]
        return ids.get(ref) if group.managed else group.group_id
    return ref  # `default` or a group UUID, used as it is


def plan_groups(
    wanted: Mapping[str, DesiredGroup],
    recorded: Lockfile,
    remote: Mapping[str, RemoteGroup],
    literal_groups: set[str],
) -> tuple[list[Action], dict[str, str]]:
    """Actions for managed groups, and the group_id of each that exists and stays."""
    actions: list[Action] = []
    ids: dict[str, str] = {}
    recorded_ids = {g.group_id for g in recorded.groups.values()}
    for ref in sorted(wanted):
        group = wanted[ref]
        if not group.managed:
            continue
        spec = GroupSpec(group.name or ref, dict(group.metadata))
        rec = recorded.groups.get(ref)
        existing = remote.get(rec.group_id) if rec else None
        if rec is None or existing is None:
            if rec is None:
                cause, reason = "new", "new in the manifest"
            else:
                cause = "gone"
                reason = f"recorded group {short_id(rec.group_id)} no longer exists remotely"
            namesakes = unrecorded_namesakes(remote.values(), spec.name, recorded_ids)
            if namesakes:
                found = short_id(namesakes[0].group_id)
                reason += (
                    f"; a remote group named {spec.name!r} ({found}) exists that "
                    "videosync did not create: reference it with `id:` to use it instead"
                )
            actions.append(Action("group", "create", ref, cause, reason, group=spec))
            continue
        ids[ref] = rec.group_id
        changes = diff_attributes(
            {"name": existing.name, "metadata": existing.metadata}, spec.to_json()
        )
        if changes:
            reason = "; ".join(sorted({f"{c.attribute.split('.')[0]} changed" for c in changes}))
            actions.append(
                Action(
                    resource="group",
                    kind="update",
                    key=ref,
                    cause="changed",
                    reason=reason,
                    changes=changes,
                    group_id=rec.group_id,
                    group=spec,
                )
            )
        else:
            actions.append(
                Action(
                    resource="group",
                    kind="noop",
                    key=ref,
                    cause="unchanged",
                    reason="unchanged",
                    group_id=rec.group_id,
                    group=spec,
                )
            )
    referenced = {g.group_id for g in wanted.values() if not g.managed} | literal_groups
    for ref in sorted(recorded.groups.keys() - {r for r, g in wanted.items() if g.managed}):
        rec = recorded.groups[ref]
        if rec.group_id in referenced:
            actions.append(
                Action(
                    resource="group",
                    kind="noop",
                    key=ref,
                    cause="released",
                    reason="now referenced by id, no longer managed: the group is kept",
                    group_id=rec.group_id,
                )
            )
            continue
        gone = "" if rec.group_id in remote else " (already gone remotely)"
        actions.append(
            Action(
                resource="group",
                kind="delete",
                key=ref,
                cause="removed",
                reason=f"removed from the manifest{gone}",
                group_id=rec.group_id,
            )
        )
    return actions, ids
