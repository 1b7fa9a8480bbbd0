"""Reading the Vision API's JSON answers into videosync's values and errors.

Shapes are those of `api/NOTES.md` (v1) and `emulator/v2/REFERENCE.md` §3 (v2): one
`parse_video` reads both, since a v2 Video differs only by the fields it adds (`status`,
`features`, `error`) and drops (`indexing_status`, `indexing_type`). Parsing is lenient
where the API is loose (unknown fields ignored, optional fields null or of an odd type read
as None) and strict where videosync depends on a value (`results`, `video_id`, `group_id`):
a body that lacks one is a `MalformedResponse`, never a KeyError or TypeError far from the
call that caused it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from videosync.errors import (
    ApiError,
    AuthError,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
)
from videosync.model import DEFAULT_GROUP, RemoteGroup, RemoteVideo

__all__ = [
    "FeaturePlan",
    "UploadResult",
    "error_for_status",
    "parse_feature_catalog",
    "parse_feature_plan",
    "parse_group",
    "parse_groups",
    "parse_json",
    "parse_trigger",
    "parse_upload",
    "parse_videos",
]


@dataclass(frozen=True)
class FeaturePlan:
    """v2's `features/plan` answer: where a video stands on the way to its desired features."""

    statuses: Mapping[str, str]
    actionable: tuple[str, ...]
    processing: tuple[str, ...]
    blocked: tuple[str, ...]
    errors: Mapping[str, str]
    done: bool


@dataclass(frozen=True)
class UploadResult:
    """What the server said about an accepted upload."""

    video_id: str
    status: str
    """Whatever string the server sent ("upload_initiated", "download_initiated", ...)."""
    size: int | None = None
    """Bytes of the file streamed in the attempt that succeeded (file uploads only)."""
    digest: str | None = None
    """Hex digest of exactly those bytes, when the caller asked for one."""


def parse_json(body: bytes, content_type: str, *, status: int, call: str) -> Any:
    """Decode a response body, or raise `MalformedResponse` saying what came instead."""
    try:
        return json.loads(body)
    except ValueError:
        pass
    kind = content_type.split(";", maxsplit=1)[0].strip() or "no content type"
    if not body.strip():
        what = f"an empty body ({kind})"
    else:
        what = f"{kind}, not JSON: {_excerpt(body)!r}"
    raise MalformedResponse(f"the server answered with {what}", status=status, call=call)


def _excerpt(body: bytes, limit: int = 80) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _malformed(what: str, call: str, status: int) -> MalformedResponse:
    return MalformedResponse(f"unexpected response: {what}", status=status, call=call)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _results(data: Any, call: str, status: int) -> list[Any]:
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        raise _malformed("no `results` list in the body", call, status)
    results: list[Any] = data["results"]
    return results


def parse_video(item: Any, *, call: str, status: int = 200) -> RemoteVideo:
    """One Video object of either version; only `video_id` is required.

    v2 has no `indexing_status`; its upload `status` says whether the copy is usable. A v2
    video whose upload `failed` (a download that failed, a file that is no video) is read
    with `indexing_status` "failed", which is what the planner and `--wait` take for a
    failed copy in either version; any other v2 video has `indexing_status` None.
    """
    if not isinstance(item, Mapping):
        raise _malformed(
            f"a video that is not an object: {_excerpt(json.dumps(item).encode())}", call, status
        )
    video_id = item.get("video_id")
    if not isinstance(video_id, str) or not video_id:
        raise _malformed("a video without `video_id`", call, status)
    meta = item.get("metadata")
    if not isinstance(meta, Mapping):
        meta = {}  # v2: null until an upload from a URL has arrived
    upload_status = _str_or_none(item.get("status"))
    indexing_status = _str_or_none(item.get("indexing_status"))
    if indexing_status is None and upload_status == "failed":
        indexing_status = "failed"
    return RemoteVideo(
        video_id=video_id,
        name=_str_or_none(meta.get("video_name")),
        # v1 documents `default` as the group of a video that has none; v2 sends null.
        group_id=_str_or_none(item.get("group_id")) or DEFAULT_GROUP,
        indexing_status=indexing_status,
        source=_str_or_none(meta.get("source")),
        start_ms=_int_or_none(meta.get("video_start_timestamp_utc_ms")),
        width=_int_or_none(meta.get("width")),
        height=_int_or_none(meta.get("height")),
        duration=_float_or_none(meta.get("duration")),
        avg_fps=_float_or_none(meta.get("avg_fps")),
        indexing_type=_str_or_none(item.get("indexing_type")),
        title=_str_or_none(meta.get("title")),
        description=_str_or_none(meta.get("description")),
        status=upload_status,
        features=_statuses(item.get("features")),
    )


def _statuses(value: Any) -> dict[str, str] | None:
    """A map of feature → status; None when absent or not a map (v1 sends none)."""
    if not isinstance(value, Mapping):
        return None
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def parse_videos(data: Any, *, call: str, status: int = 200) -> list[RemoteVideo]:
    """`{"results": [Video, ...]}`."""
    return [parse_video(item, call=call, status=status) for item in _results(data, call, status)]


