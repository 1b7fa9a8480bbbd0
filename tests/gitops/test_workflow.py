"""examples/github-actions/videosync.yml: linted, and its steps run as written, offline.

The steps that run videosync and git are executed by bash exactly as GitHub's runner does
(`bash --noprofile --norc -eo pipefail`, see conftest.Runner), in a git repository made of
the example catalog with a bare repository as `origin`. The one substitution:
`VIDEOSYNC_API_URL=local`, so the embedded emulator stands in for the Vision API.
test_two_runners.py runs the apply job on two runners against one emulator.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest

from tests.gitops.conftest import (
    BIN,
    EXAMPLE_VIDEOS,
    SECRET,
    WORKFLOW,
    Runner,
    Workflow,
    git,
    make_origin,
    workflow_step,
)
from videosync.cli import cli

ACTIONLINT = shutil.which("actionlint", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def _triggers(workflow: Workflow) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
    triggers: dict[str, Any] = workflow["on"] if "on" in workflow else workflow[True]
    return triggers


def _videosync_commands(workflow: Workflow) -> list[list[str]]:
    """Every `videosync …` command line in a `run:` script, up to a redirection or `||`."""
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in step.get("run", "").splitlines():
                match = re.match(r"\s*videosync\s+([^>|&;#]*)", line)
                if match:
                    commands.append(shlex.split(match.group(1)))
    return commands


@pytest.mark.skipif(ACTIONLINT is None, reason="no actionlint wheel for this platform")
def test_actionlint_finds_nothing_wrong() -> None:
    assert ACTIONLINT is not None
    linted = subprocess.run(
        [ACTIONLINT, "-no-color", str(WORKFLOW)], capture_output=True, text=True, check=False
    )
    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "", "")


def test_every_videosync_command_it_runs_parses_with_the_real_cli(workflow: Workflow) -> None:
    commands = _videosync_commands(workflow)
    # apply twice: the Apply step, and the commit step's apply again after a lockfile clash.
    assert [args[0] for args in commands] == ["validate", "plan", "apply", "apply"]
    for name, *rest in commands:
        parent = click.Context(cli, info_name="videosync")
        command = cli.get_command(parent, name)
        assert command is not None, name
        command.make_context(name, rest, parent=parent)  # raises on an unknown flag or value
    assert ["plan", "--format", "markdown", "--detailed-exitcode"] in commands
    assert ["apply", "--yes", "--wait"] in commands


def test_plans_pull_requests_and_applies_main_one_at_a_time(workflow: Workflow) -> None:
    triggers = _triggers(workflow)
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert "refs/heads/main" in apply["if"]
    # One fixed group: one apply at a time, none cancelled half-way. (A newer run may still
    # replace a pending one: every run applies the latest main, so nothing is lost.)
    assert apply["concurrency"] == {"group": "videosync-apply", "cancel-in-progress": False}
    assert apply["permissions"] == {"contents": "write"}
    assert plan["permissions"]["pull-requests"] == "write"
    assert workflow_step(workflow, "plan", "plan")["env"] == {"REKA_API_KEY": SECRET}
    assert workflow_step(workflow, "apply", "apply")["env"] == {"REKA_API_KEY": SECRET}
    comment = workflow_step(workflow, "plan", "Comment the plan on the pull request")
    assert comment["uses"].startswith("actions/github-script@")
    assert "videosync-plan.md" in comment["with"]["script"]
    assert comment["if"] == "${{ !cancelled() && steps.plan.outcome != 'skipped' }}"


def test_the_apply_job_applies_the_latest_main_and_pushes_its_lockfile_with_retries(
    workflow: Workflow,
) -> None:
    steps = [s.get("id") or s.get("name") or s["uses"] for s in workflow["jobs"]["apply"]["steps"]]
    assert steps == [
        "actions/checkout@v5",
        "Check out the latest main",
        "actions/setup-python@v6",
        "Install videosync",
        "apply",
        "Commit videosync.lock",
    ]
    latest = workflow_step(workflow, "apply", "Check out the latest main")["run"]
    assert 'git fetch --no-tags origin "$GITHUB_REF_NAME"' in latest
    assert 'git checkout --quiet -B "$GITHUB_REF_NAME" FETCH_HEAD' in latest
    commit = workflow_step(workflow, "apply", "Commit videosync.lock")
    assert commit["if"] == "${{ always() && steps.apply.outcome != 'skipped' }}"
    assert commit["env"] == {
        "REKA_API_KEY": SECRET,
        "APPLY_OUTCOME": "${{ steps.apply.outcome }}",
    }
    assert 'git commit -m "videosync: update videosync.lock [skip ci]"' in commit["run"]
    assert 'git pull --rebase origin "$GITHUB_REF_NAME"' in commit["run"]
    assert 'git push origin "HEAD:$GITHUB_REF_NAME"' in commit["run"]


# --- the steps, run ------------------------------------------------------------------------


@pytest.fixture
def origin(catalog: Path, tmp_path: Path) -> Path:
    """The bare repository the catalog (a developer's clone of it) pushes to."""
    origin = tmp_path / "origin.git"
    make_origin(catalog, origin)
    return origin


@pytest.fixture
def runner(workflow: Workflow, catalog: Path, origin: Path, tmp_path: Path) -> Runner:
    """The steps run in the catalog itself, with the embedded emulator in its .videosync/."""
    scratch = tmp_path / "runner"
    scratch.mkdir()
    return Runner(workflow, catalog, scratch)


def _merge(origin: Path, tmp_path: Path, edit: str) -> str:
    """Push a commit to origin's main from another clone: `edit` appended to the manifest."""
    clone = tmp_path / f"merge-{len(list(tmp_path.glob('merge-*')))}"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    manifest = clone / "videosync.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + edit, encoding="utf-8")
    git(clone, "commit", "-q", "-am", "a merge")
    git(clone, "push", "-q", "origin", "main")
    return git(clone, "rev-parse", "HEAD").strip()


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_pull_request_then_merge_then_next_pull_request(runner: Runner, origin: Path) -> None:
    validated = runner.run("plan", "validate")
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout == f"videosync.yaml: valid ({EXAMPLE_VIDEOS} videos, 2 groups)\n"

    planned = runner.run("plan", "plan")
    assert planned.returncode == 0, planned.stderr
    assert runner.outputs == {"changes": "true"}
    comment = (runner.repo / "videosync-plan.md").read_text(encoding="utf-8")
    assert comment.startswith("### videosync plan")
    assert f"{EXAMPLE_VIDEOS} to create" in comment
    assert (runner.scratch / "summary.md").read_text(encoding="utf-8") == comment

    _ok(runner.run("apply", "Check out the latest main"))
    applied = runner.run("apply", "apply")
    assert applied.returncode == 0, applied.stderr
    assert f"all {EXAMPLE_VIDEOS} uploaded videos are indexed" in applied.stdout

    committed = runner.run("apply", "Commit videosync.lock")
    assert committed.returncode == 0, committed.stderr
    assert git(origin, "log", "-1", "--format=%s", "main") == (
        "videosync: update videosync.lock [skip ci]\n"
    )
    assert git(origin, "log", "-1", "--format=%an <%ae>", "main") == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>\n"
    )
    pushed = git(origin, "show", "main:videosync.lock")
    assert pushed == (runner.repo / "videosync.lock").read_text(encoding="utf-8")
    assert pushed.count('"video_id"') == EXAMPLE_VIDEOS

    # The next pull request plans against the applied catalog: nothing to do.
    replanned = runner.run("plan", "plan")
    assert replanned.returncode == 0, replanned.stderr
    assert runner.outputs == {"changes": "false"}
    assert "no changes" in (runner.repo / "videosync-plan.md").read_text(encoding="utf-8").lower()
    # And a second commit step has nothing to commit.
    again = runner.run("apply", "Commit videosync.lock")
    assert (again.returncode, again.stdout) == (0, "videosync.lock is unchanged\n")


