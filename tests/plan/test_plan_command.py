"""`videosync plan` and `videosync status` over a real emulator on loopback."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.plan.catalog import apply_catalog, write_catalog
from videosync.api.sync import SyncVisionClient
from videosync.cli import main
from videosync.commands.plan import make_plan
from videosync.content.localfiles import BYTES_READ
from videosync.emulator import RunningEmulator
from videosync.errors import StalePlan
from videosync.planning.fingerprints import Fingerprints, check_fingerprints
from videosync.planning.plan import Plan
from videosync.schemas import schema_error


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the `videosync` command line in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def catalog(tmp_path: Path, sample_videos: list[Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return write_catalog(tmp_path / "catalog", sample_videos)


def test_fresh_catalog_plans_creates(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "plan")
    assert (code, err) == (0, "")
    assert "  + create group marketing\n" in out
    for key in ("media/intro.mp4", "media/b.mp4", "media/c.mp4"):
        assert f"  + create {key}  (" in out
    last = out.splitlines()[-1]
    assert last.startswith("Plan: 3 to create, 0 to replace, 0 to delete, 0 to adopt (")
    assert last.endswith("to upload); groups: 1 to create, 0 to update, 0 to delete.")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_detailed_exitcode_is_2_with_changes_and_0_without(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan", "--detailed-exitcode")
    assert run(capsys, *args)[0] == 2
    apply_catalog(catalog, emulator.url, API_KEY)
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert out == "No changes. The catalog matches the manifest.\n"


def test_json_plan_validates_against_its_schema(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "plan", "--json")
    assert code == 0
    data = json.loads(out)
    assert schema_error("plan", data) is None
    assert [(a["action"], a["key"]) for a in data["actions"]] == [
        ("create", "marketing"),
        ("create", "media/b.mp4"),
        ("create", "media/c.mp4"),
        ("create", "media/intro.mp4"),
    ]
    assert data["summary"]["upload_bytes"] == sum(
        p.stat().st_size for p in (catalog.parent / "media").iterdir()
    )


def test_replan_of_an_unchanged_tree_reads_no_file_bytes(
    catalog: Path, emulator: RunningEmulator
) -> None:
    apply_catalog(catalog, emulator.url, API_KEY)
    before = BYTES_READ.total
    first = make_plan(catalog, api_url=emulator.url, api_key=API_KEY)
    assert not first.plan.has_changes
    assert BYTES_READ.total > before  # the first plan hashes what the lockfile records
    before = BYTES_READ.total
    again = make_plan(catalog, api_url=emulator.url, api_key=API_KEY)
    assert BYTES_READ.total == before
    assert again.plan.to_json() == first.plan.to_json()


def test_a_plan_lists_the_catalog_with_one_call_per_kind(
    catalog: Path, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    apply_catalog(catalog, emulator.url, API_KEY)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="videosync.emulator"):
        make_plan(catalog, api_url=emulator.url, api_key=API_KEY)
    log = [r.getMessage() for r in caplog.records if r.name == "videosync.emulator"]
    calls = [line.rsplit(" ", 2)[0] for line in log]
    assert sorted(calls) == ["GET /videos/groups", "POST /videos/get"]


def test_edited_file_is_replaced_with_its_digests(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    sample_videos: list[Path],
) -> None:
    apply_catalog(catalog, emulator.url, API_KEY)
    b = catalog.parent / "media" / "b.mp4"
    b.write_bytes(sample_videos[1].read_bytes()[::-1])  # same size, other content
    code, out, _ = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "plan")
    assert code == 0
    assert "  -/+ replace media/b.mp4  (video " in out
    assert "      # file content changed (blake3 " in out
    assert "Plan: 0 to create, 1 to replace, 0 to delete, 0 to adopt" in out


def test_protected_entry_refuses_the_plan(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_catalog(catalog, emulator.url, API_KEY)
    text = catalog.read_text().replace("  - path: media/c.mp4\n    protect: true\n", "")
    catalog.write_text(text)
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "plan")
    assert code == 5  # refused by a safety rail
    assert (
        "      ! blocked: protected (protect: true): not deleted without --allow-protected" in out
    )
    assert err == (
        "error: the plan cannot be applied: 1 protected entry would be replaced or deleted "
        "(media/c.mp4); rerun with --allow-protected to allow it\n"
    )
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan", "--allow-protected")
    assert run(capsys, *args)[0] == 0


def test_max_delete_refuses_a_larger_plan(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_catalog(catalog, emulator.url, API_KEY)
    catalog.write_text("version: 1\nvideos: []\n")
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan", "--allow-protected")
    code, _, err = run(capsys, *args, "--allow-empty", "--max-delete", "2")
    assert code == 5
    assert "this plan deletes 3 videos (3 deleted, 0 replaced), more than --max-delete 2" in err


def test_saved_plan_has_fingerprints_and_no_key(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = catalog.parent / "plan.json"
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan", "--out", str(out_file))
    code, _, err = run(capsys, *args)
    assert code == 0
    assert err == f"Saved the plan to {out_file}: `videosync apply {out_file}` applies it.\n"
    assert API_KEY not in out_file.read_text()
    saved = Plan.load(out_file)
    now = make_plan(catalog, api_url=emulator.url, api_key=API_KEY).plan
    assert saved == now
    assert saved.fingerprints is not None and now.fingerprints is not None
    check_fingerprints(saved.fingerprints, now.fingerprints)

    with SyncVisionClient(emulator.url, API_KEY) as client:
        client.create_group("Someone else's")
    later = make_plan(catalog, api_url=emulator.url, api_key=API_KEY).plan
    assert later.fingerprints is not None
    with pytest.raises(StalePlan) as info:
        check_fingerprints(saved.fingerprints, later.fingerprints)
    assert str(info.value) == (
        "the saved plan is stale: the remote catalog has changed since it was made; "
        "run `videosync plan --out` again and review the new plan"
    )


def test_markdown_plan_is_a_pull_request_comment(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan", "--format", "markdown")
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert out.startswith("### videosync plan\n\n**Plan: 3 to create,")
    assert "| videos | 3 | 0 | 0 | 0 | 0 | 0 | 0 |" in out  # create … move, unchanged
    assert "|  | `+` create | `media/intro.mp4` | new in the manifest |\n" in out


def test_no_api_key_is_bad_input_before_any_call(
    catalog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REKA_API_KEY")
    monkeypatch.delenv("VIDEOSYNC_API_KEY", raising=False)
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", "http://127.0.0.1:9", "plan")
    assert (code, out) == (3, "")
    assert err == (
        "error: no API key: set REKA_API_KEY (or VIDEOSYNC_API_KEY), "
        "or use --api-url local for the embedded emulator\n"
    )


def test_corrupt_lockfile_is_bad_input_and_left_alone(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = catalog.parent / "videosync.lock"
    lock.write_text('{"version": 1, "videos": {"a"')
    code, _, err = run(capsys, "-f", str(catalog), "--api-url", "http://127.0.0.1:9", "plan")
    assert code == 3
    assert err.startswith(f"error: {lock}:1:30: the lockfile is corrupt or truncated")
    assert lock.read_text() == '{"version": 1, "videos": {"a"'


def test_status_shows_drift_per_managed_video(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = apply_catalog(catalog, emulator.url, API_KEY)
    with SyncVisionClient(emulator.url, API_KEY) as client:
        client.delete_videos([recorded.videos["media/b.mp4"].video_id])
        client.upload_file(catalog.parent / "media" / "b.mp4", name="stray", filename="stray.mp4")
    code, out, _ = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["KEY", "VIDEO", "ID", "REMOTE", "STATUS", "DRIFT"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:4]}
    assert rows["media/b.mp4"][1:] == ["missing", "missing"]
    assert rows["media/c.mp4"][2] == "ok"
    assert rows["media/intro.mp4"][0] == recorded.videos["media/intro.mp4"].video_id
    assert lines[4] == "1 unmanaged remote video; 0 manifest entries not uploaded yet."


def test_colour_on_a_terminal_unless_no_color(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan")
    assert "\x1b[32m+ create\x1b[0m media/b.mp4" in run(capsys, *args)[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, *args)[1]


def test_status_as_json(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = apply_catalog(catalog, emulator.url, API_KEY)
    code, out, _ = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "status", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["unmanaged"] == 0 and data["not_uploaded"] == 0
    assert data["videos"][0] == {
        "key": "media/b.mp4",
        "video_id": recorded.videos["media/b.mp4"].video_id,
        "indexing_status": "indexed",
        "drift": "ok",
    }


def test_unwritable_plan_file_is_one_line(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = catalog.parent / "no-such-dir" / "plan.json"
    args = ("-f", str(catalog), "--api-url", emulator.url, "plan", "--out", str(out_file))
    code, _, err = run(capsys, *args)
    assert code == 3
    assert err == f"error: {out_file}: cannot write the plan file: No such file or directory\n"


def test_a_stale_plan_names_what_changed_in_one_sentence() -> None:
    with pytest.raises(StalePlan) as caught:
        check_fingerprints(Fingerprints("m", "l", "r", "f"), Fingerprints("m", "L", "R", "f"))
    assert str(caught.value).startswith(
        "the saved plan is stale: the lockfile and the remote catalog have changed since it was "
        "made; "
    )
