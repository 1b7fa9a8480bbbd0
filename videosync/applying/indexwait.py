"""`apply --wait`: poll until every uploaded video is indexed, with batched gets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from videosync.api.protocol import CatalogApi

__all__ = ["WaitResult", "wait_indexed"]


@dataclass(frozen=True)
class WaitResult:
    """Where each awaited video ended: indexed, failed (or gone), or still going at timeout."""

    indexed: tuple[str, ...]
    failed: tuple[str, ...]
    unfinished: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unfinished

    def describe(self, names: dict[str, str]) -> str:
        def listed(ids: Sequence[str]) -> str:
            shown = [f"{names.get(i, i)} ({i})" for i in ids[:10]]
            return ", ".join(shown) + (", …" if len(ids) > 10 else "")

        parts = []
        if self.failed:
            parts.append(f"indexing failed for {len(self.failed)}: {listed(self.failed)}")
        if self.unfinished:
            parts.append(f"not indexed before the timeout: {listed(self.unfinished)}")
        if not parts:
            return f"all {len(self.indexed)} uploaded videos are indexed"
        return "; ".join(parts)


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
