"""examples/github-actions/videosync.yml: linted, and its steps run as written, offline.

The steps that run videosync and git are executed by bash exactly as GitHub's runner does
(`bash --noprofile --norc -eo pipefail`), in a git repository made of the example catalog
with a bare repository as `origin`. The one substitution: `VIDEOSYNC_API_URL=local`, so
the embedded emulator stands in for the Vision API.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tests.gitops.conftest import EXAMPLE_VIDEOS, WORKFLOW
from videosync.cli import cli

Workflow = dict[Any, Any]

SECRET = "${{ secrets.REKA_API_KEY }}"
BIN = Path(sys.executable).parent
"""The virtualenv's scripts: videosync, and actionlint from the dev extra."""
ACTIONLINT = shutil.which("actionlint", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    loaded: Workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def _triggers(workflow: Workflow) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
    triggers: dict[str, Any] = workflow["on"] if "on" in workflow else workflow[True]
    return triggers


def _step(workflow: Workflow, job: str, step_id: str) -> dict[str, Any]:
    for step in workflow["jobs"][job]["steps"]:
        if step.get("id") == step_id or step.get("name") == step_id:
            found: dict[str, Any] = step
            return found
    raise AssertionError(f"no step {step_id!r} in job {job!r}")


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
    assert [args[0] for args in commands] == ["validate", "plan", "apply"]
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
    # One fixed group: applies queue behind each other and none is cancelled half-way.
    assert apply["concurrency"] == {"group": "videosync-apply", "cancel-in-progress": False}
    assert apply["permissions"] == {"contents": "write"}
    assert plan["permissions"]["pull-requests"] == "write"
    assert _step(workflow, "plan", "plan")["env"] == {"REKA_API_KEY": SECRET}
    assert _step(workflow, "apply", "apply")["env"] == {"REKA_API_KEY": SECRET}
    comment = _step(workflow, "plan", "Comment the plan on the pull request")
    assert comment["uses"].startswith("actions/github-script@")
    assert "videosync-plan.md" in comment["with"]["script"]
    assert comment["if"] == "${{ !cancelled() && steps.plan.outcome != 'skipped' }}"
    commit = _step(workflow, "apply", "Commit videosync.lock")
    assert "[skip ci]" in commit["run"]
    assert "git add videosync.lock" in commit["run"]


# --- the steps, run ------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout


def _repository(catalog: Path, origin: Path) -> None:
    """The catalog as a repository's main branch, pushed to a bare `origin`."""
    _git(origin.parent, "init", "-q", "--bare", "-b", "main", str(origin))
    _git(catalog, "init", "-q", "-b", "main")
    _git(catalog, "add", ".")
    _git(catalog, "commit", "-q", "-m", "the catalog")
    _git(catalog, "remote", "add", "origin", str(origin))
    _git(catalog, "push", "-q", "origin", "main")


class Runner:
    """Runs the workflow's `run:` steps in `repo` the way GitHub's runner would."""

    def __init__(self, workflow: Workflow, repo: Path, scratch: Path) -> None:
        self.workflow = workflow
        self.repo = repo
        self.scratch = scratch
        self.outputs: dict[str, str] = {}

    def run(self, job: str, step_id: str) -> subprocess.CompletedProcess[str]:
        step = _step(self.workflow, job, step_id)
        script: str = step["run"]
        assert "${{" not in script, "expressions in scripts invite injection: use env"
        output = self.scratch / f"output-{len(list(self.scratch.iterdir()))}"
        output.touch()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("REKA_", "VIDEOSYNC_", "GIT_"))
        }
        env |= {
            **{k: str(v) for k, v in self.workflow.get("env", {}).items()},
            **{k: str(v) for k, v in step.get("env", {}).items()},
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.scratch / "summary.md"),
            "GITHUB_REF_NAME": "main",
            "VIDEOSYNC_API_URL": "local",
        }
        if env.get("REKA_API_KEY") == SECRET:
            env["REKA_API_KEY"] = "the-repository-secret"
        folder = self.workflow["defaults"]["run"]["working-directory"]
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.repo / folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        self.outputs = dict(
            line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines()
        )
        return done


@pytest.fixture
def runner(workflow: Workflow, catalog: Path, tmp_path: Path) -> Runner:
    _repository(catalog, tmp_path / "origin.git")
    scratch = tmp_path / "runner"
    scratch.mkdir()
    return Runner(workflow, catalog, scratch)


def test_pull_request_then_merge_then_next_pull_request(runner: Runner, tmp_path: Path) -> None:
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

    applied = runner.run("apply", "apply")
    assert applied.returncode == 0, applied.stderr
    assert f"all {EXAMPLE_VIDEOS} uploaded videos are indexed" in applied.stdout

    committed = runner.run("apply", "Commit videosync.lock")
    assert committed.returncode == 0, committed.stderr
    origin = tmp_path / "origin.git"
    assert _git(origin, "log", "-1", "--format=%s", "main") == (
        "videosync: update videosync.lock [skip ci]\n"
    )
    pushed = _git(origin, "show", "main:videosync.lock")
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
