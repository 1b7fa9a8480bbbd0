"""Managed groups in the plan: created, updated in place, kept, released or deleted.

A group under the manifest's `groups:` with a name (and metadata) is managed: created when
missing, its name and metadata kept in sync, deleted once it leaves the manifest. A group
given by `id:` is only referenced: used, never changed. Pure, like the planner that calls it.
"""

from __future__ import annotations

from collections.abc import Mapping

from videosync.model import DesiredGroup, GroupSpec, Lockfile, LockGroup, RemoteGroup, duplicate_key
from videosync.ownership import (
    GROUP_MARKER,
    marked_groups,
    marker_of,
    unmarked_metadata,
    unrecorded_namesakes,
)
from videosync.planning.diff import diff_attributes
from videosync.planning.plan import Action, Change, short_id

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
    """Actions for managed groups, and the group_id of each that exists and stays.

    The server is the source of truth: a managed group the lockfile lacks (or records under
    an id that is gone) is adopted when the server holds one marked as videosync's group of
    that ref (`ownership.marked_groups`), and further marked copies are duplicates to delete.
    """
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
        others = recorded_ids - ({rec.group_id} if rec else set())
        marked = marked_groups(remote.values(), ref, others)
        if existing is None and marked:
            existing = marked[0]
            actions.append(_adopt(ref, spec, existing, rec))
        elif existing is None:
            actions.append(_create(ref, spec, rec, remote, recorded_ids))
        else:
            actions.append(_keep(ref, spec, existing))
        if existing is not None:
            ids[ref] = existing.group_id
            actions += [_duplicate(ref, g) for g in marked if g.group_id != existing.group_id]
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


def _create(
    ref: str,
    spec: GroupSpec,
    rec: LockGroup | None,
    remote: Mapping[str, RemoteGroup],
    recorded_ids: set[str],
) -> Action:
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
    return Action("group", "create", ref, cause, reason, group=spec)


def _changes(ref: str, spec: GroupSpec, existing: RemoteGroup) -> tuple[Change, ...]:
    """How the remote group differs from the manifest's, the marker aside (a group made
    before the marker existed gets it: shown as the one change)."""
    changes = diff_attributes(
        {"name": existing.name, "metadata": unmarked_metadata(existing.metadata)},
        spec.to_json(),
    )
    if marker_of(existing) != ref:
        changes += (Change(f"metadata.{GROUP_MARKER}", marker_of(existing), ref),)
    return changes


def _adopt(ref: str, spec: GroupSpec, found: RemoteGroup, rec: LockGroup | None) -> Action:
    """Record the group the server holds for `ref` (made by a run whose record is lost)."""
    changes = _changes(ref, spec, found)
    reason = (
        f"the lockfile is behind the server: it holds this group (marked as videosync's {ref!r}), "
        "which is recorded instead of created again"
    )
    if rec is not None:
        reason += f" (the recorded {short_id(rec.group_id)} is gone)"
    if changes:
        reason += "; then " + _changed(changes)
    return Action(
        resource="group",
        kind="adopt",
        key=ref,
        cause="behind",
        reason=reason,
        changes=changes,
        group_id=found.group_id,
        group=spec,
    )


def _keep(ref: str, spec: GroupSpec, existing: RemoteGroup) -> Action:
    changes = _changes(ref, spec, existing)
    if changes:
        return Action(
            resource="group",
            kind="update",
            key=ref,
            cause="changed",
            reason=_changed(changes),
            changes=changes,
            group_id=existing.group_id,
            group=spec,
        )
    return Action(
        resource="group",
        kind="noop",
        key=ref,
        cause="unchanged",
        reason="unchanged",
        group_id=existing.group_id,
        group=spec,
    )


def _changed(changes: tuple[Change, ...]) -> str:
    words = set()
    for c in changes:
        if c.attribute == f"metadata.{GROUP_MARKER}":
            words.add(f"marked as videosync's (metadata key {GROUP_MARKER!r})")
        else:
            words.add(f"{c.attribute.split('.')[0]} changed")
    return "; ".join(sorted(words))


def _duplicate(ref: str, group: RemoteGroup) -> Action:
    """A second group marked as `ref` (two runs created it): deleted once empty."""
    return Action(
        resource="group",
        kind="delete",
        key=duplicate_key(ref),
        cause="duplicate",
        reason=f"a duplicate of group {ref}: also made by videosync for it",
        group_id=group.group_id,
    )
