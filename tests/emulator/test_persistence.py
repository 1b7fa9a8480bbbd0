"""Restarts keep everything; a killed emulator never leaves a half-written video listed."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.conftest import uploaded, video
from videosync.emulator import EmulatorConfig, start_emulator
from videosync.errors import UsageError


def _config(data_dir: Path) -> EmulatorConfig:
    return EmulatorConfig(data_dir=data_dir, api_keys=(API_KEY,))


def test_restart_keeps_videos_groups_files_and_url_signatures(
    tmp_path: Path, sample_videos: list[Path]
) -> None:
    data_dir = tmp_path / "data"
    with start_emulator(_config(data_dir)) as first:
        api = httpx.Client(base_url=first.url, headers={"X-Api-Key": API_KEY})
        group = api.post("/videos/groups", json={"name": "kept", "metadata": {"a": 1}}).json()
        ids = [uploaded(api, p, group_id=group["group_id"]) for p in sample_videos[:2]]
        before = api.post("/videos/get").json()["results"]
        old_url = before[0]["url"]

    with start_emulator(_config(data_dir)) as second:
        api = httpx.Client(base_url=second.url, headers={"X-Api-Key": API_KEY})
        after = api.post("/videos/get").json()["results"]
        assert [v["video_id"] for v in after] == ids
        assert [v["metadata"] for v in after] == [v["metadata"] for v in before]
        assert api.get("/videos/groups").json() == {"results": [group]}
        # A URL signed before the restart still works on the restarted emulator.
        moved = second.url + urlsplit(old_url).path + "?" + urlsplit(old_url).query
        assert httpx.get(moved).content == sample_videos[0].read_bytes()


def test_orphan_files_are_removed_on_start(tmp_path: Path, sample_video: Path) -> None:
    data_dir = tmp_path / "data"
    with start_emulator(_config(data_dir)) as first:
        kept = uploaded(
            httpx.Client(base_url=first.url, headers={"X-Api-Key": API_KEY}), sample_video
        )
    (data_dir / "videos" / "f0000000-0000-4000-8000-000000000000").write_bytes(b"orphan")
    (data_dir / "tmp" / "abc.part").write_bytes(b"partial upload")

    with start_emulator(_config(data_dir)):
        assert [p.name for p in (data_dir / "videos").iterdir()] == [kept]
        assert list((data_dir / "tmp").iterdir()) == []


def _start_subprocess(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "videosync", "emulator", "--port", "0"),
            *("--data-dir", str(data_dir), "--api-key", API_KEY),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening on http://127.0.0.1:"), line
    return process, line.split()[-1]


def test_kill_during_an_upload_leaves_no_video_and_no_partial_file(
    tmp_path: Path, sample_video: Path
) -> None:
    data_dir = tmp_path / "data"
    process, url = _start_subprocess(data_dir)
    try:
        boundary = "kill-test-boundary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        address = urlsplit(url)
        conn = socket.create_connection((str(address.hostname), int(address.port or 0)))
        conn.sendall(
            (
                "POST /videos/upload HTTP/1.1\r\n"
                f"Host: {address.netloc}\r\nX-Api-Key: {API_KEY}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                "Content-Length: 100000000\r\n\r\n"
            ).encode()
            + head
            + sample_video.read_bytes()
        )
        deadline = time.monotonic() + 10
        while not any((data_dir / "tmp").glob("*.part")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any((data_dir / "tmp").glob("*.part")), "the upload never reached the disk"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        conn.close()

    with start_emulator(_config(data_dir)) as restarted:
        listing = httpx.post(restarted.url + "/videos/get", headers={"X-Api-Key": API_KEY})
        assert listing.json() == {"results": []}
        assert list((data_dir / "tmp").iterdir()) == []
        assert list((data_dir / "videos").iterdir()) == []


def test_kill_among_concurrent_uploads_keeps_every_answered_one(
    tmp_path: Path, sample_videos: list[Path]
) -> None:
    # Concurrent uploads share a commit (group commit): an answer must still only go out
    # once its own file and row are durable, whichever upload's thread committed them.
    data_dir = tmp_path / "data"
    process, url = _start_subprocess(data_dir)
    answered: list[tuple[str, Path]] = []
    stop = threading.Event()

    def upload_until_killed(worker: int) -> None:
        with httpx.Client(base_url=url, headers={"X-Api-Key": API_KEY}) as api:
            for i in itertools.count():
                path = sample_videos[(worker + i) % len(sample_videos)]
                try:
                    answered.append((uploaded(api, path), path))
                except (httpx.HTTPError, AssertionError):
                    if stop.is_set():
                        return  # killed mid-upload: no answer, no promise
                    raise

    try:
        with ThreadPoolExecutor(8) as pool:
            workers = [pool.submit(upload_until_killed, w) for w in range(8)]
            deadline = time.monotonic() + 30
            while len(answered) < 40 and time.monotonic() < deadline:
                time.sleep(0.005)
            stop.set()
            os.kill(process.pid, signal.SIGKILL)
            for worker in workers:
                worker.result()
    finally:
        process.kill()
        process.wait()

    assert len(answered) >= 40
    with start_emulator(_config(data_dir)) as restarted:
        api = httpx.Client(base_url=restarted.url, headers={"X-Api-Key": API_KEY})
        listed = {v["video_id"]: v for v in api.post("/videos/get").json()["results"]}
    for video_id, path in answered:
        assert listed[video_id]["indexing_status"] == "indexed"
        assert (data_dir / "videos" / video_id).read_bytes() == path.read_bytes()
    assert sorted(p.name for p in (data_dir / "videos").iterdir()) == sorted(listed)


def test_sigint_stops_the_command_cleanly_and_keeps_data(
    tmp_path: Path, sample_video: Path
) -> None:
    data_dir = tmp_path / "data"
    process, url = _start_subprocess(data_dir)
    try:
        api = httpx.Client(base_url=url, headers={"X-Api-Key": API_KEY})
        video_id = uploaded(api, sample_video)
        api.close()
    finally:
        process.send_signal(signal.SIGINT)
        # After its graceful shutdown uvicorn re-raises the signal: the usual Ctrl-C exit.
        assert process.wait(timeout=10) == 130

    with start_emulator(_config(data_dir)) as restarted:
        api = httpx.Client(base_url=restarted.url, headers={"X-Api-Key": API_KEY})
        assert video(api, video_id)["indexing_status"] == "indexed"


def test_one_emulator_per_data_dir(tmp_path: Path) -> None:
    with (
        start_emulator(_config(tmp_path / "data")),
        pytest.raises(UsageError, match="is in use by another emulator"),
    ):
        start_emulator(_config(tmp_path / "data"))


def test_client_disconnect_mid_upload_leaves_nothing_and_blocks_nobody(
    tmp_path: Path, sample_video: Path
) -> None:
    data_dir = tmp_path / "data"
    with start_emulator(_config(data_dir)) as emulator:
        address = urlsplit(emulator.url)
        with socket.create_connection((str(address.hostname), int(address.port or 0))) as conn:
            conn.sendall(
                (
                    "POST /videos/upload HTTP/1.1\r\n"
                    f"Host: {address.netloc}\r\nX-Api-Key: {API_KEY}\r\n"
                    "Content-Type: multipart/form-data; boundary=b\r\n"
                    "Content-Length: 1000000\r\n\r\n"
                    '--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n\r\n'
                ).encode()
                + sample_video.read_bytes()
            )
            deadline = time.monotonic() + 10
            while not any((data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
                time.sleep(0.01)
            # An upload in flight does not hold up other requests.
            during = httpx.post(emulator.url + "/videos/get", headers={"X-Api-Key": API_KEY})
            assert during.json() == {"results": []}
        deadline = time.monotonic() + 10
        while any((data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)

        listing = httpx.post(emulator.url + "/videos/get", headers={"X-Api-Key": API_KEY})
        assert listing.json() == {"results": []}
        assert list((data_dir / "tmp").iterdir()) == []
        assert list((data_dir / "videos").iterdir()) == []
