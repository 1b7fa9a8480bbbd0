"""What an upload puts on the wire, and where the API key may never appear.

Seen through a scripted transport, which shows the exact request: a streamed file keeps
its Content-Length (no chunked encoding), the key is the multipart filename, the start
timestamp is ISO 8601 in UTC.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tests.client.conftest import KEY, ScriptedServer
from videosync.api.client import VisionClient
from videosync.api.sync import SyncVisionClient
from videosync.errors import AuthError, InvalidRequest, InvalidSetting, LocalFileError

Scripted = Callable[..., tuple[ScriptedServer, SyncVisionClient]]

ACCEPTED = httpx.Response(200, json={"video_id": "v1", "status": "upload_initiated"})


def form_field(body: bytes, name: str) -> str:
    """The value of a plain multipart field in `body`."""
    marker = f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
    start = body.index(marker) + len(marker)
    return body[start : body.index(b"\r\n", start)].decode()


def test_file_upload_streams_with_a_content_length_and_the_key_as_filename(
    scripted: Scripted, tmp_path: Path
) -> None:
    video = tmp_path / "intro.mp4"
    payload = bytes(range(256)) * 10 * 1024  # 2.5 MiB: three reads of at least 1 MiB
    video.write_bytes(payload)
    server, client = scripted(ACCEPTED)
    seen: list[int] = []

    result = client.upload_file(
        video,
        name="Intro",
        filename="media/intro.mp4",
        index=False,
        thumbnails=True,
        start=datetime(2025, 4, 12, 21, 5, 45, tzinfo=timezone(timedelta(hours=2))),
        group_id="g1",
        progress=seen.append,
        hasher=hashlib.sha256,
    )

    request = server.requests[0]
    assert request.headers["content-length"] == str(len(request.content))
    assert "transfer-encoding" not in request.headers
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="media/intro.mp4"\r\nContent-Type: video/mp4\r\n\r\n' in (
        request.content
    )
    assert payload in request.content
    assert form_field(request.content, "video_name") == "Intro"
    assert form_field(request.content, "index") == "false"
    assert form_field(request.content, "enable_thumbnails") == "true"
    assert form_field(request.content, "video_absolute_start_timestamp") == (
        "2025-04-12T19:05:45+00:00"
    )
    assert form_field(request.content, "group_id") == "g1"
    assert result.size == len(payload)
    assert result.digest == hashlib.sha256(payload).hexdigest()
    # httpx asks for 64 KiB; each read hands out a whole MiB (fewer passes through httpx)
    assert seen == [1024 * 1024, 2 * 1024 * 1024, len(payload)]


def test_naive_start_is_taken_as_utc_and_unset_fields_are_left_out(
    scripted: Scripted, tmp_path: Path
) -> None:
    video = tmp_path / "a.mov"
    video.write_bytes(b"x")
    server, client = scripted(ACCEPTED)

    client.upload_file(video, name="A", filename="a.mov", start=datetime(2025, 4, 12, 19, 5, 45))

    body = server.requests[0].content
    assert form_field(body, "video_absolute_start_timestamp") == "2025-04-12T19:05:45+00:00"
    assert b'name="group_id"' not in body
    assert b"Content-Type: video/quicktime" in body


def test_url_upload_sends_the_url_and_optional_name(scripted: Scripted) -> None:
    server, client = scripted(ACCEPTED)

    client.upload_url("https://example.com/keynote.mp4", name=None, group_id="default")

    request = server.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert form_field(request.content, "video_url") == "https://example.com/keynote.mp4"
    assert form_field(request.content, "index") == "true"
    assert form_field(request.content, "enable_thumbnails") == "false"
    assert form_field(request.content, "group_id") == "default"
    assert b"video_name" not in request.content
    assert b"filename=" not in request.content


def test_missing_file_is_a_local_file_error_and_nothing_is_sent(
    scripted: Scripted, tmp_path: Path
) -> None:
    server, client = scripted(ACCEPTED)

    with pytest.raises(LocalFileError, match=r"cannot read .*gone\.mp4: No such file or directory"):
        client.upload_file(tmp_path / "gone.mp4", name="G", filename="gone.mp4")
    assert server.requests == []


def test_the_key_is_in_no_repr_message_or_log_line(
    scripted: Scripted, tmp_path: Path, client_log: pytest.LogCaptureFixture
) -> None:
    # A careless server echoes the key back in its error message.
    echo = httpx.Response(422, json={"detail": f"key {KEY} may not upload here"})
    _, client = scripted(httpx.ReadTimeout("timed out"), echo)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"v")

    with pytest.raises(InvalidRequest) as caught:
        client.list_groups()
    with pytest.raises(InvalidRequest):
        client.upload_file(video, name="V", filename="v.mp4")

    assert str(caught.value) == (
        "GET /videos/groups: HTTP 422: key <api key> may not upload here (after 2 attempts)"
    )
    assert KEY not in repr(caught.value.detail)
    assert KEY not in repr(client)
    assert KEY not in repr(client._client)
    assert KEY not in repr(client._client._http.auth)
    assert any(r.name == "videosync.api.client" for r in client_log.records)
    assert KEY not in client_log.text
    assert all(KEY not in logging.Formatter().format(r) for r in client_log.records)


def test_client_refuses_a_missing_key_or_a_url_that_is_not_http() -> None:
    with pytest.raises(AuthError, match="no API key was given"):
        VisionClient("https://vision.test", "")
    with pytest.raises(InvalidSetting, match="'local' is not an http"):
        VisionClient("local", KEY)
