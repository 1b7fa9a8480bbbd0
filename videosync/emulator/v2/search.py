"""v2 search and chat over the caller's videos, from the synthetic chunk texts.

Search ranks chunks ("moments"). `semantic` (needs embeddings) scores a chunk by how much of
the query its words cover: the video's name, title and description and the chunk's
caption and transcript, each query word weighted by its rarity in the pool (an idf), with
a little for repeats. `text` (needs transcript or captions, per `fields`) is a literal,
case-insensitive substring match on the chunk's transcript or caption, scored 1.0 as the
spec says. Chat needs captions and answers from them, citing each video and time range:
no model runs, and the answer says so.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from videosync.emulator.auth import tenant_of
from videosync.emulator.bodies import read_json
from videosync.emulator.problems import Problem
from videosync.emulator.state import EmulatorState, state_of
from videosync.emulator.store import VideoRecord
from videosync.emulator.v2.content import SYNTHETIC, Chunk, VideoContent, content_of
from videosync.emulator.v2.decisions import (
    CHAT_MODEL,
    SEARCH_DEFAULT_STRATEGY,
    SEARCH_DEFAULT_THRESHOLD,
    SEARCH_PAGE_LIMIT_MAX,
    SEARCH_SCOPE_IGNORES_UNKNOWN_IDS,
    SEARCH_THRESHOLD_SCORES,
    TEXT_SEARCH_USES_READY_FIELDS,
)
from videosync.emulator.v2.features import require_ready, statuses_of
from videosync.emulator.v2.insights import invalid, paginate, video_of
from videosync.emulator.v2.spec import validated
from videosync.emulator.views import signed_url
from videosync.model import DEFAULT_GROUP

__all__ = ["ROUTES"]

_CHAT_SPAN = 10.0
"""SPEC: a context with `start` and no `end` covers `start` + 10 s, clamped to the video."""

_FIELD_FEATURE = {"transcript": "transcript", "captions": "captions"}


@dataclass(frozen=True)
class _Candidate:
    """A video of the pool, its content, and which of its texts the search looks in."""

    order: int
    video: VideoRecord
    content: VideoContent
    fields: tuple[str, ...]


@dataclass(frozen=True)
class _Moment:
    candidate: _Candidate
    chunk: Chunk
    score: float


def _tokens(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower())


def _within(value: float | None, bounds: dict[str, Any] | None) -> bool:
    if not bounds:
        return True
    if value is None:
        return False
    low, high = bounds.get("gte"), bounds.get("lte")
    return (low is None or value >= low) and (high is None or value <= high)


def _scoped(videos: list[VideoRecord], body: dict[str, Any]) -> list[VideoRecord]:
    """The videos `video_ids`, `group_ids` and `filter` leave (each narrows further)."""
    found = videos
    the_filter = body.get("filter") or {}
    for ids in (body.get("video_ids"), the_filter.get("id")):
        unknown = set(ids or ()) - {v.video_id for v in videos}
        if unknown and not SEARCH_SCOPE_IGNORES_UNKNOWN_IDS:
            raise Problem(404, f"Videos not found: {sorted(unknown)}", param="video_ids")
        if ids is not None:
            found = [v for v in found if v.video_id in set(ids)]
    if body.get("group_ids") is not None:
        groups = set(body["group_ids"]) - {DEFAULT_GROUP}
        found = [v for v in found if v.group_id in groups]
    return [
        v
        for v in found
        if _within(v.duration, the_filter.get("duration"))
        and _within(v.width, the_filter.get("width"))
        and _within(v.height, the_filter.get("height"))
    ]


def _fields(strategy: str, body: dict[str, Any], statuses: dict[str, str]) -> tuple[str, ...]:
    """The texts searched on a video with `statuses`: none means outside the pool."""
    if strategy == "semantic":
        ready = statuses.get("embeddings") == "ready"
        return ("transcript", "captions") if ready else ()
    wanted = body.get("fields") or ["transcript", "captions"]
    ready_fields = tuple(f for f in wanted if statuses.get(_FIELD_FEATURE[f]) == "ready")
    if not TEXT_SEARCH_USES_READY_FIELDS and len(ready_fields) < len(set(wanted)):
        return ()
    return ready_fields


def _instant(value: str, name: str) -> float:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(
            "body", name, "Input should be a valid datetime", "datetime_parsing"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _in_range(candidate: _Candidate, chunk: Chunk, body: dict[str, Any]) -> bool:
    """Whether the chunk overlaps the body's in-video and wall-clock ranges."""
    low, high = body.get("timestamp_from"), body.get("timestamp_to")
    if (low is not None and chunk.end <= low) or (high is not None and chunk.start >= high):
        return False
    since, until = body.get("datetime_from"), body.get("datetime_to")
    if since is None and until is None:
        return True
    if candidate.video.start_ms is None:
        return False
    origin = candidate.video.start_ms / 1000
    after = since is None or origin + chunk.end > _instant(since, "datetime_from")
    before = until is None or origin + chunk.start < _instant(until, "datetime_to")
    return after and before


