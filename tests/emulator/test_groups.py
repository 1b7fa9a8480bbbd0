"""Video groups: create, list, get, update, delete, and the videos in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator.conftest import uploaded, video


def _create(api: httpx.Client, name: str = "Marketing", **body: Any) -> dict[str, Any]:
    response = api.post("/videos/groups", json={"name": name, **body})
    assert response.status_code == 200, response.text
    group: dict[str, Any] = response.json()
    return group


def test_create_then_get_and_list(api: httpx.Client) -> None:
    group = _create(api, metadata={"campaign": "launch-2024"})

    assert group["name"] == "Marketing"
    assert group["metadata"] == {"campaign": "launch-2024"}
    assert group["created_at"] == group["updated_at"]
    assert api.get(f"/videos/groups/{group['group_id']}").json() == group
    assert api.get("/v1/videos/groups").json() == {"results": [group]}


def test_metadata_defaults_to_an_empty_object(api: httpx.Client) -> None:
    assert _create(api)["metadata"] == {}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "name must be a non-empty string"),
        ({"name": "  "}, "name must be a non-empty string"),
        ({"name": "g", "metadata": ["a"]}, "metadata must be a JSON object"),
        (
            {"name": "g", "metadata": {"k": "x" * 500}},
            "metadata is 508 characters as JSON; at most 500 allowed",
        ),
    ],
)
def test_invalid_group_is_422(api: httpx.Client, body: dict[str, Any], detail: str) -> None:
    response = api.post("/videos/groups", json=body)

    assert response.status_code == 422
    assert response.json()["detail"] == detail


def test_metadata_of_exactly_500_characters_is_accepted(api: httpx.Client) -> None:
    metadata = {"k": "x" * 492}  # {"k":"…"} is 8 characters around the value

    assert _create(api, metadata=metadata)["metadata"] == metadata


def test_at_most_ten_groups_per_key(api: httpx.Client, other_api: httpx.Client) -> None:
    for n in range(10):
        _create(api, f"group {n}")

    response = api.post("/videos/groups", json={"name": "one too many"})

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "Group limit reached: at most 10 custom groups; delete one first"
    )
    assert len(api.get("/videos/groups").json()["results"]) == 10
    _create(other_api, "another key has its own ten")


def test_patch_changes_name_or_metadata(api: httpx.Client) -> None:
    group = _create(api, metadata={"a": 1})
    url = f"/videos/groups/{group['group_id']}"

    renamed = api.patch(url, json={"name": "Renamed"}).json()
    assert (renamed["name"], renamed["metadata"]) == ("Renamed", {"a": 1})
    assert renamed["updated_at"] >= group["updated_at"]

    changed = api.patch(url, json={"metadata": {"b": 2}}).json()
    assert (changed["name"], changed["metadata"]) == ("Renamed", {"b": 2})
    assert api.get(url).json() == changed


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": None, "metadata": None}])
def test_patch_needs_a_non_empty_field(api: httpx.Client, body: dict[str, Any]) -> None:
    group = _create(api)

    response = api.patch(f"/videos/groups/{group['group_id']}", json=body)

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "Send at least one of a non-empty name and a metadata object"
    )


def test_unknown_group_is_404_for_get_patch_delete(api: httpx.Client) -> None:
    url = "/videos/groups/00000000-0000-4000-8000-000000000000"
    detail = "Group '00000000-0000-4000-8000-000000000000' not found"

    for response in (api.get(url), api.patch(url, json={"name": "x"}), api.delete(url)):
        assert response.status_code == 404
        assert response.json()["detail"] == detail


def test_delete_is_refused_while_a_video_is_in_the_group(
    api: httpx.Client, sample_video: Path
) -> None:
    group_id = _create(api)["group_id"]
    video_id = uploaded(api, sample_video, group_id=group_id)

    refused = api.delete(f"/videos/groups/{group_id}")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"Group {group_id!r} still holds 1 video(s): delete or move them first"
    )

    api.request("DELETE", "/videos/delete", json={"video_ids": [video_id]})
    deleted = api.delete(f"/videos/groups/{group_id}")
    assert deleted.json() == {"status": "success", "message": f"Group {group_id} deleted"}
    assert api.get("/videos/groups").json() == {"results": []}


def test_group_videos_lists_and_moves(api: httpx.Client, sample_videos: list[Path]) -> None:
    group_id = _create(api)["group_id"]
    inside = uploaded(api, sample_videos[0], group_id=group_id)
    outside = uploaded(api, sample_videos[1])

    listed = api.get(f"/videos/groups/{group_id}/videos").json()["results"]
    assert [v["video_id"] for v in listed] == [inside]

    moved = api.post(f"/v1/videos/groups/{group_id}/videos", json={"video_ids": [outside]})
    assert moved.json() == {
        "status": "success",
        "moved_count": 1,
        "group_id": group_id,
        "video_ids": [outside],
    }
    assert video(api, outside)["group_id"] == group_id

    api.post("/videos/groups/default/videos", json={"video_ids": [inside, outside]})
    default = api.get("/videos/groups/default/videos").json()["results"]
    assert {v["video_id"] for v in default} == {inside, outside}


def test_move_with_an_unknown_video_moves_nothing(api: httpx.Client, sample_video: Path) -> None:
    group_id = _create(api)["group_id"]
    video_id = uploaded(api, sample_video)

    response = api.post(f"/videos/groups/{group_id}/videos", json={"video_ids": [video_id, "x"]})

    assert response.status_code == 404
    assert response.json()["detail"] == "Video(s) not found, nothing moved: x"
    assert video(api, video_id)["group_id"] == "default"
