"""A URL's query string goes to the server and nowhere else: a `video_url` is sent whole,
and the sources the server lists come back with it withheld."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.client.conftest import ScriptedServer
from tests.client.test_upload_wire import ACCEPTED, form_field
from videosync.api.sync import SyncVisionClient
from videosync.errors import ApiError, QueryWithheld
from videosync.ownership import SignedUrl

Scripted = Callable[..., tuple[ScriptedServer, SyncVisionClient]]

SIGNED = "https://cdn.example.com/keynote.mp4?expires=1700000000&signature=c0ffee"


def test_a_signed_url_is_sent_whole(scripted: Scripted) -> None:
    server, client = scripted(ACCEPTED)

    client.upload_url(SignedUrl(SIGNED), name="Keynote")

    assert form_field(server.requests[0].content, "video_url") == SIGNED


def test_a_url_whose_query_string_was_withheld_is_not_sent(scripted: Scripted) -> None:
    server, client = scripted(ACCEPTED)

    with pytest.raises(QueryWithheld) as caught:
        client.upload_url("https://cdn.example.com/keynote.mp4?…", name="Keynote")

    assert isinstance(caught.value, ApiError)  # the applier closes its intent: nothing sent
    assert str(caught.value) == (
        "POST /videos/upload: not sent: the saved plan holds this URL without its query string "
        "(videosync keeps none anywhere), which the server needs to fetch it (apply without a "
        "plan file: `videosync apply` reads the whole URL from the manifest)"
    )
    assert server.requests == []


def test_listed_sources_come_without_their_query_string(scripted: Scripted) -> None:
    def video(video_id: str, source: str) -> dict[str, object]:
        return {"video_id": video_id, "group_id": "default", "metadata": {"source": source}}

    sources = [
        SIGNED,
        "https://example.com/plain.mp4",
        "media/what?.mp4",  # a file's key: not a URL, kept as it is
    ]
    listing = {"results": [video(f"v{i}", source) for i, source in enumerate(sources)]}
    _, client = scripted(httpx.Response(200, json=listing))

    expected = ["https://cdn.example.com/keynote.mp4?…", *sources[1:]]
    assert [v.source for v in client.list_videos()] == expected
    assert [v.source for v in client.get_videos(["v0", "v1", "v2"])] == expected