def test_the_apply_job_applies_main_as_it_is_not_the_commit_that_started_it(
    runner: Runner, origin: Path, tmp_path: Path
) -> None:
    started_by = runner.sha
    latest = _merge(origin, tmp_path, "  - path: media/intro.mp4\n    id: intro-again\n")

    checked_out = _ok(runner.run("apply", "Check out the latest main"))
    assert checked_out.stdout == (
        f"Applying main at {latest} (this run was started by {started_by})\n"
    )
    assert git(runner.repo, "rev-parse", "HEAD").strip() == latest
    applied = _ok(runner.run("apply", "apply"))
    assert f"all {EXAMPLE_VIDEOS + 1} uploaded videos are indexed" in applied.stdout
    _ok(runner.run("apply", "Commit videosync.lock"))
    assert '"intro-again"' in git(origin, "show", "main:videosync.lock")


def test_the_lockfile_is_rebased_over_a_merge_that_landed_during_the_apply(
    runner: Runner, origin: Path, tmp_path: Path
) -> None:
    _ok(runner.run("apply", "Check out the latest main"))
    _ok(runner.run("apply", "apply"))
    merged = _merge(origin, tmp_path, "# a comment merged while the apply ran\n")

    _ok(runner.run("apply", "Commit videosync.lock"))
    assert git(origin, "log", "--format=%s", "-2", "main").splitlines() == [
        "videosync: update videosync.lock [skip ci]",
        "a merge",
    ]
    assert git(origin, "rev-parse", "main~1").strip() == merged
    assert git(origin, "show", "main:videosync.lock").count('"video_id"') == EXAMPLE_VIDEOS


