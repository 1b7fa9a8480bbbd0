"""Who is calling: `X-Api-Key: KEY` or `Authorization: Bearer KEY`, one tenant per key.

A tenant is a hash of its key, so the key itself is never stored; another tenant's ids
are simply not found.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request

from videosync.emulator.config import EmulatorConfig
from videosync.emulator.problems import Problem

__all__ = ["tenant_of"]


def _key_of(request: Request) -> str | None:
    key = request.headers.get("x-api-key", "").strip()
    if key:
        return key
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def tenant_of(request: Request, config: EmulatorConfig) -> str:
    """The caller's tenant id, or a 401 `Problem` for a missing or unknown key."""
    key = _key_of(request)
    if key is None:
        raise Problem(401, "Missing API key: send it as X-Api-Key or Authorization: Bearer")
    if not config.open and key not in config.api_keys:
        raise Problem(401, "Invalid API key")
    return hashlib.sha256(b"videosync-emulator-tenant\n" + key.encode()).hexdigest()[:32]
