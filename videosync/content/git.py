"""What git knows about tracked files without reading them: their blob ids, and LFS pointers.

In a fresh CI checkout the stat cache is empty, so every file the lockfile records would be
read to prove it unchanged. Git has the proof already: for a tracked file it reports
unmodified, the index holds the id of the blob that is its content (`git ls-files
--stage`), and for a git-LFS file that blob is the pointer, whose `oid sha256:` and `size`
name the content (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). Pointers
are read from git's object store (`git cat-file --batch`, ~130 bytes each), never from the
working tree, whose LFS files are the smudged media.

Git is a foreign tool: it is run a fixed number of times per plan (never once per file),
and anything unexpected (no git, not a repository, an error) means "git knows nothing":
the caller falls back to the stat cache and reading, silently.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from videosync.content.digest import ContentDigest
from videosync.content.lfs import POINTER_MAX, parse_lfs_pointer
from videosync.errors import GitLfsPointer
from videosync.model import LockEntry

__all__ = [
    "GitIdentity",
    "IdentitiesToRecord",
    "Settled",
    "identities_to_record",
    "settle_from_git",
    "tracked_identities",
]

log = logging.getLogger(__name__)

_REGULAR_MODES = ("100644", "100755")
_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class GitIdentity:
    """What git says a tracked, unmodified file is, without anyone reading the file."""

    oid: str
    """The index's blob id for the path."""
    lfs_sha256: str | None = None
    """When the blob is a git-LFS pointer: the sha256 hex of the content it stands for."""
    lfs_size: int | None = None
    """When the blob is a git-LFS pointer: the content's size in bytes."""


@dataclass(frozen=True, slots=True)
class Settled:
    """A file git proved to hold the content its lockfile entry recorded."""

    size: int
    """The content's size (for a pointer in the working tree: the size it stands for)."""
    digest: str
    """The entry's recorded content hash."""


@dataclass(frozen=True, slots=True)
class IdentitiesToRecord:
    """Which of git's identities for a file's bytes an upload computes and the lockfile keeps.

    Each is a digest more over every byte sent, so only the one git can later vouch for:
    the blob id for a file plain git tracks (or would), the sha256 for a git-LFS file
    (its pointer names it). When git cannot say, both. When git already vouches for the
    file (tracked and unmodified: what a CI checkout of a merge is), its identity is taken
    from git's index instead (`known_git_oid`, `known_sha256`) and neither is computed;
    `complete` adds it to the upload's digest if the file is still the one git vouched for.
    """

    git_oid: bool = True
    sha256: bool = True
    known_git_oid: str | None = None
    known_sha256: str | None = None
    vouched: tuple[int, int, int] | None = None
    """(size, inode, mtime in ns) of the file when git vouched for it."""

    def complete(self, digest: str | None, path: Path | None) -> str | None:
        """`digest` with the identities git knew, if `path` is still the file git vouched
        for (same size, inode and mtime); else `digest` as it is (git's word is dropped)."""
        if self.vouched is None or path is None or not isinstance(digest, ContentDigest):
            return digest
        if _stat_key(path) != self.vouched:
            log.info("%s changed while it was uploaded: git's identity is not recorded", path)
            return digest
        return ContentDigest(
            digest,
            git_oid=digest.git_oid or self.known_git_oid,
            sha256=digest.sha256 or self.known_sha256,
        )


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_size, st.st_ino, st.st_mtime_ns


def identities_to_record(root: Path, paths: Collection[str]) -> dict[str, IdentitiesToRecord]:
    """For `paths` (POSIX, relative to `root`) in a git work tree: the one identity each needs.

    A path `.gitattributes` gives `filter=lfs` needs the sha256, any other the blob id; a
    file git vouches for (`tracked_identities`) has it already, from the index, and needs
    none computed. A fixed number of git calls, whatever the number of paths. Paths left
    out (all of them when `root` is not in a work tree, git is missing or fails) need both:
    a catalog applied before its first commit is committed as it is, and git vouches for it
    from then on.
    """
    if not paths:
        return {}
    git = shutil.which("git")
    if git is None:
        return {}
    try:
        if _run(git, root, "rev-parse", "--is-inside-work-tree").strip() != b"true":
            return {}
        stdin = "".join(f"{path}\0" for path in paths).encode("utf-8", "surrogateescape")
        fields = _split(_run(git, root, "check-attr", "-z", "--stdin", "filter", stdin=stdin))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.debug("git did not say which identities to record in %s: %s", root, exc)
        return {}
    out = {}
    # `<path> NUL filter NUL <value> NUL` per path.
    for at in range(0, len(fields) - 2, 3):
        path = fields[at].decode("utf-8", "surrogateescape")
        lfs = fields[at + 2] == b"lfs"
        out[path] = IdentitiesToRecord(git_oid=not lfs, sha256=lfs)
    # Stat data before and after git's verdict: a file edited meanwhile is not vouched for.
    before = {path: _stat_key(root / path) for path in out}
    for path, identity in tracked_identities(root, list(out)).items():
        key = before[path]
        if key is None or _stat_key(root / path) != key:
            continue
        if out[path].sha256:
            if identity.lfs_sha256 is not None and identity.lfs_size == key[0]:
                out[path] = IdentitiesToRecord(False, False, None, identity.lfs_sha256, key)
        else:
            out[path] = IdentitiesToRecord(False, False, identity.oid, None, key)
    return out


