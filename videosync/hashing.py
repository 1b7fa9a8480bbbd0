"""Content hashes of local files, read once: a streaming hash and a machine-local stat cache.

The hash of a file is only needed to tell whether a file the lockfile knows has changed; a
file whose size differs has changed already, and a file the lockfile has never seen is a
create either way (DESIGN.md, "Performance"). What is hashed is remembered in
`<manifest folder>/.videosync/hashcache.json`, keyed on (device, inode, size, mtime_ns):
a file whose stat is unchanged is never read again. `BYTES_READ` counts every byte this
module reads, so tests can assert that a re-plan reads none.

The algorithm lives here and only here; every recorded digest is prefixed with its name
(`sha256:<hex>`) so another algorithm can be introduced later without ambiguity.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from videosync.errors import VideosyncError
from videosync.lockfile import write_atomic

__all__ = [
    "ALGORITHM",
    "BYTES_READ",
    "CACHE_DIR_NAME",
    "HashCache",
    "LocalFileState",
    "ReadCounter",
    "hash_file",
    "local_file_states",
    "new_hasher",
]

ALGORITHM = "sha256"
CACHE_DIR_NAME = ".videosync"
_CACHE_FILE = "hashcache.json"
_CHUNK = 1024 * 1024
# hashlib releases the GIL while hashing a chunk, so threads hash several files at once.
_WORKERS = min(4, os.cpu_count() or 1)


class ReadCounter:
    """A thread-safe running total of file bytes read for hashing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0

    def add(self, n: int) -> None:
        with self._lock:
            self._total += n

    @property
    def total(self) -> int:
        return self._total


BYTES_READ = ReadCounter()
"""Every byte `hash_file` has read in this process."""


@dataclass(frozen=True, slots=True)
class LocalFileState:
    """What the planner knows of a local file: its size, and its digest when it was needed."""

    size: int
    digest: str | None = None


def new_hasher() -> hashlib._Hash:
    """A fresh hasher of the recorded algorithm (for hashing bytes as they are uploaded)."""
    return hashlib.new(ALGORITHM)


def prefixed(hex_digest: str) -> str:
    """A digest as the lockfile records it: `sha256:<hex>`."""
    return f"{ALGORITHM}:{hex_digest}"


_local = threading.local()


def _buffer() -> memoryview:
    """This thread's 1 MiB read buffer: allocating (and zeroing) one per file would cost
    more than hashing a small file."""
    view: memoryview | None = getattr(_local, "view", None)
    if view is None:
        view = _local.view = memoryview(bytearray(_CHUNK))
    return view


def hash_file(path: Path, counter: ReadCounter = BYTES_READ) -> str:
    """`sha256:<hex>` of the file at `path`, read in 1 MiB chunks (memory stays flat)."""
    hasher = new_hasher()
    view = _buffer()
    try:
        with path.open("rb", buffering=0) as f:
            while n := f.readinto(view):
                hasher.update(view[:n])
                counter.add(n)
    except OSError as exc:
        raise VideosyncError(f"{path}: cannot read the file to hash it: {exc.strerror}") from exc
    return prefixed(hasher.hexdigest())


