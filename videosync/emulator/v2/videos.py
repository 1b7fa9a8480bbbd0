"""v2 video routes: upload (202), list, get, PATCH (rename, retitle, redescribe, move), delete.

Same store as v1: one catalog per API key, whichever version wrote it. A v2 upload runs no
feature; its `status` is `uploaded` in the 202 of a file (stored, probed and committed
before the answer, as in v1) and `uploading` for a `video_url` until the download ends,
with `metadata` holding the name, source and description at once and the media's fields
(width, height, duration…) null until then.
"""

from __future__ import annotations

import time
import uuid
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_json
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import VideoRecord
from videosync.emulator.uploads import UploadForm
from videosync.emulator.v2.decisions import (
    BAD_REQUEST_STATUS,
    FILE_UPLOAD_NAME_DEFAULTS_TO_FILENAME,
    PATCH_NULL_GROUP_UNGROUPS,
)
from videosync.emulator.v2.features import feature_map, upload_status
from videosync.emulator.v2.spec import check_uuid, validated
from videosync.emulator.videos import ingest
from videosync.emulator.views import metadata_view, signed_url
from videosync.model import DEFAULT_GROUP

__all__ = ["ROUTES", "render", "video_view", "videos_of"]


def video_view(
    state: EmulatorState,
    request: Request,
    video: VideoRecord,
    features: dict[str, str],
    now: float,
) -> dict[str, Any]:
    """The v2 `VideoResponse`: upload status, metadata, features, group (null: none)."""
    status = upload_status(video)
    stored = video.size is not None and video.error is None
    url = None
    if stored:
        url = signed_url(str(request.base_url), state.signer, video.video_id, now)
    return {
        "video_id": video.video_id,
        "url": url,
        "status": status,
        # While a `video_url` downloads, what the request said (name, source, description)
        # is known and the media's own fields are null (REFERENCE.md §10.4).
        "metadata": metadata_view(video),
        "features": features,
        "group_id": None if video.group_id == DEFAULT_GROUP else video.group_id,
        "error": video.error,
    }


def render(
    state: EmulatorState, request: Request, videos: list[VideoRecord], *, every: bool = False
) -> list[dict[str, Any]]:
    """The `VideoResponse` of each of `videos` (`every`: all of their tenant's), their
    features read at once."""
    now = time.time()
    ids = [v.video_id for v in videos]
    records = state.store.features(ids, tenant=videos[0].tenant if every and videos else None)
    delay = state.config.index_delay
    return [
        video_view(state, request, v, feature_map(v, records.get(v.video_id, []), now, delay), now)
        for v in videos
    ]


def videos_of(
    state: EmulatorState, request: Request, videos: list[VideoRecord], *, every: bool = False
) -> JSONResponse:
    """`{"results": [VideoResponse, ...]}`."""
    return JSONResponse({"results": render(state, request, videos, every=every)})


def _one(state: EmulatorState, request: Request) -> tuple[str, VideoRecord]:
    tenant = tenant_of(request, state.config)
    video_id = check_uuid(request.path_params["video_id"], "video_id")
    video = state.store.video(tenant, video_id)
    if video is None:
        raise Problem(404, "Video not found", param="video_id")
    return tenant, video


def _group(state: EmulatorState, tenant: str, group_id: str) -> str:
    if state.store.group(tenant, group_id) is None:
        raise Problem(404, f"Group {group_id!r} not found", param="group_id")
    return group_id


def _name(form: UploadForm, url: str) -> str:
    name = form.fields.get("video_name", "").strip()
    if name:
        return name
    if form.has_file and not (FILE_UPLOAD_NAME_DEFAULTS_TO_FILENAME and form.filename):
        raise Problem(
            BAD_REQUEST_STATUS, "video_name is required for a file upload", param="video_name"
        )
    if form.has_file:
        assert form.filename is not None
        return PurePosixPath(form.filename).name or form.filename
    return PurePosixPath(urlsplit(url).path).name or url


