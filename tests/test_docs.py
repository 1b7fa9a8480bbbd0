"""The README and the docs site say what the code does: exit codes, links, the public API,
and a site that builds with --strict (a broken link or reference fails it)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import videosync
from videosync.errors import ExitCode, exit_code_rows

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_DIRECTIVE = re.compile(r"^:::\s+(\S+)", re.MULTILINE)


def _section(markdown: str, heading: str) -> str:
    """The text under `## heading`, up to the next heading of the same or a higher level."""
    match = re.search(
        rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", markdown, re.MULTILINE | re.DOTALL
    )
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def _table_rows(markdown: str) -> list[list[str]]:
    """The body rows of the first markdown table in `markdown`, cells stripped."""
    rows: list[list[str]] = []
    for line in markdown.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append([cell.replace(r"\|", "|") for cell in cells])
    assert len(rows) >= 2, "no table found"
    _header, separator, *body = rows
    assert all(set(cell) <= set("-: ") for cell in separator), "malformed table"
    return body


def _relative_links(markdown: str) -> list[str]:
    text = _FENCE.sub("", markdown)
    return [
        target
        for target in _LINK.findall(text)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)
        and not target.startswith("#")
    ]


def test_readme_exit_code_table_is_exit_code() -> None:
    rows = _table_rows(_section(README.read_text(encoding="utf-8"), "Exit codes"))
    assert [tuple(row) for row in rows] == [(str(int(code)), code.meaning) for code in ExitCode]


def test_readme_relative_links_point_at_files() -> None:
    links = _relative_links(README.read_text(encoding="utf-8"))
    assert links, "README.md links to no file"
    missing = [link for link in links if not (ROOT / link.split("#", 1)[0]).exists()]
    assert missing == []


def test_python_api_page_documents_every_public_name() -> None:
    page = (DOCS / "python-api.md").read_text(encoding="utf-8")
    documented = set(_DIRECTIVE.findall(page))
    undocumented = []
    for name in videosync.__all__:
        if name == "__version__":
            continue
        obj = getattr(videosync, name)
        where = {f"videosync.{name}", f"{obj.__module__}.{obj.__qualname__}"}
        if not where & documented:
            undocumented.append(name)
    assert undocumented == []


def test_hook_renders_every_exit_code() -> None:
    spec = importlib.util.spec_from_file_location("videosync_docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = "# Exit codes\n\n<!-- exit-codes -->\n"
    rendered: str = hooks.on_page_markdown(page, page=None, config=None, files=None)
    assert "<!-- exit-codes -->" not in rendered
    rows = _table_rows(rendered)
    assert [row[:2] for row in rows] == [[str(int(c)), c.meaning] for c in ExitCode]
    assert [row[2] for row in rows] == [
        ", ".join(f"`{name}`" for name in names) or "—" for _, _, names in exit_code_rows()
    ]
    assert "<!-- exit-codes -->" in (DOCS / "cli.md").read_text(encoding="utf-8")


def test_docs_site_builds_with_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "python-api" / "index.html").is_file()
    cli_page = (tmp_path / "site" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "<!-- exit-codes -->" not in cli_page
    assert ExitCode.REFUSED.meaning.split(":")[0] in cli_page
