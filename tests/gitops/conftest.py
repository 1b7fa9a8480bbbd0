"""A copy of examples/catalog to run videosync on, the command line run in-process, and a
`Runner` that runs the example workflow's steps the way GitHub's runner does."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.apply.conftest import run

__all__ = [
    "EXAMPLE_CATALOG",
    "EXAMPLE_VIDEOS",
    "NO_KEY_MESSAGE",
    "ROOT",
    "SECRET",
    "WORKFLOW",
    "Runner",
    "Workflow",
    "git",
    "make_origin",
    "run",
    "workflow_step",
]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CATALOG = ROOT / "examples" / "catalog"
WORKFLOW = ROOT / "examples" / "github-actions" / "videosync.yml"
EXAMPLE_VIDEOS = 6
"""Entries examples/catalog/videosync.yaml resolves to (its glob matches three files)."""

NO_KEY_MESSAGE = (
    "error: no API key: set REKA_API_KEY (or VIDEOSYNC_API_KEY), "
    "or use --api-url local for the embedded emulator"
)

Workflow = dict[Any, Any]

SECRET = "${{ secrets.REKA_API_KEY }}"
BIN = Path(sys.executable).parent
"""The virtualenv's scripts: videosync, and actionlint from the dev extra."""


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of examples/catalog, the working directory, with no API key or URL set."""
    for name in ("REKA_API_KEY", "VIDEOSYNC_API_KEY", "VIDEOSYNC_API_URL"):
        monkeypatch.delenv(name, raising=False)
    ignore = shutil.ignore_patterns(".videosync", "videosync.lock")
    copy = Path(shutil.copytree(EXAMPLE_CATALOG, tmp_path / "catalog", ignore=ignore))
    monkeypatch.chdir(copy)
    return copy


@pytest.fixture(scope="session")
def workflow() -> Workflow:
    """examples/github-actions/videosync.yml, parsed."""
    loaded: Workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def workflow_step(workflow: Workflow, job: str, step_id: str) -> dict[str, Any]:
    """The step of `job` whose id or name is `step_id`."""
    for step in workflow["jobs"][job]["steps"]:
        if step.get("id") == step_id or step.get("name") == step_id:
            found: dict[str, Any] = step
            return found
    raise AssertionError(f"no step {step_id!r} in job {job!r}")


def git(cwd: Path, *args: str) -> str:
    """`git ARGS...` in `cwd` as a developer (with an identity): its stdout."""
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout


def make_origin(catalog: Path, origin: Path) -> None:
    """Make `catalog` a repository whose main branch is pushed to a new bare `origin`."""
    git(origin.parent, "init", "-q", "--bare", "-b", "main", str(origin))
    git(catalog, "init", "-q", "-b", "main")
    git(catalog, "add", ".")
    git(catalog, "commit", "-q", "-m", "the catalog")
    git(catalog, "remote", "add", "origin", str(origin))
    git(catalog, "push", "-q", "-u", "origin", "main")


class Runner:
    """Runs the workflow's `run:` steps in `repo` the way GitHub's runner would.

    `repo` is the checkout `actions/checkout` would leave: a clone whose HEAD is the commit
    that started the run (`GITHUB_SHA`). Git has no identity but what a step configures, as
    on a hosted runner. The API is the embedded emulator (`VIDEOSYNC_API_URL=local`, kept in
    the checkout's `.videosync/`) unless `api_url` names a running one, shared by runners.
    """

    def __init__(
        self,
        workflow: Workflow,
        repo: Path,
        scratch: Path,
        *,
        api_url: str = "local",
        api_key: str = "the-repository-secret",
    ) -> None:
        self.workflow = workflow
        self.repo = repo
        self.scratch = scratch
        self.api_url = api_url
        self.api_key = api_key
        self.sha = git(repo, "rev-parse", "HEAD").strip()
        self.outputs: dict[str, str] = {}
        self.outcomes: dict[str, str] = {}
        """`steps.<id>.outcome` of the steps run so far: success or failure."""
        self._gitconfig = scratch / "gitconfig"
        # Never guess an identity from the user and host names: a hosted runner has none.
        self._gitconfig.write_text("[user]\n\tuseConfigOnly = true\n", encoding="utf-8")

    def run(self, job: str, step_id: str) -> subprocess.CompletedProcess[str]:
        step = workflow_step(self.workflow, job, step_id)
        script: str = step["run"]
        assert "${{" not in script, "expressions in scripts invite injection: use env"
        output = self.scratch / f"output-{len(list(self.scratch.iterdir()))}"
        output.touch()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("REKA_", "VIDEOSYNC_", "GIT_", "EMAIL"))
        }
        env |= {
            **{k: str(v) for k, v in self.workflow.get("env", {}).items()},
            **{k: self._value(str(v)) for k, v in step.get("env", {}).items()},
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.scratch / "summary.md"),
            "GITHUB_REF_NAME": "main",
            "GITHUB_SHA": self.sha,
            "GIT_CONFIG_GLOBAL": str(self._gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "VIDEOSYNC_API_URL": self.api_url,
        }
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
        if "id" in step:
            self.outcomes[step["id"]] = "success" if done.returncode == 0 else "failure"
        return done

    def _value(self, value: str) -> str:
        """A step's `env:` value, with the expressions the workflow uses there evaluated."""
        if value == SECRET:
            return self.api_key
        outcome = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outcome \}\}", value)
        if outcome:
            return self.outcomes.get(outcome.group(1), "skipped")
        assert "${{" not in value, f"an expression the runner does not know: {value}"
        return value
