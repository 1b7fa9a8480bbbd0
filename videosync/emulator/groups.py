"""The video-group routes: create, list, get, update, delete, list and move their videos.

Rules (the group tutorial, NOTES.md): at most 10 custom groups per key; metadata is a JSON
object of at most 500 characters (compact JSON); PATCH needs a non-empty `name` or a
`metadata` object; DELETE is refused with 409 while a video is in the group. `default` is
not a group resource, but videos can be listed in and moved to it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_json
from videosync.emulator.inputs import video_ids
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import GroupRecord
from videosync.emulator.videos import render_videos
from videosync.emulator.views import group_view
from videosync.model import DEFAULT_GROUP

__all__ = [
    "changed_group",
    "create_group",
    "delete_group",
    "get_group",
    "group_videos",
    "list_groups",
    "move_videos",
    "new_group",
    "update_group",
]

MAX_GROUPS = 10
MAX_METADATA_CHARS = 500


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Problem(422, "name must be a non-empty string")
    return value.strip()


def _metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Problem(422, "metadata must be a JSON object")
    size = len(json.dumps(value, separators=(",", ":")))
    if size > MAX_METADATA_CHARS:
        raise Problem(
            422, f"metadata is {size} characters as JSON; at most {MAX_METADATA_CHARS} allowed"
        )
    return value


def _existing(state: EmulatorState, tenant: str, request: Request) -> GroupRecord:
    group_id = request.path_params["group_id"]
    group = state.store.group(tenant, group_id)
    if group is None:
        raise Problem(404, f"Group {group_id!r} not found")
    return group


def new_group(state: EmulatorState, tenant: str, body: dict[str, Any]) -> GroupRecord:
    """Create a group from a create request's body (name, metadata), within the limits."""
    metadata = body.get("metadata")
    now = _now()
    group = GroupRecord(
        group_id=str(uuid.uuid4()),
        tenant=tenant,
        name=_name(body.get("name")),
        metadata={} if metadata is None else _metadata(metadata),
        created_at=now,
        updated_at=now,
    )
    if not state.store.add_group(group, MAX_GROUPS):
        raise Problem(
            422, f"Group limit reached: at most {MAX_GROUPS} custom groups; delete one first"
        )
    return group


def changed_group(group: GroupRecord, name: Any, metadata: Any) -> GroupRecord:
    """`group` with a new name and/or metadata (None, and an empty name: unchanged)."""
    return GroupRecord(
        group_id=group.group_id,
        tenant=group.tenant,
        name=group.name if name in (None, "") else _name(name),
        metadata=group.metadata if metadata is None else _metadata(metadata),
        created_at=group.created_at,
        updated_at=_now(),
    )


async def create_group(request: Request) -> Response:
    """POST /videos/groups {"name", "metadata"?}."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    return JSONResponse(group_view(new_group(state, tenant, await read_json(request))))


async def list_groups(request: Request) -> Response:
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    return JSONResponse({"results": [group_view(g) for g in state.store.groups(tenant)]})


async def get_group(request: Request) -> Response:
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    return JSONResponse(group_view(_existing(state, tenant, request)))


async def update_group(request: Request) -> Response:
    """PATCH /videos/groups/{id} {"name"?, "metadata"?}: at least one of them, non-empty."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    group = _existing(state, tenant, request)
    body = await read_json(request)
    name, metadata = body.get("name"), body.get("metadata")
    if name in (None, "") and metadata is None:
        raise Problem(422, "Send at least one of a non-empty name and a metadata object")
    changed = changed_group(group, name, metadata)
    state.store.update_group(changed)
    return JSONResponse(group_view(changed))


async def delete_group(request: Request) -> Response:
    """DELETE /videos/groups/{id}: refused (409) while any video is in it."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    group = _existing(state, tenant, request)
    held = state.store.delete_group(tenant, group.group_id)
    if held:
        raise Problem(
            409,
            f"Group {group.group_id!r} still holds {held} video(s): delete or move them first",
        )
    return JSONResponse({"status": "success", "message": f"Group {group.group_id} deleted"})


def _target(state: EmulatorState, tenant: str, request: Request) -> str:
    group_id: str = request.path_params["group_id"]
    if group_id == DEFAULT_GROUP:
        return DEFAULT_GROUP
    return _existing(state, tenant, request).group_id


async def group_videos(request: Request) -> Response:
    """GET /videos/groups/{id}/videos: the videos in the group (`default` allowed)."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    group_id = _target(state, tenant, request)
    videos = [v for v in state.store.videos(tenant) if v.group_id == group_id]
    return render_videos(state, request, videos)


async def move_videos(request: Request) -> Response:
    """POST /videos/groups/{id}/videos {"video_ids"}: all move, or none if any is unknown."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    group_id = _target(state, tenant, request)
    ids = video_ids(await read_json(request), required=True)
    assert ids is not None  # required=True
    missing = state.store.move_videos(tenant, ids, group_id)
    if missing:
        raise Problem(404, f"Video(s) not found, nothing moved: {', '.join(missing)}")
    return JSONResponse(
        {"status": "success", "moved_count": len(ids), "group_id": group_id, "video_ids": ids}
    )
