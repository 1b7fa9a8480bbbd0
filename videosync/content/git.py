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
import shutil
import subprocess
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    (its pointer names it). When git cannot say, both.
    """

    git_oid: bool = True
    sha256: bool = True


def identities_to_record(root: Path, paths: Collection[str]) -> dict[str, IdentitiesToRecord]:
    """For `paths` (POSIX, relative to `root`) in a git work tree: the one identity each needs.

    A path `.gitattributes` gives `filter=lfs` needs the sha256, any other the blob id. One
    batch of git calls, whatever the number of paths. Paths left out (all of them when
    `root` is not in a work tree, git is missing or fails) need both: a catalog applied
    before its first commit is committed as it is, and git vouches for it from then on.
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
    # `-v` tags assume-unchanged entries in lower case and skip-worktree ones `S`: git
    # does not look at those files, so its "unmodified" would prove nothing.
    for record in _split(_run(git, root, "ls-files", "--stage", "-v", "-z")):
        meta, _, name = record.partition(b"\t")
        tag, mode, oid, stage = meta.decode("ascii").split(" ")
        path = name.decode("utf-8", "surrogateescape")
        if tag == "H" and mode in _REGULAR_MODES and stage == "0" and path in wanted:
            oids[path] = oid
    if not oids:
        return {}
    # Compares the index's stat data with the files' (and their content when that is not
    # conclusive); writes nothing, unlike `git status`.
    modified = _split(_run(git, root, "diff-files", "--name-only", "--relative", "-z"))
    for name in modified:
        oids.pop(name.decode("utf-8", "surrogateescape"), None)
    pointers = _lfs_pointers(git, root, set(oids.values()))
    out = {}
    for path, oid in oids.items():
        lfs = pointers.get(oid)
        out[path] = GitIdentity(oid, *lfs) if lfs else GitIdentity(oid)
    return out


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
