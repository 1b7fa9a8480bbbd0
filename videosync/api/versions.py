"""Which version of the Vision API a client speaks, and how to tell which ones a server serves.

A client speaks one version for a whole run, chosen when it is made (`VisionClient(...,
api_version="v2")`): v1, the video management calls videosync was built on (no update call,
indexing chosen at upload), or v2 (in-place PATCH of a video, moves that keep the id,
per-video features). The calls both versions have are the same methods; v2's own calls
(`update_video`, `feature_catalog`, `plan_features`, `trigger_feature`) refuse to run on a
v1 client, with a `RuntimeError`: asking for them there is a bug in the caller, not
something a user can fix.

`auto` (`VisionClient.open`, `SyncVisionClient(api_version="auto")`) asks the server once,
before the first call: `GET /v2/video-groups`, the cheapest v2 read (no video is listed,
nothing is computed). A 2xx answer means v2 is served; a 404 or 405 means it is not (a
server without the route); any other failure is raised as from any call (a wrong key is
an `AuthError` here as it would be at the first real call), after the usual retries.
"""

from __future__ import annotations

from typing import Literal

from videosync.api.routes import V2_GROUPS_PATH
from videosync.model import ApiVersion

__all__ = [
    "API_VERSION_CHOICES",
    "NOT_SERVED_STATUSES",
    "PROBE_PATH",
    "ApiVersionChoice",
    "require_v2",
]

ApiVersionChoice = Literal["v1", "v2", "auto"]
"""What a caller may ask for: a version, or `auto` (v2 when the server serves it)."""

API_VERSION_CHOICES: tuple[ApiVersionChoice, ...] = ("v1", "v2", "auto")

PROBE_PATH = V2_GROUPS_PATH
"""The route `probe_v2` reads (`GET`)."""

NOT_SERVED_STATUSES = frozenset({404, 405})
"""The answers to the probe that mean "no v2 here"."""


def require_v2(api_version: ApiVersion, call: str) -> None:
    """Refuse a v2-only call on a client that speaks another version (a programming error)."""
    if api_version != "v2":
        raise RuntimeError(
            f"{call} is a call of Vision API v2, and this client speaks {api_version} "
            "(make it with api_version='v2', or 'auto' against a server that serves v2)"
        )
