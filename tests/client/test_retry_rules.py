"""The retry rules at their edges: Retry-After in both forms, the deadline, lost answers.

A scripted transport serves the exact answers; the emulator-backed proofs of the same
rules are in test_live.py.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.client.conftest import ScriptedServer
from videosync.api.retry import RetryPolicy, parse_retry_after
from videosync.api.sync import SyncVisionClient
from videosync.errors import ConnectionFailed, NotFound, RateLimited, ServerError

Scripted = Callable[..., tuple[ScriptedServer, SyncVisionClient]]

OK_LIST = httpx.Response(200, json={"results": []})
NO_BACKOFF = RetryPolicy(attempts=4, deadline=30.0, initial=0.001, maximum=0.3, jitter=0.0)


def waits(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The waits the client announced before each retry, in seconds."""
    found = [re.match(r"retry \d+ in ([\d.]+) s", r.getMessage()) for r in caplog.records]
    return [float(m.group(1)) for m in found if m]


def test_retry_after_seconds_is_honoured(
    scripted: Scripted, client_log: pytest.LogCaptureFixture
) -> None:
    limited = httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "0.2"})
    server, client = scripted(limited, OK_LIST, retry=NO_BACKOFF)

    started = time.monotonic()
    assert client.list_videos() == []

    assert len(server.requests) == 2
    assert waits(client_log) == [0.2]
    assert time.monotonic() - started >= 0.2


def test_retry_after_is_capped_at_the_policys_maximum(
    scripted: Scripted, client_log: pytest.LogCaptureFixture
) -> None:
    limited = httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "3600"})
    _, client = scripted(limited, OK_LIST, retry=NO_BACKOFF)

    client.list_videos()

    assert waits(client_log) == [0.3]


def test_retry_after_http_date_is_honoured(
    scripted: Scripted, client_log: pytest.LogCaptureFixture
) -> None:
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    earlier = email.utils.formatdate(time.time() - 120, usegmt=True)
    limited_later = httpx.Response(429, json={}, headers={"Retry-After": later})
    limited_earlier = httpx.Response(429, json={}, headers={"Retry-After": earlier})
    _, client = scripted(limited_later, limited_earlier, OK_LIST, retry=NO_BACKOFF)

    client.list_videos()

    # Two minutes from now, capped at the maximum; a date in the past means "now".
    assert waits(client_log) == [0.3, 0.0]


