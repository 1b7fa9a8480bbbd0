"""Content hashes of local files, read once: a streaming hash and a machine-local stat cache.

The hash of a file is only needed to tell whether a file the lockfile knows has changed; a
file whose size differs has changed already, and a file the lockfile has never seen is a
create either way (DESIGN.md, "Performance"). A file's digest comes from the cheapest
source that can prove it, in this order:

1. the stat cache, `<manifest folder>/.videosync/hashcache.json`, keyed on (device, inode,
   size, mtime_ns): a file whose stat is unchanged is never read again;
2. git (`git.py`): a tracked file git reports unmodified whose blob id (or, for a
   git-LFS file, whose pointer's `oid sha256:`) is the one the lockfile recorded has the
   recorded content, so a plan in a fresh CI checkout reads no media;
3. a full read.

`BYTES_READ` counts every byte this module reads, so tests can assert that a plan read none.

The content hash is BLAKE3 (`blake3:<hex>`): on the same cached GiB it runs several times
faster than sha256 (bench/hash.py). Lockfiles written before (version 1) record
`sha256:<hex>`; such an entry keeps being compared in sha256 until it is next uploaded, so
a new videosync never mistakes an old lockfile for a changed catalog. `new_hasher` and
`hash_file` are the only places the algorithm is chosen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import blake3

from videosync.content.digest import (
    ALGORITHM,
    LEGACY_ALGORITHM,
    ContentDigest,
    ContentHasher,
    algorithm_of,
    prefixed,
)
from videosync.content.git import settle_from_git
from videosync.content.lfs import POINTER_MAX
from videosync.errors import LocalFileError, LockError, StateWriteFailed
from videosync.model import LockEntry
from videosync.workdir import hash_cache_path, make_cache_dir, write_atomic

__all__ = [
    "BYTES_READ",
    "HashCache",
    "LocalFileState",
    "ReadCounter",
    "hash_file",
    "identify_file",
    "local_file_states",
]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


# hashlib and blake3 release the GIL while hashing, so threads hash several files at once.
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


_local = threading.local()


def _buffer() -> memoryview:
    """This thread's 1 MiB read buffer: allocating (and zeroing) one per file would cost
    more than hashing a small file."""
    view: memoryview | None = getattr(_local, "view", None)
    if view is None:
        view = _local.view = memoryview(bytearray(_CHUNK))
    return view


def _read_error(path: Path, exc: OSError) -> LocalFileError:
    return LocalFileError(f"{path}: cannot read the file to hash it: {exc.strerror or exc}")


def hash_file(path: Path, counter: ReadCounter = BYTES_READ, algorithm: str = ALGORITHM) -> str:
    """`blake3:<hex>` (or `sha256:<hex>`) of the file at `path`; memory stays flat.

    BLAKE3 reads a large file through a memory map hashed by all cores (what `b3sum` does):
    blake3-py copies a mutable buffer before hashing it, so a read loop costs a copy more.
    """
    if algorithm == ALGORITHM:
        try:
            size = path.stat().st_size
            hasher = blake3.blake3(max_threads=blake3.blake3.AUTO if size >= _CHUNK else 1)
            if size >= _CHUNK:
                hasher.update_mmap(path)
            else:
                hasher.update(path.read_bytes())
        except OSError as exc:
            raise _read_error(path, exc) from exc
        counter.add(size)
        return f"{ALGORITHM}:{hasher.hexdigest()}"
    if algorithm != LEGACY_ALGORITHM:
        raise LockError(
            f"{path}: the lockfile records a {algorithm} digest, which this videosync "
            "does not know; upgrade videosync"
        )
    legacy = hashlib.sha256()
    view = _buffer()
    try:
        with path.open("rb", buffering=0) as f:
            while n := f.readinto(view):
                legacy.update(view[:n])
                counter.add(n)
    except OSError as exc:
        raise _read_error(path, exc) from exc
    return f"{LEGACY_ALGORITHM}:{legacy.hexdigest()}"


def identify_file(path: Path, counter: ReadCounter = BYTES_READ) -> ContentDigest:
    """The content hash of `path` with its git identities, in one read (for recording)."""
    view = _buffer()
    try:
        hasher = ContentHasher(path.stat().st_size)
        with path.open("rb", buffering=0) as f:
            while n := f.readinto(view):
                hasher.update(bytes(view[:n]))
                counter.add(n)
    except OSError as exc:
        raise _read_error(path, exc) from exc
    digest = hasher.hexdigest()
    return ContentDigest(prefixed(digest), git_oid=digest.git_oid, sha256=digest.sha256)


def _stat_key(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _parse_tokens(value: str) -> dict[str, str]:
    """`{"blake3": "blake3:<hex>", "git": "<oid>", "sha256": "sha256:<hex>"}` from a cache value."""
    out: dict[str, str] = {}
    for token in value.split():
        name, _, rest = token.partition(":")
        out[name] = rest if name == "git" else token
    return out


def _from_tokens(tokens: Mapping[str, str], algorithm: str) -> ContentDigest | None:
    value = tokens.get(algorithm)
    if value is None:
        return None
    sha = tokens.get(LEGACY_ALGORITHM)
    return ContentDigest(
        value, git_oid=tokens.get("git"), sha256=sha.split(":", 1)[1] if sha else None
    )


class HashCache:
    """Digests of files by (device, inode, size, mtime_ns), kept in `.videosync/`.

    Only machine-local: inode numbers mean nothing elsewhere, which is why this is not in
    the lockfile. A file's entry holds every digest known for it (`blake3:… git:…
    sha256:…`), so a legacy sha256 entry and a git identity are served from it too. `save`
    keeps the entries looked up or added since `load`, so the cache holds the files the
    last run cared about and does not grow without end.
    """

    def __init__(self, path: Path | None, entries: Mapping[str, str] | None = None) -> None:
        self.path = path
        self._old = dict(entries or {})
        self._kept: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_manifest_dir(cls, folder: Path) -> HashCache:
        """The cache of the manifest in `folder`; empty when missing or unreadable."""
        path = hash_cache_path(folder)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # A cache is only an optimisation: a damaged one costs a re-read, nothing else.
            return cls(path)
        # Version 1 caches (`"algorithm": "sha256"`) hold `sha256:<hex>` values: still valid.
        if not isinstance(data, dict) or data.get("algorithm") not in ("sha256", "any"):
            return cls(path)
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return cls(path)
        return cls(path, {k: v for k, v in entries.items() if isinstance(v, str)})

    @classmethod
    def in_memory(cls) -> HashCache:
        """A cache that is never saved (tests, one-off calls)."""
        return cls(None)

    def get(self, st: os.stat_result, algorithm: str = ALGORITHM) -> ContentDigest | None:
        """The `algorithm` digest of the file with stat `st`, if it was computed before."""
        key = _stat_key(st)
        with self._lock:
            value = self._kept.get(key) or self._old.get(key)
            if value is None:
                return None
            self._kept[key] = value
        return _from_tokens(_parse_tokens(value), algorithm)

    def put(self, st: os.stat_result, digest: str) -> None:
        """Remember `digest` (and the identities it carries) beside what is known already."""
        key = _stat_key(st)
        new = digest.tokens() if isinstance(digest, ContentDigest) else digest
        with self._lock:
            old = self._kept.get(key) or self._old.get(key)
            if old is not None:
                merged = _parse_tokens(old)
                merged.update(_parse_tokens(new))
                new = " ".join(f"git:{v}" if k == "git" else v for k, v in merged.items())
            self._kept[key] = new

    @property
    def dirty(self) -> bool:
        return self._kept != self._old

    def save(self) -> None:
        """Write the cache atomically, if it changed.

        A failed write (a full disk) is a warning, never the end of a run: it is a cache,
        and the next run reads the files it could not remember.
        """
        if self.path is None or not self.dirty:
            return
        data = {"algorithm": "any", "entries": dict(sorted(self._kept.items()))}
        try:
            make_cache_dir(self.path.parent)
            write_atomic(self.path, (json.dumps(data, indent=0) + "\n").encode("utf-8"))
        except StateWriteFailed as exc:
            log.warning(
                "the hash cache %s was not saved: %s; the next run reads those files again",
                self.path,
                str(exc.strerror).lower(),
            )
            return
        self._old = dict(self._kept)

    def digest(self, path: Path, counter: ReadCounter = BYTES_READ) -> ContentDigest:
        """The digest of `path` with its git identities, from the cache, else read.

        For recording (adoption, import, a lost upload answer): what the lockfile keeps.
        """
        st = path.stat()
        cached = self.get(st)
        if cached is not None and cached.git_oid and cached.sha256:
            return cached
        digest = identify_file(path, counter)
        # Remember it under the stat taken *before* reading: if the file changed while it
        # was read, the next stat differs and the file is read again.
        self.put(st, digest)
        return digest


def local_file_states(
    paths: Mapping[str, Path],
    recorded_sizes: Mapping[str, int],
    cache: HashCache,
    *,
    recorded: Mapping[str, LockEntry] | None = None,
    git_root: Path | None = None,
    counter: ReadCounter = BYTES_READ,
    workers: int = _WORKERS,
) -> dict[str, LocalFileState]:
    """Stat every file; find a digest only for those the lockfile knows at the same size.

    `paths` maps manifest keys to local files; `recorded_sizes` maps keys to the size the
    lockfile recorded. A new key or a size change needs no digest to be planned. With the
    `recorded` entries, a digest is made in the algorithm the entry was recorded with, and
    with `git_root` (the manifest's folder) unmodified tracked files are proven unchanged
    by git instead of being read.
    """
    states: dict[str, LocalFileState] = {}
    missing: list[tuple[str, Path, os.stat_result, str]] = []
    pointers: list[tuple[str, Path, os.stat_result]] = []
    for key, path in paths.items():
        try:
            st = os.stat(path)  # noqa: PTH116 (pathlib's stat costs more, once per file)
        except OSError as exc:
            raise LocalFileError(f"{path}: cannot read the file: {exc.strerror}") from exc
        entry = recorded.get(key) if recorded is not None else None
        if recorded_sizes.get(key) != st.st_size:
            states[key] = LocalFileState(st.st_size)
            if entry is not None and st.st_size <= POINTER_MAX:
                pointers.append((key, path, st))  # a git-LFS pointer in place of the media?
            continue
        algorithm = algorithm_of(entry.hash if entry is not None else None)
        digest = cache.get(st, algorithm)
        states[key] = LocalFileState(st.st_size, digest)
        if digest is None:
            missing.append((key, path, st, algorithm))
    if (missing or pointers) and recorded is not None and git_root is not None:
        asked = [(key, path, st) for key, path, st, _ in missing] + pointers
        settled = settle_from_git(asked, recorded, git_root)
        for key, _, st in asked:
            if key in settled and st.st_size == settled[key].size:
                # Cached under the stat git vouched for: the next plan asks nobody.
                cache.put(st, settled[key].digest)
        states.update(
            (key, LocalFileState(found.size, found.digest)) for key, found in settled.items()
        )
        missing = [item for item in missing if item[0] not in settled]
    for key, read in _read_digests(missing, cache, counter, workers):
        states[key] = LocalFileState(states[key].size, read)
    return states


def _read_digests(
    items: list[tuple[str, Path, os.stat_result, str]],
    cache: HashCache,
    counter: ReadCounter,
    workers: int,
) -> list[tuple[str, str]]:
    def one(item: tuple[str, Path, os.stat_result, str]) -> tuple[str, str]:
        key, path, st, algorithm = item
        digest = hash_file(path, counter, algorithm)
        # Cached under the stat taken *before* reading: if the file changed while it was
        # read, its next stat differs and it is read again.
        cache.put(st, digest)
        return key, digest

    # BLAKE3 already spreads one big file over every core; threads still pay off for
    # several sha256 (legacy) files, and for small files the hand-off costs more than
    # the hash, so those are done right here while the pool works through the big ones.
    big = [item for item in items if item[2].st_size >= _CHUNK]
    small = [item for item in items if item[2].st_size < _CHUNK]
    if workers <= 1 or len(big) <= 1:
        return [one(item) for item in big + small]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hash") as pool:
        pending = pool.map(one, big)
        done = [one(item) for item in small]
        return list(pending) + done
