"""v2 reads of a video's results (transcript, captions, scenes, objects) and segment.

The four reads answer token pages, `{"data": [...], "next_page_token": str | null}`, of
what `content` derives: real times and scene cuts, synthetic words. Each needs its feature
ready (a 409 otherwise, as reading any feature not ready); segment needs only an uploaded
video. `paginate` is the one page-token scheme, shared with search.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_json
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import VideoRecord
from videosync.emulator.v2.content import Span, VideoContent, content_of, segment_frames
from videosync.emulator.v2.decisions import (
    CONFLICT_STATUS,
    PAGE_TOKEN_BOUND_TO_QUERY,
    READ_TIME_RANGE_OVERLAPS,
    SCENE_INDEX_BASE,
    SCENES_NEED_SCENE_DETECTION,
    SEGMENT_MAX_WINDOW,
    TRANSCRIPT_WORD_IS_A_SEGMENT,
    VALIDATION_STATUS,
)
from videosync.emulator.v2.features import require_ready, statuses_of, upload_status
from videosync.emulator.v2.spec import validated

__all__ = ["ROUTES", "invalid", "paginate", "video_of"]

Item = TypeVar("Item")

_READ_PAGE_LIMIT = 50
_FORMATS = ("segments", "words", "text")


def invalid(where: str, name: str, message: str, kind: str = "value_error") -> Problem:
    """A 422 naming `name`, with a FastAPI-style detail at `[where, name]`."""
    return Problem(
        VALIDATION_STATUS,
        f"{name}: {message}",
        param=name,
        details=[{"loc": [where, name], "msg": message, "type": kind}],
    )


def _fingerprint(key: Any) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _offset(token: str | None, fingerprint: str, where: str) -> int:
    if token is None:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset, of = decoded["o"], decoded["q"]
    except (ValueError, UnicodeError, binascii.Error, KeyError, TypeError):
        raise invalid(where, "page_token", "not a page token of this API") from None
    if of != fingerprint or not isinstance(offset, int) or offset < 0:
        raise invalid(where, "page_token", "the page token belongs to another query")
    return offset


def _token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def paginate(
    items: Sequence[Item], limit: int, token: str | None, key: Any, where: str = "query"
) -> tuple[Sequence[Item], int, str | None]:
    """One page of `items`: the page, its offset, and the token of the next (None: last).

    `key` identifies the query (not its page size): a token works only for the query it
    came from.
    """
    fingerprint = _fingerprint(key if PAGE_TOKEN_BOUND_TO_QUERY else None)
    offset = _offset(token, fingerprint, where)
    page = items[offset : offset + limit]
    following = offset + limit
    return page, offset, _token(following, fingerprint) if following < len(items) else None


def _number(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise invalid("query", name, "Input should be a valid number", "float_parsing") from None
    if not math.isfinite(value):
        raise invalid("query", name, "Input should be a finite number", "finite_number")
    return value


def _page_limit(request: Request) -> int:
    raw = request.query_params.get("page_limit")
    if raw is None:
        return _READ_PAGE_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise invalid(
            "query", "page_limit", "Input should be a valid integer", "int_parsing"
        ) from None
    if limit < 1:
        raise invalid("query", "page_limit", "Input should be greater than or equal to 1")
    return limit


def video_of(state: EmulatorState, request: Request, video_id: str) -> VideoRecord:
    """The caller's video `video_id`, or a 404 naming `video_id`."""
    tenant = tenant_of(request, state.config)
    video = state.store.video(tenant, video_id)
    if video is None:
        raise Problem(404, "Video not found", param="video_id")
    return video


def _overlapping(
    items: Iterable[Item], span: Callable[[Item], tuple[float, float]], request: Request
) -> list[Item]:
    """The items in the request's `start`/`end` range (overlapping it, see the decision)."""
    start, end = _number(request, "start"), _number(request, "end")
    low = -math.inf if start is None else start
    high = math.inf if end is None else end
    if READ_TIME_RANGE_OVERLAPS:
        return [item for item in items if span(item)[1] > low and span(item)[0] < high]
    return [item for item in items if span(item)[0] >= low and span(item)[1] <= high]


def _page(request: Request, items: list[dict[str, Any]], key: Any) -> JSONResponse:
    """`{"data", "next_page_token"}` of the page the request's query asks for."""
    page, _, following = paginate(
        items, _page_limit(request), request.query_params.get("page_token"), key
    )
    return JSONResponse({"data": list(page), "next_page_token": following})


async def _ready_content(request: Request, feature: str) -> tuple[VideoContent, dict[str, Any]]:
    """The video's content if `feature` is ready on it, and the feature's trigger options."""
    state = state_of(request)
    video = video_of(state, request, request.path_params["video_id"])
    record = require_ready(state, video, feature)
    transcript = record if feature == "transcript" else require_ready(state, video, "transcript")
    content = await content_of(state, video, transcript.options if transcript else None)
    return content, record.options if record is not None else {}


def _query_key(request: Request, route: str, *names: str) -> list[Any]:
    return [route, request.path_params["video_id"], *(request.query_params.get(n) for n in names)]


def _span_view(span: Span) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "text": span.text}


