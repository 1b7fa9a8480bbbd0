"""Exit codes CI can branch on: documented in --help, and each one what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apply.conftest import run
from tests.lockholder import held_by_another_process
from tests.rails.conftest import make_catalog
from videosync.emulator import RunningEmulator


def test_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for line in (
        "0  ok, or no changes",
        "1  error (API, network, a stale saved plan, a failed --wait, a failed write)",
        "2  changes found (plan --detailed-exitcode)",
        "3  bad input: manifest, lockfile or arguments (nothing was sent)",
        "4  the lock is held by another apply",
        "5  refused by a safety rail: --max-delete, --max-delete-percent, an empty",
        "6  partial failure: some actions failed, the rest were done and recorded",
        "130  interrupted (Ctrl-C)",
    ):
        assert f"    {line}\n" in out, line


def test_codes_0_2_3_4_5(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 2)
    cli = ("-f", str(manifest), "--api-url", emulator.url)
    assert run(capsys, *cli, "plan")[0] == 0
    assert run(capsys, *cli, "plan", "--detailed-exitcode")[0] == 2
    assert run(capsys, *cli, "plan", "--max-delete-percent", "101")[0] == 3
    assert run(capsys, *cli, "apply", "--yes")[0] == 0
    manifest.write_text("version: 1\nvideos: []\n")
    assert run(capsys, *cli, "apply", "--yes")[0] == 5
    manifest.write_text("version: 1\nvideos: {}\n")
    assert run(capsys, *cli, "plan")[0] == 3

    with held_by_another_process(tmp_path / "videosync.lock", tmp_path / ".videosync"):
        code, _, err = run(capsys, *cli, "apply", "--yes", "--allow-empty")
        assert code == 4, err
        assert "is locked by another videosync run" in err
