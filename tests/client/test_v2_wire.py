"""v2 on the wire, where the emulator cannot show it: exact request bodies, which calls are
sent again after a lost answer, and how the version is detected.

Served through httpx's own seam (`ScriptedServer`, a `MockTransport`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from tests.client.conftest import FAST, KEY, ScriptedServer
from tests.conftest import API_KEY
from videosync.api.client import VisionClient
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.errors import AuthError, ConnectionFailed, ServerError

Scripted = Callable[..., tuple[ScriptedServer, SyncVisionClient]]

VIDEO_ID = "6f1c1d5e-0c55-4d6b-9a4e-1d1f0f5b8d21"
VIDEO = {
    "video_id": VIDEO_ID,
    "status": "uploaded",
    "group_id": None,
    "features": {"transcript": "ready"},
    "metadata": {"video_name": "Intro", "title": "T", "description": "D", "source": "a.mp4"},
    "error": None,
}
LOST = httpx.ReadTimeout("no answer")
"""A failure after the request was sent: the server may have acted on it."""


def v2_client(server: ScriptedServer) -> SyncVisionClient:
    return SyncVisionClient(
        "https://vision.test",
        KEY,
        api_version="v2",
        retry=FAST,
        transport=httpx.MockTransport(server.handle),
    )


def body(request: httpx.Request) -> object:
    return json.loads(request.content)


@pytest.mark.parametrize(
    ("changes", "sent"),
    [
        ({"name": "N"}, {"name": "N"}),
        ({"title": "", "description": "D"}, {"title": "", "description": "D"}),
        ({"group_id": "g1"}, {"group_id": "g1"}),
        ({"group_id": "default"}, {"group_id": None}),
    ],
)
def test_update_video_sends_only_the_fields_given(
    changes: dict[str, str], sent: dict[str, object]
) -> None:
    server = ScriptedServer([httpx.Response(200, json=VIDEO)])
    with v2_client(server) as client:
        video = client.update_video(VIDEO_ID, **changes)

    (request,) = server.requests
    assert (request.method, request.url.path, body(request)) == (
        "PATCH",
        f"/v2/videos/{VIDEO_ID}",
        sent,
    )
    assert (video.name, video.title, video.description, video.group_id) == (
        "Intro",
        "T",
        "D",
        "default",
    )
    assert (video.status, video.features, video.indexing_status) == (
        "uploaded",
        {"transcript": "ready"},
        None,
    )


def test_v2_upload_sends_the_v2_fields_and_leaves_out_the_default_group(tmp_path: object) -> None:
    server = ScriptedServer(
        [httpx.Response(202, json={"video_id": VIDEO_ID, "status": "uploading", "metadata": None})]
    )
    with v2_client(server) as client:
        result = client.upload_url(
            "https://cdn.example/a.mp4?sig=1", name="A", group_id="default", description="D"
        )

    (request,) = server.requests
    text = request.content.decode()
    assert (request.method, request.url.path) == ("POST", "/v2/videos")
    assert request.headers["content-type"].startswith("multipart/form-data")
    for field, value in (("video_url", "https://cdn.example/a.mp4?sig=1"), ("video_name", "A")):
        assert f'name="{field}"\r\n\r\n{value}\r\n' in text
    assert 'name="description"\r\n\r\nD\r\n' in text
    assert "group_id" not in text and "index" not in text
    assert (result.video_id, result.status) == (VIDEO_ID, "uploading")


def test_get_videos_asks_for_ids_as_a_repeated_query_parameter() -> None:
    server = ScriptedServer([httpx.Response(200, json={"results": [VIDEO]})])
    with v2_client(server) as client:
        client.get_videos(["a", "b", "c"], batch_size=2)

    assert [(r.method, str(r.url)) for r in server.requests] == [
        ("GET", "https://vision.test/v2/videos?ids=a&ids=b"),
        ("GET", "https://vision.test/v2/videos?ids=c"),
    ]


@pytest.mark.parametrize(
    ("call", "retried"),
    [
        (lambda c: c.update_video(VIDEO_ID, name="N"), True),
        (lambda c: c.move_videos("g1", [VIDEO_ID]), True),
        (lambda c: c.plan_features(VIDEO_ID, ["transcript"]), True),
        (lambda c: c.trigger_feature(VIDEO_ID, "transcript"), True),
        (lambda c: c.trigger_feature(VIDEO_ID, "transcript", force=True), False),
    ],
    ids=["patch", "move", "plan", "trigger", "trigger-force"],
)
def test_a_lost_answer_is_retried_only_for_calls_that_can_be_sent_twice(
    call: Callable[[SyncVisionClient], object], retried: bool
) -> None:
    answer: dict[str, object] = {
        **VIDEO,
        "feature": "transcript",
        "statuses": {},
        "actionable": [],
        "processing": [],
        "blocked": [],
        "done": True,
    }
    server = ScriptedServer([LOST, httpx.Response(200, json=answer)])
    with v2_client(server) as client:
        if retried:
            call(client)
        else:
            with pytest.raises(ConnectionFailed) as caught:
                call(client)
            assert caught.value.ambiguous

    assert len(server.requests) == (2 if retried else 1)


def test_a_retried_v2_delete_that_finds_the_video_gone_counts_as_done() -> None:
    server = ScriptedServer(
        [
            LOST,
            httpx.Response(404, json={"error": {"type": "not_found_error", "message": "gone"}}),
            httpx.Response(200, json={"results": []}),
        ]
    )
    with v2_client(server) as client:
        client.delete_videos([VIDEO_ID])

    assert [(r.method, r.url.path) for r in server.requests] == [
        ("DELETE", f"/v2/videos/{VIDEO_ID}"),
        ("DELETE", f"/v2/videos/{VIDEO_ID}"),
        ("GET", "/v2/videos"),
    ]


def test_v2_error_envelope_gives_the_message_and_parameter() -> None:
    error = {"error": {"type": "validation_error", "message": "name must not be empty"}}
    error["error"]["param"] = "name"
    server = ScriptedServer([httpx.Response(400, json=error)])
    with v2_client(server) as client, pytest.raises(Exception) as caught:
        client.update_video(VIDEO_ID, name=" ")

    assert str(caught.value) == (
        f"PATCH /v2/videos/{VIDEO_ID}: HTTP 400: name must not be empty (name)"
    )


# --- detection ------------------------------------------------------------------------------


def test_the_emulator_serves_v2_and_auto_speaks_it(emulator: RunningEmulator) -> None:
    with SyncVisionClient(emulator.url, API_KEY, api_version="auto") as client:
        assert client.api_version == "v2"
        assert client.probe_v2() is True


def test_open_asks_the_server_only_for_auto(emulator: RunningEmulator) -> None:
    async def versions() -> list[str]:
        found: list[str] = []
        for asked in ("auto", "v1", "v2"):
            async with await VisionClient.open(emulator.url, API_KEY, api_version=asked) as c:
                found.append(c.api_version)
        return found

    assert asyncio.run(versions()) == ["v2", "v1", "v2"]


@pytest.mark.parametrize("status", [404, 405])
def test_a_server_without_v2_routes_is_spoken_to_in_v1(status: int) -> None:
    server = ScriptedServer([httpx.Response(status, json={"detail": "Not Found"})])
    client = SyncVisionClient(
        "https://vision.test",
        KEY,
        api_version="auto",
        retry=FAST,
        transport=httpx.MockTransport(server.handle),
    )
    with client:
        assert client.api_version == "v1"

    assert [(r.method, r.url.path) for r in server.requests] == [("GET", "/v2/video-groups")]


def test_detection_fails_as_any_call_does(scripted: Scripted) -> None:
    unauthorized = httpx.Response(
        401, json={"error": {"type": "authentication_error", "message": "bad key"}}
    )
    server = ScriptedServer([unauthorized])
    with pytest.raises(AuthError):
        SyncVisionClient(
            "https://vision.test",
            KEY,
            api_version="auto",
            retry=FAST,
            transport=httpx.MockTransport(server.handle),
        )
    _, client = scripted(httpx.Response(503, json={"detail": "busy"}))
    with pytest.raises(ServerError) as caught:
        client.probe_v2()
    assert caught.value.attempts == FAST.attempts
