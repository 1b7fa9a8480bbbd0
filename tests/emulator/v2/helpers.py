"""Calls the v2 tests share: a v2 file upload, and reading one video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

__all__ = ["upload_v2", "uploaded_v2", "video_v2"]


def upload_v2(
    client: httpx.Client, path: Path, *, filename: str | None = None, **fields: str
) -> httpx.Response:
    """POST /v2/videos with `path` as the multipart file and `fields` as form fields."""
    with path.open("rb") as f:
        return client.post(
            "/v2/videos",
            data=fields,
            files={"file": (filename or path.name, f, "application/octet-stream")},
        )


def uploaded_v2(client: httpx.Client, path: Path, **fields: str) -> str:
    """Upload `path` through v2 (named after the file unless `video_name` is given)."""
    response = upload_v2(client, path, **{"video_name": path.stem, **fields})
    assert response.status_code == 202, response.text
    video_id: str = response.json()["video_id"]
    return video_id


def video_v2(client: httpx.Client, video_id: str) -> dict[str, Any]:
    """GET /v2/videos/{video_id} (it must exist)."""
    response = client.get(f"/v2/videos/{video_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
