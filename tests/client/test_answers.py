"""What the client makes of each kind of answer: lenient JSON, clear errors, no retry of 4xx.

Served by a scripted transport (httpx's own seam) for answers the emulator never gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.client.conftest import KEY, ScriptedServer
from videosync.api.sync import SyncVisionClient
from videosync.errors import (
    ApiError,
    AuthError,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    ServerError,
)
from videosync.model import RemoteGroup, RemoteVideo

Scripted = Callable[..., tuple[ScriptedServer, SyncVisionClient]]

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body></html>"
)


def json_reply(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_videos_are_read_leniently_unknown_fields_and_nulls(scripted: Scripted) -> None:
    full = {
        "video_id": "v1",
        "url": "https://signed.example/v1",
        "indexing_status": "indexed",
        "indexing_type": "qa",
        "group_id": "g1",
        "something_new": {"nested": True},
        "metadata": {
            "video_name": "Intro",
            "source": "media/intro.mp4",
            "video_start_timestamp_utc_ms": 1744484745000,
            "width": 1920,
            "height": 1080,
            "avg_fps": 23.976,
            "duration": 641.939,
            "future_field": 1,
        },
    }
    bare = {"video_id": "v2", "url": "u", "metadata": None, "group_id": None}
    odd = {"video_id": "v3", "url": "u", "metadata": {"width": "wide", "duration": None}}
    _, client = scripted(json_reply(200, {"results": [full, bare, odd], "next": None}))

    videos = client.list_videos()

    assert videos == [
        RemoteVideo(
            video_id="v1",
            name="Intro",
            group_id="g1",
            indexing_status="indexed",
            source="media/intro.mp4",
            start_ms=1744484745000,
            width=1920,
            height=1080,
            duration=641.939,
            avg_fps=23.976,
            indexing_type="qa",
        ),
        RemoteVideo("v2", None, "default", None, None, None),
        RemoteVideo("v3", None, "default", None, None, None),
    ]


def test_groups_are_read_with_null_metadata_as_empty(scripted: Scripted) -> None:
    group = {"group_id": "g1", "name": "Marketing", "metadata": None, "created_at": None, "x": 1}
    _, client = scripted(json_reply(200, {"results": [group]}))

    assert client.list_groups() == [RemoteGroup("g1", "Marketing", {}, None, None)]


def test_html_502_from_a_proxy_is_a_server_error_after_every_retry(scripted: Scripted) -> None:
    page = httpx.Response(502, text=HTML_502, headers={"content-type": "text/html"})
    server, client = scripted(page)

    with pytest.raises(ServerError) as caught:
        client.list_videos()

    assert len(server.requests) == 4
    assert caught.value.status == 502
    assert caught.value.attempts == 4
    assert str(caught.value) == (
        "POST /videos/get: HTTP 502: the server answered with text/html, not JSON: "
        "'<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad G…'"
        " (after 4 attempts) (the service failed; try again later)"
    )


def test_html_page_with_200_is_a_malformed_response_not_a_key_error(scripted: Scripted) -> None:
    page = httpx.Response(
        200,
        text="<html>Sign in to continue</html>",
        headers={"content-type": "text/html; charset=utf-8"},
    )
    server, client = scripted(page)

    with pytest.raises(MalformedResponse) as caught:
        client.list_videos()

    assert len(server.requests) == 1
    assert "text/html, not JSON: '<html>Sign in to continue</html>'" in str(caught.value)
    assert "check --api-url" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"videos": []}, "no `results` list in the body"),
        ({"results": None}, "no `results` list in the body"),
        ([1, 2], "no `results` list in the body"),
        ({"results": [{"url": "u"}]}, "a video without `video_id`"),
        ({"results": [{"video_id": 7}]}, "a video without `video_id`"),
        ({"results": ["v1"]}, "a video that is not an object"),
    ],
)
def test_json_of_the_wrong_shape_is_a_malformed_response(
    scripted: Scripted, body: object, says: str
) -> None:
    _, client = scripted(json_reply(200, body))

    with pytest.raises(MalformedResponse) as caught:
        client.list_videos()

    assert says in str(caught.value)
    assert caught.value.call == "POST /videos/get"


def test_upload_answer_without_video_id_is_malformed(scripted: Scripted) -> None:
    _, client = scripted(json_reply(200, {"status": "upload_initiated"}))

    with pytest.raises(MalformedResponse, match="the upload answer has no `video_id`"):
        client.upload_url("https://example.com/a.mp4", name=None)


def test_upload_status_is_whatever_the_server_sent(scripted: Scripted) -> None:
    _, client = scripted(json_reply(200, {"video_id": "v9", "status": "download_initiated"}))

    result = client.upload_url("https://example.com/a.mp4", name="A")

    assert (result.video_id, result.status, result.size, result.digest) == (
        "v9",
        "download_initiated",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InvalidRequest),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, InvalidRequest),
        (413, InvalidRequest),
        (422, InvalidRequest),
    ],
)
def test_client_errors_are_not_retried_and_keep_the_servers_message(
    scripted: Scripted, status: int, error: type[ApiError]
) -> None:
    body = {"detail": "the server's words", "error": {"type": "x", "message": "the server's words"}}
    server, client = scripted(json_reply(status, body, **{"X-Request-ID": "req-42"}))

    with pytest.raises(error) as caught:
        client.get_group("g1")

    assert len(server.requests) == 1
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.call, caught.value.request_id) == (
        status,
        "GET /videos/groups/g1",
        "req-42",
    )
    assert caught.value.detail == "the server's words"
    assert str(caught.value).startswith(f"GET /videos/groups/g1: HTTP {status}: the server's words")


def test_auth_error_tells_the_user_where_the_key_comes_from(scripted: Scripted) -> None:
    _, client = scripted(json_reply(401, {"detail": "Invalid API key"}))

    with pytest.raises(AuthError) as caught:
        client.list_groups()

    assert str(caught.value) == (
        "GET /videos/groups: HTTP 401: Invalid API key "
        "(check REKA_API_KEY, or use --api-url local for the embedded emulator)"
    )


def test_fastapi_validation_list_is_one_readable_line(scripted: Scripted) -> None:
    detail = [
        {"loc": ["body", "video_name"], "msg": "field required", "type": "missing"},
        {"loc": ["body", "index"], "msg": "not a boolean", "type": "bool_parsing"},
    ]
    server, client = scripted(json_reply(422, {"detail": detail}))

    with pytest.raises(InvalidRequest) as caught:
        client.upload_url("https://example.com/a.mp4", name=None)

    assert len(server.requests) == 1
    assert caught.value.message == "video_name: field required; index: not a boolean"
    assert caught.value.detail == detail


def test_error_envelope_without_detail_is_read(scripted: Scripted) -> None:
    body = {"error": {"type": "validation_error", "message": "bad name", "param": "name"}}
    _, client = scripted(json_reply(400, body))

    with pytest.raises(InvalidRequest) as caught:
        client.create_group("")

    assert caught.value.message == "bad name (name)"


def test_redirect_is_reported_not_followed(scripted: Scripted) -> None:
    moved = httpx.Response(301, headers={"location": "https://elsewhere.test/videos/get"})
    server, client = scripted(moved)

    with pytest.raises(MalformedResponse) as caught:
        client.list_videos()

    assert len(server.requests) == 1
    assert "unexpected HTTP 301 answer" in str(caught.value)


def test_requests_carry_the_key_header_user_agent_and_json_bodies(scripted: Scripted) -> None:
    server, client = scripted(json_reply(200, {"results": []}))
    ids = [f"id-{n}" for n in range(250)]

    assert client.get_videos(ids) == []
    client.delete_videos(ids[:3])

    gets = [r for r in server.requests if r.url.path == "/videos/get"]
    assert [json.loads(r.content)["video_ids"] for r in gets] == [
        ids[:100],
        ids[100:200],
        ids[200:],
    ]
    delete = server.requests[-1]
    assert (delete.method, delete.url.path) == ("DELETE", "/videos/delete")
    assert json.loads(delete.content) == {"video_ids": ids[:3]}
    assert delete.headers["content-type"] == "application/json"
    for request in server.requests:
        assert request.headers["x-api-key"] == KEY
        assert request.headers["user-agent"].startswith("videosync/")
        assert "authorization" not in request.headers


def test_list_videos_is_one_call_with_an_empty_json_object(scripted: Scripted) -> None:
    server, client = scripted(json_reply(200, {"results": []}))

    client.list_videos()

    assert [(r.method, r.url.path, json.loads(r.content)) for r in server.requests] == [
        ("POST", "/videos/get", {})
    ]


def test_group_calls_use_the_documented_routes_and_bodies(scripted: Scripted) -> None:
    group = {"group_id": "g/1", "name": "N", "metadata": {"a": 1}}
    server, client = scripted(json_reply(200, group))

    client.create_group("N", {"a": 1})
    client.update_group("g/1", metadata={"a": 2})
    client.get_group("g/1")
    client.delete_group("g/1")

    seen = [
        (r.method, r.url.raw_path.decode(), json.loads(r.content) if r.content else None)
        for r in server.requests
    ]
    assert seen == [
        ("POST", "/videos/groups", {"name": "N", "metadata": {"a": 1}}),
        ("PATCH", "/videos/groups/g%2F1", {"metadata": {"a": 2}}),
        ("GET", "/videos/groups/g%2F1", None),
        ("DELETE", "/videos/groups/g%2F1", None),
    ]


def test_update_group_with_nothing_to_change_is_refused_before_sending(scripted: Scripted) -> None:
    server, client = scripted(json_reply(200, {}))

    with pytest.raises(ValueError, match="needs a name or metadata"):
        client.update_group("g1")

    assert server.requests == []
