"""The content hash videosync records, and the git identities carried along with it.

BLAKE3 (`blake3:<hex>`) is the content hash: on a cached file it runs several times faster
than sha256 (bench/hash.py), and it is a cryptographic hash, so a changed video cannot
pass for the recorded one. Lockfiles of version 1 recorded `sha256:<hex>`; such entries
are still compared in sha256 (`algorithm_of`). `new_hasher` is the one place an upload's
hash is made, and it also computes the two identities git can later vouch for without
reading the file: the blob id (`git hash-object`) and the sha256 a git-LFS pointer names.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import blake3

from videosync.content.lfs import POINTER_MAX, refuse_pointer

__all__ = [
    "ALGORITHM",
    "LEGACY_ALGORITHM",
    "ContentDigest",
    "ContentHasher",
    "algorithm_of",
    "new_hasher",
    "prefixed",
]

ALGORITHM = "blake3"
LEGACY_ALGORITHM = "sha256"
"""What lockfile version 1 recorded; still compared for the entries that carry it."""


class ContentDigest(str):
    """A content hash (`blake3:<hex>`) that also knows the identities git has for the bytes.

    It is the string the lockfile records as `hash`, and compares, hashes and prints as
    that alone; `git_oid` (the blob id `git hash-object` gives) and `sha256` (what a git-LFS
    pointer names) ride along from the hasher to the lockfile entry (`LockEntry`), so every
    place that records a digest records them too without knowing about git.
    """

    git_oid: str | None
    sha256: str | None

    def __new__(
        cls, value: str, *, git_oid: str | None = None, sha256: str | None = None
    ) -> ContentDigest:
        self = super().__new__(cls, value)
        self.git_oid = git_oid
        self.sha256 = sha256
        return self

    def tokens(self) -> str:
        """`blake3:<hex> git:<oid> sha256:<hex>`: how the stat cache keeps it."""
        parts = [str(self)]
        if self.git_oid and not self.startswith("git:"):
            parts.append(f"git:{self.git_oid}")
        if self.sha256 and not self.startswith(f"{LEGACY_ALGORITHM}:"):
            parts.append(f"{LEGACY_ALGORITHM}:{self.sha256}")
        return " ".join(parts)


def algorithm_of(digest: str | None) -> str:
    """The algorithm a recorded digest was made with (`blake3` for None: what new ones use)."""
    if digest is None or ":" not in digest:
        return ALGORITHM
    return digest.split(":", 1)[0]


def prefixed(hex_digest: str) -> str:
    """A digest as the lockfile records it: `blake3:<hex>`, identities kept (`ContentDigest`)."""
    if isinstance(hex_digest, ContentDigest):
        return ContentDigest(
            f"{ALGORITHM}:{hex_digest}", git_oid=hex_digest.git_oid, sha256=hex_digest.sha256
        )
    return f"{ALGORITHM}:{hex_digest}"


class ContentHasher:
    """Hashes bytes as they stream to the server: the content hash plus git's identities.

    `hexdigest()` is the BLAKE3 hex digest (what `prefixed` turns into the recorded hash),
    carrying the sha256 and, when the size was given, the git blob id of the same bytes
    (each unless turned off: `new_hasher`): what lets a later plan in a fresh clone take
    the file's identity from git instead of reading it.

    Each digest is a `_Lane` on a shared thread pool (every one of them releases the GIL),
    so the thread that reads and sends the bytes only hands them over: the digests run on
    the other cores while the transfer goes on, and one read pass serves them all. A small
    piece with nothing queued is digested in place, where a hand-over would cost more than
    the hashing (many small files). `update` waits when a lane is `_QUEUE_LIMIT` behind,
    so memory stays bounded whatever the file's size.
    """

    def __init__(
        self, size: int | None = None, *, git_oid: bool = True, sha256: bool = True
    ) -> None:
        self._blake3 = blake3.blake3()
        self._sha256 = hashlib.sha256() if sha256 else None
        self._size = size
        self._seen = 0
        self._git: hashlib._Hash | None = None
        if size is not None and git_oid:
            self._git = hashlib.sha1(usedforsecurity=False)
            self._git.update(b"blob %d\0" % size)
        self._turn = threading.Condition()
        digests: list[_Digest | None] = [self._blake3, self._sha256, self._git]
        self._lanes = [_Lane(digest, self._turn) for digest in digests if digest is not None]

    def update(self, data: bytes, /) -> None:
        if self._seen == 0 and self._size is not None and self._size <= POINTER_MAX:
            # A checkout without `git lfs pull` has pointers where the media should be.
            refuse_pointer(data)
        chunk = bytes(data)  # the lanes read it later: it must not change meanwhile
        self._seen += len(chunk)
        with self._turn:
            while any(lane.queued > _QUEUE_LIMIT for lane in self._lanes):
                self._turn.wait()
            if len(chunk) < _IN_PLACE and not any(lane.busy for lane in self._lanes):
                for lane in self._lanes:
                    lane.digest.update(chunk)
                return
            for lane in self._lanes:
                lane.feed(chunk)

    def hexdigest(self) -> ContentDigest:
        with self._turn:
            while any(lane.busy for lane in self._lanes):
                self._turn.wait()
        for lane in self._lanes:
            if lane.error is not None:
                raise lane.error
        # A blob id is only right for exactly `size` bytes: else it is left out, not wrong.
        git = self._git.hexdigest() if self._git and self._seen == self._size else None
        sha256 = self._sha256.hexdigest() if self._sha256 is not None else None
        return ContentDigest(self._blake3.hexdigest(), git_oid=git, sha256=sha256)


class _Digest(Protocol):
    def update(self, data: bytes, /) -> object: ...


class _Lane:
    """One digest fed its chunks in order: a task on the shared pool drains the queue.

    `queued` and `busy` are read and changed under the hasher's condition (`turn`), which
    is notified each time a chunk is done.
    """

    def __init__(self, digest: _Digest, turn: threading.Condition) -> None:
        self.digest = digest
        self.error: Exception | None = None
        self.queued = 0
        self._turn = turn
        self._chunks: deque[bytes] = deque()
        self._draining = False

    @property
    def busy(self) -> bool:
        return self._draining

    def feed(self, chunk: bytes) -> None:
        """Queue `chunk` (the caller holds `turn`)."""
        self._chunks.append(chunk)
        self.queued += len(chunk)
        if not self._draining:
            self._draining = True
            _digest_pool().submit(self._drain)

    def _drain(self) -> None:
        while True:
            with self._turn:
                if not self._chunks:
                    self._draining = False
                    self._turn.notify_all()
                    return
                chunk = self._chunks.popleft()
            try:
                if self.error is None:
                    self.digest.update(chunk)
            except Exception as exc:  # raised again by hexdigest, in the reading thread
                self.error = exc
            with self._turn:
                self.queued -= len(chunk)
                self._turn.notify_all()


_IN_PLACE = 256 * 1024
"""A piece smaller than this, with nothing queued, is digested in place."""
_QUEUE_LIMIT = 8 * 1024 * 1024
"""How far (bytes) a digest may fall behind the reader before `update` waits."""
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _digest_pool() -> ThreadPoolExecutor:
    """The threads shared by every hasher's lanes: three digests of one file run at once."""
    global _pool  # noqa: PLW0603 (one pool per process, made on first use)
    with _pool_lock:
        if _pool is None:
            workers = max(3, min(8, os.cpu_count() or 1))
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digest")
        return _pool


def new_hasher(
    size: int | None = None, *, git_oid: bool = True, sha256: bool = True
) -> ContentHasher:
    """A fresh hasher of the recorded algorithm (for hashing bytes as they are uploaded).

    Give the file's `size` when it is known: git's blob id hashes it before the bytes.
    `git_oid` and `sha256` say which of git's identities to compute beside it
    (`git.identities_to_record`): each is one more digest over every byte.
    """
    return ContentHasher(size, git_oid=git_oid, sha256=sha256)
