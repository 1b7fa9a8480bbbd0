"""The API docs' "Python Bulk Upload Example", run as the script it is: the reference of
`bench/apply_throughput.py`, in a process of its own, so it pays its own start-up as
`videosync apply` does.

    python bench/docs_bulk_upload.py URL API_KEY MAX_CONCURRENCY PATHS_FILE

PATHS_FILE lists one video path a line. Exits 1 unless every video was uploaded. The docs
do not show `send_upload_request`; the obvious httpx one is written here, given the
benefit of the doubt: one shared `httpx.AsyncClient` (connection reuse) rather than one
client per request.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import httpx


class _Shared:
    """What the docs' snippet takes from its surroundings: BASE_URL, and here one client."""

    base_url = ""
    client: httpx.AsyncClient | None = None


async def send_upload_request(video_path: str, api_key: str, caption_mode: str) -> httpx.Response:
    """Not shown in the docs: the obvious httpx upload, on one shared client."""
    assert _Shared.client is not None
    with open(video_path, "rb") as file:  # noqa: PTH123 (as the docs write it)
        return await _Shared.client.post(
            f"{_Shared.base_url}/videos/upload",
            headers={"X-Api-Key": api_key},
            data={
                "video_name": os.path.basename(video_path),  # noqa: PTH119
                "index": "true",
                "caption_mode": caption_mode,
            },
            files={"file": (video_path[1:], file, "video/mp4")},
        )


async def bulk_upload_videos(
    video_paths: list[str],
    api_key: str,
    caption_mode: str = "tagging_ad_video",
    max_concurrency: int = 2,
) -> dict[str, Any]:
    # Verbatim from the API docs ("Python Bulk Upload Example"), types added.
    tasks = []
    semaphore = asyncio.Semaphore(max_concurrency)

    async def limited_send_upload_request(
        sem: asyncio.Semaphore, video_path: str, *args: Any, **kwargs: Any
    ) -> tuple[str, httpx.Response]:
        async with sem:
            response = await send_upload_request(video_path, *args, **kwargs)
            return video_path, response

    for video_path in video_paths:
        task = asyncio.create_task(
            limited_send_upload_request(semaphore, video_path, api_key, caption_mode)
        )
        tasks.append(task)

    results = await asyncio.gather(*tasks)

    video_map = {}
    for video_path, result in results:
        if result and result.status_code == 200:
            try:
                video_id = result.json().get("video_id")
                if video_id:
                    video_map[video_path] = video_id
            except json.JSONDecodeError:
                print(f"Could not decode JSON from response for {video_path}")
    return video_map


def main() -> None:
    url, key, concurrency, listing = sys.argv[1:5]
    with open(listing, encoding="utf-8") as lines:  # noqa: PTH123
        paths = [line.rstrip("\n") for line in lines if line.strip()]

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=60) as client:
            _Shared.client = client
            return await bulk_upload_videos(paths, key, max_concurrency=int(concurrency))

    _Shared.base_url = url
    uploaded = asyncio.run(run())
    if len(uploaded) != len(paths):
        sys.exit(f"the docs' example uploaded {len(uploaded)} of {len(paths)}")


if __name__ == "__main__":
    main()