@pytest.mark.slow
def test_a_lockfile_it_cannot_push_fails_the_step_after_a_few_tries(
    runner: Runner, origin: Path
) -> None:
    _ok(runner.run("apply", "Check out the latest main"))
    _ok(runner.run("apply", "apply"))
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)

    committed = runner.run("apply", "Commit videosync.lock")
    assert committed.returncode == 1
    assert committed.stderr.count("main is protected") == 5
    assert committed.stdout.endswith(
        "::error title=videosync.lock not pushed::could not push videosync.lock to main (the "
        "git errors are above). What this run uploaded is on the server: the next apply "
        "adopts it by its key instead of uploading it again.\n"
    )
    assert git(origin, "log", "-1", "--format=%s", "main") == "the catalog\n"


def test_a_failing_plan_fails_the_step(runner: Runner) -> None:
    (runner.repo / "videosync.yaml").write_text("version: 1\nvideos: [{path: gone.mp4}]\n")
    planned = runner.run("plan", "plan")
    assert planned.returncode == 3
    assert "no such file 'gone.mp4'" in planned.stderr
    assert runner.outputs == {}


def test_a_plan_a_rail_refuses_fails_the_step_and_still_shows_the_plan(runner: Runner) -> None:
    assert runner.run("apply", "apply").returncode == 0
    manifest = runner.repo / "videosync.yaml"
    text = manifest.read_text(encoding="utf-8")
    # The protected keynote renamed: a replace, which its protection refuses.
    manifest.write_text(text.replace("name: Keynote\n", "name: Keynote 2\n"), encoding="utf-8")
    planned = runner.run("plan", "plan")
    assert planned.returncode == 5, planned.stderr
    assert "--allow-protected" in planned.stderr
    assert runner.outputs == {}
    shown = (runner.repo / "videosync-plan.md").read_text(encoding="utf-8")
    assert "media/keynote.mp4" in shown
    assert (runner.scratch / "summary.md").read_text(encoding="utf-8") == shown
