"""videosync.lock: stable text, atomic writes, and refusal to trust or overwrite a bad one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.plan.states import entry, plan_of, remote, video
from videosync.errors import LockError
from videosync.model import Lockfile, LockGroup, Source, format_start, start_to_ms
from videosync.ownership import SignedUrl
from videosync.state.lockfile import dumps_lockfile, load_lockfile, lockfile_path, save_lockfile

SAMPLE = Lockfile(
    videos=dict(
        [
            entry(video("media/b.mp4", group="marketing"), "v2", group_id="g-1"),
            entry(video("https://example.com/k.mp4", url="https://example.com/k.mp4"), "v3"),
            entry(video("media/a.mp4"), "v1", protect=True),
        ]
    ),
    groups={"marketing": LockGroup("g-1", "Marketing", {"campaign": "launch"})},
)


def test_round_trip_is_identical(tmp_path: Path) -> None:
    path = tmp_path / "videosync.lock"
    save_lockfile(path, SAMPLE)
    assert load_lockfile(path) == Lockfile(
        videos=dict(sorted(SAMPLE.videos.items())), groups=SAMPLE.groups
    )
    text = path.read_text()
    save_lockfile(path, load_lockfile(path))
    assert path.read_text() == text


def test_text_is_sorted_indented_and_ends_with_a_newline() -> None:
    text = dumps_lockfile(SAMPLE)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert data["version"] == 2
    assert list(data["videos"]) == ["https://example.com/k.mp4", "media/a.mp4", "media/b.mp4"]
    assert data["videos"]["media/a.mp4"]["source"] == {"path": "media/a.mp4"}
    assert data["videos"]["https://example.com/k.mp4"]["hash"] is None


def test_holds_no_absolute_path_or_stat_data() -> None:
    text = dumps_lockfile(SAMPLE)
    assert "/catalog" not in text
    assert "inode" not in text and "mtime" not in text


def test_missing_lockfile_is_empty(tmp_path: Path) -> None:
    assert load_lockfile(tmp_path / "videosync.lock") == Lockfile()


def test_lockfile_sits_beside_the_manifest(tmp_path: Path) -> None:
    assert lockfile_path(tmp_path / "cat" / "videosync.yaml") == tmp_path / "cat" / "videosync.lock"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"version": 1, "videos": {',
            "videosync.lock:1:27: the lockfile is corrupt or truncated (Expecting property name "
            "enclosed in double quotes); restore it from git (git checkout -- videosync.lock) "
            "or move it aside to start over",
        ),
        (
            '{"version": 7, "videos": {}, "groups": {}}',
            "videosync.lock: lockfile version 7 was written by a newer videosync "
            "(this one reads versions up to 3); upgrade videosync",
        ),
        (
            '{"version": 1, "videos": {"a.mp4": {"video_id": "v1"}}, "groups": {}}',
            'videosync.lock: the lockfile is not valid at videos/a.mp4: "name" is a required '
            "property; restore it from git (git checkout -- videosync.lock) or move it aside "
            "to start over",
        ),
        (
            "[]",
            "videosync.lock: the lockfile is not valid at (top level): [] is not of type "
            '"object"; restore it from git (git checkout -- videosync.lock) or move it aside '
            "to start over",
        ),
    ],
    ids=["truncated", "future version", "missing field", "not an object"],
)
def test_untrustworthy_lockfile_is_an_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("videosync.lock").write_text(text)
    with pytest.raises(LockError) as info:
        load_lockfile(Path("videosync.lock"))
    assert str(info.value) == message
    assert info.value.exit_code == 3


def test_a_corrupt_lockfile_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "videosync.lock"
    path.write_text('{"version": 1, "vid')
    with pytest.raises(LockError):
        save_lockfile(path, SAMPLE)
    assert path.read_text() == '{"version": 1, "vid'


def test_a_lockfile_that_is_a_dangling_link_is_an_error_and_never_replaced(
    tmp_path: Path,
) -> None:
    # Read as "no lockfile yet", the plan would upload every video again.
    path = tmp_path / "videosync.lock"
    path.symlink_to(tmp_path / "moved" / "videosync.lock")
    with pytest.raises(LockError) as info:
        load_lockfile(path)
    assert str(info.value) == (
        f"{path}: the lockfile is a link to {tmp_path / 'moved' / 'videosync.lock'}, which "
        "does not exist; restore the file it points to, or move the link aside to start over"
    )
    with pytest.raises(LockError):
        save_lockfile(path, SAMPLE)
    assert path.is_symlink() and not path.exists()


def test_a_lockfile_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "videosync.lock"
    path.mkdir()
    with pytest.raises(LockError) as info:
        load_lockfile(path)
    assert str(info.value) == (
        f"{path}: the lockfile is a folder, not a file; move it aside and restore the "
        "lockfile from git (git checkout -- videosync.lock)"
    )


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file; POSIX modes"
)
def test_an_unreadable_lockfile_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "videosync.lock"
    save_lockfile(path, SAMPLE)
    path.chmod(0)
    with pytest.raises(LockError) as info:
        load_lockfile(path)
    assert str(info.value) == (
        f"{path}: cannot read the lockfile: Permission denied; make it readable by this user, "
        "or restore it from git (git checkout -- videosync.lock) or move it aside to start over"
    )


def test_absolute_source_path_is_refused(tmp_path: Path) -> None:
    data = json.loads(dumps_lockfile(SAMPLE))
    data["videos"]["media/a.mp4"]["source"] = {"path": "/home/me/a.mp4"}
    path = tmp_path / "videosync.lock"
    path.write_text(json.dumps(data))
    with pytest.raises(LockError, match=r"videos/media/a\.mp4/source"):
        load_lockfile(path)


def test_a_killed_writer_leaves_the_old_lockfile_whole(tmp_path: Path) -> None:
    path = tmp_path / "videosync.lock"
    save_lockfile(path, SAMPLE)
    before = path.read_bytes()
    # Kill the writer after the temp file is written but before the rename.
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "import videosync.state.lockfile as lf\n"
        "real = Path.replace\n"
        "def die(self, target): os.kill(os.getpid(), 9)\n"
        "Path.replace = die\n"
        "lf.write_atomic(Path(sys.argv[1]), b'{}')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert proc.returncode == -9
    assert path.read_bytes() == before
    assert load_lockfile(path) == load_lockfile(path)


def test_start_is_iso_utc_and_converts_to_api_milliseconds() -> None:
    local = datetime(2025, 4, 12, 21, 5, 45, tzinfo=timezone(timedelta(hours=2)))
    assert format_start(local) == "2025-04-12T19:05:45Z"
    assert format_start(datetime(2025, 4, 12, 19, 5, 45, 250000)) == "2025-04-12T19:05:45.250Z"
    assert start_to_ms("2025-04-12T19:05:45Z") == 1744484745000
    assert start_to_ms("2025-04-12T19:05:45.250Z") == 1744484745250


def test_a_lockfile_from_before_url_keys_dropped_their_query_string_plans_no_change(
    tmp_path: Path,
) -> None:
    """Its signed URL (key and source) is read as written now: the entry is unchanged, not
    uploaded again, and the signature is not kept."""
    signed = "https://cdn.example.com/k.mp4?expires=1&signature=abc"
    old = video(signed, url=signed, name="Keynote")
    key, rec = entry(old, "v1", source=Source(url=signed))
    orphan = f"{signed} (replaced copy v0)"
    path = tmp_path / "videosync.lock"
    path.write_text(dumps_lockfile(Lockfile(videos={key: rec, orphan: rec})), encoding="utf-8")
    loaded = load_lockfile(path)
    bare = "https://cdn.example.com/k.mp4?…"
    assert sorted(loaded.videos) == [bare, f"{bare} (replaced copy v0)"]
    assert loaded.videos[bare].spec.source.url == bare
    assert "signature" not in dumps_lockfile(loaded)

    resigned = SignedUrl("https://cdn.example.com/k.mp4?expires=2&signature=def")
    now = video(bare, url=resigned, name="Keynote")
    recorded = Lockfile(videos={bare: loaded.videos[bare]})
    plan = plan_of([now], recorded, [remote("v1", bare, name="Keynote")])
    assert not plan.has_changes
