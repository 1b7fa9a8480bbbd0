"""Hostile JSON bodies are refused with 4xx and store nothing; a bad stored value cannot
break a listing; bodies are capped while they are read."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.conftest import uploaded
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator

JSON = {"Content-Type": "application/json"}

NESTED = "Request body is nested more than 64 levels deep"
NOT_FINITE = "Request body has {}: JSON numbers are finite"
NUL = "Request body has a NUL character (\\u0000) in a string"
SURROGATE = "Request body has a lone surrogate ({}) in a string: not Unicode"


def _detail(response: httpx.Response) -> str:
    body = response.json()
    assert body["error"]["message"] == body["detail"]
    detail: str = body["detail"]
    return detail


HOSTILE_GROUPS = [
    pytest.param(b"[" * 50_000 + b"]" * 50_000, NESTED, id="50k-deep-array"),
    pytest.param(
        b'{"name": "deep", "metadata": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
        "Request body is larger than 262144 bytes",
        id="50k-deep-object",
    ),
    pytest.param(
        b'{"name": "deep", "metadata": ' + b'{"a": ' * 70 + b"1" + b"}" * 71,
        NESTED,
        id="70-deep-parses-but-too-deep",
    ),
    pytest.param(b'{"name": "x", "metadata": {"x": NaN}}', NOT_FINITE.format("NaN"), id="NaN"),
    pytest.param(
        b'{"name": "x", "metadata": {"x": -Infinity}}',
        NOT_FINITE.format("-Infinity"),
        id="-Infinity",
    ),
    pytest.param(
        b'{"name": "x", "metadata": {"x": 1e999}}',
        "Request body has a number too large for a float: 1e999",
        id="1e999",
    ),
    pytest.param(b'{"name": "\\ud800"}', SURROGATE.format("\\ud800"), id="lone-surrogate"),
    pytest.param(
        b'{"name": "x", "metadata": {"\\udfff": 1}}',
        SURROGATE.format("\\udfff"),
        id="lone-surrogate-in-a-key",
    ),
    pytest.param(b'{"name": "a\\u0000b"}', NUL, id="NUL"),
    pytest.param(b'{"name": "x", "metadata": {"k": ["\\u0000"]}}', NUL, id="NUL-in-metadata"),
    pytest.param(b'{"name": "x"', "Request body is not valid JSON", id="truncated"),
    pytest.param(b'{"name": "\xff"}', "Request body is not valid JSON", id="not-utf-8"),
    pytest.param(
        b'{"name": 1' + b"0" * 5000 + b"}", "Request body is not valid JSON", id="huge-int"
    ),
]


@pytest.mark.parametrize(("body", "detail"), HOSTILE_GROUPS)
def test_hostile_json_creates_no_group_and_is_4xx(
    api: httpx.Client, body: bytes, detail: str
) -> None:
    response = api.post("/videos/groups", content=body, headers=JSON)

    assert response.status_code in (413, 422)
    assert _detail(response) == detail
    listing = api.get("/videos/groups")
    assert listing.status_code == 200
    assert listing.json() == {"results": []}


@pytest.mark.parametrize(("body", "detail"), HOSTILE_GROUPS[3:])
def test_hostile_json_leaves_a_group_unchanged(api: httpx.Client, body: bytes, detail: str) -> None:
    group = api.post("/videos/groups", json={"name": "kept", "metadata": {"a": 1}}).json()

    response = api.patch(f"/videos/groups/{group['group_id']}", content=body, headers=JSON)

    assert response.status_code == 422
    assert _detail(response) == detail
    assert api.get("/videos/groups").json() == {"results": [group]}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/videos/get"),
        ("DELETE", "/videos/delete"),
        ("POST", "/videos/groups/default/videos"),
    ],
)
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"video_ids": ["\\ud800"]}', SURROGATE.format("\\ud800")),
        (b'{"video_ids": ["\\u0000"]}', NUL),
        (b'{"video_ids": [NaN]}', NOT_FINITE.format("NaN")),
        (b"[" * 50_000 + b"]" * 50_000, NESTED),
    ],
)
def test_hostile_json_to_the_video_routes_is_422(
    api: httpx.Client, method: str, path: str, body: bytes, detail: str
) -> None:
    response = api.request(method, path, content=body, headers=JSON)

    assert response.status_code == 422
    assert _detail(response) == detail


def test_metadata_stored_as_nan_by_an_older_emulator_is_served_as_null(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", api_keys=(API_KEY,))
    with (
        start_emulator(config) as emulator,
        httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as api,
    ):
        nan = api.post("/videos/groups", json={"name": "nan", "metadata": {"x": 1}}).json()
        broken = api.post("/videos/groups", json={"name": "broken"}).json()
    with sqlite3.connect(tmp_path / "data" / "emulator.sqlite3") as db:
        db.execute(
            "UPDATE groups SET metadata = ? WHERE group_id = ?",
            ('{"x": NaN, "y": [Infinity, 1]}', nan["group_id"]),
        )
        db.execute(
            "UPDATE groups SET metadata = ? WHERE group_id = ?", ("[1, 2", broken["group_id"])
        )

    with (
        start_emulator(config) as emulator,
        httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as api,
    ):
        listing = api.get("/videos/groups")
        one = api.get(f"/videos/groups/{nan['group_id']}")

    assert listing.status_code == 200
    assert [g["metadata"] for g in listing.json()["results"]] == [
        {"x": None, "y": [None, 1]},
        {},
    ]
    assert one.json()["metadata"] == {"x": None, "y": [None, 1]}


def test_a_json_body_over_the_limit_is_413_before_it_is_sent(api: httpx.Client) -> None:
    response = api.post("/videos/get", content=b" " * (256 * 1024 + 1), headers=JSON)

    assert response.status_code == 413
    assert _detail(response) == "Request body is larger than 262144 bytes"


def _chunked(*parts: bytes) -> bytes:
    """`parts` as chunks of a chunked body, without the last (empty) chunk."""
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts)


def _raw_request(emulator: RunningEmulator, head: str, body: bytes) -> bytes:
    """Send `head` and `body` (never the end of a chunked body); what the server answers."""
    url = urlsplit(emulator.url)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer:  # the status line and headers are enough
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return answer


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/videos/groups", "Request body is larger than 262144 bytes"),
        ("/videos/get", "Request body is larger than 262144 bytes"),
    ],
)
def test_an_oversize_body_is_refused_without_waiting_for_the_rest(
    emulator: RunningEmulator, path: str, detail: str
) -> None:
    # 400 MB announced, 64 KiB sent: a server that read the whole body first would wait.
    declared = _raw_request(
        emulator,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nX-Api-Key: {API_KEY}\r\n"
        "Content-Type: application/json\r\nContent-Length: 400000000\r\n",
        b"[" * 65536,
    )
    # Chunked, no length: 320 KiB sent, the body never ends.
    chunked = _raw_request(
        emulator,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nX-Api-Key: {API_KEY}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
        _chunked(*[b"[" * 32768] * 10),
    )

    assert declared.startswith(b"HTTP/1.1 413 ")
    assert chunked.startswith(b"HTTP/1.1 413 ")


def test_a_chunked_form_encoded_upload_is_capped_too(emulator: RunningEmulator) -> None:
    answer = _raw_request(
        emulator,
        f"POST /videos/upload HTTP/1.1\r\nHost: x\r\nX-Api-Key: {API_KEY}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n",
        _chunked(b"index=true&pad=", *[b"x" * 65536] * 17),
    )

    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_form_field_sent_only_as_a_file_is_ignored_by_get(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded(api, sample_video)

    response = api.post("/videos/get", files={"thumbnail": ("t.bin", b"x")})

    assert response.status_code == 200
    assert [v["video_id"] for v in response.json()["results"]] == [video_id]


def test_thousands_of_ids_are_all_checked(api: httpx.Client, sample_video: Path) -> None:
    # SQLite binds at most 999 values in a statement before 3.32, 32,766 after by default.
    video_id = uploaded(api, sample_video)
    unknown = [f"{i:x}" for i in range(20_000)]

    response = api.request("DELETE", "/videos/delete", json={"video_ids": [video_id, *unknown]})

    assert response.status_code == 404
    assert _detail(response).startswith("Video(s) not found, nothing deleted: 0, 1, 2, ")
    assert api.post("/videos/get").json()["results"][0]["video_id"] == video_id
