"""The Vision API's current version (v2), on the same store as v1.

REFERENCE.md (shared/api/v2) is the source; `decisions` holds every choice it leaves open.
Modules: `videos` (upload, list, get, PATCH, delete), `groups`, `features` (catalog, plan,
triggers and the status of each feature), `insights` (transcript, captions, scenes,
objects, segment), `search` (search and chat), `spec` (the published OpenAPI description
and request validation against it).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from videosync.emulator.v2 import features, groups, insights, search, videos

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    """Every `/v2` route."""
    return [*videos.ROUTES, *groups.ROUTES, *features.ROUTES, *insights.ROUTES, *search.ROUTES]
