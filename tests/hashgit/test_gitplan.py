"""A plan in a fresh clone takes unmodified tracked files' identity from git: 0 bytes read."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.hashgit.fakelfs import git_config, pointer_for
from videosync.api.sync import SyncVisionClient
from videosync.cli import main
from videosync.content.git import tracked_identities
from videosync.content.lfs import parse_lfs_pointer
from videosync.content.localfiles import BYTES_READ
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile

MANIFEST = """\
version: 1
videos:
  - path: media/plain.mp4
  - path: media/lfs/big.mp4
  - path: media/lfs/other.mp4
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(cwd: Path, *args: str, lfs: list[str]) -> str:
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    done = subprocess.run(
        ["git", *ident, *lfs, *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return done.stdout


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def clone(
    tmp_path: Path,
    sample_videos: list[Path],
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A catalog applied and committed (one plain file, two LFS ones), then cloned afresh."""
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    lfs = git_config(tmp_path / "lfs-store")
    origin = tmp_path / "origin"
    (origin / "media" / "lfs").mkdir(parents=True)
    for sample, name in zip(sample_videos, ("plain", "lfs/big", "lfs/other"), strict=True):
        shutil.copyfile(sample, origin / "media" / f"{name}.mp4")
    (origin / "videosync.yaml").write_text(MANIFEST, encoding="utf-8")
    (origin / ".gitattributes").write_text(
        "media/lfs/*.mp4 filter=lfs diff=lfs merge=lfs -text\n", encoding="utf-8"
    )
    code, _, err = _run(
        capsys,
        "-f",
        str(origin / "videosync.yaml"),
        "--api-url",
        emulator.url,
        "apply",
        "--yes",
    )
    assert code == 0, err
    _git(origin, "init", "-q", lfs=lfs)
    _git(origin, "add", ".", lfs=lfs)  # .videosync/ ignores itself
    _git(origin, "commit", "-qm", "catalog", lfs=lfs)
    # After `clone`, `-c` is stored in the clone's config, as `git lfs install` does globally.
    _git(tmp_path, "clone", *lfs, "-q", str(origin), "clone", lfs=[])
    return tmp_path / "clone"


def test_upload_records_the_identities_git_has_for_the_bytes(clone: Path) -> None:
    entries = load_lockfile(clone / "videosync.lock").videos
    plain = _git(clone, "ls-files", "--stage", "media/plain.mp4", lfs=[]).split()[1]
    assert entries["media/plain.mp4"].git_oid == plain
    big = (clone / "media" / "lfs" / "big.mp4").read_bytes()
    # In the working tree the media, in git's index the pointer naming its sha256.
    blob = _git(clone, "ls-files", "--stage", "media/lfs/big.mp4", lfs=[]).split()[1]
    pointer = subprocess.run(
        ["git", "cat-file", "blob", blob], cwd=clone, check=True, capture_output=True
    ).stdout
    assert pointer == pointer_for(big)
    assert parse_lfs_pointer(pointer) == (entries["media/lfs/big.mp4"].sha256, len(big))
    assert entries["media/lfs/big.mp4"].hash is not None
    assert entries["media/lfs/big.mp4"].hash.startswith("blake3:")


def test_a_plan_in_a_fresh_clone_reads_no_media(
    clone: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not (clone / ".videosync").exists()  # no stat cache: a CI checkout
    before = BYTES_READ.total
    code, out, err = _run(
        capsys,
        "-f",
        str(clone / "videosync.yaml"),
        "--api-url",
        emulator.url,
        "plan",
        "--detailed-exitcode",
    )
    assert (code, err) == (0, "")
    assert "No changes" in out
    assert BYTES_READ.total == before


def test_without_git_the_same_plan_reads_every_recorded_file(
    clone: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(clone / "no-such-bin"))  # git cannot be found
    before = BYTES_READ.total
    code, _, err = _run(
        capsys,
        "-f",
        str(clone / "videosync.yaml"),
        "--api-url",
        emulator.url,
        "plan",
        "--detailed-exitcode",
    )
    assert (code, err) == (0, "")
    media = sum(p.stat().st_size for p in (clone / "media").rglob("*.mp4"))
    assert BYTES_READ.total - before == media


def test_a_modified_file_is_read_and_replaced(
    clone: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("plain", "lfs/other"):
        path = clone / "media" / f"{name}.mp4"
        path.write_bytes(path.read_bytes()[::-1])  # same size, other content
    before = BYTES_READ.total
    code, out, _ = _run(
        capsys,
        "-f",
        str(clone / "videosync.yaml"),
        "--api-url",
        emulator.url,
        "plan",
        "--detailed-exitcode",
        "--max-delete-percent",  # 2 of 3 replaced: an ordinary edit, not a rail test
        "100",
    )
    assert code == 2
    assert "-/+ replace media/plain.mp4 " in out
    assert "-/+ replace media/lfs/other.mp4 " in out
    assert "media/lfs/big.mp4" not in out
    changed = sum((clone / "media" / f"{n}.mp4").stat().st_size for n in ("plain", "lfs/other"))
    assert BYTES_READ.total - before == changed  # and nothing else


def test_git_leaves_out_what_it_would_not_notice(clone: Path) -> None:
    wanted = ["media/plain.mp4", "media/lfs/big.mp4", "media/lfs/other.mp4", "untracked.mp4"]
    (clone / "untracked.mp4").write_bytes(b"x")
    assert set(tracked_identities(clone, wanted)) == set(wanted[:3])
    _git(clone, "update-index", "--assume-unchanged", "media/plain.mp4", lfs=[])
    assert set(tracked_identities(clone, wanted)) == set(wanted[1:3])
    assert tracked_identities(clone.parent, wanted) == {}  # not a repository


def test_a_version_1_lockfile_plans_no_change_and_lfs_entries_stay_unread(
    clone: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # What videosync wrote before blake3: sha256 hashes, no git identities.
    lock = clone / "videosync.lock"
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["version"] = 1
    for key, entry in data["videos"].items():
        entry["hash"] = "sha256:" + hashlib.sha256((clone / key).read_bytes()).hexdigest()
        entry.pop("git_oid")
        entry.pop("sha256")
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    before = BYTES_READ.total
    args = ("-f", str(clone / "videosync.yaml"), "--api-url", emulator.url)
    code, out, err = _run(capsys, *args, "plan", "--detailed-exitcode")
    assert (code, err) == (0, ""), out  # not a catalog-wide replace
    # The LFS pointers name the sha256 the entries recorded; only the plain file is read.
    assert BYTES_READ.total - before == (clone / "media" / "plain.mp4").stat().st_size
    again = BYTES_READ.total
    assert _run(capsys, *args, "plan", "--detailed-exitcode")[0] == 0
    assert BYTES_READ.total == again  # the stat cache keeps the sha256 it read
    assert (
        load_lockfile(lock).videos["media/plain.mp4"].hash
        == data["videos"]["media/plain.mp4"]["hash"]
    )


def test_a_checkout_without_the_lfs_media_plans_from_its_pointers(
    clone: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # A CI checkout without git-lfs: the working tree holds the pointers, not the media.
    bare = clone.parent / "pointers"
    _git(clone.parent, "clone", "-q", str(clone.parent / "origin"), str(bare), lfs=[])
    assert (bare / "media" / "lfs" / "big.mp4").read_bytes().startswith(b"version https://")
    args = ("-f", str(bare / "videosync.yaml"), "--api-url", emulator.url)
    before = BYTES_READ.total
    code, out, err = _run(capsys, *args, "plan", "--detailed-exitcode")
    assert (code, err) == (0, ""), out  # the content the pointers name is what was uploaded
    assert BYTES_READ.total == before
    # A pointer naming other content than the recorded one cannot be planned as a file.
    lock = bare / "videosync.lock"
    data = json.loads(lock.read_text(encoding="utf-8"))
    data["videos"]["media/lfs/big.mp4"]["sha256"] = "0" * 64
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    code, out, err = _run(capsys, *args, "plan")
    assert code == 3
    assert err == (
        f"error: {bare / 'media' / 'lfs' / 'big.mp4'}: a git-LFS pointer, not the video it "
        "stands for; fetch the media (git lfs pull) and plan again\n"
    )


def test_apply_never_uploads_an_lfs_pointer_as_the_video(
    clone: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = clone.parent / "pointers"
    _git(clone.parent, "clone", "-q", str(clone.parent / "origin"), str(bare), lfs=[])
    manifest = bare / "videosync.yaml"
    renamed = MANIFEST.replace("media/lfs/big.mp4\n", "media/lfs/big.mp4\n    name: Renamed\n")
    manifest.write_text(renamed, encoding="utf-8")
    before = load_lockfile(bare / "videosync.lock").videos["media/lfs/big.mp4"]
    args = ("-f", str(manifest), "--api-url", emulator.url)
    code, out, err = _run(capsys, *args, "apply", "--yes")
    assert code == 6, out + err  # the one replace failed, nothing else to do
    assert "media/lfs/big.mp4" in err + out
    assert "git-LFS pointer, not the video it stands for; fetch the media (git lfs pull)" in (
        err + out
    )
    after = load_lockfile(bare / "videosync.lock").videos["media/lfs/big.mp4"]
    assert after == before  # the uploaded video is still the one recorded
    with SyncVisionClient(emulator.url, API_KEY) as client:
        assert len(client.list_videos()) == 3  # and the server made no copy of a pointer