def _word_view(word: Span) -> dict[str, Any]:
    if TRANSCRIPT_WORD_IS_A_SEGMENT:
        return _span_view(word)
    return {"word": word.text, "start": word.start, "end": word.end}


async def transcript(request: Request) -> Response:
    """GET /v2/videos/{id}/transcript?format=segments|words|text."""
    fmt = request.query_params.get("format") or "segments"
    if fmt not in _FORMATS:
        raise invalid("query", "format", f"Input should be one of {', '.join(_FORMATS)}", "enum")
    content, _ = await _ready_content(request, "transcript")
    spans = content.words() if fmt == "words" else list(content.segments)
    kept = _overlapping(spans, lambda s: (s.start, s.end), request)
    if fmt == "text":
        return JSONResponse({"text": " ".join(s.text for s in kept)})
    key = _query_key(request, "transcript", "format", "start", "end")
    view = _word_view if fmt == "words" else _span_view
    return _page(request, [view(s) for s in kept], key)


async def captions(request: Request) -> Response:
    """GET /v2/videos/{id}/captions: one caption per chunk."""
    content, _ = await _ready_content(request, "captions")
    kept = _overlapping(content.chunks, lambda c: (c.start, c.end), request)
    items = [{"start": c.start, "end": c.end, "caption": c.caption} for c in kept]
    return _page(request, items, _query_key(request, "captions", "start", "end"))


async def scenes(request: Request) -> Response:
    """GET /v2/videos/{id}/scenes: the real scene cuts (transcript with scene detection)."""
    state = state_of(request)
    video = video_of(state, request, request.path_params["video_id"])
    statuses = statuses_of(state, video, time.time())
    if SCENES_NEED_SCENE_DETECTION and "scenes" not in statuses:
        raise Problem(
            CONFLICT_STATUS,
            "Feature 'scenes' is not ready. Current status: none; scenes come from transcript "
            "run with chunking_config.use_scene_detection: true "
            f"(transcript status: {statuses.get('transcript', 'none')})",
            param="scenes",
        )
    content, _ = await _ready_content(request, "scenes")
    found = [
        {"index": SCENE_INDEX_BASE + i, "start": a, "end": b}
        for i, (a, b) in enumerate(content.scenes())
    ]
    kept = _overlapping(found, lambda s: (s["start"], s["end"]), request)
    return _page(request, kept, _query_key(request, "scenes", "start", "end"))


async def objects(request: Request) -> Response:
    """GET /v2/videos/{id}/objects[?type=person]: people on sampled frames, per chunk."""
    content, options = await _ready_content(request, "objects")
    wanted = request.query_params.get("type")
    segments = _overlapping(content.objects(options), lambda s: (s["start"], s["end"]), request)
    if wanted:
        segments = [
            {**s, "detections": [d for d in s["detections"] if d["type"] == wanted]}
            for s in segments
        ]
        segments = [s for s in segments if s["detections"]]
    return _page(request, segments, _query_key(request, "objects", "start", "end", "type"))


def _window(body: dict[str, Any], duration: float) -> tuple[float, float]:
    """Segment's (start, end): end defaults to start + 15 s, clamped to the video."""
    start = float(body.get("start", 0))
    if not 0 <= start < duration:
        raise invalid("body", "start", f"start must be within the video (0 to {duration} s)")
    end = body.get("end")
    if end is None:
        return start, min(start + SEGMENT_MAX_WINDOW, duration)
    if end <= start:
        raise invalid("body", "end", "end must be after start")
    if end - start > SEGMENT_MAX_WINDOW:
        raise invalid(
            "body", "end", f"the window is at most {SEGMENT_MAX_WINDOW:g} s (end - start)"
        )
    return start, min(float(end), duration)


async def segment(request: Request) -> Response:
    """POST /v2/videos/{id}/segment: prompted detections on the real frames of a window."""
    state = state_of(request)
    video = video_of(state, request, request.path_params["video_id"])
    body = validated(await read_json(request), "SegmentRequest")
    if not body["prompts"]:
        raise invalid("body", "prompts", "at least one prompt is needed", "too_short")
    threshold = float(body.get("threshold", 0.3))
    if not 0 <= threshold <= 1:
        raise invalid("body", "threshold", "threshold is between 0 and 1")
    status = upload_status(video)
    if status != "uploaded":
        raise Problem(
            CONFLICT_STATUS,
            f"Video is not uploaded (status: {status}); segment runs on uploaded videos",
            param="video_id",
        )
    content = await content_of(state, video, None)
    start, end = _window(body, content.duration)
    prompts = [prompt["text"] for prompt in body["prompts"]]
    frames = segment_frames(content, prompts, start, end, threshold)
    size = {"width": content.width, "height": content.height} if content.width else None
    return JSONResponse({"frames": frames, "frame_size": size, "frame_count": len(frames)})


ROUTES: list[BaseRoute] = [
    Route("/v2/videos/{video_id}/transcript", transcript, methods=["GET"]),
    Route("/v2/videos/{video_id}/captions", captions, methods=["GET"]),
    Route("/v2/videos/{video_id}/scenes", scenes, methods=["GET"]),
    Route("/v2/videos/{video_id}/objects", objects, methods=["GET"]),
    Route("/v2/videos/{video_id}/segment", segment, methods=["POST"]),
]