def _stat_key(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


class HashCache:
    """Digests of files by (device, inode, size, mtime_ns), kept in `.videosync/`.

    Only machine-local: inode numbers mean nothing elsewhere, which is why this is not in
    the lockfile. `save` keeps the entries looked up or added since `load`, so the cache
    holds the files the last run cared about and does not grow without end.
    """

    def __init__(self, path: Path | None, entries: Mapping[str, str] | None = None) -> None:
        self.path = path
        self._old = dict(entries or {})
        self._kept: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_manifest_dir(cls, folder: Path) -> HashCache:
        """The cache of the manifest in `folder`; empty when missing or unreadable."""
        path = folder / CACHE_DIR_NAME / _CACHE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # A cache is only an optimisation: a damaged one costs a re-read, nothing else.
            return cls(path)
        if not isinstance(data, dict) or data.get("algorithm") != ALGORITHM:
            return cls(path)
        entries = data.get("entries")
        return cls(path, entries if isinstance(entries, dict) else {})

    @classmethod
    def in_memory(cls) -> HashCache:
        """A cache that is never saved (tests, one-off calls)."""
        return cls(None)

    def get(self, st: os.stat_result) -> str | None:
        key = _stat_key(st)
        with self._lock:
            digest = self._kept.get(key) or self._old.get(key)
            if digest is not None:
                self._kept[key] = digest
            return digest

    def put(self, st: os.stat_result, digest: str) -> None:
        with self._lock:
            self._kept[_stat_key(st)] = digest

    @property
    def dirty(self) -> bool:
        return self._kept != self._old

    def save(self) -> None:
        """Write the cache atomically, if it changed; failures are silent (it is a cache)."""
        if self.path is None or not self.dirty:
            return
        data = {"algorithm": ALGORITHM, "entries": dict(sorted(self._kept.items()))}
        try:
            folder = self.path.parent
            folder.mkdir(parents=True, exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                # Machine-local data must never be committed, whatever the project ignores.
                ignore.write_text("# videosync's machine-local cache\n*\n", encoding="utf-8")
            write_atomic(self.path, (json.dumps(data, indent=0) + "\n").encode("utf-8"))
        except OSError:
            return
        self._old = dict(self._kept)

    def digest(self, path: Path, counter: ReadCounter = BYTES_READ) -> str:
        """The digest of `path`, from the cache when its stat is unchanged, else read."""
        st = path.stat()
        cached = self.get(st)
        if cached is not None:
            return cached
        digest = hash_file(path, counter)
        # Remember it under the stat taken *before* reading: if the file changed while it
        # was read, the next stat differs and the file is read again.
        self.put(st, digest)
        return digest


def local_file_states(
    paths: Mapping[str, Path],
    recorded_sizes: Mapping[str, int],
    cache: HashCache,
    *,
    counter: ReadCounter = BYTES_READ,
    workers: int = _WORKERS,
) -> dict[str, LocalFileState]:
    """Stat every file; hash only those the lockfile knows at the same size.

    `paths` maps manifest keys to local files; `recorded_sizes` maps keys to the size the
    lockfile recorded. A new key or a size change needs no hash to be planned.
    """
    states: dict[str, LocalFileState] = {}
    to_read: list[tuple[str, Path, os.stat_result]] = []
    for key, path in paths.items():
        try:
            st = os.stat(path)  # noqa: PTH116 (pathlib adds 2 µs a call: 0.2 s on 100k files)
        except OSError as exc:
            raise VideosyncError(f"{path}: cannot read the file: {exc.strerror}") from exc
        digest = cache.get(st) if recorded_sizes.get(key) == st.st_size else None
        states[key] = LocalFileState(st.st_size, digest)
        if digest is None and recorded_sizes.get(key) == st.st_size:
            to_read.append((key, path, st))
    for key, digest in _read_digests(to_read, cache, counter, workers):
        states[key] = LocalFileState(states[key].size, digest)
    return states


def _read_digests(
    items: list[tuple[str, Path, os.stat_result]],
    cache: HashCache,
    counter: ReadCounter,
    workers: int,
) -> list[tuple[str, str]]:
    def one(item: tuple[str, Path, os.stat_result]) -> tuple[str, str]:
        key, path, st = item
        digest = hash_file(path, counter)
        # Cached under the stat taken *before* reading: if the file changed while it was
        # read, its next stat differs and it is read again.
        cache.put(st, digest)
        return key, digest

    # Threads pay off for big files (hashlib releases the GIL while it hashes a chunk);
    # for small ones the hand-off costs more than the hash, so those are done right here,
    # while the pool works through the big ones.
    big = [item for item in items if item[2].st_size >= _CHUNK]
    small = [item for item in items if item[2].st_size < _CHUNK]
    if workers <= 1 or len(big) <= 1:
        return [one(item) for item in big + small]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hash") as pool:
        pending = pool.map(one, big)
        done = [one(item) for item in small]
        return list(pending) + done
