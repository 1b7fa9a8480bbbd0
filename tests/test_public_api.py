"""The public Python API: the names in `videosync.__all__`, stable however often they are used.

`videosync.plan` was once both a lazily exported function and a submodule: the first access
gave the function, the second (after anything imported the submodule) the module.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import videosync
from tests.conftest import API_KEY
from videosync.emulator import RunningEmulator

CATALOG = Path(__file__).resolve().parent.parent / "examples" / "catalog"


def test_every_public_name_resolves_and_is_documented_in_all() -> None:
    for name in videosync.__all__:
        assert getattr(videosync, name) is not None, name
    assert set(videosync.__all__) <= set(dir(videosync))


def test_plan_and_apply_work_however_often_they_are_called(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog, ignore=shutil.ignore_patterns("videosync.lock"))
    manifest = catalog / "videosync.yaml"

    first = videosync.plan(manifest, api_url=emulator.url, api_key=API_KEY)
    again = videosync.plan(manifest, api_url=emulator.url, api_key=API_KEY)
    assert first.plan.summary().create == again.plan.summary().create == 6

    done = videosync.apply(manifest, api_url=emulator.url, api_key=API_KEY)
    assert done.ok and done.result is not None
    assert done.result.summary().startswith("Apply complete: 6 created")
    nothing = videosync.apply(manifest, api_url=emulator.url, api_key=API_KEY)
    assert nothing.ok and nothing.result is None  # no changes: nothing was done

    after = videosync.plan(manifest, api_url=emulator.url, api_key=API_KEY)
    assert not after.plan.has_changes


def test_importing_every_module_shadows_no_public_name() -> None:
    # A submodule named like a public function would replace it on the package once imported.
    script = """
import importlib, pkgutil, sys
import videosync
for info in pkgutil.walk_packages(videosync.__path__, "videosync."):
    importlib.import_module(info.name)
bad = [n for n in videosync.__all__ if type(getattr(videosync, n)).__name__ == "module"]
sys.exit(f"shadowed by submodules: {bad}" if bad else 0)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_public_functions_are_the_commands_the_cli_runs() -> None:
    assert videosync.plan is importlib.import_module("videosync.commands.plan").make_plan
    assert videosync.apply is importlib.import_module("videosync.commands.apply").apply
