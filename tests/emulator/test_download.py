"""The Video `url`: signed, expiring, served by the emulator itself, with Range support."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.conftest import API_KEY
from tests.emulator.conftest import uploaded, video
from videosync.emulator import EmulatorConfig, start_emulator


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def test_url_downloads_the_exact_uploaded_bytes_without_a_key(
    api: httpx.Client, sample_video: Path
) -> None:
    url = video(api, uploaded(api, sample_video))["url"]

    response = httpx.get(url)

    assert response.status_code == 200
    assert response.content == sample_video.read_bytes()
    assert response.headers["accept-ranges"] == "bytes"


def test_range_request_gets_206_and_content_range(api: httpx.Client, sample_video: Path) -> None:
    url = video(api, uploaded(api, sample_video))["url"]
    data = sample_video.read_bytes()

    response = httpx.get(url, headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert response.content == data[100:200]


def test_unsatisfiable_range_is_416(api: httpx.Client, sample_video: Path) -> None:
    url = video(api, uploaded(api, sample_video))["url"]
    size = sample_video.stat().st_size

    response = httpx.get(url, headers={"Range": f"bytes={size + 10}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"


def test_tampered_signature_expiry_or_id_is_403(
    api: httpx.Client, sample_videos: list[Path]
) -> None:
    first = video(api, uploaded(api, sample_videos[0]))["url"]
    second_id = uploaded(api, sample_videos[1])
    signature = parse_qs(urlsplit(first).query)["signature"][0]
    expires = parse_qs(urlsplit(first).query)["expires"][0]

    tampered = [
        _with_query(first, signature=signature[:-1] + ("0" if signature[-1] != "0" else "1")),
        _with_query(first, expires=str(int(expires) + 1)),
        _with_query(first, signature=signature[:-1] + "\u00e9"),  # not ASCII: was a 500
        first.replace(urlsplit(first).path.rsplit("/", 1)[1], second_id),
        urlsplit(first)._replace(query="").geturl(),
    ]
    for url in tampered:
        response = httpx.get(url)
        assert response.status_code == 403, url
        assert response.json()["detail"] == (
            "Invalid or expired download URL: get a fresh one from /videos/get"
        )


def test_expired_url_is_403(tmp_path: Path, sample_video: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", api_keys=(API_KEY,), url_ttl=0)
    with (
        start_emulator(config) as emulator,
        httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as api,
    ):
        url = video(api, uploaded(api, sample_video))["url"]

        assert httpx.get(url).status_code == 403


def test_url_of_a_deleted_video_is_404(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded(api, sample_video)
    url = video(api, video_id)["url"]
    api.request("DELETE", "/videos/delete", json={"video_ids": [video_id]})

    assert httpx.get(url).status_code == 404
