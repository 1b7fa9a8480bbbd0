"""The package's import graph: layered as pyproject.toml's contract says, with no cycle.

The graph is grimp's (import-linter's engine): every `import` statement in the package,
function-local and `TYPE_CHECKING` ones included, so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def _layers() -> list[list[str]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    return [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("videosync")


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    try:
        tuple(TopologicalSorter(edges).static_order())
    except CycleError as exc:
        cycle: list[str] = exc.args[1]
        return cycle
    return None


def test_the_import_graph_has_no_cycle(graph: grimp.ImportGraph) -> None:
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(reversed(cycle or []))


def test_a_new_cycle_is_caught(graph: grimp.ImportGraph) -> None:
    # The model is at the bottom: the model importing a command closes a loop.
    graph.add_import(
        importer="videosync.model",
        imported="videosync.commands.plan",
        line_number=1,
        line_contents="from videosync.commands.plan import make_plan",
    )
    try:
        assert _cycle(graph) is not None
    finally:
        graph.remove_import(importer="videosync.model", imported="videosync.commands.plan")


def test_the_layer_contract_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out


def test_every_module_of_the_package_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    layered = {name for layer in _layers() for name in layer}
    children = graph.find_children("videosync") - {"videosync.__main__"}
    assert children <= layered, f"not in any layer of the contract: {children - layered}"


def test_an_import_up_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    # The same contract over a copy of the package in which the planner imports the applier.
    package = tmp_path / "videosync"
    shutil.copytree(ROOT / "videosync", package, ignore=shutil.ignore_patterns("__pycache__"))
    planner = package / "planning" / "planner.py"
    text = planner.read_text(encoding="utf-8")
    planner.write_text(
        text.replace(
            "from __future__ import annotations\n",
            "from __future__ import annotations\n\nimport videosync.applying.applier\n",
            1,
        ),
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.read_text(encoding="utf-8"))
    done = subprocess.run(
        [sys.executable, "-c", _LINT], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "videosync.planning.planner -> videosync.applying.applier" in done.stdout


_LINT = """
import sys
from importlinter.cli import lint_imports
sys.exit(lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True))
"""


def _modules() -> Iterator[str]:
    for path in sorted((ROOT / "videosync").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


_ALONE = """
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "videosync" or m.startswith("videosync.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


def test_every_module_imports_on_its_own() -> None:
    # As pip-tools checks: each module imported first, with no other module of the package
    # loaded before it, so none works only because another happened to be imported first.
    # One interpreter for all (the package is unloaded between them; third-party libraries
    # stay loaded, which changes nothing for the package's own imports).
    done = subprocess.run(
        [sys.executable, "-c", _ALONE, *_modules()], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == {}


def test_a_module_that_needs_another_imported_first_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "videosync"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("import videosync\nVALUE = videosync.b.VALUE\n")
    (package / "b.py").write_text("VALUE = 1\n")
    done = subprocess.run(
        [sys.executable, "-c", _ALONE, "videosync.b", "videosync.a"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert list(json.loads(done.stdout)) == ["videosync.a"]
