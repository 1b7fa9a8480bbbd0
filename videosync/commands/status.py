"""`videosync status`: each managed video's remote state and drift, in one table.

A managed video is one the lockfile records. Its drift comes from the plan: `ok` (nothing
to do), `missing` (gone remotely), `failed` (indexing failed), `changed` (the manifest or
the file differs from what was uploaded), `removed` (no longer in the manifest) or `moved`
(the next apply records it under the new key it moved to).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from videosync.api.versions import ApiVersionChoice
from videosync.commands.plan import PlanRun, make_plan

__all__ = ["Status", "StatusRow", "render_status", "status", "status_of"]

_DRIFT = {
    ("noop", "unchanged"): "ok",
    ("create", "gone"): "missing",
    ("replace", "failed"): "failed",
    ("replace", "changed"): "changed",
    ("delete", "removed"): "removed",
    ("move", "moved"): "moved",
    ("adopt", "behind"): "lockfile behind",
    ("update", "recorded"): "moved",
}


@dataclass(frozen=True)
class StatusRow:
    """One managed video: its key, its video_id, where the server has it, and its drift."""

    key: str
    """The manifest key the lockfile records it under."""
    video_id: str
    indexing_status: str
    """The remote copy's status (`RemoteVideo.remote_status`), or `missing` when it is gone."""
    drift: str
    """`ok`, `missing`, `failed`, `changed`, `removed` or `moved` (the module's docstring)."""


@dataclass(frozen=True)
class Status:
    """What `videosync status` shows: a row per managed video, and what is outside them."""

    rows: tuple[StatusRow, ...]
    """One per video the lockfile records, sorted by key."""
    unmanaged: int
    """Remote videos the lockfile does not know."""
    not_uploaded: int
    """Manifest entries not uploaded yet (not in the lockfile)."""

    @property
    def has_drift(self) -> bool:
        """A managed video is not `ok`, or an entry is not uploaded yet: what the table
        shows the next apply has to do (`status --detailed-exitcode` exits 2)."""
        return self.not_uploaded > 0 or any(row.drift != "ok" for row in self.rows)

    def to_json(self) -> str:
        data = {
            "videos": [row.__dict__ for row in self.rows],
            "unmanaged": self.unmanaged,
            "not_uploaded": self.not_uploaded,
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def status_of(run: PlanRun) -> Status:
    """The status table of a computed plan and the states it was computed from."""
    remote = {v.video_id: v for v in run.remote.videos}
    actions = {a.key: a for a in run.plan.actions if a.resource == "video"}
    # A moved entry's recorded key has no action of its own: its move stands for it.
    moves = {a.moved_from: a for a in actions.values() if a.moved_from is not None}
    rows = []
    for key, entry in sorted(run.recorded.videos.items()):
        action = actions.get(key) or moves[key]
        current = remote.get(entry.video_id)
        rows.append(
            StatusRow(
                key=key,
                video_id=entry.video_id,
                indexing_status=current.remote_status if current else "missing",
                drift=_DRIFT.get((action.kind, action.cause), "changed"),
            )
        )
    recorded_ids = {e.video_id for e in run.recorded.videos.values()}
    return Status(
        rows=tuple(rows),
        unmanaged=sum(1 for v in run.remote.videos if v.video_id not in recorded_ids),
        not_uploaded=sum(
            1
            for a in actions.values()
            if a.key not in run.recorded.videos and a.kind in ("create", "adopt")
        ),
    )


def status(
    manifest_path: Path,
    *,
    api_url: str,
    api_key: str | None,
    api_version: ApiVersionChoice = "v1",
) -> Status:
    """The status of the catalog the manifest at `manifest_path` describes."""
    return status_of(
        make_plan(manifest_path, api_url=api_url, api_key=api_key, api_version=api_version)
    )


def render_status(st: Status) -> str:
    """An aligned table, one row per managed video, then the counts."""
    header = ("KEY", "VIDEO ID", "REMOTE STATUS", "DRIFT")
    rows = [(r.key, r.video_id, r.indexing_status, r.drift) for r in st.rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row))
        for row in [header, *rows]
    ]
    if not rows:
        lines = ["No managed videos yet: `videosync apply` uploads the manifest's entries."]
    lines.append(
        f"{st.unmanaged} unmanaged remote video{'s' if st.unmanaged != 1 else ''}; "
        f"{st.not_uploaded} manifest entr{'y' if st.not_uploaded == 1 else 'ies'} "
        "not uploaded yet."
    )
    return "\n".join(lines) + "\n"
