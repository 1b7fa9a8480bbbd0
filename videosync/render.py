"""A plan for people: Terraform-like text, JSON for machines, Markdown for a pull request.

Colour is decided by the caller (the CLI knows whether stdout is a terminal and whether
`NO_COLOR` is set); this module only honours the flag it is given.
"""

from __future__ import annotations

import json
from typing import Any

from videosync.plan import Action, Change, Plan, Summary, human_bytes, short_id

__all__ = ["FORMATS", "render", "render_json", "render_markdown", "render_text", "summary_line"]

FORMATS = ("text", "json", "markdown")

NO_CHANGES = "No changes. The catalog matches the manifest."

# symbol, verb, ANSI colour
_STYLE: dict[str, tuple[str, str, str]] = {
    "create": ("+", "create", "32"),
    "replace": ("-/+", "replace", "33"),
    "delete": ("-", "delete", "31"),
    "adopt": ("~", "adopt", "36"),
    "update": ("~", "update", "33"),
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def summary_line(summary: Summary) -> str:
    """`Plan: 3 to create, 1 to replace, 0 to delete, 1 to adopt (412.3 MB to upload).`"""
    line = (
        f"Plan: {summary.create} to create, {summary.replace} to replace, "
        f"{summary.delete} to delete, {summary.adopt} to adopt "
        f"({human_bytes(summary.upload_bytes)} to upload)"
    )
    if summary.group_create or summary.group_update or summary.group_delete:
        line += (
            f"; groups: {summary.group_create} to create, {summary.group_update} to update, "
            f"{summary.group_delete} to delete"
        )
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


def _title(action: Action) -> str:
    what = f"group {action.key}" if action.resource == "group" else action.key
    notes = []
    if action.video_id and action.kind in ("replace", "delete", "adopt"):
        notes.append(f"video {short_id(action.video_id)}")
    if action.kind in ("create", "replace") and action.size:
        notes.append(human_bytes(action.size))
    return what + (f"  ({', '.join(notes)})" if notes else "")


def _details(action: Action) -> list[str]:
    lines = [f"# {action.reason}"]
    if action.resource == "group" and action.kind == "create" and action.group is not None:
        lines.append(f"name:     {_value('name', action.group.name)}")
        lines.append(f"metadata: {_value('metadata', dict(action.group.metadata))}")
    lines += [_change_line(c) for c in action.changes]
    return lines


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan as a person reads it in a terminal; ends with one summary line."""
    out: list[str] = []
    changes = plan.changes
    if changes:
        out += ["videosync will perform these actions:", ""]
        for action in changes:
            symbol, verb, code = _STYLE[action.kind]
            head = _paint(f"{symbol} {verb}", code, color)
            out.append(f"  {head} {_title(action)}")
            out += [f"      {line}" for line in _details(action)]
            if action.blocked:
                out.append("      " + _paint(f"! blocked: {action.blocked}", "1;31", color))
        out += ["", _paint(summary_line(plan.summary()), "1", color)]
    else:
        out.append(_paint(NO_CHANGES, "1;32", color))
    if plan.unmanaged:
        out.append(
            f"{plan.unmanaged} remote video{'s' if plan.unmanaged != 1 else ''} not managed by "
            "videosync left alone (--prune deletes those in the groups the manifest uses)."
        )
    if plan.problems:
        out += ["", _paint("This plan cannot be applied:", "1;31", color)]
        out += [f"  - {problem}" for problem in plan.problems]
    return "\n".join(out) + "\n"


def render_json(plan: Plan) -> str:
    """The plan as JSON (`schemas/plan.schema.json`), byte-identical for the same plan."""
    return plan.to_json()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan) -> str:
    """The plan as a pull-request comment: a summary table, then every change."""
    s = plan.summary()
    out = ["### videosync plan", ""]
    if not plan.has_changes:
        out.append(f"**{NO_CHANGES}**")
    else:
        out += [
            f"**{summary_line(s)}**",
            "",
            "| | create | replace | update | delete | adopt | unchanged |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| videos | {s.create} | {s.replace} | - | {s.delete} | {s.adopt} | {s.unchanged} |",
            f"| groups | {s.group_create} | - | {s.group_update} | {s.group_delete} | - | - |",
            "",
            "| | action | resource | reason |",
            "|---|---|---|---|",
        ]
        for a in plan.changes:
            symbol, verb, _ = _STYLE[a.kind]
            mark = "⛔" if a.blocked else ""
            what = f"group `{a.key}`" if a.resource == "group" else f"`{a.key}`"
            reason = a.reason + (f" — **blocked**: {a.blocked}" if a.blocked else "")
            out.append(f"| {mark} | `{symbol}` {verb} | {_cell(what)} | {_cell(reason)} |")
        detailed = [a for a in plan.changes if a.changes]
        if detailed:
            out += ["", f"<details><summary>Attribute changes ({len(detailed)})</summary>", ""]
            for a in detailed:
                out.append(f"- `{a.key}`")
                out += [f"  - `{_cell(_change_line(c))}`" for c in a.changes]
            out += ["", "</details>"]
    if plan.unmanaged:
        out += ["", f"{plan.unmanaged} unmanaged remote video(s) left alone."]
    if plan.problems:
        out += ["", "> [!CAUTION]", "> This plan cannot be applied:"]
        out += [f"> - {_cell(p)}" for p in plan.problems]
    return "\n".join(out) + "\n"


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    """The plan in one of `FORMATS`."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)
