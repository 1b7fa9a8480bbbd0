"""An open file, seen through a window that counts and hashes the bytes an upload reads.

httpx streams a multipart file by `seek(0)` and then `read(64 KiB)` until empty, and sends
a `Content-Length` only when it can learn the size from `fileno()` (or `seek`/`tell`). A
wrapper that offered only `read()` would silently switch the upload to chunked encoding,
so this one passes `fileno`, `seek` and `tell` through (DESIGN.md, "Measured here").

httpx asks for 64 KiB at a time; the stream hands out at least `READ_SIZE` (1 MiB) per
read instead, which httpx sends as it is: each piece costs a pass through httpx, httpcore,
h11 and anyio and a hand-over to the hasher's threads, so 16 times fewer pieces leave the
loop's thread free for the transfer itself (bench/apply_one_file.py).

Every `seek(0)` starts a new attempt: the count and the hash start over, so after a retry
they describe exactly the bytes of the attempt that succeeded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import BinaryIO, Protocol

__all__ = ["READ_SIZE", "Hasher", "UploadStream"]

READ_SIZE = 1024 * 1024
"""The least a read hands out (unless the file ends first)."""


class Hasher(Protocol):
    """What `hashlib.sha256()` (or blake3, xxhash, ...) offers and an upload needs."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class UploadStream:
    """A read-only view of `file` that reports progress and feeds a hasher as it is read.

    Reads stop at the size the file had when the upload started, so the body always
    matches the `Content-Length` httpx declared even if the file grows meanwhile.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        progress: Callable[[int], None] | None = None,
        hasher: Callable[[], Hasher] | None = None,
    ) -> None:
        self._file = file
        self._size = os.fstat(file.fileno()).st_size
        self._progress = progress
        self._new_hasher = hasher
        self._hasher: Hasher | None = None
        self._sent = 0
        self._restart()

    def _restart(self) -> None:
        self._sent = 0
        self._hasher = self._new_hasher() if self._new_hasher is not None else None

    @property
    def size(self) -> int:
        """The file's size when the upload started."""
        return self._size

    @property
    def sent(self) -> int:
        """Bytes read so far in the current attempt."""
        return self._sent

    def hexdigest(self) -> str | None:
        """The digest of the bytes read in the current attempt, if a hasher was given."""
        return self._hasher.hexdigest() if self._hasher is not None else None

    # The file protocol httpx uses: fileno (for the length), seek/tell, read.

    def fileno(self) -> int:
        return self._file.fileno()

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._file.seek(offset, whence)
        if position == 0:
            self._restart()
        return position

    def read(self, size: int = -1) -> bytes:
        left = self._size - self._sent
        if left <= 0:
            return b""
        chunk = self._file.read(left if size < 0 else min(max(size, READ_SIZE), left))
        if chunk:
            self._sent += len(chunk)
            if self._hasher is not None:
                self._hasher.update(chunk)
            if self._progress is not None:
                self._progress(self._sent)
        return chunk
