"""Lockfile version 2: blake3 hashes with git identities; version 1 still read as it is."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import blake3
import pytest

from videosync.content.localfiles import HashCache, ReadCounter
from videosync.errors import LockError
from videosync.model import LockEntry, Lockfile, Source, VideoSpec
from videosync.state.lockfile import dumps_lockfile, parse_lockfile

SPEC = VideoSpec("Clip", "default", "default", None, True, False, Source(path="clip.mp4"))


def test_a_recorded_digest_carries_the_identities_git_can_vouch_for(tmp_path: Path) -> None:
    data = b"\x00video\x01" * 100_000
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    counter = ReadCounter()
    digest = HashCache.in_memory().digest(path, counter)  # as import and adoption record
    assert counter.total == len(data)
    entry = LockEntry("v1", SPEC, len(data), digest)
    blob = subprocess.run(
        ["git", "hash-object", str(path)], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert (entry.hash, entry.git_oid, entry.sha256) == (
        "blake3:" + blake3.blake3(data).hexdigest(),
        blob,
        hashlib.sha256(data).hexdigest(),
    )
    assert type(entry.hash) is str  # a plain string in the lockfile, nothing riding along
    text = dumps_lockfile(Lockfile(videos={"clip.mp4": entry}))
    assert json.loads(text)["version"] == 2
    assert parse_lockfile(text).videos["clip.mp4"] == entry


def test_a_version_1_lockfile_reads_as_it_is_and_is_written_back_as_2() -> None:
    v1 = {
        "version": 1,
        "groups": {},
        "videos": {
            "clip.mp4": SPEC.to_json()
            | {
                "video_id": "v1",
                "size": 3,
                "hash": "sha256:" + "ab" * 32,
                "uploaded_at": None,
                "protect": False,
            }
        },
    }
    lockfile = parse_lockfile(json.dumps(v1))
    entry = lockfile.videos["clip.mp4"]
    assert (entry.hash, entry.git_oid, entry.sha256) == ("sha256:" + "ab" * 32, None, None)
    again = json.loads(dumps_lockfile(lockfile))
    assert again["version"] == 2
    assert again["videos"] == v1["videos"]  # no field added, no hash changed


@pytest.mark.parametrize(
    ("field", "value"), [("git_oid", "not-hex"), ("sha256", "ab" * 31), ("git_oid", 7)]
)
def test_identities_are_checked_by_the_schema(field: str, value: object) -> None:
    entry = SPEC.to_json() | {
        "video_id": "v1",
        "size": 3,
        "hash": "blake3:" + "ab" * 32,
        "uploaded_at": None,
        "protect": False,
        field: value,
    }
    text = json.dumps({"version": 2, "groups": {}, "videos": {"clip.mp4": entry}})
    with pytest.raises(LockError, match=f"at videos/clip.mp4/{field}: "):
        parse_lockfile(text)
