"""A plan for people: Terraform-like text, JSON for machines, Markdown for a pull request.

Colour is decided by the caller (the CLI knows whether stdout is a terminal and whether
`NO_COLOR` is set); this module only honours the flag it is given.

Markdown is for a pull-request comment, and GitHub refuses a comment over 65,536
characters: `render_markdown` never returns more than `MARKDOWN_LIMIT`. Past it, the summary
table, the problems and the destructive actions (delete, replace) stay in full and the rest
is folded into counts; if even the destructive ones do not fit, as many as fit are listed
and the note says how many are not.

No format shows a URL's query string (a presigned URL's signature): keys and sources hold
none (`ownership.url_identity`), and what a lockfile from before that still records is
withheld here as it is shown (`redact_urls`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from videosync.model import ApiVersion
from videosync.ownership import url_identity
from videosync.planning.plan import Action, Change, Plan, Summary, human_bytes, short_id

__all__ = [
    "FORMATS",
    "MARKDOWN_LIMIT",
    "redact_urls",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
    "summary_line",
]

FORMATS = ("text", "json", "markdown")

MARKDOWN_LIMIT = 65_000
"""Characters: GitHub's comment limit is 65,536; the rest is room for a bot's own header."""

NO_CHANGES = "No changes. The catalog matches the manifest."

# symbol, verb, ANSI colour
_STYLE: dict[str, tuple[str, str, str]] = {
    "create": ("+", "create", "32"),
    "replace": ("-/+", "replace", "33"),
    "delete": ("-", "delete", "31"),
    "adopt": ("~", "adopt", "36"),
    "update": ("~", "update", "33"),
    "move": (">", "move", "36"),
}

_DESTRUCTIVE = ("delete", "replace")

_URL = re.compile(r"(?i)https?://[^\s\"'`<>]+")


def redact_urls(text: str) -> str:
    """`text` with the query string of each http(s) URL in it withheld (`?…`)."""
    return _URL.sub(lambda match: url_identity(match.group()), text)


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def summary_line(summary: Summary) -> str:
    """`Plan: 3 to create, 1 to replace, 0 to delete, 1 to adopt (412.3 MB to upload).`"""
    line = (
        f"Plan: {summary.create} to create, {summary.replace} to replace, "
        f"{summary.delete} to delete, {summary.adopt} to adopt"
    )
    # Shown only when there are some, so the line everyone knows keeps its shape.
    if summary.move:
        line += f", {summary.move} to move"
    if summary.update:
        line += f", {summary.update} to update"
    line += f" ({human_bytes(summary.upload_bytes)} to upload)"
    if summary.group_create or summary.group_update or summary.group_delete or summary.group_adopt:
        line += (
            f"; groups: {summary.group_create} to create, {summary.group_update} to update, "
            f"{summary.group_delete} to delete"
        )
        if summary.group_adopt:
            line += f", {summary.group_adopt} to adopt"
    return line + "."


def _value(attribute: str, value: Any) -> str:
    if value is None and attribute.endswith("group_id"):
        return "(known after apply)"
    if attribute == "hash" and isinstance(value, str):
        return json.dumps(value.split(":", 1)[0] + ":" + short_id(value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _change_line(change: Change) -> str:
    return f"{change.attribute}: {_value(change.attribute, change.old)} → " + _value(
        change.attribute, change.new
    )


def _what(action: Action) -> str:
    if action.resource == "group":
        return f"group {action.key}"
    if action.moved_from is not None:
        return f"{action.moved_from} → {action.key}"
    return action.key


def _title(action: Action) -> str:
    what = _what(action)
    notes = []
    if action.video_id and action.kind in ("replace", "delete", "adopt", "move"):
        notes.append(f"video {short_id(action.video_id)}")
    if action.resource == "group" and action.group_id and action.kind in ("delete", "adopt"):
        notes.append(f"group {short_id(action.group_id)}")
    if action.replaces:
        notes.append(f"replaces {short_id(action.replaces)}")
    if action.kind in ("create", "replace") and action.size:
        notes.append(human_bytes(action.size))
    return what + (f"  ({', '.join(notes)})" if notes else "")


def _attributes(action: Action, api_version: ApiVersion = "v1") -> list[str]:
    """What a create sends, one `attribute: value` line each, as Terraform shows a new
    resource: every attribute of a group, and of a video all but those left at their
    defaults that say nothing (no start, not protected)."""
    if action.kind != "create":
        return []
    pairs: list[tuple[str, Any]] = []
    if action.resource == "group" and action.group is not None:
        pairs = [("name", action.group.name), ("metadata", dict(action.group.metadata))]
    elif action.spec is not None:
        spec = action.spec
        pairs = [("name", spec.name), ("group", spec.group)]
        if spec.start is not None:
            pairs.append(("start", spec.start))
        if spec.title is not None:
            pairs.append(("title", spec.title))
        if spec.description is not None:
            pairs.append(("description", spec.description))
        if api_version == "v1":  # v2 has neither: `index` stands for features there
            pairs += [("index", spec.index), ("thumbnails", spec.thumbnails)]
        if spec.features:
            pairs.append(("features", list(spec.features)))
        if action.protect:
            pairs.append(("protect", True))
    width = max((len(name) for name, _ in pairs), default=0) + 1
    return [f"{name + ':':<{width}} {_value(name, value)}" for name, value in pairs]


def _details(action: Action, api_version: ApiVersion) -> list[str]:
    return [f"# {action.reason}", *_attributes(action, api_version), *_change_lines(action.changes)]


def _change_lines(changes: Sequence[Change]) -> list[str]:
    """One line per changed attribute, old → new; the features to start on one line."""
    lines = [_change_line(c) for c in changes if not c.attribute.startswith("features.")]
    started = [c for c in changes if c.attribute.startswith("features.")]
    if started:
        lines.append("features: " + " ".join(_feature_word(c) for c in started))
    return lines


def _feature_word(change: Change) -> str:
    """`+captions` for a feature to start, `!captions` for one that failed, to run again."""
    name = change.attribute.removeprefix("features.")
    return (
        f"!{name} ({change.old}: run again)" if change.old in ("failed", "blocked") else f"+{name}"
    )


def _header(plan: Plan) -> list[str]:
    """What a v2 plan says first: the API version, and a lockfile recorded under another."""
    lines = []
    if plan.api_version == "v2":
        lines.append("Vision API v2: names, titles, descriptions and groups change in place.")
    if plan.migrate_from is not None:
        lines.append(
            f"The lockfile was recorded under API {plan.migrate_from}: apply records the "
            f"catalog under {plan.api_version} (same videos, same ids: nothing is uploaded "
            "for that)."
        )
    return [*lines, ""] if lines else []


def render_text(plan: Plan, *, color: bool = False, problems: bool = True) -> str:
    """The plan as a person reads it in a terminal; ends with one summary line.

    `problems=False` leaves out why it cannot be applied: for the command line, whose
    error line says it right after (once, not twice).
    """
    out: list[str] = _header(plan)
    changes = plan.changes
    if changes:
        out += ["videosync will perform these actions:", ""]
        for action in changes:
            symbol, verb, code = _STYLE[action.kind]
            head = _paint(f"{symbol} {verb}", code, color)
            out.append(f"  {head} {_title(action)}")
            out += [f"      {line}" for line in _details(action, plan.api_version)]
            if action.blocked:
                out.append("      " + _paint(f"! blocked: {action.blocked}", "1;31", color))
        out += ["", _paint(summary_line(plan.summary()), "1", color)]
    else:
        out.append(_paint(NO_CHANGES, "1;32", color))
        if plan.migrate_from is not None:
            out.append(f"Apply records the lockfile under API {plan.api_version}.")
    if plan.unmanaged:
        out.append(
            f"{plan.unmanaged} remote video{'s' if plan.unmanaged != 1 else ''} not managed by "
            "videosync left alone (--prune deletes those in the groups the manifest uses)."
        )
    if plan.problems and problems:
        out += ["", _paint("This plan cannot be applied:", "1;31", color)]
        out += [f"  - {problem}" for problem in plan.problems]
    return redact_urls("\n".join(out) + "\n")


def render_json(plan: Plan) -> str:
    """The plan as JSON (`schemas/plan.schema.json`), byte-identical for the same plan."""
    return redact_urls(plan.to_json())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(a: Action) -> str:
    symbol, verb, _ = _STYLE[a.kind]
    mark = "⛔" if a.blocked else ""
    if a.resource == "group":
        what = f"group `{a.key}`"
    elif a.moved_from is not None:
        what = f"`{a.moved_from}` → `{a.key}`"
    else:
        what = f"`{a.key}`"
    reason = a.reason + (f" — **blocked**: {a.blocked}" if a.blocked else "")
    return f"| {mark} | `{symbol}` {verb} | {_cell(what)} | {_cell(reason)} |"


def _details_block(actions: Sequence[Action], api_version: ApiVersion) -> list[str]:
    detailed = [
        (a, lines)
        for a in actions
        if (lines := _attributes(a, api_version) + _change_lines(a.changes))
    ]
    if not detailed:
        return []
    out = ["", f"<details><summary>Attributes and changes ({len(detailed)})</summary>", ""]
    for a, lines in detailed:
        out.append(f"- {'group ' if a.resource == 'group' else ''}`{a.key}`")
        out += [f"  - `{_cell(line)}`" for line in lines]
    return [*out, "", "</details>"]


def _md_head(plan: Plan) -> list[str]:
    s = plan.summary()
    out = ["### videosync plan", ""]
    header = _header(plan)
    out += [f"_{line}_" for line in header if line] + ([""] if header else [])
    if not plan.changes:
        return [*out, f"**{NO_CHANGES}**"]
    return [
        *out,
        f"**{summary_line(s)}**",
        "",
        "| | create | replace | update | delete | adopt | move | unchanged |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| videos | {s.create} | {s.replace} | {s.update} | {s.delete} | {s.adopt} | {s.move} "
        f"| {s.unchanged} |",
        f"| groups | {s.group_create} | - | {s.group_update} | {s.group_delete} "
        f"| {s.group_adopt or '-'} | - | - |",
    ]


def _md_tail(plan: Plan) -> list[str]:
    out: list[str] = []
    if plan.unmanaged:
        out += ["", f"{plan.unmanaged} unmanaged remote video(s) left alone."]
    if plan.problems:
        out += ["", "> [!CAUTION]", "> This plan cannot be applied:"]
        out += [f"> - {_cell(p)}" for p in plan.problems]
    return out


_TABLE_HEAD = ["", "| | action | resource | reason |", "|---|---|---|---|"]


def _join(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def render_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The plan as a pull-request comment: a summary table, then every change.

    Never longer than `limit` characters (module docstring): what is left out is counted.
    """
    # Withholding a query string never lengthens the text: the limit still holds.
    return redact_urls(_markdown(plan, limit))


