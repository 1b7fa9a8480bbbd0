"""POST /videos/upload: fields, validation errors, metadata, indexing states, video_url."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.conftest import upload_file, uploaded, video
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator


def _detail(response: httpx.Response) -> str:
    body = response.json()
    assert body["error"]["message"] == body["detail"]
    detail: str = body["detail"]
    return detail


def test_upload_answers_a_new_uuid_and_upload_initiated(
    api: httpx.Client, sample_video: Path
) -> None:
    first = upload_file(api, sample_video).json()
    second = upload_file(api, sample_video).json()

    assert first["status"] == "upload_initiated"
    assert first["video_s3_url"] is None
    assert len(first["video_id"]) == 36
    assert first["video_id"] != second["video_id"]


def test_video_carries_media_metadata_name_source_and_description(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded(api, sample_video, filename="media/intro.mp4", video_name="Intro")

    stored = video(api, video_id)

    assert stored["video_id"] == video_id
    assert stored["indexing_status"] == "indexed"
    assert stored["group_id"] == "default"
    assert stored["metadata"] == {
        "width": 160,
        "height": 120,
        "avg_fps": 24.0,
        "duration": 2.0,
        "video_name": "Intro",
        "title": "Intro",
        "video_start_timestamp_utc_ms": None,
        "thumbnail": None,
        "thumbnails": None,
        "description": "Uploaded video file: media/intro.mp4",
        "source": "media/intro.mp4",
    }


@pytest.mark.parametrize(
    ("field", "value", "expected_ms"),
    [
        ("video_absolute_start_timestamp", "2025-04-12T19:05:45", 1744484745000),
        ("video_start_absolute_timestamp", "2025-04-12T19:05:45Z", 1744484745000),
        ("video_absolute_start_timestamp", "2025-04-12T21:05:45.5+02:00", 1744484745500),
    ],
)
def test_start_timestamp_is_accepted_under_either_name(
    api: httpx.Client, sample_video: Path, field: str, value: str, expected_ms: int
) -> None:
    video_id = uploaded(api, sample_video, **{field: value})

    assert video(api, video_id)["metadata"]["video_start_timestamp_utc_ms"] == expected_ms


@pytest.mark.parametrize("value", ["true", "True", "1", "yes"])
def test_index_true_spellings_index_the_video(
    api: httpx.Client, sample_video: Path, value: str
) -> None:
    assert video(api, uploaded(api, sample_video, index=value))["indexing_status"] == "indexed"


@pytest.mark.parametrize("value", ["false", "False", "0"])
def test_index_false_stays_pending(api: httpx.Client, sample_video: Path, value: str) -> None:
    assert video(api, uploaded(api, sample_video, index=value))["indexing_status"] == "pending"


def test_unknown_fields_are_ignored_even_when_sent_as_files(
    api: httpx.Client, sample_video: Path
) -> None:
    with sample_video.open("rb") as f:
        response = api.post(
            "/videos/upload",
            data={"video_name": "v", "index": "true", "caption_mode": "tagging_ad_video"},
            files={"file": ("v.mp4", f), "thumbnail": ("t.bin", b"x" * 100_000)},
        )

    assert response.status_code == 200
    assert video(api, response.json()["video_id"])["indexing_status"] == "indexed"


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"index": None}, "index is required: true or false"),
        ({"index": "maybe"}, "index must be a boolean (true or false), not 'maybe'"),
        (
            {"enable_thumbnails": "sometimes"},
            "enable_thumbnails must be a boolean (true or false), not 'sometimes'",
        ),
        ({"video_name": None}, "video_name is required for a file upload"),
        (
            {"video_absolute_start_timestamp": "yesterday"},
            "video_absolute_start_timestamp must be an ISO 8601 timestamp like "
            "2025-04-12T19:05:45, not 'yesterday'",
        ),
        (
            {"video_url": "http://127.0.0.1:1/x.mp4"},
            "Send exactly one of 'file' and 'video_url'",
        ),
    ],
)
def test_invalid_upload_fields_are_refused_with_422(
    api: httpx.Client, sample_video: Path, fields: dict[str, str | None], detail: str
) -> None:
    response = upload_file(api, sample_video, **fields)

    assert response.status_code == 422
    assert _detail(response) == detail
    assert api.post("/videos/get").json() == {"results": []}


def test_upload_with_neither_file_nor_url_is_refused(api: httpx.Client) -> None:
    response = api.post("/videos/upload", files={"video_name": (None, "x"), "index": (None, "1")})

    assert response.status_code == 422
    assert _detail(response) == "Send exactly one of 'file' and 'video_url'"


def test_upload_that_is_not_a_form_is_refused(api: httpx.Client) -> None:
    response = api.post("/videos/upload", json={"video_url": "http://127.0.0.1/x"})

    assert response.status_code == 422
    assert _detail(response) == (
        "Upload must be multipart/form-data (or a form-encoded body with video_url)"
    )


def test_video_url_must_be_http_or_https(api: httpx.Client) -> None:
    response = api.post("/videos/upload", data={"video_url": "file:///etc/passwd", "index": "true"})

    assert response.status_code == 422
    assert _detail(response) == "video_url must be an http or https URL, not 'file:///etc/passwd'"


def test_form_encoded_upload_over_a_mebibyte_is_413(api: httpx.Client) -> None:
    response = api.post(
        "/videos/upload",
        data={"video_url": "http://127.0.0.1/x.mp4", "index": "true", "pad": "x" * 2**21},
    )

    assert response.status_code == 413
    assert _detail(response) == "A form-encoded upload is limited to 1048576 bytes"


def test_upload_into_an_unknown_group_is_404(api: httpx.Client, sample_video: Path) -> None:
    response = upload_file(api, sample_video, group_id="no-such-group")

    assert response.status_code == 404
    assert _detail(response) == "Group 'no-such-group' not found"


def test_upload_into_own_group_and_explicit_default(api: httpx.Client, sample_video: Path) -> None:
    group_id = api.post("/videos/groups", json={"name": "g"}).json()["group_id"]

    in_group = uploaded(api, sample_video, group_id=group_id)
    in_default = uploaded(api, sample_video, group_id="default")

    assert video(api, in_group)["group_id"] == group_id
    assert video(api, in_default)["group_id"] == "default"


def test_file_over_the_size_limit_is_413_and_leaves_nothing(
    tmp_path: Path, sample_video: Path
) -> None:
    data_dir = tmp_path / "data"
    config = EmulatorConfig(data_dir=data_dir, api_keys=(API_KEY,), max_upload_bytes=1000)
    with (
        start_emulator(config) as emulator,
        httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as api,
    ):
        response = upload_file(api, sample_video)

        assert response.status_code == 413
        assert _detail(response) == "File too large: this server accepts at most 1000 bytes"
        assert api.post("/videos/get").json() == {"results": []}
    assert list((data_dir / "tmp").iterdir()) == []
    assert list((data_dir / "videos").iterdir()) == []


def test_a_file_that_is_not_a_video_ends_failed(api: httpx.Client, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"definitely not a video" * 100)

    stored = video(api, uploaded(api, junk))

    assert stored["indexing_status"] == "failed"
    assert stored["metadata"]["width"] is None


def test_indexing_goes_pending_then_indexing_then_indexed(
    tmp_path: Path, sample_video: Path
) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", api_keys=(API_KEY,), index_delay=0.5)
    with (
        start_emulator(config) as emulator,
        httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as api,
    ):
        started = time.monotonic()
        video_id = uploaded(api, sample_video)
        seen: list[str] = []
        while time.monotonic() - started < 3:
            status = video(api, video_id)["indexing_status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            if status == "indexed":
                break
            time.sleep(0.02)

    assert seen == ["pending", "indexing", "indexed"]


def test_video_url_is_fetched_and_indexed(
    emulator: RunningEmulator, api: httpx.Client, sample_video: Path
) -> None:
    served = video(api, uploaded(api, sample_video))["url"]

    response = api.post("/videos/upload", data={"video_url": served, "index": "true"})

    assert response.status_code == 200
    emulator.wait_for_downloads()
    fetched = video(api, response.json()["video_id"])
    assert fetched["indexing_status"] == "indexed"
    assert fetched["metadata"]["source"] == served
    # No video_name: named after the URL's last path segment.
    assert fetched["metadata"]["video_name"] == served.split("?")[0].rsplit("/", 1)[1]
    assert httpx.get(fetched["url"]).content == sample_video.read_bytes()


@pytest.mark.parametrize(
    "path",
    ["http://127.0.0.1:1/unreachable.mp4", "{base}/", "{base}/videos/nothing-here"],
    ids=["unreachable", "not-a-video", "http-error"],
)
def test_video_url_that_cannot_be_fetched_as_video_ends_failed(
    emulator: RunningEmulator, api: httpx.Client, path: str
) -> None:
    url = path.format(base=emulator.url)

    response = api.post("/videos/upload", data={"video_url": url, "index": "true"})

    assert response.status_code == 200
    emulator.wait_for_downloads()
    assert video(api, response.json()["video_id"])["indexing_status"] == "failed"


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on loopback serving a folder: (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_video_url_that_hangs_or_is_too_large_ends_failed_with_the_reason_logged(
    tmp_path: Path, file_server: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    base, folder = file_server
    (folder / "big.mp4").write_bytes(b"x" * 5000)
    config = EmulatorConfig(
        data_dir=tmp_path / "data", api_keys=(API_KEY,), fetch_timeout=0.3, max_upload_bytes=4000
    )
    with (
        socket.socket() as silent,  # takes connections into its backlog, never answers
        start_emulator(config) as emulator,
        httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as api,
    ):
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        hanging = f"http://127.0.0.1:{silent.getsockname()[1]}/slow.mp4"
        ids = [
            api.post("/videos/upload", data={"video_url": url, "index": "true"}).json()["video_id"]
            for url in (hanging, f"{base}/big.mp4")
        ]
        emulator.wait_for_downloads()

        assert [video(api, i)["indexing_status"] for i in ids] == ["failed", "failed"]
    assert f"downloading {hanging} took longer than 0.3 s" in caplog.text
    assert f"{base}/big.mp4 is larger than 4000 bytes" in caplog.text
