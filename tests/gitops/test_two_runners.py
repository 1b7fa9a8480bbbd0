"""Two CI runners apply queued merges against one server: one copy of each entry, always.

Each runner is a fresh clone of one bare `origin`, with no `.videosync/`, that runs the
example workflow's apply job step by step (conftest.Runner); all of them talk to one
emulator, as GitHub's runners all talk to the one Vision API. Merge A renames a video (a
replace) and adds one; merge B does the same to two others. Runner 1 applies A; runner 2,
started by B, has checked out B before runner 1 pushed its lockfile. The workflow's own
"Check out the latest main" normally hands runner 2 that lockfile; the other tests keep
runner 2's checkout stale, as when applies overlap or runner 1's push is lost, so that it
applies with a lockfile behind the server.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.apply.conftest import assert_converged, run
from tests.conftest import API_KEY
from tests.gitops.conftest import EXAMPLE_VIDEOS, Runner, Workflow, git, make_origin
from videosync.emulator import RunningEmulator

pytestmark = pytest.mark.slow  # each runs videosync on three runners, one after another

ENTRIES = EXAMPLE_VIDEOS + 2
UPLOADS = EXAMPLE_VIDEOS + 2 + 2
"""The first apply's, then merge A's and merge B's: a replace and a new video each."""
ADOPTED_A = "Apply complete: 1 created, 1 replaced, 0 deleted, 2 adopted;"
"""Runner 2's apply on a stale lockfile: merge A's two uploads adopted, merge B applied."""


class Ci:
    """One bare origin, a developer's clone that merges into it, runners that clone it."""

    def __init__(
        self, workflow: Workflow, developer: Path, emulator: RunningEmulator, tmp_path: Path
    ) -> None:
        self.workflow = workflow
        self.developer = developer
        self.emulator = emulator
        self.tmp_path = tmp_path
        self.origin = tmp_path / "origin.git"
        make_origin(developer, self.origin)

    def merge(self, message: str, change: Callable[[Path], None]) -> None:
        """A pull request merged into main: `change` made in the developer's clone, pushed."""
        git(self.developer, "pull", "-q", "--ff-only", "origin", "main")
        change(self.developer)
        git(self.developer, "add", "-A", ".")
        git(self.developer, "commit", "-q", "-m", message)
        git(self.developer, "push", "-q", "origin", "main")

    def runner(self, name: str) -> Runner:
        """A runner's checkout of main as it is now (what `actions/checkout` leaves)."""
        checkout = self.tmp_path / name
        git(self.tmp_path, "clone", "-q", str(self.origin), str(checkout))
        scratch = self.tmp_path / f"{name}-scratch"
        scratch.mkdir()
        return Runner(self.workflow, checkout, scratch, api_url=self.emulator.url, api_key=API_KEY)

    def main(self) -> str:
        return git(self.origin, "rev-parse", "main").strip()


def _step(runner: Runner, name: str) -> str:
    done = runner.run("apply", name)
    assert done.returncode == 0, f"{name}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _rename(manifest: Path, old: str, new: str) -> None:
    text = manifest.read_text(encoding="utf-8")
    assert text.count(f"name: {old}\n") == 1
    manifest.write_text(text.replace(f"name: {old}\n", f"name: {new}\n"), encoding="utf-8")


def _merge_a(videos: list[Path]) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        _rename(repo / "videosync.yaml", "Intro", "Intro (director's cut)")
        shutil.copyfile(videos[0], repo / "media" / "teaser.mp4")
        with (repo / "videosync.yaml").open("a", encoding="utf-8") as manifest:
            manifest.write("  - path: media/teaser.mp4\n    name: Teaser\n    group: launch\n")

    return change


def _merge_b(videos: list[Path]) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        _rename(repo / "videosync.yaml", "Outro", "Outro (2025)")
        shutil.copyfile(videos[1], repo / "media" / "clips" / "extra" / "clip-04.mp4")

    return change


