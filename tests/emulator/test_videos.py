"""Getting, listing and deleting videos; authentication; one tenant per key."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.conftest import uploaded
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [v["video_id"] for v in response.json()["results"]]


def test_get_with_ids_returns_those_in_request_order_and_leaves_unknown_ids_out(
    api: httpx.Client, sample_videos: list[Path]
) -> None:
    a, _b, c = (uploaded(api, p) for p in sample_videos)

    response = api.post("/videos/get", json={"video_ids": [c, "not-an-id", a]})

    assert _ids(response) == [c, a]


def test_get_with_no_body_empty_object_or_empty_ids_lists_everything_oldest_first(
    api: httpx.Client, sample_videos: list[Path]
) -> None:
    ids = [uploaded(api, p) for p in sample_videos]

    assert _ids(api.post("/videos/get")) == ids
    assert _ids(api.post("/videos/get", json={})) == ids
    assert _ids(api.post("/videos/get", json={"video_ids": []})) == ids
    assert _ids(api.get("/v1/videos")) == ids


def test_v1_list_filters_by_repeated_ids(api: httpx.Client, sample_videos: list[Path]) -> None:
    a, _, c = (uploaded(api, p) for p in sample_videos)

    assert _ids(api.get("/v1/videos", params={"ids": [a, c]})) == [a, c]


def test_get_one_by_id_and_404_for_unknown(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded(api, sample_video)

    assert api.get(f"/v1/videos/{video_id}").json()["video_id"] == video_id
    missing = api.get("/v1/videos/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Video '00000000-0000-4000-8000-000000000000' not found"


def test_video_ids_must_be_a_list_of_strings(api: httpx.Client) -> None:
    response = api.post("/videos/get", json={"video_ids": "abc"})

    assert response.status_code == 422
    assert response.json()["detail"] == "video_ids must be a list of video id strings"


def test_get_with_a_body_that_is_not_json_is_422(api: httpx.Client) -> None:
    response = api.post(
        "/videos/get", content=b"{nope", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "Request body is not valid JSON"


def test_both_path_styles_are_served(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded(api, sample_video)

    assert _ids(api.post("/v1/videos/get")) == [video_id]
    assert api.get("/v1/videos/groups").json() == {"results": []}
    assert api.get("/videos/groups").json() == {"results": []}


def test_delete_removes_metadata_and_the_stored_file(
    emulator: RunningEmulator, api: httpx.Client, sample_videos: list[Path]
) -> None:
    keep, gone = (uploaded(api, p) for p in sample_videos[:2])
    stored = emulator.config.data_dir / "videos"
    assert sorted(p.name for p in stored.iterdir()) == sorted([keep, gone])

    response = api.request("DELETE", "/videos/delete", json={"video_ids": [gone]})

    assert response.json() == {"status": "success", "message": "Deleted 1 video"}
    assert _ids(api.post("/videos/get")) == [keep]
    assert [p.name for p in stored.iterdir()] == [keep]


def test_delete_with_an_unknown_id_deletes_nothing_and_is_404(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded(api, sample_video)

    response = api.request("DELETE", "/videos/delete", json={"video_ids": [video_id, "nope"]})

    assert response.status_code == 404
    assert response.json()["detail"] == "Video(s) not found, nothing deleted: nope"
    assert _ids(api.post("/videos/get")) == [video_id]


def test_delete_needs_video_ids(api: httpx.Client) -> None:
    response = api.request("DELETE", "/videos/delete", json={})

    assert response.status_code == 422
    assert response.json()["detail"] == "video_ids is required: a non-empty list of video ids"


def test_v1_delete_one(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded(api, sample_video)

    assert api.delete(f"/v1/videos/{video_id}").json()["status"] == "success"
    assert api.delete(f"/v1/videos/{video_id}").status_code == 404


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Missing API key: send it as X-Api-Key or Authorization: Bearer"),
        ({"X-Api-Key": "wrong"}, "Invalid API key"),
        ({"Authorization": "Bearer wrong"}, "Invalid API key"),
        (
            {"Authorization": "Basic dGVzdC1rZXk="},
            "Missing API key: send it as X-Api-Key or Authorization: Bearer",
        ),
    ],
)
def test_missing_or_unknown_key_is_401(
    emulator: RunningEmulator, headers: dict[str, str], detail: str
) -> None:
    response = httpx.post(emulator.url + "/videos/get", headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "detail": detail,
        "error": {"type": "authentication_error", "message": detail},
    }
    assert response.headers["x-request-id"]


def test_bearer_token_is_the_same_tenant_as_x_api_key(
    emulator: RunningEmulator, api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded(api, sample_video)

    response = httpx.post(
        emulator.url + "/videos/get", headers={"Authorization": f"Bearer {API_KEY}"}
    )

    assert _ids(response) == [video_id]


def test_another_tenants_videos_behave_as_if_they_did_not_exist(
    api: httpx.Client, other_api: httpx.Client, sample_video: Path
) -> None:
    mine = uploaded(api, sample_video)

    assert _ids(other_api.post("/videos/get")) == []
    assert _ids(other_api.post("/videos/get", json={"video_ids": [mine]})) == []
    assert other_api.get(f"/v1/videos/{mine}").status_code == 404
    refused = other_api.request("DELETE", "/videos/delete", json={"video_ids": [mine]})
    assert refused.status_code == 404
    assert _ids(api.post("/videos/get")) == [mine]


def test_another_tenants_group_cannot_be_used(
    api: httpx.Client, other_api: httpx.Client, sample_video: Path
) -> None:
    group_id = api.post("/videos/groups", json={"name": "mine"}).json()["group_id"]

    with sample_video.open("rb") as f:
        response = other_api.post(
            "/videos/upload",
            data={"video_name": "x", "index": "true", "group_id": group_id},
            files={"file": ("x.mp4", f)},
        )

    assert response.status_code == 404
    assert other_api.get(f"/videos/groups/{group_id}").status_code == 404
    assert other_api.get("/videos/groups").json() == {"results": []}


def test_open_mode_accepts_any_key_each_its_own_tenant(tmp_path: Path, sample_video: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", open=True)
    with start_emulator(config) as emulator:
        alice = httpx.Client(base_url=emulator.url, headers={"X-Api-Key": "alice"})
        bob = httpx.Client(base_url=emulator.url, headers={"X-Api-Key": "bob"})
        video_id = uploaded(alice, sample_video)

        assert _ids(alice.post("/videos/get")) == [video_id]
        assert _ids(bob.post("/videos/get")) == []
        assert httpx.post(emulator.url + "/videos/get").status_code == 401


def test_status_answers_without_a_key_on_any_method(emulator: RunningEmulator) -> None:
    assert httpx.get(emulator.url + "/").json()["status"] == "ok"
    assert httpx.post(emulator.url + "/").json()["status"] == "ok"


def test_unknown_route_is_404_with_detail(api: httpx.Client) -> None:
    response = api.get("/nowhere")

    assert response.status_code == 404
    assert response.json()["detail"] == "Not Found"


def test_one_log_line_per_request_without_the_key(
    api: httpx.Client, sample_video: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="videosync.emulator")

    video_id = uploaded(api, sample_video)
    api.post("/videos/get", json={"video_ids": [video_id]})
    api.get("/nowhere")

    lines = [r.getMessage() for r in caplog.records if r.name == "videosync.emulator"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "POST /videos/upload 200",
        "POST /videos/get 200",
        "GET /nowhere 404",
    ]
    assert all(line.endswith("ms") for line in lines)
    assert API_KEY not in caplog.text
