"""The emulator's v2 API: upload ingest against v1's route, and the CPU of idle videos.

    .venv/bin/python bench/emulator_v2.py [--size-mib 1024] [--repeat 5] [--videos 2000]
                                          [--idle-seconds 10] [--dir DIR]

Targets (the v2 issue):

1. Ingest: `POST /v2/videos` takes a big file within 10 % of `POST /v1/videos/upload` on the
   same emulator. One `videosync emulator` process (its own, on 127.0.0.1, port 0) gets the
   same file of random bytes (page cache warm) by `curl -F` on each route, `--repeat` times
   each, alternating (v1 first in odd rounds, v2 first in even ones);
   the stored copy is deleted after each run so the disk holds one at a time. Prints MB/s
   (10^6 bytes per second) of the best run of each and v2/v1 (target: >= 0.90).

2. Idle CPU: the feature machine adds no CPU per idle video (no polling loop per video).
   A second emulator, with `--index-delay 3600` so every feature run stays `pending`, is
   left idle for `--idle-seconds` with no video, then given `--videos` v2 uploads (a small
   real MP4 each) with transcript triggered on each, and left idle as long again. Prints the
   server process' CPU seconds (user + system, psutil) of each window and the difference.
   Target: the difference stays within the noise of the empty window (<= 20 % of it, or
   <= 0.02 s when that is less), i.e. nothing grows with the number of idle videos.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    MiB,
    curl_upload_seconds,
    delete_every_video,
    emulator_process,
    make_file,
)
from testing.samplemedia import write_sample_video  # noqa: E402

KEY = "bench-key"
ROUTES = {"v1": "/v1/videos/upload", "v2": "/v2/videos"}
FIELDS = {"v1": {"video_name": "ingest", "index": "false"}, "v2": {"video_name": "ingest"}}
"""The same upload on both routes: a name, no indexing (v2 runs no feature on upload)."""
IDLE_INDEX_DELAY = "3600"


def measure_ingest(file: Path, data_dir: Path, repeat: int) -> tuple[str, dict[str, list[float]]]:
    """Seconds of each upload of `file` per route, alternating v1 and v2 on one emulator."""
    times: dict[str, list[float]] = {"v1": [], "v2": []}
    with file.open("rb") as f:  # into the page cache, so the first upload reads no disk
        while f.read(8 * MiB):
            pass
    with emulator_process(data_dir, "--api-key", KEY) as server:
        for round_ in range(repeat):
            order = list(ROUTES) if round_ % 2 == 0 else list(reversed(ROUTES))
            for version in order:
                url = server.url + ROUTES[version]
                times[version].append(
                    curl_upload_seconds(url, KEY, file, FIELDS[version], any_2xx=True)
                )
                delete_every_video(server.url, KEY)
        return server.url, times


def _cpu_seconds(process: psutil.Process) -> float:
    cpu = process.cpu_times()
    return float(cpu.user + cpu.system)


def _idle_cpu(process: psutil.Process, seconds: float) -> float:
    before = _cpu_seconds(process)
    time.sleep(seconds)
    return _cpu_seconds(process) - before


def _populate(base: str, sample: Path, videos: int) -> dict[str, int]:
    """`videos` v2 uploads of `sample`, transcript triggered on each; the statuses it left."""
    content = sample.read_bytes()
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=base, headers={"X-Api-Key": KEY}, timeout=60) as api:
        for i in range(videos):
            response = api.post(
                "/v2/videos",
                data={"video_name": f"idle-{i:05d}"},
                files={"file": (sample.name, content, "video/mp4")},
            ).raise_for_status()
            video_id = response.json()["video_id"]
            trigger = api.post(f"/v2/videos/{video_id}/features/transcript", json={})
            status = trigger.raise_for_status().json()["status"]
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


def measure_idle(
    data_dir: Path, sample: Path, videos: int, seconds: float
) -> tuple[float, float, dict[str, int], float]:
    """CPU seconds of the idle server without videos, then with `videos` whose transcript
    stays pending; the statuses triggered and how long populating took."""
    with emulator_process(data_dir, "--api-key", KEY, "--index-delay", IDLE_INDEX_DELAY) as server:
        process = psutil.Process(server.pid)
        time.sleep(1.0)  # start-up done
        empty = _idle_cpu(process, seconds)
        started = time.perf_counter()
        statuses = _populate(server.url, sample, videos)
        populate = time.perf_counter() - started
        time.sleep(2.0)  # the last responses and the store's own writes settle
        full = _idle_cpu(process, seconds)
    return empty, full, statuses, populate


def _best_rate(size: int, times: list[float]) -> float:
    return size / 1e6 / min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--videos", type=int, default=2000)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    size = int(args.size_mib) * MiB
    file = make_file(args.dir / f"videosync-ingest-{args.size_mib}MiB.bin", size)
    with tempfile.TemporaryDirectory(prefix="videosync-v2-", dir=args.dir) as work:
        base, times = measure_ingest(file, Path(work) / "ingest", args.repeat)
        sample = write_sample_video(Path(work) / "idle-sample.mp4", seed=7)
        empty, full, statuses, populate = measure_idle(
            Path(work) / "idle", sample, args.videos, args.idle_seconds
        )

    def rate(runs: list[float]) -> float:
        return _best_rate(size, runs)

    v1, v2 = rate(times["v1"]), rate(times["v2"])
    print(f"emulator v2 ingest of {args.size_mib} MiB, {args.repeat} runs each, server at {base}")
    print(f"  {'route':<24} {'best s':>7} {'median s':>9} {'MB/s':>7}")
    for version, route in ROUTES.items():
        runs = times[version]
        print(
            f"  {version + ' POST ' + route:<24} {min(runs):7.2f} "
            f"{statistics.median(runs):9.2f} {rate(runs):7.0f}"
        )
    verdict = "met" if v2 >= 0.9 * v1 else "NOT MET"
    print(f"  v2 / v1 MB/s: {v2 / v1:.2f}x (target >= 0.90x: {verdict})")

    allowed = max(0.02, 0.2 * empty)
    growth = full - empty
    shown = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    print(
        f"emulator idle CPU over {args.idle_seconds:g} s, index delay {IDLE_INDEX_DELAY} s "
        f"(features stay pending)"
    )
    print(f"  0 videos: {empty:.3f} s CPU")
    print(
        f"  {args.videos} videos: {full:.3f} s CPU (transcript {shown}; "
        f"populated in {populate:.1f} s)"
    )
    per_video = growth / args.videos / args.idle_seconds * 1e6
    print(
        f"  difference: {growth:+.3f} s CPU ({per_video:+.3f} µs per video per second; "
        f"target <= {allowed:.3f} s: {'met' if growth <= allowed else 'NOT MET'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
