"""How fast the emulator ingests a big upload, and how much memory its server uses doing it.

    .venv/bin/python bench/emulator_ingest.py [--size-mib 1024] [--repeat 3] [--dir DIR]

Starts `videosync emulator` as a subprocess on 127.0.0.1 (port 0; it prints the URL),
uploads one file of random bytes with `curl -F` (the reference) and with an httpx
streaming multipart upload from this process, `--repeat` times each, and samples the
*server's* resident memory during each upload. Prints MB/s (10^6 bytes per second, best
run), the server's peak RSS, and the ratios to curl's figures and to a plain copy + fsync of
the file on the same disk (the floor any ingest must pay), and to curl against the same
HTTP stack discarding the body (the stack's own ceiling). The stored copy is deleted after
each run so the disk holds one copy at a time.

Target (issue 2): the server's peak RSS stays flat (tens of MB) whatever the file size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    MiB,
    PeakRss,
    curl_upload_seconds,
    emulator_process,
    make_file,
    ratio,
)

KEY = "bench-key"
FIELDS = {"video_name": "ingest", "index": "true"}


def _httpx_upload(url: str, file: Path) -> float:
    with httpx.Client(timeout=600) as client, file.open("rb") as f:
        started = time.perf_counter()
        response = client.post(
            url,
            headers={"X-Api-Key": KEY},
            data=FIELDS,
            files={"file": (file.name, f, "application/octet-stream")},
        )
        elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def _disk_copy_seconds(file: Path, dest_dir: Path) -> float:
    """The floor for any ingest: copy the file into the data dir's filesystem and fsync it."""
    dest = dest_dir / "disk-reference.bin"
    started = time.perf_counter()
    with file.open("rb") as src, dest.open("wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    dest.unlink()
    return elapsed


def _drain_seconds(file: Path, repeat: int) -> list[float]:
    """curl -F to the same HTTP stack as the emulator's (uvicorn with httptools and uvloop
    where it exists, Starlette) that only reads and drops the body: the ceiling of the
    stack itself, without parsing, storing or probing."""

    async def drain(request: Request) -> Response:
        async for _ in request.stream():
            pass
        return JSONResponse({})

    app = Starlette(routes=[Route("/", drain, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http="httptools", loop="auto"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        return [curl_upload_seconds(url, KEY, file, FIELDS) for _ in range(repeat)]
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def _delete_all(base: str) -> None:
    with httpx.Client(base_url=base, headers={"X-Api-Key": KEY}) as api:
        ids = [v["video_id"] for v in api.post("/videos/get").json()["results"]]
        if ids:
            api.request("DELETE", "/videos/delete", json={"video_ids": ids}).raise_for_status()


def _measure(
    pid: int, base: str, repeat: int, upload: Callable[[], float]
) -> tuple[list[float], int]:
    times, peak = [], 0
    for _ in range(repeat):
        with PeakRss(pid) as rss:
            times.append(upload())
        peak = max(peak, rss.peak)
        _delete_all(base)
    return times, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()

    size = int(args.size_mib) * MiB
    file = make_file(args.dir / f"videosync-ingest-{args.size_mib}MiB.bin", size)
    with (
        tempfile.TemporaryDirectory(prefix="videosync-ingest-", dir=args.dir) as data_dir,
        emulator_process(Path(data_dir), "--api-key", KEY) as server,
    ):
        base = server.url
        idle = PeakRss(server.pid)
        with idle:
            time.sleep(0.2)
        url = base + "/videos/upload"
        curl_times, curl_peak = _measure(
            server.pid, base, args.repeat, lambda: curl_upload_seconds(url, KEY, file, FIELDS)
        )
        httpx_times, httpx_peak = _measure(
            server.pid, base, args.repeat, lambda: _httpx_upload(url, file)
        )
        disk_times = [_disk_copy_seconds(file, Path(data_dir)) for _ in range(args.repeat)]
        drain_times = _drain_seconds(file, args.repeat)

    def rate(seconds: float) -> float:
        return size / 1e6 / seconds

    print(f"emulator ingest of {args.size_mib} MiB, {args.repeat} runs each, server at {base}")
    print(f"  server RSS idle: {idle.peak / MiB:.0f} MiB")
    print(f"  {'client':<12} {'best s':>7} {'median s':>9} {'MB/s':>7} {'server peak RSS':>16}")
    for name, times, peak in (
        ("curl -F", curl_times, curl_peak),
        ("httpx", httpx_times, httpx_peak),
    ):
        print(
            f"  {name:<12} {min(times):7.2f} {statistics.median(times):9.2f} "
            f"{rate(min(times)):7.0f} {peak / MiB:12.0f} MiB"
        )
    print(
        f"  {'disk copy':<12} {min(disk_times):7.2f} {statistics.median(disk_times):9.2f} "
        f"{rate(min(disk_times)):7.0f}   (copy + fsync, no HTTP: the floor)"
    )
    print(
        f"  {'stack drain':<12} {min(drain_times):7.2f} {statistics.median(drain_times):9.2f} "
        f"{rate(min(drain_times)):7.0f}   (curl -F to the same stack discarding the body)"
    )
    print(
        f"  curl / stack drain: time {ratio(min(curl_times), min(drain_times))}; "
        f"curl / disk copy: time {ratio(min(curl_times), min(disk_times))}; "
        f"httpx / curl: time {ratio(min(httpx_times), min(curl_times))}, "
        f"server peak RSS {ratio(httpx_peak, curl_peak)}; "
        f"largest server peak RSS is {max(curl_peak, httpx_peak) / size:.1%} of the file size"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
