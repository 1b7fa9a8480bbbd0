"""v2 videos and groups, and one catalog seen through both API versions."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.emulator.conftest import uploaded, video
from tests.emulator.v2.helpers import upload_v2, uploaded_v2, video_v2
from videosync.emulator import RunningEmulator
from videosync.emulator.v2 import decisions


def test_file_upload_answers_202_uploaded_with_metadata_and_runs_no_feature(
    api: httpx.Client, sample_video: Path
) -> None:
    response = upload_v2(api, sample_video, video_name="Intro", description="The intro")

    assert response.status_code == 202
    body = response.json()
    uuid.UUID(body["video_id"])
    assert body["status"] == "uploaded"
    assert body["metadata"]["video_name"] == "Intro"
    assert body["metadata"]["description"] == "The intro"
    assert (body["metadata"]["width"], body["metadata"]["height"]) == (160, 120)
    stored = video_v2(api, body["video_id"])
    assert stored["features"] == {}
    assert stored["group_id"] is None
    assert stored["error"] is None


def test_the_signed_url_of_a_v2_video_serves_its_bytes(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)

    url = video_v2(api, video_id)["url"]

    assert httpx.get(url).content == sample_video.read_bytes()


def test_a_url_upload_form_encoded_is_uploading_then_uploaded(
    api: httpx.Client, emulator: RunningEmulator, sample_video: Path
) -> None:
    original = uploaded_v2(api, sample_video)
    source = video_v2(api, original)["url"]  # .../files/{original}?expires=…&signature=…

    # As the official client sends it: application/x-www-form-urlencoded, no name.
    response = api.post("/v2/videos", data={"video_url": source, "description": "fetched"})

    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("uploading", "uploaded")
    emulator.wait_for_downloads()
    fetched = video_v2(api, response.json()["video_id"])
    assert fetched["status"] == "uploaded"
    assert fetched["metadata"]["duration"] == 2.0
    assert fetched["metadata"]["video_name"] == original  # the URL's last path segment
    assert fetched["metadata"]["source"] == source


def test_a_file_upload_without_a_name_is_named_after_the_file(
    api: httpx.Client, sample_video: Path
) -> None:
    response = upload_v2(api, sample_video, filename="talk.mp4")

    assert response.status_code == 202
    assert response.json()["metadata"]["video_name"] == "talk.mp4"


@pytest.mark.parametrize(
    ("data", "with_file", "param"),
    [
        ({}, False, "file"),
        ({"video_url": "https://example.com/a.mp4"}, True, "file"),
        ({"video_url": "ftp://example.com/a.mp4"}, False, "video_url"),
        ({"group_id": "no-such-group"}, True, "group_id"),
    ],
)
def test_bad_uploads_are_refused_with_the_v2_envelope(
    api: httpx.Client,
    sample_video: Path,
    data: dict[str, str],
    with_file: bool,
    param: str,
) -> None:
    if with_file:
        response = upload_v2(api, sample_video, **data)
    else:
        response = api.post("/v2/videos", data=data or {"video_name": "x"})

    assert response.status_code in (400, 404)
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["param"] == param
    assert response.headers["x-request-id"]
    assert api.get("/v2/videos").json()["results"] == []


def test_patch_renames_retitles_redescribes_and_moves_in_place(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)
    group = api.post("/v2/video-groups", json={"name": "Talks"}).json()

    response = api.patch(
        f"/v2/videos/{video_id}",
        json={
            "name": "Keynote",
            "title": "The keynote",
            "description": "2026",
            "group_id": group["group_id"],
        },
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["video_id"] == video_id
    assert changed["group_id"] == group["group_id"]
    assert changed["metadata"]["video_name"] == "Keynote"
    assert changed["metadata"]["title"] == "The keynote"
    assert changed["metadata"]["description"] == "2026"
    members = api.get(f"/v2/video-groups/{group['group_id']}/videos").json()["results"]
    assert [m["video_id"] for m in members] == [video_id]
    assert api.get("/v2/videos").json()["results"] == [changed]


def test_patch_null_leaves_fields_but_null_group_ungroups(
    api: httpx.Client, sample_video: Path
) -> None:
    group = api.post("/v2/video-groups", json={"name": "G"}).json()["group_id"]
    video_id = uploaded_v2(api, sample_video, video_name="Name", group_id=group)

    kept = api.patch(f"/v2/videos/{video_id}", json={"name": None, "title": None}).json()
    assert (kept["metadata"]["video_name"], kept["group_id"]) == ("Name", group)
    assert api.patch(f"/v2/videos/{video_id}", json={}).json()["group_id"] == group

    ungrouped = api.patch(f"/v2/videos/{video_id}", json={"group_id": None}).json()
    assert ungrouped["group_id"] is None
    assert ungrouped["metadata"]["video_name"] == "Name"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"name": ""}, 400, "name"),
        ({"name": 3}, 422, "name"),
        ({"group_id": "no-such-group"}, 404, "group_id"),
    ],
)
def test_bad_patches_change_nothing(
    api: httpx.Client, sample_video: Path, body: dict[str, object], status: int, param: str
) -> None:
    video_id = uploaded_v2(api, sample_video, video_name="Name")
    before = video_v2(api, video_id)

    response = api.patch(f"/v2/videos/{video_id}", json=body)

    assert response.status_code == status
    assert response.json()["error"]["param"] == param
    assert video_v2(api, video_id)["metadata"] == before["metadata"]


def test_a_422_lists_each_validation_error_with_its_location(api: httpx.Client) -> None:
    response = api.post("/v2/video-groups", json={"metadata": "tags"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert {tuple(d["loc"]) for d in error["details"]} == {("body",), ("body", "metadata")}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_and_malformed_video_ids(api: httpx.Client, method: str) -> None:
    unknown = api.request(method, f"/v2/videos/{uuid.uuid4()}", json={})
    malformed = api.request(method, "/v2/videos/not-a-uuid", json={})

    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "type": "not_found_error",
        "message": "Video not found",
        "param": "video_id",
    }
    assert malformed.status_code == 422
    assert malformed.json()["error"]["param"] == "video_id"


def test_delete_removes_the_video_and_a_second_delete_is_404(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)

    assert api.delete(f"/v2/videos/{video_id}").json()["status"] == "success"
    assert api.delete(f"/v2/videos/{video_id}").status_code == 404
    assert api.get("/v2/videos").json()["results"] == []


def test_list_by_ids_keeps_the_known_ones(api: httpx.Client, sample_videos: list[Path]) -> None:
    first, second = (uploaded_v2(api, path) for path in sample_videos[:2])

    listed = api.get("/v2/videos", params={"ids": [second, str(uuid.uuid4())]}).json()

    assert [v["video_id"] for v in listed["results"]] == [second]
    assert first != second


def test_another_key_sees_nothing_of_this_one(
    api: httpx.Client, other_api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video)
    group = api.post("/v2/video-groups", json={"name": "Mine"}).json()["group_id"]

    assert other_api.get(f"/v2/videos/{video_id}").status_code == 404
    assert other_api.patch(f"/v2/videos/{video_id}", json={"name": "x"}).status_code == 404
    assert other_api.get(f"/v2/video-groups/{group}").status_code == 404
    assert other_api.get("/v2/videos").json()["results"] == []


def test_a_missing_key_is_401_with_the_envelope(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.url}/v2/videos")

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


# --- groups ---------------------------------------------------------------------------


def test_group_create_get_patch_and_list(api: httpx.Client) -> None:
    created = api.post("/v2/video-groups", json={"name": "Talks", "metadata": {"team": "a"}})
    assert created.status_code == 200
    group = created.json()

    assert api.patch(f"/v2/video-groups/{group['group_id']}", json={}).json() == group
    renamed = api.patch(
        f"/v2/video-groups/{group['group_id']}", json={"name": "Keynotes", "metadata": {"b": 1}}
    ).json()

    assert renamed["name"] == "Keynotes"
    assert renamed["metadata"] == {"b": 1}  # replaced, not merged
    assert renamed["created_at"] == group["created_at"]
    assert api.get(f"/v2/video-groups/{group['group_id']}").json() == renamed
    assert api.get("/v2/video-groups").json()["results"] == [renamed]


def test_deleting_a_group_keeps_its_videos_ungrouped(api: httpx.Client, sample_video: Path) -> None:
    group = api.post("/v2/video-groups", json={"name": "G"}).json()["group_id"]
    video_id = uploaded_v2(api, sample_video, group_id=group)

    assert api.delete(f"/v2/video-groups/{group}").status_code == 200

    assert video_v2(api, video_id)["group_id"] is None
    assert api.get(f"/v2/video-groups/{group}").status_code == 404


def test_move_moves_all_or_none(api: httpx.Client, sample_videos: list[Path]) -> None:
    ids = [uploaded_v2(api, path) for path in sample_videos[:2]]
    group = api.post("/v2/video-groups", json={"name": "G"}).json()["group_id"]

    refused = api.post(
        f"/v2/video-groups/{group}/videos", json={"video_ids": [*ids, str(uuid.uuid4())]}
    )
    assert refused.status_code == 404
    assert all(video_v2(api, i)["group_id"] is None for i in ids)

    moved = api.post(f"/v2/video-groups/{group}/videos", json={"video_ids": ids}).json()

    assert moved == {"status": "success", "moved_count": 2, "group_id": group, "video_ids": ids}
    assert all(video_v2(api, i)["group_id"] == group for i in ids)


# --- one catalog, two versions ----------------------------------------------------------


def test_v1_upload_then_v2_patch_then_v1_get(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded(api, sample_video, video_name="Old name", index="false")
    group = api.post("/v1/videos/groups", json={"name": "Moved"}).json()["group_id"]

    api.patch(
        f"/v2/videos/{video_id}",
        json={"name": "New name", "title": "A title", "description": "Words", "group_id": group},
    ).raise_for_status()

    seen = api.get(f"/v1/videos/{video_id}").json()
    assert seen["video_id"] == video_id
    assert seen["group_id"] == group
    assert seen["metadata"]["video_name"] == "New name"
    assert seen["metadata"]["title"] == "A title"
    assert seen["metadata"]["description"] == "Words"

    api.patch(f"/v2/videos/{video_id}", json={"group_id": None}).raise_for_status()
    assert video(api, video_id)["group_id"] == "default"


def test_v2_upload_is_a_v1_video_and_v2_delete_empties_v1_list(
    api: httpx.Client, sample_video: Path
) -> None:
    video_id = uploaded_v2(api, sample_video, video_name="From v2")

    seen = api.get("/v1/videos").json()["results"]
    assert [(v["video_id"], v["group_id"], v["metadata"]["video_name"]) for v in seen] == [
        (video_id, "default", "From v2")
    ]

    api.delete(f"/v2/videos/{video_id}").raise_for_status()

    assert api.get("/v1/videos").json()["results"] == []
    assert api.post("/videos/get", json={}).json()["results"] == []


def test_v1_delete_of_a_v2_video_is_seen_by_v2(api: httpx.Client, sample_video: Path) -> None:
    video_id = uploaded_v2(api, sample_video)

    api.request("DELETE", "/videos/delete", json={"video_ids": [video_id]}).raise_for_status()

    assert api.get(f"/v2/videos/{video_id}").status_code == 404


def test_v1_groups_are_v2_groups(api: httpx.Client, sample_video: Path) -> None:
    group = api.post("/v1/videos/groups", json={"name": "One", "metadata": {"k": "v"}}).json()
    video_id = uploaded(api, sample_video, group_id=group["group_id"])

    assert api.get("/v2/video-groups").json()["results"] == [group]
    members = api.get(f"/v2/video-groups/{group['group_id']}/videos").json()["results"]
    assert [m["video_id"] for m in members] == [video_id]
    # v1 still refuses to delete a group with videos; v2 ungroups them.
    assert api.delete(f"/v1/videos/groups/{group['group_id']}").status_code == 409
    assert api.delete(f"/v2/video-groups/{group['group_id']}").status_code == 200
    assert video(api, video_id)["group_id"] == "default"


def test_v1_index_shows_as_v2_features(api: httpx.Client, sample_video: Path) -> None:
    indexed = uploaded(api, sample_video, index="true")
    plain = uploaded(api, sample_video, index="false")

    assert video_v2(api, indexed)["features"] == {
        "transcript": "ready",
        "captions": "ready",
        "embeddings": "ready",
    }
    assert video_v2(api, plain)["features"] == {}
    plan = api.post(f"/v2/videos/{indexed}/features/plan", json={"desired": ["embeddings"]}).json()
    assert plan["done"] is True


def test_v2_errors_carry_the_envelope_only_and_v1_keeps_both(api: httpx.Client) -> None:
    missing = str(uuid.uuid4())

    v2 = api.get(f"/v2/videos/{missing}")
    v1 = api.get(f"/v1/videos/{missing}")

    assert set(v2.json()) == {"error"}
    assert set(v1.json()) == {"detail", "error"}
    assert v2.headers["x-request-id"] and v1.headers["x-request-id"]
    assert api.get("/v2/no-such-route").json()["error"]["type"] == "not_found_error"


def test_injected_faults_and_latency_apply_to_v2(
    api: httpx.Client, emulator: RunningEmulator
) -> None:
    emulator.set_faults(fault_rate=1.0, kinds=("429",))

    response = api.get("/v2/videos")

    assert response.status_code == 429
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert response.headers["retry-after"] == "0"


def test_every_decision_is_in_the_docs_table() -> None:
    page = (Path(__file__).parents[3] / "docs" / "emulator-v2.md").read_text(encoding="utf-8")

    missing = [name for name in decisions.__all__ if f"(`{name}`)" not in page]

    assert missing == [], "decisions without a row in docs/emulator-v2.md"
