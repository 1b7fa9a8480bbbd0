"""`videosync validate` through the real entry point: exit codes and what a user reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.manifest.conftest import WriteManifest
from videosync.cli import main

VALID = "version: 1\ngroups:\n  promo: {name: Promo}\nvideos:\n  - glob: media/**/*.mp4\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        main(argv)
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


def test_valid_manifest_exits_0_with_a_summary(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(write_manifest(VALID).parent)
    assert run(["validate"], capsys) == (0, "videosync.yaml: valid (4 videos, 1 group)\n", "")


def test_quiet_valid_manifest_prints_nothing(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(write_manifest(VALID).parent)
    assert run(["-q", "validate"], capsys) == (0, "", "")


def test_invalid_manifest_exits_3_with_every_error(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(write_manifest("version: 1\nvideos:\n  - path: a.mp4\n  - url: x\n").parent)
    code, out, err = run(["validate"], capsys)
    assert (code, out) == (3, "")
    assert err.splitlines() == [
        "videosync.yaml:3:11: videos[0].path: no such file 'a.mp4'",
        "videosync.yaml:4:10: videos[1].url: not an http or https URL: 'x'",
        "videosync.yaml: invalid (2 errors)",
    ]


def test_subcommand_manifest_option_wins_over_the_global_one(
    write_manifest: WriteManifest, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_manifest(VALID)
    code, out, _ = run(["-f", "elsewhere.yaml", "validate", "-f", str(good)], capsys)
    assert (code, out) == (0, f"{good}: valid (4 videos, 1 group)\n")


def test_json_lists_errors_and_is_empty_when_valid(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_manifest(VALID)
    monkeypatch.chdir(path.parent)
    code, out, _ = run(["validate", "--json"], capsys)
    assert (code, json.loads(out)) == (0, [])
    path.write_text("version: 3\nvideos: []\n", encoding="utf-8")
    code, out, _ = run(["validate", "--json"], capsys)
    assert code == 3
    assert json.loads(out) == [
        {
            "file": "videosync.yaml",
            "line": 1,
            "column": 10,
            "path": "version",
            "message": "must be 1, the manifest version this videosync reads (got 3)",
        }
    ]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "videosync.yaml: no such file (run 'videosync init' to write one)"),
        (
            lambda d: (d / "videosync.yaml").mkdir(),
            "videosync.yaml: is a directory; give the manifest file (-f FILE)",
        ),
        (
            lambda d: (d / "videosync.yaml").write_bytes(b"\x00\x01\x02"),
            "videosync.yaml: a binary file (it contains NUL bytes), not YAML text",
        ),
        (
            lambda d: (d / "videosync.yaml").write_bytes(b""),
            "videosync.yaml: the manifest is empty; start it with 'version: 1' and 'videos:'",
        ),
    ],
    ids=["missing", "directory", "binary", "empty"],
)
def test_unusable_file_is_one_line_and_exit_3(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: object,
    expected: str,
) -> None:
    assert callable(setup)
    setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run(["validate"], capsys) == (3, "", expected + "\n")


def test_several_files_as_pre_commit_passes_them(
    write_manifest: WriteManifest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_manifest(VALID)
    bad = tmp_path / "other" / "videosync.yaml"
    bad.parent.mkdir()
    bad.write_text("version: 1\n", encoding="utf-8")
    code, out, err = run(["validate", str(good), str(bad)], capsys)
    assert code == 3
    assert out == f"{good}: valid (4 videos, 1 group)\n"
    assert err == f"{bad}:1:1: missing required key 'videos'\n"


def test_console_script_never_shows_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "videosync.yaml").write_bytes(bytes(range(256)) * 4)
    script = Path(sys.executable).with_name("videosync")
    done = subprocess.run(
        [str(script), "validate"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == ("videosync.yaml: a binary file (it contains NUL bytes), not YAML text\n")


def test_other_commands_report_manifest_errors_with_exit_3(
    write_manifest: WriteManifest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`plan` loads the manifest the same way: bad input fails before any API call."""
    monkeypatch.chdir(write_manifest("version: 1\nvideos:\n  - path: gone.mp4\n").parent)
    code, _, err = run(["--api-url", "http://127.0.0.1:9", "plan"], capsys)
    assert code == 3
    assert "videosync.yaml:3:11: videos[0].path: no such file 'gone.mp4'" in err