def settle_from_git(
    files: Sequence[tuple[str, Path, os.stat_result]],
    recorded: Mapping[str, LockEntry],
    root: Path,
) -> dict[str, Settled]:
    """The recorded `files` (key, path, stat) git proves unchanged, with one batch of git calls.

    A file is unchanged when git reports it unmodified and its index blob is the recorded
    `git_oid`, or is a git-LFS pointer naming the recorded sha256 and size. When the
    working file is that pointer itself (an LFS checkout without `git lfs pull`), the
    content it stands for is what counts; a pointer naming other content is refused
    (`GitLfsPointer`, exit 3): planned as it is, it would replace the video with 130 bytes of text.
    """
    relative = {key: _relative(path, root) for key, path, _ in files}
    known = tracked_identities(root, [rel for rel in relative.values() if rel is not None])
    out: dict[str, Settled] = {}
    for key, path, st in files:
        entry = recorded.get(key)
        identity = known.get(relative[key] or "")
        if entry is None or entry.hash is None or identity is None:
            continue
        recorded_lfs = {entry.sha256, _legacy_hex(entry.hash)} - {None}
        if identity.lfs_sha256 is not None and st.st_size != identity.lfs_size:
            # Unmodified and not the content's size: the working file is the pointer.
            lfs_size = identity.lfs_size
            recorded_size = entry.size
            if (
                identity.lfs_sha256 in recorded_lfs
                and lfs_size is not None
                and lfs_size == recorded_size
            ):
                out[key] = Settled(lfs_size, entry.hash)
                continue
            raise GitLfsPointer(
                f"{path}: a git-LFS pointer, not the video it stands for; "
                "fetch the media (git lfs pull) and plan again"
            )
        if st.st_size != entry.size:
            continue
        if entry.git_oid == identity.oid or identity.lfs_sha256 in recorded_lfs:
            out[key] = Settled(st.st_size, entry.hash)
    if out:
        log.info("git proved %d file(s) unchanged without reading them", len(out))
    return out


def _legacy_hex(digest: str) -> str | None:
    """The hex of a version 1 `sha256:<hex>` hash (what an LFS pointer names), else None."""
    return digest.removeprefix("sha256:") if digest.startswith("sha256:") else None


def _relative(path: Path, root: Path) -> str | None:
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive (Windows)
        return None


def tracked_identities(root: Path, paths: Collection[str]) -> dict[str, GitIdentity]:
    """The git identities of those `paths` (POSIX, relative to `root`) git reports unmodified.

    Files that are untracked, modified, conflicted or marked assume-unchanged or
    skip-worktree (git would not notice an edit) are left out, and so is everything when
    `root` is not in a git work tree or git is missing.
    """
    if not paths:
        return {}
    git = shutil.which("git")
    if git is None:
        return {}
    try:
        return _identities(git, root, set(paths))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.debug("git gave no file identities in %s: %s", root, exc)
        return {}


def _run(git: str, root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        [git, "-C", str(root), "--no-optional-locks", *args],
        input=stdin,
        capture_output=True,
        check=True,
        timeout=_TIMEOUT,
    )
    return done.stdout


