"""The command line forgives spelling, never toward harm (issue 13, items 10 and 12).

A typo is never answered with a destructive option to try; the spellings of neighbouring
tools that mean the same are accepted (`apply --dry-run` plans, `--auto-approve` is
`--yes`); `-v`/`-q` work after the command as before it; and every usage error is one
line, `error: …` with what to do, exit 3.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.apply.conftest import child_env, remote_videos, run
from tests.rails.conftest import make_catalog
from videosync.emulator import RunningEmulator

DESTRUCTIVE = (
    "--prune",
    "--prune-default",
    "--allow-protected",
    "--allow-empty",
    "--yes",
    "--auto-approve",
    "--force",
)


def _cli(manifest: Path, emulator: RunningEmulator) -> tuple[str, ...]:
    return ("-f", str(manifest), "--api-url", emulator.url)


def _usage_line(err: str) -> str:
    """The one line of a usage error, without its `error: ` prefix."""
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert "Usage:" not in err and "Try '" not in err, err
    return err.removeprefix("error: ").rstrip("\n")


# --- item 10: no destructive suggestion, neighbouring spellings -----------------------------


@pytest.mark.parametrize(
    ("args", "typo"),
    [
        (("plan", "--prun"), "--prun"),
        (("plan", "--allow"), "--allow"),
        (("plan", "--allow-protect"), "--allow-protect"),
        (("apply", "--ye"), "--ye"),
        (("apply", "--auto-aprove"), "--auto-aprove"),
        (("apply", "--prune-defaults"), "--prune-defaults"),
        (("init", "--forc"), "--forc"),
    ],
)
def test_a_typo_is_never_answered_with_a_destructive_option(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], typo: str
) -> None:
    code, out, err = run(capsys, *args)

    assert (code, out) == (3, "")
    line = _usage_line(err)
    assert line.startswith(f"no such option '{typo}'")
    assert line.endswith(f"; see 'videosync {args[0]} --help'")
    suggested = re.findall(r"'(-[^']+)'", line.partition("(did you mean ")[2])
    assert not set(suggested) & set(DESTRUCTIVE), line


def test_a_harmless_typo_still_gets_its_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", "--detailed-exit-code")

    assert code == 3
    assert _usage_line(err) == (
        "no such option '--detailed-exit-code' (did you mean '--detailed-exitcode'?); "
        "see 'videosync plan --help'"
    )


def test_apply_dry_run_plans_and_changes_nothing(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 2)

    code, out, err = run(capsys, *_cli(manifest, emulator), "apply", "--dry-run")
    planned = run(capsys, *_cli(manifest, emulator), "plan")

    assert (code, err) == (0, "")
    assert out == planned[1]
    assert "Plan: 2 to create" in out
    assert remote_videos(emulator) == []
    assert not (tmp_path / "videosync.lock").exists()


def test_apply_dry_run_is_held_to_the_rails_as_plan_is(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 2)
    assert run(capsys, *_cli(manifest, emulator), "apply", "--yes")[0] == 0
    manifest.write_text("version: 1\nvideos: []\n")

    code, out, err = run(capsys, *_cli(manifest, emulator), "apply", "--dry-run")

    assert code == 5
    assert "Plan: 0 to create, 0 to replace, 2 to delete" in out
    assert len(remote_videos(emulator)) == 2
    assert err.startswith("error: ")


def test_apply_dry_run_with_a_planfile_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "apply", "saved.plan", "--dry-run")

    assert code == 3
    assert _usage_line(err) == "--dry-run plans from the manifest: give it without PLANFILE"


def test_plan_dry_run_is_plan(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)

    code, out, _ = run(capsys, *_cli(manifest, emulator), "plan", "--dry-run")

    assert code == 0
    assert out == run(capsys, *_cli(manifest, emulator), "plan")[1]


def test_auto_approve_is_yes(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)

    code, out, err = run(capsys, *_cli(manifest, emulator), "apply", "--auto-approve")

    assert code == 0, err
    assert "Apply complete: 1 created" in out
    assert len(remote_videos(emulator)) == 1


def test_help_documents_the_neighbouring_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    apply_help = " ".join(run(capsys, "apply", "--help")[1].split())
    plan_help = " ".join(run(capsys, "plan", "--help")[1].split())

    assert (
        "-y, --yes, --auto-approve Apply without asking (for CI); --auto-approve is "
        "Terraform's spelling of it."
    ) in apply_help
    assert (
        "--dry-run Plan only, change nothing: the same as `videosync plan` with these options."
    ) in apply_help
    assert "--dry-run Accepted for habit: plan never changes anything." in plan_help
    for command_help in (apply_help, plan_help):
        assert "-v, --verbose More output (as before the command)" in command_help
        assert "-q, --quiet Less output: errors only (as before the command)." in command_help


# --- item 12: -v and -q anywhere; usage errors in one line -------------------------------------


def test_verbose_after_the_command_is_verbose(
    tmp_path: Path, emulator: RunningEmulator, distinct_videos: list[Path]
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)

    def stderr_of(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "videosync", *args],
            capture_output=True,
            text=True,
            env=child_env(),
            check=True,
        )
        return done.stderr

    listed = "INFO videosync.commands.plan: listed 0 videos and 0 groups"
    assert listed in stderr_of(*_cli(manifest, emulator), "plan", "-v")
    assert listed in stderr_of("-v", *_cli(manifest, emulator), "plan")
    assert listed not in stderr_of(*_cli(manifest, emulator), "plan")


def test_quiet_after_the_command_is_quiet(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    distinct_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, distinct_videos, 1)

    code, out, err = run(capsys, *_cli(manifest, emulator), "apply", "--yes", "-q")

    assert (code, out, err) == (0, "", "")
    assert len(remote_videos(emulator)) == 1


def test_the_emulator_takes_q_after_its_name(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "videosync",
            "emulator",
            "--open",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)

    assert line.startswith("listening on http://127.0.0.1:"), err
    assert "No such option" not in err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("plan", "--max-delete", "x"),
            "invalid value for '--max-delete': 'x' is not a valid integer range; "
            "see 'videosync plan --help'",
        ),
        (
            ("import", "only-a-key"),
            "missing argument 'VIDEO_ID'; see 'videosync import --help'",
        ),
        (("plna",), "no such command 'plna' (did you mean 'plan'?); see 'videosync --help'"),
        (
            ("plan", "--format", "yaml"),
            "invalid value for '--format': 'yaml' is not one of 'text', 'json', 'markdown'; "
            "see 'videosync plan --help'",
        ),
    ],
)
def test_a_usage_error_is_one_line_exit_3(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], line: str
) -> None:
    code, out, err = run(capsys, *args)

    assert (code, out) == (3, "")
    assert _usage_line(err) == line