def parse_group(data: Any, *, call: str, status: int = 200) -> RemoteGroup:
    """One Group: `group_id` and `name` required, `metadata` an object (null read as {})."""
    if not isinstance(data, Mapping):
        raise _malformed("a group that is not an object", call, status)
    group_id, name = data.get("group_id"), data.get("name")
    if not isinstance(group_id, str) or not group_id:
        raise _malformed("a group without `group_id`", call, status)
    if not isinstance(name, str):
        raise _malformed(f"group {group_id} without a `name`", call, status)
    metadata = data.get("metadata")
    return RemoteGroup(
        group_id=group_id,
        name=name,
        metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
        created_at=_str_or_none(data.get("created_at")),
        updated_at=_str_or_none(data.get("updated_at")),
    )


def parse_groups(data: Any, *, call: str, status: int = 200) -> list[RemoteGroup]:
    """`{"results": [Group, ...]}`."""
    return [parse_group(item, call=call, status=status) for item in _results(data, call, status)]


def parse_upload(data: Any, *, call: str, status: int = 200) -> UploadResult:
    """v1's `{"video_id", "status", "video_s3_url"}` or v2's 202 `{"video_id", "status",
    "metadata"}`; a missing status is v1's default."""
    if not isinstance(data, Mapping):
        raise _malformed("the upload answer is not an object", call, status)
    video_id = data.get("video_id")
    if not isinstance(video_id, str) or not video_id:
        raise _malformed("the upload answer has no `video_id`", call, status)
    return UploadResult(
        video_id=video_id, status=_str_or_none(data.get("status")) or "upload_initiated"
    )


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(value)


def parse_feature_catalog(data: Any, *, call: str, status: int = 200) -> dict[str, tuple[str, ...]]:
    """`{"features": [{"name", "depends_on", ...}, ...]}` → each name and its dependencies."""
    features = data.get("features") if isinstance(data, Mapping) else None
    if not isinstance(features, list):
        raise _malformed("no `features` list in the body", call, status)
    catalog: dict[str, tuple[str, ...]] = {}
    for info in features:
        name = info.get("name") if isinstance(info, Mapping) else None
        if not isinstance(name, str) or not name:
            raise _malformed("a feature without `name`", call, status)
        depends_on = _strings(info.get("depends_on", []))
        if depends_on is None:
            raise _malformed(f"feature {name} has no list of names in `depends_on`", call, status)
        catalog[name] = depends_on
    return catalog


def parse_feature_plan(data: Any, *, call: str, status: int = 200) -> FeaturePlan:
    """The `features/plan` answer; `statuses`, the three lists and `done` are required."""
    if not isinstance(data, Mapping):
        raise _malformed("the feature plan is not an object", call, status)
    statuses = data.get("statuses")
    if not isinstance(statuses, Mapping):
        raise _malformed("a feature plan without `statuses`", call, status)
    lists: dict[str, tuple[str, ...]] = {}
    for field in ("actionable", "processing", "blocked"):
        names = _strings(data.get(field))
        if names is None:
            raise _malformed(f"a feature plan without a list of names in `{field}`", call, status)
        lists[field] = names
    done = data.get("done")
    if not isinstance(done, bool):
        raise _malformed("a feature plan without `done`", call, status)
    errors = data.get("errors")
    return FeaturePlan(
        statuses=_statuses(statuses) or {},
        actionable=lists["actionable"],
        processing=lists["processing"],
        blocked=lists["blocked"],
        errors=_statuses(errors) or {},
        done=done,
    )


def parse_trigger(data: Any, *, call: str, status: int = 200) -> str:
    """A feature trigger's answer `{video_id, feature, status}`: the feature's status."""
    feature_status = data.get("status") if isinstance(data, Mapping) else None
    if not isinstance(feature_status, str) or not feature_status:
        raise _malformed("the trigger answer has no `status`", call, status)
    return feature_status


def _server_message(data: Any) -> tuple[str | None, Any]:
    """The human message and the raw detail from either error envelope (`api/NOTES.md`)."""
    if not isinstance(data, Mapping):
        return None, None
    error = data.get("error")
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        param = error.get("param")
        suffix = f" ({param})" if isinstance(param, str) and param else ""
        return error["message"] + suffix, data.get("detail", error)
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail, detail
    if isinstance(detail, list):  # FastAPI's 422: [{"loc": [...], "msg": "...", ...}]
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                loc = item.get("loc")
                where = (
                    ".".join(str(p) for p in loc if p != "body") if isinstance(loc, list) else ""
                )
                msg = str(item.get("msg", item))
                parts.append(f"{where}: {msg}" if where else msg)
            else:
                parts.append(str(item))
        return "; ".join(parts) or None, detail
    if detail is not None:
        return json.dumps(detail, sort_keys=True), detail
    return None, None


def error_for_status(
    status: int,
    body: bytes,
    content_type: str,
    *,
    call: str,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The `ApiError` for a non-2xx answer, with the server's own message when it gave one."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    message, detail = _server_message(data)
    if message is None:
        kind = content_type.split(";", maxsplit=1)[0].strip()
        message = f"the server gave no error message ({kind or 'empty body'})"
        if data is None and body.strip():
            message = f"the server answered with {kind or 'a body'}, not JSON: {_excerpt(body)!r}"
    cls: type[ApiError]
    if status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFound
    elif status == 429:
        cls = RateLimited
    elif 500 <= status <= 599:
        cls = ServerError
    elif 400 <= status <= 499:
        cls = InvalidRequest
    else:  # 1xx/3xx: nothing we asked for; a redirect usually means a wrong --api-url
        cls = MalformedResponse
        message = f"unexpected HTTP {status} answer"
    error = cls(message, status=status, call=call, detail=detail, request_id=request_id)
    if isinstance(error, RateLimited):
        error.retry_after = retry_after
    return error
