"""MkDocs hooks: the exit-code table, rendered from the one table in `videosync.errors`.

A page that shows the exit codes writes the marker `<!-- exit-codes -->` on a line of its
own; the build replaces it with a table built from `exit_code_rows()`, so no page writes
the codes by hand. Registered under `hooks:` in mkdocs.yml.
"""

from __future__ import annotations

from typing import Any

EXIT_CODES_MARKER = "<!-- exit-codes -->"


def exit_codes_table() -> str:
    """The exit codes as a markdown table: code | meaning | raised as."""
    from videosync.errors import exit_code_rows

    lines = ["| code | meaning | raised as |", "|---|---|---|"]
    for code, meaning, classes in exit_code_rows():
        raised = ", ".join(f"`{name}`" for name in classes) or "—"
        lines.append(f"| {int(code)} | {_cell(meaning)} | {raised} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace each exit-codes marker with the table."""
    if EXIT_CODES_MARKER not in markdown:
        return markdown
    return markdown.replace(EXIT_CODES_MARKER, exit_codes_table())
