"""The package's import graph: layered as pyproject.toml's contract says, with no cycle.

The graph is grimp's (import-linter's engine): every `import` statement in the package,
function-local and `TYPE_CHECKING` ones included, so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    subprocess.run(["cp", "-r", str(ROOT / "videosync"), str(package)], check=True)
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


def test_every_module_imports_on_its_own() -> None:
    # As pip-tools checks: each module imported first, in a fresh interpreter, so no
    # module works only because another one happened to be imported before it.
    def alone(module: str) -> tuple[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
        )
        return module, done.stderr.strip().splitlines()[-1] if done.returncode else ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = {m: err for m, err in pool.map(alone, _modules()) if err}
    assert failed == {}
