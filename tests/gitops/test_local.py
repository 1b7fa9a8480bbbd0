"""`--api-url local`: the example catalog planned and applied offline, with no API key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitops.conftest import EXAMPLE_VIDEOS, NO_KEY_MESSAGE, run
from videosync.emulator.local import local_endpoint
from videosync.workdir import local_data_dir


def test_first_run_plans_applies_and_then_has_nothing_to_do(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "plan", "--api-url", "local", "--detailed-exitcode")
    assert code == 2
    assert f"Plan: {EXAMPLE_VIDEOS} to create, 0 to replace, 0 to delete" in out

    code, out, err = run(capsys, "apply", "--api-url", "local", "--yes", "--wait")
    assert code == 0, err
    assert f"Apply complete: {EXAMPLE_VIDEOS} created" in out
    assert f"all {EXAMPLE_VIDEOS} uploaded videos are indexed" in out + err

    # Every command is its own emulator start: what the apply uploaded is still there.
    assert run(capsys, "plan", "--api-url", "local", "--detailed-exitcode") == (
        0,
        "No changes. The catalog matches the manifest.\n",
        "",
    )
    lock = json.loads((catalog / "videosync.lock").read_text(encoding="utf-8"))
    assert len(lock["videos"]) == EXAMPLE_VIDEOS
    assert sorted(lock["groups"]) == ["clips", "launch"]
    assert (catalog / ".videosync" / "local" / "emulator.sqlite3").is_file()
    assert (catalog / ".videosync" / ".gitignore").read_text(encoding="utf-8").endswith("*\n")


def test_the_environment_variable_selects_the_emulator_too(
    catalog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOSYNC_API_URL", "local")
    assert run(capsys, "apply", "--yes")[0] == 0
    code, out, _ = run(capsys, "status", "--json")
    assert code == 0
    rows = json.loads(out)["videos"]
    assert len(rows) == EXAMPLE_VIDEOS
    assert {row["drift"] for row in rows} == {"ok"}


def test_a_key_in_the_environment_does_not_change_the_local_tenant(
    catalog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REKA_API_KEY", "someone's real key")
    assert run(capsys, "apply", "--api-url", "local", "--yes")[0] == 0
    monkeypatch.delenv("REKA_API_KEY")
    code, out, _ = run(capsys, "plan", "--api-url", "local", "--detailed-exitcode")
    assert (code, out) == (0, "No changes. The catalog matches the manifest.\n")


def test_import_records_a_video_of_the_local_catalog(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "apply", "--api-url", "local", "--yes")[0] == 0
    lock_path = catalog / "videosync.lock"
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    intro = lock["videos"]["media/intro.mp4"]["video_id"]
    del lock["videos"]["media/intro.mp4"]
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    code, out, err = run(capsys, "import", "--api-url", "local", "media/intro.mp4", intro)
    assert code == 0, err
    assert out == f"recorded media/intro.mp4 as {intro} in {lock_path}\n"
    assert run(capsys, "plan", "--api-url", "local", "--detailed-exitcode")[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("plan",),
        ("plan", "--detailed-exitcode"),
        ("status",),
        ("apply", "--yes"),
        ("import", "media/intro.mp4", "3f2a1b2c-0000-4000-8000-000000000000"),
    ],
)
def test_no_key_and_no_local_is_one_line_naming_both_exit_3(
    catalog: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    # The default URL is the public API: the always-on loopback guard would turn any
    # connection attempt into an internal error (exit 1), so exit 3 means none was made.
    assert run(capsys, *args) == (3, "", NO_KEY_MESSAGE + "\n")


def test_a_second_local_run_on_the_same_folder_is_refused_clearly(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with local_endpoint(catalog / "videosync.yaml"):
        code, out, err = run(capsys, "plan", "--api-url", "local")
    data_dir = local_data_dir(catalog / "videosync.yaml")
    assert (code, out) == (4, "")  # as when another run holds the lockfile's lock
    assert err == (
        f"error: --api-url local: {data_dir} is in use by another videosync run "
        "(or a `videosync emulator` on that folder); wait for it to finish and try again\n"
    )
    # Once the other run is over, this one goes through.
    assert run(capsys, "plan", "--api-url", "local", "--detailed-exitcode")[0] == 2


def test_no_manifest_is_the_usual_error_and_starts_no_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "plan", "--api-url", "local")
    assert (code, out) == (3, "")
    assert err == "error: videosync.yaml: no such file (run 'videosync init' to write one)\n"
    assert list(tmp_path.iterdir()) == []


def test_a_plan_saved_against_the_local_emulator_applies_in_the_next_run(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each run serves on another port: a saved plan must not depend on the URL.
    assert run(capsys, "plan", "--api-url", "local", "--out", "plan.json")[0] == 0
    code, out, err = run(capsys, "apply", "--api-url", "local", "plan.json")
    assert code == 0, err
    assert f"Apply complete: {EXAMPLE_VIDEOS} created" in out
    assert run(capsys, "plan", "--api-url", "local", "--detailed-exitcode")[0] == 0
