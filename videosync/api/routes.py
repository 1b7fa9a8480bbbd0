"""The Vision API's routes and form fields, as the client sends them.

v1: the choices `api/NOTES.md` marks as only assumed about the real service live here, in
one place, so they are easy to change: the un-prefixed tutorial paths under a configurable
base URL, the OpenAPI spelling of the start timestamp field, form booleans as
`true`/`false`, JSON bodies for get and delete.

v2 (`emulator/v2/REFERENCE.md` §4-§6): the `/v2/` paths of the OpenAPI description; the
upload's few form fields; a PATCH body that holds only the fields to change, with
`"group_id": null` to take a video out of its group (v2 has no `default` group).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from videosync.api.protocol import Unchanged
from videosync.model import DEFAULT_GROUP, ApiVersion

__all__ = [
    "DEFAULT_API_URL",
    "DELETE_PATH",
    "GET_PATH",
    "GROUPS_PATH",
    "START_FIELD",
    "UPLOAD_PATH",
    "V2_FEATURES_PATH",
    "V2_GROUPS_PATH",
    "V2_VIDEOS_PATH",
    "batches",
    "feature_path",
    "group_path",
    "groups_path",
    "move_path",
    "upload_fields",
    "v2_upload_fields",
    "video_path",
    "video_update_body",
]

DEFAULT_API_URL = "https://vision-agent.api.reka.ai"

UPLOAD_PATH = "/videos/upload"
GET_PATH = "/videos/get"
DELETE_PATH = "/videos/delete"
GROUPS_PATH = "/videos/groups"

START_FIELD = "video_absolute_start_timestamp"
"""The OpenAPI and API reference spelling (the tutorial's Python swaps two words)."""


V2_VIDEOS_PATH = "/v2/videos"
"""v2: list (`GET`, `?ids=` repeated) and upload (`POST`); one video below it."""
V2_GROUPS_PATH = "/v2/video-groups"
V2_FEATURES_PATH = "/v2/features"


def _segment(value: str) -> str:
    """`value` escaped so it stays one path segment."""
    return quote(value, safe="")


def groups_path(api_version: ApiVersion = "v1") -> str:
    """The route of the group collection (list, create)."""
    return V2_GROUPS_PATH if api_version == "v2" else GROUPS_PATH


def group_path(group_id: str, api_version: ApiVersion = "v1") -> str:
    """The route of one group, its id escaped so it stays one path segment."""
    return f"{groups_path(api_version)}/{_segment(group_id)}"


def move_path(group_id: str, api_version: ApiVersion = "v1") -> str:
    """The route that moves videos into a group (v1 also takes `default`; v2 does not)."""
    return f"{group_path(group_id, api_version)}/videos"


def video_path(video_id: str) -> str:
    """v2: the route of one video (get, PATCH, delete)."""
    return f"{V2_VIDEOS_PATH}/{_segment(video_id)}"


def feature_path(video_id: str, feature: str) -> str:
    """v2: a video's feature route: `plan`, or a feature's trigger."""
    return f"{video_path(video_id)}/features/{_segment(feature)}"


def iso_utc(start: datetime) -> str:
    """ISO 8601 in UTC with its offset; a naive time is taken to be UTC already."""
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.astimezone(timezone.utc).isoformat()


def upload_fields(
    *,
    name: str | None,
    index: bool,
    thumbnails: bool,
    start: datetime | None,
    group_id: str | None,
) -> dict[str, str]:
    """The form fields of an upload beside `file` or `video_url`; unset ones are left out."""
    fields = {"index": _form_bool(index), "enable_thumbnails": _form_bool(thumbnails)}
    if name is not None:
        fields["video_name"] = name
    if start is not None:
        fields[START_FIELD] = iso_utc(start)
    if group_id is not None:
        fields["group_id"] = group_id
    return fields


def v2_upload_fields(
    *, name: str | None, group_id: str | None, description: str | None
) -> dict[str, str]:
    """v2's upload fields beside `file` or `video_url`; unset ones are left out.

    The `default` group is left out too: v2 has no group of that name (a video in no group
    has `group_id` null), and it takes any `group_id` sent for one that must exist.
    """
    fields: dict[str, str] = {}
    if name is not None:
        fields["video_name"] = name
    if group_id is not None and group_id != DEFAULT_GROUP:
        fields["group_id"] = group_id
    if description is not None:
        fields["description"] = description
    return fields


def video_update_body(
    *,
    name: str | None,
    title: str | None,
    description: str | None,
    group_id: str | Unchanged,
) -> dict[str, Any]:
    """v2's `PATCH /v2/videos/{id}` body: only the fields to change.

    None (a text field) and `UNCHANGED` (the group) leave the key out; the `default`
    group is sent as `"group_id": null`, which takes the video out of its group (the
    official client does so; the spec's "null leaves it unchanged" would leave no way to).
    """
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if title is not None:
        body["title"] = title
    if description is not None:
        body["description"] = description
    if not isinstance(group_id, Unchanged):
        body["group_id"] = None if group_id == DEFAULT_GROUP else group_id
    return body


def _form_bool(value: bool) -> str:
    return "true" if value else "false"


def batches(items: Sequence[str], size: int) -> list[list[str]]:
    """`items` in lists of at most `size`, in order."""
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
