"""Usage errors as one line, and the options a typo is never pointed to.

click answers a bad command line with a usage block and, for an unknown option, the known
ones closest in spelling: `plan --dry-run` drew "Did you mean '--prune'?", which deletes.
Here a usage error becomes the line every videosync error is (`error: what; what to do`)
and a suggestion that would lift a safety rail, delete, or skip a question is dropped.
"""

from __future__ import annotations

import re

import click

__all__ = ["NEVER_SUGGESTED", "usage_error_line"]

NEVER_SUGGESTED = frozenset(
    {
        "--allow-empty",
        "--allow-protected",
        "--auto-approve",
        "--force",
        "--prune",
        "--prune-default",
        "--yes",
        "-y",
    }
)
"""Options that delete, lift a rail or skip a question: right only when typed on purpose."""

_DID_YOU_MEAN = re.compile(r"\.?\s*Did you mean (?P<what>.+?)\?$")


def usage_error_line(exc: click.ClickException) -> str:
    """`error: …; see 'videosync COMMAND --help'`: the usage error in one line."""
    if isinstance(exc, click.NoSuchOption):
        safe = [p for p in exc.possibilities or () if p not in NEVER_SUGGESTED]
        text = f"no such option '{exc.option_name}'"
        if safe:
            text += f" (did you mean {' or '.join(repr(p) for p in sorted(safe))}?)"
    else:
        text = " ".join(exc.format_message().split())
        text = _DID_YOU_MEAN.sub(lambda m: f" (did you mean {m['what']}?)", text).rstrip(".")
        text = text[:1].lower() + text[1:]
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError):
        text += f"; see '{ctx.command_path if ctx else 'videosync'} --help'"
    return f"error: {text}"
