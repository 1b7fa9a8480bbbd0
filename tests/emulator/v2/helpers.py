"""What the v2 tests share: uploads, reads, feature runs, schema and error checks."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs

from videosync.emulator.v2.spec import spec

__all__ = [
    "SYNTHETIC",
    "conforming",
    "error_of",
    "run_features",
    "upload_v2",
    "uploaded_v2",
    "video_v2",
]


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


SYNTHETIC = "[synthetic]"


@functools.cache
def _validator(name: str) -> jsonschema_rs.Validator:
    document = {"$ref": f"#/components/schemas/{name}", "components": spec()["components"]}
    return jsonschema_rs.Draft202012Validator(document)


def conforming(response: httpx.Response, schema: str) -> Any:
    """The JSON of a 200 `response`, which must be valid against the published `schema`."""
    assert response.status_code == 200, response.text
    body = response.json()
    errors = [e.message for e in _validator(schema).iter_errors(body)]
    assert errors == [], f"not a {schema}: {errors}"
    return body


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The v2 error envelope of a `status` answer."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def run_features(api: httpx.Client, video_id: str, *features: str, **chunking: Any) -> None:
    """Trigger transcript (with `chunking`) and then `features`, each ready at once."""
    for feature in ("transcript", *features):
        body = {"chunking_config": chunking} if feature == "transcript" and chunking else {}
        response = api.post(f"/v2/videos/{video_id}/features/{feature}", json=body)
        assert response.json()["status"] == "ready", response.text
