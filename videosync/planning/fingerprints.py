"""Fingerprints: digests of what a plan was computed from, so a saved plan can go stale.

`plan --out` saves the digests of the manifest's bytes, the lockfile's bytes, the remote
catalog (as far as planning depends on it) and the local files the plan looked at; `apply
PLANFILE` computes them again and refuses the plan (`StalePlan`) if any of them changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from videosync.content.localfiles import LocalFileState
from videosync.errors import StalePlan
from videosync.model import RemoteGroup, RemoteVideo

__all__ = [
    "Fingerprints",
    "check_fingerprints",
    "fingerprint_bytes",
    "fingerprint_local",
    "fingerprint_remote",
]


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """sha256 of what a plan was computed from; a mismatch makes a saved plan stale."""

    manifest: str
    lockfile: str | None
    """None when there was no lockfile yet."""
    remote: str
    local: str | None = None
    """The local files' sizes and the digests the plan used: a file edited after the plan
    was made (but before apply) makes it stale too."""

    def to_json(self) -> dict[str, str | None]:
        return {
            "manifest": self.manifest,
            "lockfile": self.lockfile,
            "remote": self.remote,
            "local": self.local,
        }


def fingerprint_bytes(data: bytes | None) -> str | None:
    """`sha256:<hex>` of a file's bytes (None for a file that does not exist)."""
    return None if data is None else "sha256:" + hashlib.sha256(data).hexdigest()


def _digest_lines(lines: Iterable[str]) -> str:
    # One `repr` per item, sorted: unambiguous for str/int/bool/None, and sorting flat
    # strings costs a fraction of sorting nested lists (this runs on 100k videos per plan).
    hasher = hashlib.sha256()
    for line in sorted(lines):
        hasher.update(line.encode("utf-8", "surrogatepass"))
        hasher.update(b"\n")
    return "sha256:" + hasher.hexdigest()


def fingerprint_remote(videos: Iterable[RemoteVideo], groups: Iterable[RemoteGroup]) -> str:
    """A digest of the remote state as far as planning depends on it.

    Indexing progress (`pending` → `indexing` → `indexed`) does not change a plan, so only
    whether a video failed is part of it; presigned URLs and timestamps are left out.
    """
    lines = [
        repr(
            (
                "v",
                v.video_id,
                v.name,
                v.group_id,
                v.source,
                v.start_ms,
                v.indexing_status == "failed",
            )
        )
        for v in videos
    ]
    lines += [
        repr(("g", g.group_id, g.name, json.dumps(g.metadata, sort_keys=True))) for g in groups
    ]
    return _digest_lines(lines)


def fingerprint_local(states: Mapping[str, LocalFileState]) -> str:
    """A digest of the local files as the plan saw them: key, size and digest if known."""
    return _digest_lines(repr((key, st.size, st.digest)) for key, st in states.items())


def check_fingerprints(saved: Fingerprints | None, current: Fingerprints) -> None:
    """Refuse (`StalePlan`) a saved plan whose inputs (`saved`) have changed since."""
    if saved is None:
        raise StalePlan("the plan file has no fingerprints; save it with `videosync plan --out`")
    changed = [
        what
        for what, old, new in (
            ("the manifest", saved.manifest, current.manifest),
            ("the lockfile", saved.lockfile, current.lockfile),
            ("the remote catalog", saved.remote, current.remote),
            ("the local files", saved.local, current.local),
        )
        if old != new
    ]
    if changed:
        listed = changed[0] if len(changed) == 1 else f"{', '.join(changed[:-1])} and {changed[-1]}"
        verb = "have" if len(changed) > 1 or changed == ["the local files"] else "has"
        raise StalePlan(
            f"the saved plan is stale: {listed} {verb} changed since it was made; "
            "run `videosync plan --out` again and review the new plan"
        )
