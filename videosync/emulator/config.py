"""How an emulator is set up: one frozen value, built by the CLI or by a test."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FAILABLE_FEATURES", "FAULT_KINDS", "EmulatorConfig", "is_loopback"]

FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "drop", "drop_after_body")
"""What an injected fault can be. All but `drop_after_body` happen before the request body is
read and the request has no effect; `drop_after_body` runs the request (an upload is stored)
and then drops the connection before the response is complete."""


FAILABLE_FEATURES: tuple[str, ...] = ("transcript", "captions", "embeddings", "objects")
"""The v2 features a run can be made to fail: those with a trigger route."""


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator; `data_dir` holds everything it keeps across restarts."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free ephemeral port; `RunningEmulator.url` tells which."""
    api_keys: tuple[str, ...] = ()
    """Accepted keys, each its own tenant. Empty and `open=False`: every request gets 401."""
    open: bool = False
    """Accept any key (each key still its own tenant)."""
    index_delay: float = 0.0
    """Seconds each indexing stage takes: `pending` for this long, then `indexing` as long."""
    latency_ms: int = 0
    fault_rate: float = 0.0
    feature_failure_rate: float = 0.0
    """v2: probability that a feature run ends `failed` (seeded by video, feature, attempt)."""
    seed: int = 0
    max_upload_bytes: int = 10 * 1024**3
    retry_after: int = 1
    """Seconds in `Retry-After` on injected 429s (tests use 0)."""
    fetch_timeout: float = 30.0
    """Seconds a `video_url` download may take in all before the video ends `failed`."""
    url_ttl: int = 3600
    """Seconds a signed download URL in a Video stays valid."""
    allow_private_urls: bool | None = None
    """Fetch `video_url`s from loopback and private addresses. None: only when listening on
    loopback alone (whoever can call the emulator can reach those addresses already)."""

    @property
    def private_urls_allowed(self) -> bool:
        if self.allow_private_urls is None:
            return is_loopback(self.host)
        return self.allow_private_urls