def test_parse_retry_after_reads_both_forms() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after("-5", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_rate_limited_after_every_attempt_says_so(scripted: Scripted) -> None:
    limited = httpx.Response(
        429, json={"detail": "Too many requests"}, headers={"Retry-After": "0"}
    )
    server, client = scripted(limited)

    with pytest.raises(RateLimited) as caught:
        client.list_groups()

    assert len(server.requests) == 4
    assert caught.value.retry_after == 0.0
    assert str(caught.value) == (
        "GET /videos/groups: HTTP 429: Too many requests (after 4 attempts) "
        "(wait a while and run again, or lower --parallelism)"
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_transient_server_errors_are_retried_until_success(scripted: Scripted, status: int) -> None:
    failing = httpx.Response(status, json={"detail": "oops"})
    server, client = scripted(failing, failing, OK_LIST)

    assert client.list_videos() == []
    assert len(server.requests) == 3


def test_501_is_final(scripted: Scripted) -> None:
    server, client = scripted(httpx.Response(501, json={"detail": "not here"}))

    with pytest.raises(ServerError):
        client.list_videos()
    assert len(server.requests) == 1


def test_deadline_ends_retries_before_the_attempt_count(scripted: Scripted) -> None:
    policy = RetryPolicy(attempts=100, deadline=0.5, initial=0.1, maximum=0.1, jitter=0.0)
    server, client = scripted(httpx.Response(503, json={"detail": "busy"}), retry=policy)

    started = time.monotonic()
    with pytest.raises(ServerError) as caught:
        client.list_videos()

    assert time.monotonic() - started < 0.5
    assert 3 <= len(server.requests) <= 5
    assert caught.value.attempts == len(server.requests)


def test_connect_errors_are_retried(scripted: Scripted) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    server, client = scripted(refused, refused, OK_LIST)

    assert client.list_videos() == []
    assert len(server.requests) == 3


def test_connection_that_never_works_is_connection_failed_not_ambiguous(scripted: Scripted) -> None:
    server, client = scripted(httpx.ConnectError("[Errno 111] Connection refused"))

    with pytest.raises(ConnectionFailed) as caught:
        client.create_group("G")

    assert len(server.requests) == 4
    assert caught.value.ambiguous is False
    assert str(caught.value) == (
        "POST /videos/groups: could not connect: [Errno 111] Connection refused "
        "(after 4 attempts) (check the network and --api-url)"
    )


def test_read_timeout_on_a_read_is_retried(scripted: Scripted) -> None:
    server, client = scripted(httpx.ReadTimeout("timed out"), OK_LIST)

    assert client.list_groups() == []
    assert len(server.requests) == 2


def test_upload_that_lost_its_answer_is_ambiguous_and_not_sent_again(
    scripted: Scripted, tmp_path: Path
) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 1000)
    server, client = scripted(
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(200, json={"video_id": "dup", "status": "upload_initiated"}),
    )

    with pytest.raises(ConnectionFailed) as caught:
        client.upload_file(video, name="Clip", filename="media/clip.mp4")

    assert len(server.requests) == 1
    assert caught.value.ambiguous is True
    assert str(caught.value) == (
        "POST /videos/upload: the server closed the connection without answering "
        "(the request may have taken effect on the server; run again to reconcile)"
    )


def test_upload_that_could_not_connect_is_sent_again(scripted: Scripted, tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\1" * 1000)
    server, client = scripted(
        httpx.ConnectError("refused"),
        httpx.Response(503, json={"detail": "busy"}),
        httpx.Response(200, json={"video_id": "v1", "status": "upload_initiated"}),
    )

    seen: list[int] = []

    result = client.upload_file(
        video, name="Clip", filename="media/clip.mp4", progress=seen.append, hasher=hashlib.sha256
    )

    assert result.video_id == "v1"
    assert result.size == 1000
    # Count and digest start over with each attempt: they describe the one that succeeded.
    assert result.digest == hashlib.sha256(b"\1" * 1000).hexdigest()
    assert seen == [1000, 1000, 1000]
    assert len(server.requests) == 3
    # Every attempt sent the whole file again, not the rest of a consumed stream.
    assert all(r.content.count(b"\1" * 1000) == 1 for r in server.requests)


def test_retried_delete_whose_first_answer_was_lost_counts_as_done(scripted: Scripted) -> None:
    server, client = scripted(
        httpx.ReadTimeout("timed out"),  # the delete happened; its answer was lost
        httpx.Response(404, json={"detail": "Video(s) not found, nothing deleted: v1"}),
        httpx.Response(200, json={"results": []}),  # the check: v1 is indeed gone
    )

    client.delete_videos(["v1"])

    assert [(r.method, r.url.path) for r in server.requests] == [
        ("DELETE", "/videos/delete"),
        ("DELETE", "/videos/delete"),
        ("POST", "/videos/get"),
    ]


def test_retried_delete_of_an_id_that_still_exists_reports_not_found(scripted: Scripted) -> None:
    still_there = {"results": [{"video_id": "v1", "url": "u"}]}
    _, client = scripted(
        httpx.ReadTimeout("timed out"),
        httpx.Response(404, json={"detail": "Video(s) not found, nothing deleted: v0"}),
        httpx.Response(200, json=still_there),
    )

    with pytest.raises(NotFound, match="nothing deleted: v0"):
        client.delete_videos(["v0", "v1"])
