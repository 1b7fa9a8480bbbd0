"""`make demo`: the emulator at work, with no account and no network.

Generates the example videos if they are missing, starts the Vision API emulator in this
process (127.0.0.1, a free port, a temporary data dir), uploads every example file the way
the API docs do, waits until all are indexed and prints what the API now lists.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

from videosync.emulator import EmulatorConfig, start_emulator
from videosync.samplemedia import write_example_set

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "examples" / "catalog" / "media"
DEMO_KEY = "demo-key"
INDEX_DELAY = 0.4
"""Seconds per indexing stage, so the demo shows pending → indexing → indexed."""


def _upload(api: httpx.Client, path: Path) -> str:
    key = path.relative_to(MEDIA.parent).as_posix()
    with path.open("rb") as f:
        response = api.post(
            "/videos/upload",
            data={"video_name": path.stem, "index": "true", "group_id": "default"},
            files={"file": (key, f, "video/mp4")},
        )
    response.raise_for_status()
    video_id: str = response.json()["video_id"]
    print(f"  uploaded {key:<32} → {video_id}")
    return video_id


def _wait_indexed(
    api: httpx.Client, ids: list[str], timeout: float = 30
) -> list[dict[str, object]]:
    started = time.monotonic()
    last = ""
    while True:
        videos: list[dict[str, object]] = api.post("/videos/get", json={"video_ids": ids}).json()[
            "results"
        ]
        states = sorted({str(v["indexing_status"]) for v in videos})
        summary = ", ".join(states)
        if summary != last:
            print(f"  {time.monotonic() - started:4.1f} s  {summary}")
            last = summary
        if all(v["indexing_status"] in ("indexed", "failed") for v in videos):
            return videos
        if time.monotonic() - started > timeout:
            raise SystemExit(f"demo: videos not indexed after {timeout:g} s")
        time.sleep(0.1)


def _table(videos: list[dict[str, object]]) -> None:
    header = f"  {'source':<32} {'status':<8} {'size':>9} {'fps':>5} {'seconds':>7}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for v in videos:
        meta = v["metadata"]
        assert isinstance(meta, dict)
        size = f"{meta['width']}x{meta['height']}"
        print(
            f"  {meta['source']!s:<32} {v['indexing_status']!s:<8} {size:>9} "
            f"{meta['avg_fps']!s:>5} {meta['duration']!s:>7}"
        )


def main() -> int:
    started = time.monotonic()
    files = write_example_set(MEDIA)
    print(f"example media: {len(files)} H.264 files in {MEDIA.relative_to(ROOT)}/")
    with tempfile.TemporaryDirectory(prefix="videosync-demo-") as data_dir:
        config = EmulatorConfig(
            data_dir=Path(data_dir), api_keys=(DEMO_KEY,), index_delay=INDEX_DELAY
        )
        with (
            start_emulator(config) as emulator,
            httpx.Client(base_url=emulator.url, headers={"X-Api-Key": DEMO_KEY}) as api,
        ):
            print(f"emulator: listening on {emulator.url} (data in a temporary dir)")
            print("uploading (POST /videos/upload):")
            ids = [_upload(api, path) for path in files]
            print("indexing (POST /videos/get until every video is indexed):")
            videos = _wait_indexed(api, ids)
            print("the catalog as the API lists it:")
            _table(videos)
    failed = [v for v in videos if v["indexing_status"] != "indexed"]
    print(
        f"demo: {len(videos) - len(failed)} of {len(videos)} videos indexed "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
