"""Signed, expiring download URLs: HMAC-SHA256 over the video id and the expiry time.

The emulator's stand-in for the service's presigned S3 URLs. The secret lives in the data
dir, so URLs stay valid across restarts of the same emulator and nowhere else.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

__all__ = ["UrlSigner"]


class UrlSigner:
    def __init__(self, secret: bytes, ttl: int) -> None:
        self._secret = secret
        self._ttl = ttl

    def _signature(self, video_id: str, expires: int) -> str:
        message = f"{video_id}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def query(self, video_id: str, now: float) -> str:
        """The query string (`expires=…&signature=…`) that grants access until now + ttl."""
        expires = int(now) + self._ttl
        return urlencode({"expires": expires, "signature": self._signature(video_id, expires)})

    def valid(self, video_id: str, expires: str, signature: str, now: float) -> bool:
        """True if `signature` was made by this signer for this id and has not expired."""
        try:
            when = int(expires)
        except ValueError:
            return False
        if not signature.isascii():  # compare_digest refuses other text (a TypeError)
            return False
        expected = self._signature(video_id, when)
        return hmac.compare_digest(expected, signature) and now < when
