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
import threading
from concurrent.futures import Future, ThreadPoolExecutor

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
    (each unless turned off: `new_hasher`):
    what lets a later plan in a fresh clone take the file's identity from git instead of
    reading it. sha256 and the blob id are computed on two shared threads, a 4 MiB block
    behind (each releases the GIL): the upload loop itself only waits for BLAKE3.
    """

    def __init__(
        self, size: int | None = None, *, git_oid: bool = True, sha256: bool = True
    ) -> None:
        self._blake3 = blake3.blake3()
        self._sha256 = hashlib.sha256() if sha256 else None
        self._size = size
        self._seen = 0
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._side: list[Future[None]] = []
        self._git: hashlib._Hash | None = None
        if size is not None and git_oid:
            self._git = hashlib.sha1(usedforsecurity=False)
            self._git.update(b"blob %d\0" % size)

    def update(self, data: bytes, /) -> None:
        if self._seen == 0 and self._size is not None and self._size <= POINTER_MAX:
            # A checkout without `git lfs pull` has pointers where the media should be.
            refuse_pointer(data)
        if self._sha256 is None and self._git is None:
            self._seen += len(data)
            self._blake3.update(data)  # nothing beside it: no block to hand off
            return
        self._pending.append(bytes(data))
        self._pending_size += len(data)
        self._seen += len(data)
        if self._pending_size >= _BLOCK:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        block = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        self._wait_side()  # the block before this one: each digest takes blocks in order
        pool = _digest_pool()
        self._side = []
        if self._sha256 is not None:
            self._side.append(pool.submit(self._sha256.update, block))
        if self._git is not None:
            self._side.append(pool.submit(self._git.update, block))
        self._blake3.update(block)

    def _wait_side(self) -> None:
        for done in self._side:
            done.result()
        self._side = []

    def hexdigest(self) -> str:
        self._flush()
        self._wait_side()
        # A blob id is only right for exactly `size` bytes: else it is left out, not wrong.
        git = self._git.hexdigest() if self._git and self._seen == self._size else None
        sha256 = self._sha256.hexdigest() if self._sha256 is not None else None
        return ContentDigest(self._blake3.hexdigest(), git_oid=git, sha256=sha256)


_BLOCK = 4 * 1024 * 1024
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _digest_pool() -> ThreadPoolExecutor:
    """Two threads shared by every upload's hasher, for the digests beside BLAKE3."""
    global _pool  # noqa: PLW0603 (one pool per process, made on first use)
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="digest")
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