def _document(candidate: _Candidate, chunk: Chunk) -> list[str]:
    video = candidate.video
    texts = [video.video_name, video.title, video.description]
    if "transcript" in candidate.fields:
        texts.append(chunk.transcript.removeprefix(SYNTHETIC))
    if "captions" in candidate.fields:
        texts.append(chunk.caption.removeprefix(SYNTHETIC))
    return [token for text in texts for token in _tokens(text)]


def _semantic(query: str, pool: Sequence[_Candidate], body: dict[str, Any]) -> list[_Moment]:
    """Every chunk scored by the idf-weighted share of the query's words it holds."""
    terms = list(dict.fromkeys(_tokens(query)))
    documents = [
        (candidate, chunk, Counter(_document(candidate, chunk)))
        for candidate in pool
        for chunk in candidate.content.chunks
        if _in_range(candidate, chunk, body)
    ]
    frequency = Counter(term for *_, words in documents for term in set(words) & set(terms))
    weight = {t: math.log(1 + (len(documents) + 1) / (frequency[t] + 0.5)) for t in terms}
    total = sum(weight.values())
    moments = []
    for candidate, chunk, words in documents:
        held = [t for t in terms if words[t]]
        if total == 0:
            score = 0.0
        else:
            coverage = sum(weight[t] for t in held) / total
            repeats = sum(words[t] / (words[t] + 1.2) for t in held) / len(terms)
            score = round(coverage * (0.85 + 0.15 * repeats), 4)
        moments.append(_Moment(candidate, chunk, score))
    level = body.get("threshold") or SEARCH_DEFAULT_THRESHOLD
    floor = SEARCH_THRESHOLD_SCORES[level]
    kept = [m for m in moments if m.score >= floor and (m.score > 0 or floor == 0)]
    return sorted(kept, key=lambda m: (-m.score, m.candidate.order, m.chunk.start))


def _literal(query: str, pool: Sequence[_Candidate], body: dict[str, Any]) -> list[_Moment]:
    """The chunks whose searched text holds the query (any case), score 1.0, in time order."""
    needle = query.lower()
    moments = []
    for candidate in pool:
        for chunk in candidate.content.chunks:
            texts = [chunk.transcript if "transcript" in candidate.fields else ""]
            texts.append(chunk.caption if "captions" in candidate.fields else "")
            if any(needle in text.lower() for text in texts) and _in_range(candidate, chunk, body):
                moments.append(_Moment(candidate, chunk, 1.0))
    return moments


def _result(
    state: EmulatorState, request: Request, moment: _Moment, rank: int, now: float
) -> dict[str, Any]:
    video, chunk, fields = moment.candidate.video, moment.chunk, moment.candidate.fields
    return {
        "video_id": video.video_id,
        "video_name": video.video_name,
        "start": chunk.start,
        "end": chunk.end,
        "score": moment.score,
        "rank": rank,
        "caption": chunk.caption if "captions" in fields else None,
        "transcript": chunk.transcript if "transcript" in fields else None,
        "thumbnail_url": None,
        "video_url": signed_url(str(request.base_url), state.signer, video.video_id, now),
    }


def _report(query: str, moments: Sequence[_Moment], videos: int) -> str:
    if not moments:
        return f"{SYNTHETIC} Nothing in {videos} video(s) matches {query!r}."
    best = moments[0]
    return (
        f"{SYNTHETIC} {len(moments)} moment(s) match {query!r}; the best is in "
        f"{best.candidate.video.video_name!r} at {best.chunk.start:.1f}-{best.chunk.end:.1f} s "
        f"(score {best.score})."
    )