@pytest.fixture
def ci(
    workflow: Workflow,
    catalog: Path,
    emulator: RunningEmulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> Ci:
    """The catalog applied by a first runner, its lockfile pushed: main as merges find it."""
    caplog.set_level(logging.INFO, logger="videosync.emulator")
    ci = Ci(workflow, catalog, emulator, tmp_path)
    first = ci.runner("runner-0")
    for name in ("Check out the latest main", "apply", "Commit videosync.lock"):
        _step(first, name)
    return ci


@pytest.fixture
def queued_merges(ci: Ci, sample_videos: list[Path]) -> tuple[Runner, Runner]:
    """Merge A, runner 1 applying it, merge B, runner 2 checked out: runner 1 not pushed."""
    ci.merge("merge A", _merge_a(sample_videos))
    runner_1 = ci.runner("runner-1")
    _step(runner_1, "Check out the latest main")
    _step(runner_1, "apply")
    ci.merge("merge B", _merge_b(sample_videos))
    runner_2 = ci.runner("runner-2")
    return runner_1, runner_2


def _uploads(caplog: pytest.LogCaptureFixture) -> int:
    """Uploads the emulator took, since the `ci` fixture's first runner."""
    records = caplog.get_records("setup") + caplog.get_records("call")
    return sum(
        r.name == "videosync.emulator" and r.getMessage().startswith("POST /videos/upload 200")
        for r in records
    )


@pytest.fixture
def main_converged(
    ci: Ci,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], None]:
    """A check: main's lockfile records every entry, the server has one copy of each (each
    uploaded once), and a plan of main has nothing to do."""

    def check() -> None:
        checkout = ci.tmp_path / "main-now"
        git(ci.tmp_path, "clone", "-q", str(ci.origin), str(checkout))
        manifest = checkout / "videosync.yaml"
        lockfile = assert_converged(manifest, ci.emulator)  # valid; a copy a source; recorded
        assert len(lockfile.videos) == ENTRIES
        assert lockfile.videos["media/intro.mp4"].spec.name == "Intro (director's cut)"
        assert lockfile.videos["outro"].spec.name == "Outro (2025)"
        assert _uploads(caplog) == UPLOADS
        monkeypatch.setenv("REKA_API_KEY", API_KEY)
        planned = run(
            capsys, "-f", str(manifest), "--api-url", ci.emulator.url, "plan", "--detailed-exitcode"
        )
        assert planned == (0, "No changes. The catalog matches the manifest.\n", "")

    return check


def test_runner_2_applies_the_lockfile_runner_1_pushed_not_the_one_it_started_with(
    ci: Ci,
    queued_merges: tuple[Runner, Runner],
    main_converged: Callable[[], None],
) -> None:
    runner_1, runner_2 = queued_merges
    stale = git(runner_2.repo, "show", "HEAD:videosync.lock")
    _step(runner_1, "Commit videosync.lock")  # rebased over merge B
    pushed = ci.main()

    # The concurrency group let runner 2 start only now; its checkout is of merge B.
    checked_out = _step(runner_2, "Check out the latest main")
    assert checked_out.startswith(f"Applying main at {pushed} (this run was started by ")
    assert git(runner_2.repo, "show", "HEAD:videosync.lock") != stale
    applied = _step(runner_2, "apply")
    assert "Apply complete: 1 created, 1 replaced, 0 deleted, 0 adopted;" in applied
    _step(runner_2, "Commit videosync.lock")

    main_converged()


def test_runner_2_on_a_stale_lockfile_adopts_what_runner_1_uploaded_but_never_pushed(
    queued_merges: tuple[Runner, Runner],
    main_converged: Callable[[], None],
) -> None:
    _, runner_2 = queued_merges
    # Runner 1 is lost before its commit step: main's lockfile is behind the server.
    _step(runner_2, "Check out the latest main")
    applied = _step(runner_2, "apply")
    assert "~ adopted media/intro.mp4 → " in applied
    assert "~ adopted media/teaser.mp4 → " in applied
    assert ADOPTED_A in applied
    _step(runner_2, "Commit videosync.lock")

    main_converged()


@pytest.mark.parametrize("push", ["before", "while", "after"])
def test_runner_2_on_a_stale_checkout_whatever_moment_runner_1_pushes(
    push: str,
    ci: Ci,
    queued_merges: tuple[Runner, Runner],
    main_converged: Callable[[], None],
) -> None:
    """Runner 2 checked out main before runner 1 pushed: their applies overlapped.

    Runner 1 pushes its lockfile before, while or after runner 2 applies; runner 2's own
    push then finds main's lockfile changed under it.
    """
    runner_1, runner_2 = queued_merges
    _step(runner_2, "Check out the latest main")  # merge B, with the lockfile before A
    if push == "before":
        _step(runner_1, "Commit videosync.lock")
        applied = _step(runner_2, "apply")
    elif push == "while":
        with ThreadPoolExecutor(max_workers=1) as pool:
            applying = pool.submit(runner_2.run, "apply", "apply")
            _step(runner_1, "Commit videosync.lock")
            done: subprocess.CompletedProcess[str] = applying.result()
        assert done.returncode == 0, done.stdout + done.stderr
        applied = done.stdout
    else:
        applied = _step(runner_2, "apply")
        _step(runner_1, "Commit videosync.lock")
    assert ADOPTED_A in applied

    # Main's lockfile (runner 1's) clashes with runner 2's: runner 2 applies again from
    # main, which adopts merge B's uploads, and pushes that.
    committed = _step(runner_2, "Commit videosync.lock")
    assert "videosync.lock changed on main during this apply: applying again\n" in committed
    assert "Apply complete: 0 created, 0 replaced, 0 deleted, 2 adopted;" in committed

    lock = "videosync: update videosync.lock [skip ci]"
    log = git(ci.origin, "log", "--format=%s", "-4", "main").splitlines()
    assert log == [lock, lock, "merge B", "merge A"]
    main_converged()