def _identities(git: str, root: Path, wanted: set[str]) -> dict[str, GitIdentity]:
    oids: dict[str, str] = {}
    racy: list[str] = []
    index_mtime_ns = _index_path(git, root).stat().st_mtime_ns
    # `-v` tags assume-unchanged entries in lower case and skip-worktree ones `S`: git
    # does not look at those files, so its "unmodified" would prove nothing. `--debug`
    # adds each entry's stat data, to the nanosecond.
    listing = _run(git, root, "ls-files", "--stage", "-v", "--debug", "-z")
    for entry in _INDEX_ENTRY.finditer(listing):
        tag, mode, oid, stage = entry["meta"].decode("ascii").split(" ")
        path = entry["path"].decode("utf-8", "surrogateescape")
        if tag != "H" or mode not in _REGULAR_MODES or stage != "0" or path not in wanted:
            continue
        verdict = _stat_verdict(root / path, entry, index_mtime_ns)
        if verdict == "unchanged":
            oids[path] = oid
        elif verdict == "racy":
            oids[path] = oid
            racy.append(path)
    # Only what stat data cannot settle goes to git, which compares it by content (reading
    # it): files written in the same clock tick as the index.
    for at in range(0, len(racy), _PATHS_PER_CALL):
        batch = racy[at : at + _PATHS_PER_CALL]
        modified = _split(
            _run(git, root, "diff-files", "--name-only", "--relative", "-z", "--", *batch)
        )
        for name in modified:
            oids.pop(name.decode("utf-8", "surrogateescape"), None)
    pointers = _lfs_pointers(git, root, set(oids.values()))
    out = {}
    for path, oid in oids.items():
        lfs = pointers.get(oid)
        out[path] = GitIdentity(oid, *lfs) if lfs else GitIdentity(oid)
    return out


_PATHS_PER_CALL = 1000
"""Paths per `git diff-files` call: well under any command line's length limit."""


_INDEX_ENTRY = re.compile(
    rb"(?P<meta>[^\t\0]+)\t(?P<path>[^\0]*)\0"
    rb"  ctime: \d+:\d+\n"
    rb"  mtime: (?P<mtime_s>\d+):(?P<mtime_ns>\d+)\n"
    rb"  dev: \d+\tino: (?P<ino>\d+)\n"
    rb"  uid: \d+\tgid: \d+\n"
    rb"  size: (?P<size>\d+)\tflags: [0-9a-f]+\n"
)
"""One entry of `git ls-files --stage -v --debug -z`: the staged line, then its stat data."""


def _index_path(git: str, root: Path) -> Path:
    """Where this work tree's index file is (`.git/index`, or a linked worktree's own)."""
    told = _run(git, root, "rev-parse", "--git-path", "index").decode("utf-8").strip()
    return root / told  # relative to `root`, or absolute (then the join keeps it)


def _stat_verdict(
    path: Path, entry: re.Match[bytes], index_mtime_ns: int
) -> Literal["unchanged", "racy", "changed"]:
    """What the file's stat data says of it against its index entry, never reading it.

    `unchanged`: its size, inode and mtime (to the nanosecond) are the entry's and it is
    older than the index file. Git's own racy check (`git diff-files`) works in whole
    seconds here, so it reads every file written in the index's last second: all of a
    small fresh clone. `racy`: the same, but written in the index's own clock tick, which
    stat data cannot tell from an edit made just after the index was written (the kernel
    stamps files with a coarse clock: a few milliseconds). `changed`: anything else; the
    caller reads and hashes it, never takes it for unchanged.
    """
    try:
        st = path.lstat()
    except OSError:
        return "changed"
    recorded_ns = int(entry["mtime_s"]) * 1_000_000_000 + int(entry["mtime_ns"])
    same = (
        st.st_size == int(entry["size"])
        # Git keeps the low 32 bits of the inode.
        and st.st_ino & 0xFFFFFFFF == int(entry["ino"])
        and st.st_mtime_ns == recorded_ns
    )
    if not same:
        return "changed"
    return "unchanged" if st.st_mtime_ns < index_mtime_ns else "racy"


def _lfs_pointers(git: str, root: Path, oids: set[str]) -> dict[str, tuple[str, int]]:
    """The LFS pointers among `oids`: sizes first (cheap), then the text of the small blobs."""
    if not oids:
        return {}
    listing = _run(git, root, "cat-file", "--batch-check", stdin=_lines(oids))
    small = set()
    for line in listing.decode("ascii").splitlines():
        oid, kind, size = line.split(" ")
        if kind == "blob" and int(size) <= POINTER_MAX:
            small.add(oid)
    if not small:
        return {}
    out = {}
    for oid, data in _batch(_run(git, root, "cat-file", "--batch", stdin=_lines(small))):
        pointer = parse_lfs_pointer(data)
        if pointer is not None:
            out[oid] = pointer
    return out


def _batch(output: bytes) -> Iterator[tuple[str, bytes]]:
    """`(oid, content)` from `git cat-file --batch`: `<oid> <type> <size>\\n<content>\\n`."""
    at = 0
    while at < len(output):
        end = output.index(b"\n", at)
        oid, _, size = output[at:end].decode("ascii").split(" ")
        start = end + 1
        yield oid, output[start : start + int(size)]
        at = start + int(size) + 1


def _split(output: bytes) -> list[bytes]:
    return [record for record in output.split(b"\0") if record]


def _lines(oids: Collection[str]) -> bytes:
    return "".join(f"{oid}\n" for oid in sorted(oids)).encode("ascii")