def _markdown(plan: Plan, limit: int) -> str:
    head, tail = _md_head(plan), _md_tail(plan)
    changes = plan.changes
    if not changes:
        return _join(head + tail)
    full = _join(
        head
        + _TABLE_HEAD
        + [_row(a) for a in changes]
        + _details_block(changes, plan.api_version)
        + tail
    )
    if len(full) <= limit:
        return full
    return _fitted(plan, head, tail, limit)


def _fitted(plan: Plan, head: list[str], tail: list[str], limit: int) -> str:
    """The comment cut to `limit`: destructive actions in full while they fit, the rest counted."""
    destructive = [a for a in plan.changes if a.kind in _DESTRUCTIVE]
    folded = Counter(
        f"{a.kind} group" if a.resource == "group" else a.kind
        for a in plan.changes
        if a.kind not in _DESTRUCTIVE
    )
    counts = ", ".join(f"{n} {what}" for what, n in sorted(folded.items()))

    def note(shown: int) -> list[str]:
        lines = [
            "",
            "> [!NOTE]",
            "> This plan is too long for a pull-request comment: "
            f"it is cut to {limit:,} characters.",
        ]
        if shown < len(destructive):
            lines.append(
                f"> Only {shown} of the {len(destructive)} deletes and replaces are listed "
                f"below; {len(destructive) - shown} are not."
            )
        elif destructive:
            lines.append("> Every delete and replace is listed below.")
        if counts:
            lines.append(f"> Not listed, only counted: {counts}.")
        lines.append("> Run `videosync plan` (or `--json`) to see every action.")
        return lines

    # The longest the note can be is with every number at its largest: reserve that.
    fixed = len(_join(head + note(0) + _TABLE_HEAD + tail)) + 2 * len(str(len(destructive)))
    budget = limit - fixed
    rows: list[str] = []
    for a in destructive:
        row = _row(a)
        if len(row) + 1 > budget:
            break
        rows.append(row)
        budget -= len(row) + 1
    shown = destructive[: len(rows)]
    details = _details_block(shown, plan.api_version)
    body = (_TABLE_HEAD + rows) if rows else []
    if len(shown) == len(destructive) and len(_join(details)) <= budget:
        body += details
    text = _join(head + note(len(rows)) + body + tail)
    if len(text) > limit:
        # Head and tail alone are too long (an enormous problem list): cut the text itself.
        cut = "\n\n> [!NOTE]\n> Cut at the comment limit: run `videosync plan` to see it all.\n"
        text = text[: limit - len(cut)] + cut
    return text


def render(plan: Plan, fmt: str, *, color: bool = False, problems: bool = True) -> str:
    """The plan in one of `FORMATS` (`problems`: see `render_text`; the others keep them)."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color, problems=problems)