def _url(form: UploadForm) -> str:
    url = form.fields.get("video_url", "").strip()
    if form.has_file == bool(url):
        raise Problem(
            BAD_REQUEST_STATUS, "Send exactly one of 'file' and 'video_url'", param="file"
        )
    if not url:
        return ""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise Problem(
            BAD_REQUEST_STATUS, f"Invalid video_url format: {exc}", param="video_url"
        ) from None
    if scheme not in ("http", "https"):
        raise Problem(
            BAD_REQUEST_STATUS,
            f"Invalid video_url format: an http or https URL is needed, not {url!r}",
            param="video_url",
        )
    return url


async def _checked(state: EmulatorState, tenant: str, form: UploadForm) -> tuple[VideoRecord, str]:
    url = _url(form)
    name = _name(form, url)
    group_id = form.fields.get("group_id", "").strip()
    description = form.fields.get("description")
    video = VideoRecord(
        video_id=str(uuid.uuid4()),
        tenant=tenant,
        group_id=_group(state, tenant, group_id) if group_id else DEFAULT_GROUP,
        video_name=name,
        source=url or form.filename,
        start_ms=None,
        do_index=False,
        thumbnails=False,
        created_at=time.time(),
        ready_at=None,
        description=description if description else None,
    )
    return video, url


async def upload(request: Request) -> Response:
    """POST /v2/videos: multipart `file` or `video_url` (multipart or form-encoded); 202."""
    stored = await ingest(request, _checked)
    return JSONResponse(
        {
            "video_id": stored.video_id,
            "status": upload_status(stored),
            "metadata": metadata_view(stored),
        },
        status_code=202,
    )


async def list_videos(request: Request) -> Response:
    """GET /v2/videos[?ids=…]: every video of the key, or those of `ids` it has."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    ids = [check_uuid(i, "ids") for i in request.query_params.getlist("ids")] or None
    return videos_of(state, request, state.store.videos(tenant, ids), every=ids is None)


async def get_video(request: Request) -> Response:
    """GET /v2/videos/{video_id}."""
    state = state_of(request)
    _, video = _one(state, request)
    return JSONResponse(render(state, request, [video])[0])


def _text(body: dict[str, Any], name: str, *, allow_empty: bool) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if not text and not allow_empty:
        raise Problem(BAD_REQUEST_STATUS, f"{name} must not be empty", param=name)
    return text


async def update_video(request: Request) -> Response:
    """PATCH /v2/videos/{video_id}: name, title, description, group_id (null: ungroup)."""
    state = state_of(request)
    tenant, video = _one(state, request)
    body = validated(await read_json(request), "VideoMetadataUpdateRequest")
    changes: dict[str, Any] = {}
    name = _text(body, "name", allow_empty=False)
    if name is not None:
        changes["video_name"] = name
    for column in ("title", "description"):
        value = _text(body, column, allow_empty=True)
        if value is not None:
            changes[column] = value
    if "group_id" in body:
        target = body["group_id"]
        if target is None:
            if PATCH_NULL_GROUP_UNGROUPS:
                changes["group_id"] = DEFAULT_GROUP
        else:
            changes["group_id"] = _group(state, tenant, target)
    updated = state.store.update_video(tenant, video.video_id, **changes)
    if updated is None:
        raise Problem(404, "Video not found", param="video_id")
    return JSONResponse(render(state, request, [updated])[0])


async def delete_video(request: Request) -> Response:
    """DELETE /v2/videos/{video_id}: the video, its file and its features."""
    state = state_of(request)
    tenant, video = _one(state, request)
    if state.store.delete_videos(tenant, [video.video_id]):
        raise Problem(404, "Video not found", param="video_id")
    return JSONResponse({"status": "success", "message": "Video deleted successfully"})


ROUTES: list[BaseRoute] = [
    Route("/v2/videos", list_videos, methods=["GET"]),
    Route("/v2/videos", upload, methods=["POST"]),
    Route("/v2/videos/{video_id}", get_video, methods=["GET"]),
    Route("/v2/videos/{video_id}", update_video, methods=["PATCH"]),
    Route("/v2/videos/{video_id}", delete_video, methods=["DELETE"]),
]
