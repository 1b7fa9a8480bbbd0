"""v2 features: the catalog, the plan call, the four triggers, and each feature's status.

A feature request is one row (`FeatureRecord`: when, which attempt, whether it will fail);
its status follows from the clock, like v1's indexing: `pending` for `index_delay` seconds
after the request, `processing` as long again, then `ready` (or `failed`). Nothing runs in
the background, so an idle video costs no CPU and a restarted emulator goes on where it
was. Whether an attempt fails is drawn when it is requested (the injected failure rate,
seeded by video, feature and attempt) or certain (the file is not a decodable video).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_json
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import FeatureRecord, VideoRecord
from videosync.emulator.v2.decisions import (
    CONFLICT_STATUS,
    TRIGGER_STATUS,
    UNTRIGGERABLE_NOTE,
    V1_INDEX_IMPLIES_FEATURES,
)
from videosync.emulator.v2.spec import validated
from videosync.emulator.views import indexing_status

__all__ = [
    "CATALOG",
    "ROUTES",
    "feature_map",
    "require_ready",
    "statuses_of",
    "upload_status",
]


@dataclass(frozen=True)
class FeatureInfo:
    name: str
    description: str
    depends_on: tuple[str, ...]
    produces: tuple[str, ...]
    note: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "depends_on": list(self.depends_on),
            "produces": list(self.produces),
            "note": self.note,
        }


CATALOG: tuple[FeatureInfo, ...] = (
    FeatureInfo(
        "transcript",
        "Speech-to-text transcription and video chunking",
        (),
        ("transcript", "scenes"),
        "scenes are produced only with chunking_config.use_scene_detection: true",
    ),
    FeatureInfo(
        "captions",
        "Visual description of each chunk (VLM captioning)",
        ("transcript",),
        ("captions",),
    ),
    FeatureInfo(
        "embeddings",
        "Visual and text vectors of each chunk, for semantic search",
        ("transcript", "captions"),
        ("embeddings",),
    ),
    FeatureInfo(
        "objects",
        "Person detection and tracking on sampled frames of each chunk",
        ("transcript",),
        ("objects",),
        "Only people are detected; person_id is always null; tracking restarts per chunk.",
    ),
)
"""The features with a trigger route, dependencies first (REFERENCE.md §6.1, §6.2)."""

_BY_NAME = {info.name: info for info in CATALOG}
_ALL_FEATURES = (
    "transcript",
    "captions",
    "reel_captions",
    "embeddings",
    "objects",
    "scenes",
    "audio_events",
    "chapters",
    "thumbnails",
)
"""The spec's `Feature` enum, in its order."""

_TRIGGER_SCHEMAS = {
    "transcript": "TranscriptTriggerRequest",
    "captions": "CaptionsTriggerRequest",
    "embeddings": "FeatureTriggerRequest",
    "objects": "ObjectsTriggerRequest",
}
_FROM_V1 = {"pending": "pending", "indexing": "processing", "indexed": "ready", "failed": "failed"}
_RUNNING = ("pending", "processing")


def upload_status(video: VideoRecord) -> str:
    """The v2 upload status: `uploading` while a `video_url` downloads, `failed` when the
    download failed or the file is not a decodable video, else `uploaded`."""
    if video.ready_at is None:
        return "uploading"
    return "failed" if video.error is not None else "uploaded"


def _status(record: FeatureRecord, now: float, delay: float) -> str:
    elapsed = now - record.requested_at
    if elapsed < delay:
        return "pending"
    if elapsed < 2 * delay:
        return "processing"
    return "failed" if record.fails else "ready"


def _uses_scene_detection(record: FeatureRecord) -> bool:
    config = record.options.get("chunking_config") or {}
    return bool(config.get("use_scene_detection"))


def feature_map(
    video: VideoRecord, records: Iterable[FeatureRecord], now: float, delay: float
) -> dict[str, str]:
    """The video's `features` map: each feature requested so far and its status.

    A v1 upload with `index=true` shows v1's indexing as the features it stands for.
    """
    statuses: dict[str, str] = {}
    if video.do_index:
        implied = _FROM_V1[indexing_status(video, now, delay)]
        statuses.update(dict.fromkeys(V1_INDEX_IMPLIES_FEATURES, implied))
    for record in records:
        statuses[record.feature] = _status(record, now, delay)
        if record.feature == "transcript" and _uses_scene_detection(record):
            statuses["scenes"] = statuses["transcript"]
    return {name: statuses[name] for name in _ALL_FEATURES if name in statuses}


def statuses_of(state: EmulatorState, video: VideoRecord, now: float) -> dict[str, str]:
    """`feature_map` of one video, read from the store."""
    return _read(state, video, now)[0]


def _read(
    state: EmulatorState, video: VideoRecord, now: float
) -> tuple[dict[str, str], dict[str, FeatureRecord]]:
    """One video's `feature_map` and its feature requests by feature, in one query."""
    records = state.store.features([video.video_id]).get(video.video_id, [])
    statuses = feature_map(video, records, now, state.config.index_delay)
    return statuses, {record.feature: record for record in records}


def require_ready(state: EmulatorState, video: VideoRecord, feature: str) -> FeatureRecord | None:
    """Nothing if `feature` is ready on `video`, else the 409 of reading a feature not ready.

    Returns the feature's request (None for a v1-indexed video's implied feature), whose
    options tell how it ran.
    """
    statuses, requests = _read(state, video, time.time())
    status = statuses.get(feature, "none")
    if status != "ready":
        raise Problem(
            CONFLICT_STATUS,
            f"Feature {feature!r} is not ready. Current status: {status}",
            param=feature,
        )
    return requests.get("transcript" if feature == "scenes" else feature)


