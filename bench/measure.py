"""Measuring helpers shared by the benchmarks: big files, curl as the reference, peak RSS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

MiB = 1024 * 1024
GiB = 1024 * MiB


def make_file(path: Path, size: int) -> Path:
    """Write `size` pseudo-random bytes to `path` (reused if it already has that size)."""
    if path.exists() and path.stat().st_size == size:
        return path
    block = os.urandom(4 * MiB)
    with path.open("wb") as out:
        left = size
        while left > 0:
            n = min(left, len(block))
            out.write(block[:n])
            left -= n
    return path


def back_page_cache(folder: Path, size: int) -> None:
    """Write `size` bytes to a file in `folder` and delete it: page cache for the next run.

    The development VM gives the memory it sees free back to its host (virtio-balloon free
    page reporting, 2 s after it is freed), and a write into pages the host must back again
    costs several times the system time: 256 KiB writes of 1 GiB took 1.6-3.2 s of system
    time on such pages against 0.3 s on pages freed just before. That cost lands on the
    emulator's write of an upload, on whichever run happened to come after a pause, and it
    moved a 1 GiB upload's wall time by more than any client change. Called just before
    every measured run, ours and the reference alike, it gives each the same recently freed
    pages. On a machine without free page reporting it costs a second and changes nothing.
    """
    block = bytes(16 * MiB)
    scratch = folder / "page-cache-scratch.bin"
    with scratch.open("wb") as out:
        for _ in range(0, size, len(block)):
            out.write(block)
    scratch.unlink()


def curl_upload_command(url: str, api_key: str, file: Path, fields: dict[str, str]) -> list[str]:
    """`curl -F file=@FILE` to `url`, printing the HTTP status: the reference upload."""
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("curl is needed as the reference: apt-get install curl")
    args = [curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", url]
    args += ["-H", f"X-Api-Key: {api_key}", "-F", f"file=@{file}"]
    for name, value in fields.items():
        args += ["-F", f"{name}={value}"]
    return args


def curl_upload_seconds(
    url: str, api_key: str, file: Path, fields: dict[str, str], *, any_2xx: bool = False
) -> float:
    """Time `curl -F file=@FILE` to `url`: the reference every upload figure is set beside.
    The answer must be 200 (`any_2xx`: any 2xx, as v2's 202)."""
    args = curl_upload_command(url, api_key, file, fields)
    start = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    status = out.stdout.strip()
    if not (status.startswith("2") if any_2xx else status == "200"):
        raise SystemExit(f"curl upload to {url} answered HTTP {status}")
    return elapsed


def videosync_command(manifest: Path, url: str, *args: str) -> list[str]:
    """`videosync -q -f MANIFEST --api-url URL ARGS...`, run by this interpreter."""
    return [sys.executable, "-m", "videosync", "-q", "-f", str(manifest), "--api-url", url, *args]


class PeakRss:
    """Samples a process's resident memory every few milliseconds; `peak` is the maximum."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self._proc = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self._proc.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def ratio(measured: float, reference: float) -> str:
    """`measured / reference` formatted for a report line."""
    return f"{measured / reference:.2f}x" if reference else "n/a"


@dataclass(frozen=True)
class EmulatorProcess:
    """A `videosync emulator` running in its own process: its pid and base URL."""

    pid: int
    url: str


@contextmanager
def emulator_process(data_dir: Path, *options: str) -> Iterator[EmulatorProcess]:
    """Run `videosync emulator` in its own process, as a real server is (it does not
    compete for the benchmark's GIL), on an ephemeral loopback port; stop it after.

    `options` are more emulator flags (`--open`, `--api-key K`, `--latency MS`).
    """
    args = [
        sys.executable,
        "-m",
        "videosync",
        "-q",
        "emulator",
        "--port",
        "0",
        "--index-delay",
        "0",
        "--data-dir",
        str(data_dir),
        *options,
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise SystemExit(f"the emulator did not start: {line!r}")
        yield EmulatorProcess(proc.pid, line.removeprefix("listening on "))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def delete_every_video(url: str, api_key: str) -> None:
    """Free the emulator's disk between runs: delete every video of `api_key`."""
    from videosync.api.sync import SyncVisionClient

    with SyncVisionClient(url, api_key) as client:
        client.delete_videos([v.video_id for v in client.list_videos()])
