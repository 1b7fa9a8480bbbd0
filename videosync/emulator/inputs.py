"""Reading the fields clients send: booleans, timestamps, lists of video ids."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from videosync.emulator.problems import Problem

__all__ = ["parse_bool", "parse_timestamp_ms", "video_ids"]

# What FastAPI (pydantic) accepts as a boolean form value.
_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def parse_bool(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise Problem(422, f"{name} must be a boolean (true or false), not {value!r}")


def parse_timestamp_ms(name: str, value: str) -> int:
    """ISO 8601 to milliseconds since the epoch; a timestamp without offset is UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not know "Z"
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise Problem(
            422, f"{name} must be an ISO 8601 timestamp like 2025-04-12T19:05:45, not {value!r}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return round(when.timestamp() * 1000)


def video_ids(body: dict[str, Any], *, required: bool) -> list[str] | None:
    """The body's `video_ids` list of strings (None when absent and not required)."""
    ids = body.get("video_ids")
    if ids is None or ids == []:
        if required:
            raise Problem(422, "video_ids is required: a non-empty list of video ids")
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise Problem(422, "video_ids must be a list of video id strings")
    return ids