async def _pool(
    state: EmulatorState, videos: Iterable[VideoRecord], strategy: str, body: dict[str, Any]
) -> list[_Candidate]:
    now = time.time()
    pool = []
    for order, video in enumerate(videos):
        fields = _fields(strategy, body, statuses_of(state, video, now))
        if fields:
            record = require_ready(state, video, "transcript")
            content = await content_of(state, video, record.options if record else None)
            pool.append(_Candidate(order, video, content, fields))
    return pool


async def search(request: Request) -> Response:
    """POST /v2/search: ranked moments of the caller's videos, a page at a time."""
    state = state_of(request)
    tenant = tenant_of(request, state.config)
    body = validated(await read_json(request), "V2SearchRequest")
    limit = int(body.get("page_limit", 10))
    if limit < 1:
        raise invalid("body", "page_limit", "Input should be greater than or equal to 1")
    strategy = body.get("strategy") or SEARCH_DEFAULT_STRATEGY
    pool = await _pool(state, _scoped(state.store.videos(tenant), body), strategy, body)
    query = body["query"]
    ranked = (_semantic if strategy == "semantic" else _literal)(query, pool, body)
    key = {k: v for k, v in body.items() if k not in ("page_token", "page_limit")}
    page, offset, following = paginate(
        ranked, min(limit, SEARCH_PAGE_LIMIT_MAX), body.get("page_token"), key, "body"
    )
    now = time.time()
    wants_report = bool(body.get("include_report")) and strategy == "semantic"
    return JSONResponse(
        {
            "data": [_result(state, request, m, offset + i + 1, now) for i, m in enumerate(page)],
            "next_page_token": following,
            "report": _report(query, ranked, len(pool)) if wants_report else None,
            "search_pool": {
                "video_count": len(pool),
                "total_duration": round(sum(c.content.duration for c in pool), 3),
            },
        }
    )


def _question(body: dict[str, Any]) -> str:
    messages = body["messages"]
    if not messages or messages[-1]["role"] != "user":
        raise invalid("body", "messages", "the last message must be from the user")
    if not body["context"]:
        raise invalid("body", "context", "at least one video is needed", "too_short")
    question: str = messages[-1]["content"]
    return question


def _span(entry: dict[str, Any], duration: float) -> tuple[float, float]:
    start, end = entry.get("start"), entry.get("end")
    if start is None:
        return 0.0, duration
    if not 0 <= start < duration or (end is not None and end <= start):
        raise invalid(
            "body",
            "context",
            f"a context's start is within the video (0 to {duration} s) and before its end",
        )
    return float(start), min(float(end) if end is not None else start + _CHAT_SPAN, duration)


async def chat(request: Request) -> Response:
    """POST /v2/chat: a deterministic answer from the context's captions, citing each."""
    state = state_of(request)
    tenant_of(request, state.config)
    body = validated(await read_json(request), "V2ChatRequest")
    question = _question(body)
    words = set(_tokens(question))
    cited = []
    for entry in body["context"]:
        video = video_of(state, request, entry["video_id"])
        require_ready(state, video, "captions")
        record = require_ready(state, video, "transcript")
        content = await content_of(state, video, record.options if record else None)
        start, end = _span(entry, content.duration)
        chunks = [c for c in content.chunks if c.end > start and c.start < end]
        best = max(chunks, key=lambda c: len(words & set(_tokens(c.caption + c.transcript))))
        caption = best.caption.removeprefix(SYNTHETIC).strip()
        cited.append(f"{video.video_name!r} ({start:.1f}-{end:.1f} s): {caption}")
    answer = (
        f"{SYNTHETIC} No model ran: this answer is put together by the videosync emulator "
        f"from its synthetic captions. You asked: {question!r}. From " + "; from ".join(cited) + "."
    )
    return JSONResponse({"response": answer, "model": CHAT_MODEL})


ROUTES: list[BaseRoute] = [
    Route("/v2/search", search, methods=["POST"]),
    Route("/v2/chat", chat, methods=["POST"]),
]