def _required(desired: Iterable[str]) -> list[str]:
    """`desired` and everything it needs, dependencies before what depends on them."""
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name in wanted:
            return
        wanted.add(name)
        source = "transcript" if name == "scenes" else name
        for dependency in (_BY_NAME[source].depends_on if source in _BY_NAME else ()) + (
            (source,) if source != name else ()
        ):
            add(dependency)

    for name in desired:
        add(name)
    return [name for name in _ALL_FEATURES if name in wanted]


@dataclass
class _Plan:
    statuses: dict[str, str] = field(default_factory=dict)
    actionable: list[str] = field(default_factory=list)
    processing: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    reconfigure: dict[str, Any] = field(default_factory=dict)


def plan(
    current: Mapping[str, str], desired: Iterable[str], transcript: FeatureRecord | None
) -> dict[str, Any]:
    """The body of `features/plan` (without `video_id`) for a video in state `current`."""
    required = _required(desired)
    result = _Plan()
    for name in required:
        status = current.get(name, "none")
        if name not in _BY_NAME and name != "scenes":
            result.blocked.append(name)
            result.errors[name] = f"{name}: {UNTRIGGERABLE_NOTE}"
            result.statuses[name] = "blocked"
            continue
        source = _BY_NAME["transcript" if name == "scenes" else name]
        dependencies = source.depends_on if name != "scenes" else ("transcript",)
        failed = [d for d in dependencies if result.statuses.get(d) in ("failed", "blocked")]
        if status == "none" and failed:
            status = "blocked"
            result.blocked.append(name)
            result.errors[name] = f"{name} cannot run: {', '.join(failed)} failed"
        elif status == "none" and name == "scenes":
            if current.get("transcript") == "ready" and transcript is not None:
                result.reconfigure[name] = {
                    "trigger": "transcript",
                    "config": {"chunking_config": {"use_scene_detection": True}},
                    "message": "scenes need transcript run again with scene detection",
                }
        elif status == "none" and all(result.statuses.get(d) == "ready" for d in dependencies):
            result.actionable.append(name)
        elif status in _RUNNING:
            result.processing.append(name)
        elif status == "failed":
            result.errors[name] = f"{name} failed; trigger it with force: true to run it again"
        result.statuses[name] = status
    return {
        "all_required": required,
        "statuses": result.statuses,
        "actionable": result.actionable,
        "processing": result.processing,
        "blocked": result.blocked,
        "reconfigure": result.reconfigure,
        "errors": result.errors,
        "done": all(result.statuses[name] == "ready" for name in required),
    }


def _video(state: EmulatorState, request: Request) -> VideoRecord:
    tenant = tenant_of(request, state.config)
    video_id = request.path_params["video_id"]
    video = state.store.video(tenant, video_id)
    if video is None:
        raise Problem(404, "Video not found", param="video_id")
    return video


async def catalog(request: Request) -> Response:
    """GET /v2/features: what can be triggered, with dependencies."""
    state = state_of(request)
    tenant_of(request, state.config)
    return JSONResponse({"features": [info.view() for info in CATALOG]})


async def plan_route(request: Request) -> Response:
    """POST /v2/videos/{video_id}/features/plan {"desired": [...]}."""
    state = state_of(request)
    video = _video(state, request)
    body = validated(await read_json(request), "FeaturePlanRequest")
    current, requests = _read(state, video, time.time())
    answer = plan(current, body["desired"], requests.get("transcript"))
    return JSONResponse({"video_id": video.video_id, **answer})


def _trigger(feature: str) -> Any:
    async def trigger(request: Request) -> Response:
        state = state_of(request)
        video = _video(state, request)
        body = validated(await read_json(request), _TRIGGER_SCHEMAS[feature])
        force = bool(body.get("force"))
        status = upload_status(video)
        if status != "uploaded":
            why = f": {video.error}" if video.error else ""
            raise Problem(
                CONFLICT_STATUS,
                f"Video is not uploaded (status: {status}{why}); features run on uploaded videos",
                param="video_id",
            )
        now = time.time()
        current, requests = _read(state, video, now)
        missing = [d for d in _BY_NAME[feature].depends_on if current.get(d, "none") != "ready"]
        if missing:
            raise Problem(
                CONFLICT_STATUS,
                f"Feature {feature!r} depends on {', '.join(repr(d) for d in missing)}, "
                f"which is not ready (status: {current.get(missing[0], 'none')})",
                param=feature,
            )
        status = current.get(feature, "none")
        if status == "none" or force:
            previous = requests.get(feature)
            attempt = previous.attempt + 1 if previous is not None else 1
            options = {k: v for k, v in body.items() if k != "force"}
            record = FeatureRecord(
                video_id=video.video_id,
                feature=feature,
                requested_at=now,
                attempt=attempt,
                fails=state.feature_failures.fails(video.video_id, feature, attempt),
                options=options,
            )
            state.store.put_feature(record)
            status = _status(record, now, state.config.index_delay)
        return JSONResponse(
            {"video_id": video.video_id, "feature": feature, "status": status},
            status_code=TRIGGER_STATUS,
        )

    trigger.__name__ = f"trigger_{feature}"
    return trigger


ROUTES: list[BaseRoute] = [
    Route("/v2/features", catalog, methods=["GET"]),
    Route("/v2/videos/{video_id}/features/plan", plan_route, methods=["POST"]),
    *(
        Route(f"/v2/videos/{{video_id}}/features/{name}", _trigger(name), methods=["POST"])
        for name in _TRIGGER_SCHEMAS
    ),
]
