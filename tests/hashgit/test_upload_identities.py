"""An upload computes only the git identity a later plan can use: blob id or LFS sha256."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY
from tests.hashgit.fakelfs import git_config
from videosync.cli import main
from videosync.content.digest import ContentDigest, new_hasher
from videosync.content.git import IdentitiesToRecord, identities_to_record
from videosync.emulator import RunningEmulator
from videosync.model import LockEntry
from videosync.state.lockfile import load_lockfile

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

MANIFEST = "version: 1\nvideos:\n  - path: media/clip.mp4\n"
LFS_ATTRIBUTES = "media/*.mp4 filter=lfs diff=lfs merge=lfs -text\n"


def _catalog(root: Path, sample: Path, *, git: bool, attributes: str = "") -> Path:
    (root / "media").mkdir(parents=True)
    shutil.copyfile(sample, root / "media" / "clip.mp4")
    (root / "videosync.yaml").write_text(MANIFEST, encoding="utf-8")
    if attributes:
        (root / ".gitattributes").write_text(attributes, encoding="utf-8")
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _apply(
    root: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> LockEntry:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    args = ["-f", str(root / "videosync.yaml"), "--api-url", emulator.url, "apply", "--yes"]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code in (0, None), capsys.readouterr().err
    return load_lockfile(root / "videosync.lock").videos["media/clip.mp4"]


def _blob_id(path: Path) -> str:
    done = subprocess.run(["git", "hash-object", str(path)], check=True, capture_output=True)
    return done.stdout.decode("ascii").strip()


def test_a_file_plain_git_would_track_records_its_blob_id_and_no_sha256(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _catalog(tmp_path / "catalog", sample_videos[0], git=True)
    entry = _apply(root, emulator, capsys, monkeypatch)
    assert entry.git_oid == _blob_id(root / "media" / "clip.mp4")
    assert entry.sha256 is None
    assert entry.hash is not None and entry.hash.startswith("blake3:")


def test_an_lfs_tracked_file_records_its_sha256_and_no_blob_id(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _catalog(tmp_path / "catalog", sample_videos[0], git=True, attributes=LFS_ATTRIBUTES)
    entry = _apply(root, emulator, capsys, monkeypatch)
    content = (root / "media" / "clip.mp4").read_bytes()
    assert entry.sha256 == hashlib.sha256(content).hexdigest()
    assert entry.git_oid is None


def test_outside_git_both_identities_are_recorded_for_a_first_commit_after_the_apply(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Not a repository yet, so git cannot say which one will count: as tests/hashgit's
    # clone fixture does, a catalog is often applied first and committed after.
    root = _catalog(tmp_path / "catalog", sample_videos[0], git=False, attributes=LFS_ATTRIBUTES)
    entry = _apply(root, emulator, capsys, monkeypatch)
    path = root / "media" / "clip.mp4"
    assert entry.git_oid == _blob_id(path)
    assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_git_says_which_identity_each_path_needs_in_one_batch(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitattributes").write_text("lfs/*.mp4 filter=lfs\n", encoding="utf-8")
    wanted = ["plain.mp4", "lfs/big.mp4", "not yet made.mp4"]
    assert identities_to_record(tmp_path, wanted) == {
        "plain.mp4": IdentitiesToRecord(git_oid=True, sha256=False),
        "lfs/big.mp4": IdentitiesToRecord(git_oid=False, sha256=True),
        "not yet made.mp4": IdentitiesToRecord(git_oid=True, sha256=False),
    }
    assert identities_to_record(tmp_path.parent, ["plain.mp4"]) == {}  # not a work tree
    assert identities_to_record(tmp_path, []) == {}


def _commit(root: Path, *config: str) -> None:
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["add", "."], ["commit", "-qm", "media"]):
        subprocess.run(["git", *ident, *config, *args], cwd=root, check=True, capture_output=True)


def _identity_options(monkeypatch: pytest.MonkeyPatch) -> set[tuple[bool, bool]]:
    """Which digests the uploads' hashers were asked for beside BLAKE3: (blob id, sha256)."""
    asked: set[tuple[bool, bool]] = set()

    def spy(size: int | None = None, *, git_oid: bool = True, sha256: bool = True) -> Any:
        asked.add((git_oid, sha256))
        return new_hasher(size, git_oid=git_oid, sha256=sha256)

    monkeypatch.setattr("videosync.applying.uploader.new_hasher", spy)
    return asked


def test_a_committed_file_takes_its_blob_id_from_git_and_hashes_only_blake3(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a CI apply on merge sees: every file committed and checked out unmodified.
    root = _catalog(tmp_path / "catalog", sample_videos[0], git=True)
    _commit(root)
    asked = _identity_options(monkeypatch)

    entry = _apply(root, emulator, capsys, monkeypatch)

    assert asked == {(False, False)}  # git knew the blob id
    index = subprocess.run(
        ["git", "rev-parse", ":media/clip.mp4"], cwd=root, check=True, capture_output=True
    )
    assert entry.git_oid == index.stdout.decode().strip() == _blob_id(root / "media" / "clip.mp4")
    assert entry.sha256 is None


def test_a_committed_lfs_file_takes_its_sha256_from_the_pointer(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _catalog(tmp_path / "catalog", sample_videos[0], git=True, attributes=LFS_ATTRIBUTES)
    lfs = git_config(tmp_path / "lfs-store")
    for value in lfs[1::2]:  # `-c key=value` options, into the repository's config
        key, _, command = value.partition("=")
        subprocess.run(["git", "config", key, command], cwd=root, check=True)
    _commit(root)
    asked = _identity_options(monkeypatch)

    entry = _apply(root, emulator, capsys, monkeypatch)

    assert asked == {(False, False)}  # the pointer names the sha256
    content = (root / "media" / "clip.mp4").read_bytes()
    assert entry.sha256 == hashlib.sha256(content).hexdigest()
    assert entry.git_oid is None


def test_a_committed_file_edited_before_the_apply_is_hashed_in_full(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _catalog(tmp_path / "catalog", sample_videos[0], git=True)
    _commit(root)
    shutil.copyfile(sample_videos[1], root / "media" / "clip.mp4")  # not what git holds
    asked = _identity_options(monkeypatch)

    entry = _apply(root, emulator, capsys, monkeypatch)

    assert asked == {(True, False)}
    assert entry.git_oid == _blob_id(root / "media" / "clip.mp4")


def test_git_s_word_is_dropped_when_the_file_changes_during_the_upload(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 4096)
    _commit(tmp_path)
    (vouched,) = identities_to_record(tmp_path, ["clip.mp4"]).values()
    assert vouched.known_git_oid is not None and not vouched.git_oid
    sent = ContentDigest("ab" * 32)

    assert vouched.complete(sent, clip).git_oid == vouched.known_git_oid  # type: ignore[union-attr]
    clip.write_bytes(b"\x01" * 4096)  # same size, new content, new mtime
    assert vouched.complete(sent, clip).git_oid is None  # type: ignore[union-attr]
