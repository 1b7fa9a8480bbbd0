"""What the README and the docs claim, checked against the repository and the running code
(issue 13, item 15): the files they name exist, the emulator logs as they show, the demo
time they state is the one measured, and a refused plan's exit code is the one raised."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.apply.conftest import child_env
from videosync.errors import ExitCode, PlanRefused

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _tracked_files() -> set[str]:
    done = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:  # not a git checkout (an sdist): the tree itself
        return {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()}
    return set(done.stdout.splitlines())


def test_every_document_the_docs_name_is_in_the_repository() -> None:
    files = _tracked_files()
    names = {Path(f).name for f in files}
    missing = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for path in re.findall(r"`([^`\s]+\.(?:md|txt))`", text):
            if path not in files and f"docs/{path}" not in files:
                missing.append(f"{page.name}: `{path}`")
        for name in re.findall(r"\b([A-Z][A-Z_-]*\.md)\b", text):
            if name not in names:
                missing.append(f"{page.name}: {name}")
    assert missing == []


def test_the_emulator_logs_each_request_as_its_page_shows(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "emulator.md").read_text(encoding="utf-8")
    shown = re.search(r"One log line per request on stderr \(`([^`]+)`", page)
    assert shown, "docs/emulator.md no longer shows a request's log line"
    # The documented line, with its method, path, status and time made variables.
    shape = re.escape(shown[1])
    shape = re.sub(r"(GET|POST|DELETE|PATCH)", "[A-Z]+", shape, count=1)
    shape = re.sub(r"\\ /\S*?\\ ", r"\\ /\\S*\\ ", shape, count=1)
    shape = re.sub(r"\d{3}", r"\\d{3}", shape, count=1)
    shape = re.sub(r"\d+ms", r"\\d+ms", shape, count=1)

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
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url = proc.stdout.readline().split()[-1]
        httpx.post(f"{url}/videos/get", headers={"X-Api-Key": "k"}, json={}, timeout=10)
        proc.stderr.readline()  # "data in …; accepting any key; Ctrl-C stops"
        logged = proc.stderr.readline().rstrip("\n")
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    assert re.fullmatch(shape, logged), (shown[1], logged)
    assert logged.split()[-3:-1] == ["/videos/get", "200"]


def test_the_readme_states_how_long_the_demo_takes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"`make demo` takes about (\d+) seconds", " ".join(readme.split()))
    assert stated, "README.md does not say how long `make demo` takes"
    # scripts/demo.py prints its own time ("demo: done in 3.1 s"): the README quotes it.
    assert 'print(f"demo: done in' in (ROOT / "scripts" / "demo.py").read_text(encoding="utf-8")


def test_no_page_says_a_refused_plan_exits_1() -> None:
    assert PlanRefused.exit_code is ExitCode.REFUSED
    assert int(ExitCode.REFUSED) == 5
    for page in PAGES:
        text = " ".join(page.read_text(encoding="utf-8").split())
        for sentence in re.split(r"(?<=[.;])\s", text):
            if re.search(r"\b(protect|refused|blocked)", sentence):
                assert not re.search(r"\bexits? (with )?1\b", sentence), (page.name, sentence)
