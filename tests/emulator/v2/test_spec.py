"""The vendored OpenAPI extract is the shared one, and the emulator serves all of it.

`videosync/emulator/v2/openapi.json` is a JSON copy of shared/api/v2/vision-v2.openapi.yaml
(plus one `x-videosync-source` key saying so): the first test keeps the two equal. The
second sends one plausible request to every operation the extract declares and checks
the router took it: no 404 of an unknown path, no 405 of an unknown method.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import API_KEY
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.emulator.v2.spec import SPEC_PATH, spec

ROOT = Path(__file__).resolve().parents[3]
SHARED_YAML = ROOT.parent / "shared" / "api" / "v2" / "vision-v2.openapi.yaml"
"""The published extract, beside the clone (CI always checks `shared/` out next to it)."""

OWN_KEY = "x-videosync-source"
"""The one key the vendored copy adds: where it comes from."""

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operations() -> list[Any]:
    return [
        pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
        for path, item in spec()["paths"].items()
        for method in item
        if method in METHODS
    ]


def test_vendored_spec_is_the_shared_yaml() -> None:
    if not SHARED_YAML.is_file():
        pytest.fail(
            f"{SHARED_YAML} is missing: the shared API folder must be checked out beside the "
            f"clone (../shared) to compare {SPEC_PATH.name} with the published extract"
        )
    published = yaml.safe_load(SHARED_YAML.read_text(encoding="utf-8"))
    vendored = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert OWN_KEY in vendored, f"{SPEC_PATH.name} no longer says where it comes from"
    vendored.pop(OWN_KEY)
    assert vendored == published, (
        f"{SPEC_PATH} differs from {SHARED_YAML}: convert the YAML to JSON again "
        f"(keeping the {OWN_KEY!r} key)"
    )


def test_vendored_reference_is_the_shared_one() -> None:
    shared = SHARED_YAML.with_name("REFERENCE.md")
    vendored = SPEC_PATH.with_name("REFERENCE.md")
    if not shared.is_file():
        pytest.fail(f"{shared} is missing: check the shared API folder out beside the clone")
    assert vendored.read_bytes() == shared.read_bytes(), f"copy {shared} to {vendored} again"


# --- every operation is served -------------------------------------------------------------


def _video(client: httpx.Client, path: Path) -> str:
    with path.open("rb") as f:
        response = client.post(
            "/v2/videos",
            data={"video_name": path.name},
            files={"file": (path.name, f, "video/mp4")},
        )
    assert response.status_code == 202, response.text
    video_id: str = response.json()["video_id"]
    return video_id


def _group(client: httpx.Client, name: str) -> str:
    response = client.post("/v2/video-groups", json={"name": name})
    assert response.status_code == 200, response.text
    group_id: str = response.json()["group_id"]
    return group_id


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, sample_video: Path
) -> Iterator[tuple[RunningEmulator, dict[str, str]]]:
    """One emulator for the module, with a video and a group for the path parameters."""
    config = EmulatorConfig(
        data_dir=tmp_path_factory.mktemp("v2-spec") / "data",
        api_keys=(API_KEY,),
        retry_after=0,
    )
    with (
        start_emulator(config) as running,
        httpx.Client(base_url=running.url, headers={"X-Api-Key": API_KEY}) as client,
    ):
        ids = {"video_id": _video(client, sample_video), "group_id": _group(client, "spec")}
        yield running, ids


def _body(method: str, path: str, ids: dict[str, str], sample: Path) -> dict[str, Any]:
    """httpx keyword arguments of a plausible request to `method path`."""
    video = ids["video_id"]
    json_bodies: dict[tuple[str, str], Any] = {
        ("PATCH", "/v2/videos/{video_id}"): {"title": "served"},
        ("POST", "/v2/video-groups"): {"name": "another"},
        ("PATCH", "/v2/video-groups/{group_id}"): {"name": "renamed"},
        ("POST", "/v2/video-groups/{group_id}/videos"): {"video_ids": [video]},
        ("POST", "/v2/videos/{video_id}/features/plan"): {"desired": ["embeddings"]},
        ("POST", "/v2/videos/{video_id}/features/transcript"): {},
        ("POST", "/v2/videos/{video_id}/features/captions"): {},
        ("POST", "/v2/videos/{video_id}/features/embeddings"): {},
        ("POST", "/v2/videos/{video_id}/features/objects"): {},
        ("POST", "/v2/search"): {"query": "a bar moving", "strategy": "text"},
        ("POST", "/v2/chat"): {
            "messages": [{"role": "user", "content": "What happens?"}],
            "context": [{"video_id": video}],
        },
        ("POST", "/v2/videos/{video_id}/segment"): {
            "prompts": [{"type": "text", "text": "person"}]
        },
    }
    if (method, path) == ("POST", "/v2/videos"):
        return {
            "data": {"video_name": "served"},
            "files": {"file": (sample.name, sample.read_bytes(), "video/mp4")},
        }
    if (method, path) in json_bodies:
        return {"json": json_bodies[(method, path)]}
    request_body = spec()["paths"][path][method.lower()].get("requestBody")
    if request_body is not None:
        pytest.fail(f"{method} {path} takes a body: add a plausible one to _body's table")
    return {}


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_operation_is_served(
    served: tuple[RunningEmulator, dict[str, str]],
    sample_video: Path,
    method: str,
    path: str,
) -> None:
    running, ids = served
    with httpx.Client(base_url=running.url, headers={"X-Api-Key": API_KEY}) as client:
        if method == "DELETE":  # a thing of its own, so the shared ids stay for the others
            ids = {"video_id": _video(client, sample_video), "group_id": _group(client, "gone")}
        response = client.request(
            method, path.format(**ids), **_body(method, path, ids, sample_video)
        )
    # The router's own answers: Starlette's HTTPException, with its default phrase.
    error = response.json().get("error") if response.is_error else None
    message = error.get("message") if isinstance(error, dict) else None
    assert response.status_code != 405, f"{method} {path}: method not routed: {response.text}"
    assert not (response.status_code == 404 and message == "Not Found"), (
        f"{method} {path}: path not routed: {response.text}"
    )
    assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text}"
