"""`apply --wait`: poll until every uploaded video is indexed (v1), or uploaded with every
declared feature ready (v2), with batched gets.

Under v2 the wait also drives the features: a feature waiting on another (captions on
transcript) is started as soon as the API's plan calls it actionable, so `--wait` returns
with every declared feature run, in dependency order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from videosync.api.protocol import CatalogApi
from videosync.errors import ApiError

__all__ = ["WaitResult", "start_feature", "wait_features", "wait_indexed"]

log = logging.getLogger(__name__)

_CONFLICT = 409


@dataclass(frozen=True)
class WaitResult:
    """Where each awaited video ended: indexed, failed (or gone), or still going at timeout."""

    indexed: tuple[str, ...]
    failed: tuple[str, ...]
    unfinished: tuple[str, ...]
    failed_features: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """v2: by video, the features that failed (or `upload`, for an upload that failed)."""
    features: bool = False
    """v2: the wait was for uploads and features, not v1's indexing."""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unfinished

    def describe(self, names: dict[str, str]) -> str:
        def listed(ids: Sequence[str]) -> str:
            shown = [f"{names.get(i, i)} ({i})" for i in ids[:10]]
            return ", ".join(shown) + (", …" if len(ids) > 10 else "")

        if self.features:
            return self._describe_features(names, listed)
        parts = []
        if self.failed:
            parts.append(f"indexing failed for {len(self.failed)}: {listed(self.failed)}")
        if self.unfinished:
            parts.append(f"not indexed before the timeout: {listed(self.unfinished)}")
        if not parts:
            return f"all {len(self.indexed)} uploaded videos are indexed"
        return "; ".join(parts)

    def _describe_features(
        self, names: dict[str, str], listed: Callable[[Sequence[str]], str]
    ) -> str:
        by_feature: dict[str, list[str]] = {}
        for video_id, features in self.failed_features.items():
            for feature in features:
                by_feature.setdefault(feature, []).append(video_id)
        parts = [
            f"{'the upload' if feature == 'upload' else feature} failed for {len(ids)}: "
            f"{listed(ids)}"
            for feature, ids in sorted(by_feature.items())
        ]
        if self.unfinished:
            parts.append(f"not done before the timeout: {listed(self.unfinished)}")
        if not parts:
            return f"all {len(self.indexed)} videos are uploaded with their features ready"
        return "; ".join(parts) + " (the next plan runs failed features again)"


async def wait_indexed(
    client: CatalogApi, video_ids: Sequence[str], *, timeout: float, interval: float = 1.0
) -> WaitResult:
    """Poll `get_videos` (100 ids a call) until each video is indexed, failed or gone."""
    deadline = time.monotonic() + timeout
    pending = list(dict.fromkeys(video_ids))
    indexed: list[str] = []
    failed: list[str] = []
    while pending:
        status = {v.video_id: v.indexing_status for v in await client.get_videos(pending)}
        still: list[str] = []
        for video_id in pending:
            state = status.get(video_id, "gone")
            if state == "indexed":
                indexed.append(video_id)
            elif state in ("failed", "gone"):
                failed.append(video_id)
            else:
                still.append(video_id)
        pending = still
        left = deadline - time.monotonic()
        if not pending or left <= 0:
            break
        await asyncio.sleep(min(interval, left))
    return WaitResult(tuple(indexed), tuple(failed), tuple(pending))


async def wait_features(
    client: CatalogApi,
    wanted: Mapping[str, Sequence[str]],
    *,
    timeout: float,
    interval: float = 1.0,
    note: Callable[[str], None] | None = None,
) -> WaitResult:
    """v2: poll until each video (`wanted`: video_id → its declared features) is uploaded
    and every feature it declares is ready, starting each feature once it can start.

    A video whose upload failed, or one of whose features failed (or was blocked by a
    failed one), stops being waited for; `failed_features` says which. `note` hears how
    many are done whenever that changes.
    """
    deadline = time.monotonic() + timeout
    pending = {video_id: tuple(features) for video_id, features in wanted.items()}
    ready: list[str] = []
    failed: dict[str, tuple[str, ...]] = {}
    shown = -1
    while pending:
        found = {v.video_id: v for v in await client.get_videos(list(pending))}
        for video_id, features in list(pending.items()):
            video = found.get(video_id)
            if video is None or video.status == "failed":
                failed[video_id] = ("upload",) if video is not None else ("gone",)
                del pending[video_id]
                continue
            if video.status not in (None, "uploaded"):
                continue  # still uploading
            verdict = await _step_features(client, video_id, features)
            if verdict is not None:
                del pending[video_id]
                if verdict:
                    failed[video_id] = verdict
                else:
                    ready.append(video_id)
        done = len(ready) + len(failed)
        if note is not None and done != shown:
            note(f"features: {done} of {len(wanted)} videos done")
            shown = done
        left = deadline - time.monotonic()
        if not pending or left <= 0:
            break
        await asyncio.sleep(min(interval, left))
    return WaitResult(
        indexed=tuple(ready),
        failed=tuple(failed),
        unfinished=tuple(pending),
        failed_features=failed,
        features=True,
    )


async def _step_features(
    client: CatalogApi, video_id: str, features: Sequence[str]
) -> tuple[str, ...] | None:
    """One look at a video's features: `()` all ready, the failed ones, or None (going on,
    after starting what can start now)."""
    if not features:
        return ()
    plan = await client.plan_features(video_id, features)
    bad = tuple(f for f in features if plan.statuses.get(f) in ("failed", "blocked"))
    bad += tuple(f for f in plan.blocked if f not in bad and f in plan.statuses)
    if bad:
        return bad
    if all(plan.statuses.get(f) == "ready" for f in features):
        return ()
    for feature in plan.actionable:
        await start_feature(client, video_id, feature)
    return None


async def start_feature(
    client: CatalogApi, video_id: str, feature: str, *, force: bool = False
) -> None:
    """Trigger one feature (again, with `force`); a 409 (the video still uploading, a
    dependency not ready yet) leaves it for later, logged, and anything else is raised."""
    try:
        await client.trigger_feature(video_id, feature, force=force)
    except ApiError as exc:
        if exc.status != _CONFLICT:
            raise
        log.info("%s: %s cannot start yet: %s", video_id, feature, exc.message)
