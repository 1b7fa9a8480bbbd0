"""Helpers for the emulator's own tests: a keyed client, a one-call upload, no DNS."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY, OTHER_API_KEY
from videosync.emulator import RunningEmulator

Upload = Callable[..., httpx.Response]

_real_getaddrinfo = socket.getaddrinfo


def _local_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    """`socket.getaddrinfo` for addresses and `localhost` (/etc/hosts); any other name fails."""
    name = host.decode() if isinstance(host, bytes) else host
    if name in (None, "localhost"):
        return _real_getaddrinfo(host, port, *args, **kwargs)
    named = dict(zip(("family", "type", "proto", "flags"), args, strict=False)) | kwargs
    named["flags"] = named.get("flags", 0) | socket.AI_NUMERICHOST
    try:
        return _real_getaddrinfo(host, port, **named)
    except socket.gaierror:
        raise socket.gaierror(
            socket.EAI_NONAME, f"name lookup of {name!r} refused by tests"
        ) from None


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator resolves `video_url` hosts: a lookup is traffic too, so none leaves here.

    (The network guard of tests/conftest.py sees connections only, not the resolver's.)
    """
    monkeypatch.setattr(socket, "getaddrinfo", _local_getaddrinfo)


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """An httpx client on the emulator with API_KEY."""
    with httpx.Client(base_url=emulator.url, headers={"X-Api-Key": API_KEY}) as client:
        yield client


@pytest.fixture
def other_api(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """An httpx client on the emulator with OTHER_API_KEY: a second tenant."""
    with httpx.Client(base_url=emulator.url, headers={"X-Api-Key": OTHER_API_KEY}) as client:
        yield client


def upload_file(
    client: httpx.Client,
    path: Path,
    *,
    filename: str | None = None,
    **fields: Any,
) -> httpx.Response:
    """POST /videos/upload with `path` as the file; `fields` default to a name and index=true."""
    data = {"video_name": path.name, "index": "true", **fields}
    data = {k: v for k, v in data.items() if v is not None}
    with path.open("rb") as f:
        return client.post(
            "/videos/upload",
            data=data,
            files={"file": (filename or path.name, f, "video/mp4")},
        )


def uploaded(client: httpx.Client, path: Path, **fields: Any) -> str:
    """Upload `path` and return the new video_id (the upload must succeed)."""
    response = upload_file(client, path, **fields)
    assert response.status_code == 200, response.text
    video_id: str = response.json()["video_id"]
    return video_id


def video(client: httpx.Client, video_id: str) -> dict[str, Any]:
    """The Video object of `video_id` from POST /videos/get."""
    results = client.post("/videos/get", json={"video_ids": [video_id]}).json()["results"]
    assert len(results) == 1
    found: dict[str, Any] = results[0]
    return found
