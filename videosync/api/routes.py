"""The Vision API's routes and form fields, as the client sends them.

The choices `api/NOTES.md` marks as only assumed about the real service live here, in
one place, so they are easy to change: the un-prefixed tutorial paths under a configurable
base URL, the OpenAPI spelling of the start timestamp field, form booleans as
`true`/`false`, JSON bodies for get and delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from urllib.parse import quote

__all__ = [
    "DEFAULT_API_URL",
    "DELETE_PATH",
    "GET_PATH",
    "GROUPS_PATH",
    "START_FIELD",
    "UPLOAD_PATH",
    "batches",
    "group_path",
    "upload_fields",
]

DEFAULT_API_URL = "https://vision-agent.api.reka.ai"

UPLOAD_PATH = "/videos/upload"
GET_PATH = "/videos/get"
DELETE_PATH = "/videos/delete"
GROUPS_PATH = "/videos/groups"

START_FIELD = "video_absolute_start_timestamp"
"""The OpenAPI and API reference spelling (the tutorial's Python swaps two words)."""


def group_path(group_id: str) -> str:
    """The route of one group, its id escaped so it stays one path segment."""
    return f"{GROUPS_PATH}/{quote(group_id, safe='')}"


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


def _form_bool(value: bool) -> str:
    return "true" if value else "false"


def batches(items: Sequence[str], size: int) -> list[list[str]]:
    """`items` in lists of at most `size`, in order."""
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
