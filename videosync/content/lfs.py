"""The git-LFS pointer file: what a checkout without `git lfs pull` has in place of the media.

Its format is git-lfs's spec (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md):
a `version` line, then `oid sha256:<hex>` and `size <bytes>`, at most `POINTER_MAX` bytes.
Planning takes a pointer's `oid` as the identity of the media it stands for; an upload
refuses to send one (`refuse_pointer`), since the server would store 130 bytes of text.
"""

from __future__ import annotations

from videosync.errors import GitLfsPointer

__all__ = ["POINTER_MAX", "parse_lfs_pointer", "refuse_pointer"]

POINTER_MAX = 1024
"""The LFS spec caps pointer files at 1024 bytes: a bigger file is never a pointer."""

_VERSION = b"version https://git-lfs.github.com/spec/v1"


def parse_lfs_pointer(data: bytes) -> tuple[str, int] | None:
    """`(sha256 hex, size)` of a git-LFS pointer file's text, or None if it is not one."""
    if len(data) > POINTER_MAX or not data.startswith(_VERSION + b"\n"):
        return None
    fields: dict[bytes, bytes] = {}
    for line in data.splitlines()[1:]:
        key, sep, value = line.partition(b" ")
        if not sep:
            return None
        fields[key] = value
    oid, size = fields.get(b"oid", b""), fields.get(b"size", b"")
    algorithm, _, hex_digest = oid.partition(b":")
    if algorithm != b"sha256" or len(hex_digest) != 64 or not size.isdigit():
        return None
    try:
        bytes.fromhex(hex_digest.decode("ascii"))
    except ValueError:
        return None
    return hex_digest.decode("ascii"), int(size)


def refuse_pointer(data: bytes) -> None:
    """Raise `GitLfsPointer` when `data` (a whole file) is a git-LFS pointer, not the video.

    Called from inside an upload's first read, it fails that one action before its body is
    complete, so the server creates nothing.
    """
    if parse_lfs_pointer(data) is not None:
        raise GitLfsPointer(
            "the file is a git-LFS pointer, not the video it stands for; "
            "fetch the media (git lfs pull) and apply again"
        )
