"""Fuzzing the emulator's JSON and multipart routes: whatever arrives, never a 5xx.

One emulator per test takes every example in turn, so a value one request stores is met by
the requests after it, and the listings at the end.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Text as hostile as JSON can carry: lone surrogates and NUL beside any other character.
_text = st.text(st.characters() | st.characters(categories=["Cs"]) | st.just("\x00"), max_size=12)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,  # floats: NaN, ±Infinity
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_text, children, max_size=3),
    max_leaves=10,
)

_objects = st.dictionaries(
    st.sampled_from(["name", "metadata", "video_ids"]) | _text,
    _json | st.lists(_text, max_size=3),
    max_size=3,
)

# json.dumps writes NaN and Infinity as such and lone surrogates as \ud800 escapes.
_json_bodies = (_objects | _json).map(lambda value: json.dumps(value).encode())
_bodies = (
    _json_bodies
    | st.binary(max_size=64)
    | st.sampled_from([b"", b"[" * 5000, b'{"name": "x", "metadata": {"x": 1e999}}'])
)

_content_types = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "text/plain",
        "",
    ]
)

_FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _json_routes(group_id: str) -> Any:
    fixed = st.sampled_from(
        [
            ("POST", "/videos/groups"),
            ("PATCH", f"/videos/groups/{group_id}"),
            ("POST", f"/v1/videos/groups/{group_id}/videos"),
            ("POST", "/videos/groups/default/videos"),
            ("POST", "/videos/get"),
            ("DELETE", "/videos/delete"),
        ]
    )
    fuzzed_ids = st.builds(
        lambda method, template, text: (
            method,
            template.format(quote(text.encode("utf-8", "surrogatepass"))),
        ),
        st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
        st.sampled_from(
            [
                "/videos/groups/{0}",
                "/videos/groups/{0}/videos",
                "/videos/{0}",
                "/v1/videos?ids={0}",
                "/files/{0}?expires=1&signature={0}",
            ]
        ),
        _text,
    )
    return fixed | fuzzed_ids


def _listings_answer(api: httpx.Client) -> None:
    groups = api.get("/videos/groups")
    assert groups.status_code == 200, groups.text
    for group in groups.json()["results"]:
        one = api.get(f"/videos/groups/{group['group_id']}")
        assert one.status_code == 200, one.text
        assert api.get(f"/videos/groups/{group['group_id']}/videos").status_code == 200
    videos = api.post("/videos/get")
    assert videos.status_code == 200, videos.text


def test_json_routes_never_answer_5xx(api: httpx.Client) -> None:
    group_id = api.post("/videos/groups", json={"name": "target"}).json()["group_id"]

    @_FUZZ
    @given(route=_json_routes(group_id), body=_bodies, content_type=_content_types)
    def send(route: tuple[str, str], body: bytes, content_type: str) -> None:
        method, path = route
        headers = {"Content-Type": content_type} if content_type else {}
        response = api.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (method, path, body, response.text)

    send()
    _listings_answer(api)


_upload_values = st.sampled_from(
    [
        "true",
        "0",
        "maybe",
        "",
        "2025-04-12T19:05:45Z",
        "yesterday",
        "default",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433:1/v.mp4",
        "http://user:pw@127.0.0.1:1/v.mp4",
        "http:///etc/passwd",
        "http://[::1/v.mp4",
        "http://videos.test/v.mp4",  # a name: the tests refuse its lookup
        "file:///etc/passwd",
    ]
) | _text.map(lambda text: text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))

_upload_fields = st.fixed_dictionaries(
    {},
    optional={
        name: _upload_values.map(str.encode) | st.binary(max_size=24)
        for name in (
            "video_url",
            "video_name",
            "index",
            "enable_thumbnails",
            "video_absolute_start_timestamp",
            "video_start_absolute_timestamp",
            "group_id",
        )
    },
)

_file_parts = st.none() | st.tuples(_text, st.binary(max_size=256))


def test_the_multipart_upload_never_answers_5xx(api: httpx.Client) -> None:
    @_FUZZ
    @given(
        fields=_upload_fields,
        file=_file_parts,
        raw=st.none() | st.binary(max_size=200),
        urlencoded=st.booleans(),
    )
    def send(
        fields: dict[str, bytes],
        file: tuple[str, bytes] | None,
        raw: bytes | None,
        urlencoded: bool,
    ) -> None:
        if raw is not None:  # a body that may not be multipart at all
            content_type = "multipart/form-data; boundary=b"
            if urlencoded:
                content_type = "application/x-www-form-urlencoded"
            response = api.post(
                "/videos/upload", content=raw, headers={"Content-Type": content_type}
            )
        elif urlencoded:
            response = api.post(
                "/videos/upload",
                content=b"&".join(
                    quote(name).encode() + b"=" + quote(value).encode()
                    for name, value in fields.items()
                ),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        else:
            parts: dict[str, Any] = {name: (None, value) for name, value in fields.items()}
            if file is not None:
                parts["file"] = (file[0].encode("utf-8", "replace").decode(), file[1])
            response = api.post("/videos/upload", files=parts)
        assert response.status_code < 500, (fields, file, raw, response.text)

    send()
    _listings_answer(api)
