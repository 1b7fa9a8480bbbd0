"""What a crash leaves at its worst instants, and what the next plan and apply make of it."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

import videosync
from tests.apply.conftest import assert_converged, remote_videos, run
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.model import orphan_key, utc_now
from videosync.state.journal import Journal, UploadIntent
from videosync.state.lockfile import load_lockfile, lockfile_path
from videosync.workdir import journal_path


def _journal_intent(catalog: Path, key: str, *, replaces: str | None, at: str = "x") -> None:
    """The intent a run journals before uploading `key` (as it is recorded now)."""
    spec = load_lockfile(lockfile_path(catalog)).videos[key].spec
    st = (catalog.parent / key).stat()
    journal = Journal(journal_path(catalog.parent))
    journal.append(
        UploadIntent(1, key, spec, replaces, st.st_size, st.st_mtime_ns, False, at).record()
    )
    journal.close()


def _upload_as_videosync_would(catalog: Path, url: str, key: str) -> str:
    spec = load_lockfile(lockfile_path(catalog)).videos[key].spec
    with SyncVisionClient(url, API_KEY) as client:
        return client.upload_file(
            catalog.parent / key, name=spec.name, filename=key, group_id=spec.group_id
        ).video_id


def _crash_after_upload(catalog: Path, url: str, key: str, *, replaces: str | None) -> str:
    """What a run killed right after an upload landed leaves: its intent, and the copy."""
    _journal_intent(catalog, key, replaces=replaces)
    return _upload_as_videosync_would(catalog, url, key)


def test_crash_between_a_replace_upload_and_its_delete_neither_leaks_nor_duplicates(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    more_videos: list[Path],
) -> None:
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    old = load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id
    shutil.copyfile(more_videos[0], catalog.parent / "media" / "b.mp4")
    new = _crash_after_upload(catalog, emulator.url, "media/b.mp4", replaces=old)

    code, out, _ = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "plan", "--json")
    actions = {a["key"]: a for a in json.loads(out)["actions"]}
    assert code == 0
    assert actions["media/b.mp4"]["action"] == "noop"  # the new copy is recorded, not re-sent
    assert actions[orphan_key("media/b.mp4", old)]["action"] == "delete"
    assert actions[orphan_key("media/b.mp4", old)]["video_id"] == old
    assert (
        actions[orphan_key("media/b.mp4", old)]["reason"] == "an old copy a replace left to delete"
    )

    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    lockfile = assert_converged(catalog, emulator)
    assert lockfile.videos["media/b.mp4"].video_id == new
    assert old not in {v.video_id for v in remote_videos(emulator)}


def test_crash_after_a_create_landed_adopts_it_instead_of_uploading_again(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    gone = load_lockfile(lockfile_path(catalog)).videos["media/c.mp4"].video_id
    with SyncVisionClient(emulator.url, API_KEY) as client:
        client.delete_videos([gone])
    landed = _crash_after_upload(catalog, emulator.url, "media/c.mp4", replaces=gone)
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    lockfile = assert_converged(catalog, emulator)
    assert lockfile.videos["media/c.mp4"].video_id == landed


def test_import_records_an_existing_video_and_the_next_plan_is_a_noop(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    with SyncVisionClient(emulator.url, API_KEY) as client:
        video_id = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="b.mp4", filename="somewhere/b.mp4"
        ).video_id
        other = client.upload_file(
            catalog.parent / "media" / "c.mp4", name="Old name", filename="c.mp4"
        ).video_id
    args = ("-f", str(catalog), "--api-url", emulator.url)
    code, out, err = run(capsys, *args, "import", "media/b.mp4", video_id)
    assert (code, err) == (0, "")
    assert out == f"recorded media/b.mp4 as {video_id} in {lockfile_path(catalog).absolute()}\n"
    code, out, err = run(capsys, *args, "import", "media/c.mp4", other)
    assert code == 0
    assert err == (
        "warning: its name is 'Old name', the manifest says 'c.mp4': the next apply replaces it\n"
    )
    _, out, _ = run(capsys, *args, "plan", "--json")
    actions = {a["key"]: (a["action"], a["cause"]) for a in json.loads(out)["actions"]}
    assert actions["media/b.mp4"] == ("noop", "unchanged")
    assert actions["media/c.mp4"] == ("replace", "changed")


def test_import_of_a_missing_video_or_an_unknown_key_fails_in_one_line(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("-f", str(catalog), "--api-url", emulator.url, "import")
    missing = "00000000-0000-4000-8000-000000000000"
    code, out, err = run(capsys, *args, "media/b.mp4", missing)
    assert (code, out) == (1, "")
    assert err == (
        f"error: video {missing} does not exist (or belongs to another API key); check the id "
        "with `videosync status` or the API\n"
    )
    with SyncVisionClient(emulator.url, API_KEY) as client:
        video_id = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="b.mp4", filename="b.mp4"
        ).video_id
    code, out, err = run(capsys, *args, "media/nope.mp4", video_id)
    assert (code, err) == (3, "error: 'media/nope.mp4' is not an entry of videosync.yaml\n")
    assert not lockfile_path(catalog).exists()


def test_a_copy_uploaded_without_a_journal_is_adopted_when_it_is_the_only_candidate(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog.write_text("version: 1\nvideos:\n  - path: media/b.mp4\n", encoding="utf-8")
    with SyncVisionClient(emulator.url, API_KEY) as client:
        landed = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="b.mp4", filename="media/b.mp4"
        ).video_id
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "apply", "--yes")
    assert (code, err) == (0, "")
    assert f"~ adopted media/b.mp4 → {landed[:8]}…" in out
    lockfile = assert_converged(catalog, emulator)
    assert lockfile.videos["media/b.mp4"].hash is not None


def test_a_plan_saved_over_a_journal_applies_without_being_stale(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    more_videos: list[Path],
    tmp_path: Path,
) -> None:
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    old = load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id
    shutil.copyfile(more_videos[0], catalog.parent / "media" / "b.mp4")
    new = _crash_after_upload(catalog, emulator.url, "media/b.mp4", replaces=old)
    saved = tmp_path / "plan.json"
    args = ("-f", str(catalog), "--api-url", emulator.url)
    assert run(capsys, *args, "plan", "--out", str(saved))[0] == 0
    code, out, err = run(capsys, *args, "apply", str(saved))
    assert (code, err) == (0, ""), out + err
    assert f"- deleted media/b.mp4 (replaced copy {old}) ({old[:8]}…)" in out
    assert load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id == new
    assert_converged(catalog, emulator)


def test_an_upload_still_in_the_servers_hands_is_waited_for_not_sent_again(
    catalog: Path, emulator: RunningEmulator
) -> None:
    # A run killed just after sending an upload's body: the server stores the copy a moment
    # after the next run first lists the catalog. That run must wait for it, not re-upload.
    assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    key = "media/c.mp4"
    gone = load_lockfile(lockfile_path(catalog)).videos[key].video_id
    with SyncVisionClient(emulator.url, API_KEY) as client:
        client.delete_videos([gone])
    _journal_intent(catalog, key, replaces=gone, at=utc_now())
    landed: list[str] = []

    def land_late() -> None:
        time.sleep(0.3)
        landed.append(_upload_as_videosync_would(catalog, emulator.url, key))

    late = threading.Thread(target=land_late)
    late.start()
    try:
        assert videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY).ok
    finally:
        late.join()
    lockfile = assert_converged(catalog, emulator)
    assert lockfile.videos[key].video_id == landed[0]
