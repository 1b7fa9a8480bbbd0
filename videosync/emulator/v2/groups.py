"""v2 video-group routes: create, list, get, PATCH, delete, list members, move members.

The groups are v1's (same store, limits and metadata rules); what differs is stated in
`decisions`: an empty PATCH is accepted, a delete ungroups the members, and a move's
destination is always a real group.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from videosync.emulator import groups
from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_json
from videosync.emulator.groups import changed_group, new_group
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import GroupRecord
from videosync.emulator.v2.decisions import DELETE_GROUP_UNGROUPS_VIDEOS, MOVE_IS_ALL_OR_NOTHING
from videosync.emulator.v2.spec import validated
from videosync.emulator.v2.videos import videos_of
from videosync.emulator.views import group_view
from videosync.model import DEFAULT_GROUP

__all__ = ["ROUTES"]

_PREFIX = "orchestrator__api__v2__models__"


def _existing(state: EmulatorState, request: Request) -> GroupRecord:
    tenant = tenant_of(request, state.config)
    group_id = request.path_params["group_id"]
    group = state.store.group(tenant, group_id)
    if group is None:
        raise Problem(404, "Video group not found", param="group_id")
    return group


async def create_group(request: Request) -> Response:
    """POST /v2/video-groups {"name", "metadata"?}: 200 and the group."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    body = validated(await read_json(request), _PREFIX + "VideoGroupCreateRequest")
    return JSONResponse(group_view(new_group(state, tenant, body)))


async def get_group(request: Request) -> Response:
    state = state_of(request)
    return JSONResponse(group_view(_existing(state, request)))


async def update_group(request: Request) -> Response:
    """PATCH /v2/video-groups/{id} {"name"?, "metadata"?}: metadata replaces; `{}` is a no-op."""
    state = state_of(request)
    group = _existing(state, request)
    body = validated(await read_json(request), _PREFIX + "VideoGroupUpdateRequest")
    name, metadata = body.get("name"), body.get("metadata")
    if name is None and metadata is None:
        return JSONResponse(group_view(group))
    if name is not None and not name.strip():
        raise Problem(400, "name must not be empty", param="name")
    changed = changed_group(group, name, metadata)
    state.store.update_group(changed)
    return JSONResponse(group_view(changed))


async def delete_group(request: Request) -> Response:
    """DELETE /v2/video-groups/{id}: the group goes; its videos stay, ungrouped."""
    state = state_of(request)
    group = _existing(state, request)
    ungroup_to = DEFAULT_GROUP if DELETE_GROUP_UNGROUPS_VIDEOS else None
    held = state.store.delete_group(group.tenant, group.group_id, ungroup_to=ungroup_to)
    if held:
        raise Problem(409, f"Video group still holds {held} video(s)", param="group_id")
    return JSONResponse({"status": "success", "message": "Video group deleted successfully"})


async def group_videos(request: Request) -> Response:
    """GET /v2/video-groups/{id}/videos: the group's videos."""
    state = state_of(request)
    group = _existing(state, request)
    videos = [v for v in state.store.videos(group.tenant) if v.group_id == group.group_id]
    return videos_of(state, request, videos)


async def move_videos(request: Request) -> Response:
    """POST /v2/video-groups/{id}/videos {"video_ids"}: all move, or none (404)."""
    state = state_of(request)
    group = _existing(state, request)
    body = validated(await read_json(request), _PREFIX + "VideoMoveGroupRequest")
    ids = list(dict.fromkeys(body["video_ids"]))
    missing = state.store.move_videos(group.tenant, ids, group.group_id)
    if missing and MOVE_IS_ALL_OR_NOTHING:
        raise Problem(
            404, f"Video(s) not found, nothing moved: {', '.join(missing)}", param="video_ids"
        )
    return JSONResponse(
        {"status": "success", "moved_count": len(ids), "group_id": group.group_id, "video_ids": ids}
    )


ROUTES: list[BaseRoute] = [
    Route("/v2/video-groups", groups.list_groups, methods=["GET"]),  # v1's answer, as is
    Route("/v2/video-groups", create_group, methods=["POST"]),
    Route("/v2/video-groups/{group_id}", get_group, methods=["GET"]),
    Route("/v2/video-groups/{group_id}", update_group, methods=["PATCH"]),
    Route("/v2/video-groups/{group_id}", delete_group, methods=["DELETE"]),
    Route("/v2/video-groups/{group_id}/videos", group_videos, methods=["GET"]),
    Route("/v2/video-groups/{group_id}/videos", move_videos, methods=["POST"]),
]
