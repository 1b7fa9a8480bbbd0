"""The plan as a value: actions with reasons, in apply order, saved and loaded as JSON.

A `Plan` is immutable and contains no timestamps: the same inputs give byte-identical
`to_json()`. A plan saved with `plan --out` also carries the fingerprints of what it was
computed from (`fingerprints.py`), so `apply PLANFILE` can refuse it once any of them has
changed. It never holds the API key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from videosync.errors import PlanFileError, PlanRefused
from videosync.model import ApiVersion, GroupSpec, VideoSpec
from videosync.planning.fingerprints import Fingerprints
from videosync.schemas import schema_error
from videosync.workdir import write_atomic

__all__ = [
    "PLAN_FORMAT_VERSION",
    "Action",
    "Change",
    "Plan",
    "Step",
    "Summary",
    "action_difference",
    "human_bytes",
    "short_id",
]

PLAN_FORMAT_VERSION = 1

Resource = Literal["video", "group"]
Kind = Literal["create", "replace", "delete", "adopt", "update", "move", "noop"]
StepOp = Literal[
    "create_group",
    "adopt_group",
    "update_group",
    "upload",
    "adopt",
    "move",
    "update_video",
    "delete_video",
    "delete_group",
]


@dataclass(frozen=True, slots=True)
class Change:
    """One attribute that differs: `attribute` is a dotted path (`metadata.campaign`)."""

    attribute: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class Action:
    """What happens to one resource, and why, in words the person reading the plan uses.

    `key` is the manifest key of a video, the manifest's name of a group, or, for an
    unmanaged video that `--prune` deletes, its video_id. `cause` is a machine-readable
    word for the reason (`new`, `gone`, `failed`, `changed`, `adopt`, `removed`,
    `unmanaged`, `unchanged`, `moved`, `protect`, `behind`, `duplicate`). `video_id`/`group_id`
    name the existing remote resource the action acts on (the old copy, for a replace; the
    copy recorded, for an adopt). `blocked` says why a guard refuses it.

    An `adopt` records what the server already holds instead of uploading or creating it
    again. `replaces` is the copy an adopted video supersedes: deleted once the adopted one
    is recorded, as a replace's old copy is.

    A `move` (an entry whose key changed, same content and upload attributes) and a video
    `update` (only `protect` changed) touch nothing on the server: apply rewrites the
    lockfile. `moved_from` is the key a move takes the recorded video from.
    """

    resource: Resource
    kind: Kind
    key: str
    cause: str
    reason: str
    changes: tuple[Change, ...] = ()
    video_id: str | None = None
    group_id: str | None = None
    spec: VideoSpec | None = None
    group: GroupSpec | None = None
    size: int | None = None
    """Bytes to upload (create and replace of a local file)."""
    protect: bool = False
    blocked: str | None = None
    moved_from: str | None = None
    replaces: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "action": self.kind,
            "key": self.key,
            "cause": self.cause,
            "reason": self.reason,
            "changes": [c.to_json() for c in self.changes],
            "video_id": self.video_id,
            "group_id": self.group_id,
            "spec": self.spec.to_json() if self.spec else None,
            "group": self.group.to_json() if self.group else None,
            "size": self.size,
            "protect": self.protect,
            "blocked": self.blocked,
            "moved_from": self.moved_from,
            "replaces": self.replaces,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Action:
        group = data["group"]
        return cls(
            resource=data["resource"],
            kind=data["action"],
            key=data["key"],
            cause=data["cause"],
            reason=data["reason"],
            changes=tuple(Change(c["attribute"], c["old"], c["new"]) for c in data["changes"]),
            video_id=data["video_id"],
            group_id=data["group_id"],
            spec=VideoSpec.from_json(data["spec"]) if data["spec"] else None,
            group=GroupSpec(group["name"], group["metadata"]) if group else None,
            size=data["size"],
            protect=data["protect"],
            blocked=data["blocked"],
            moved_from=data.get("moved_from"),
            replaces=data.get("replaces"),
        )


@dataclass(frozen=True, slots=True)
class Step:
    """One API-level step of applying a plan; a replace is an upload then a delete_video."""

    op: StepOp
    action: Action


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts a person reads first."""

    create: int = 0
    replace: int = 0
    delete: int = 0
    adopt: int = 0
    move: int = 0
    update: int = 0
    """Videos whose `protect` changed: recorded in the lockfile, nothing sent."""
    unchanged: int = 0
    upload_bytes: int = 0
    group_create: int = 0
    group_update: int = 0
    group_delete: int = 0
    group_adopt: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


# Apply order (DESIGN.md): groups first, then uploads, then deletes, then group deletes.
_PHASE: dict[tuple[str, str], int] = {
    ("group", "create"): 0,
    ("group", "update"): 0,
    ("group", "noop"): 0,
    ("group", "adopt"): 0,
    ("video", "create"): 1,
    ("video", "replace"): 1,
    ("video", "adopt"): 1,
    ("video", "move"): 1,
    ("video", "update"): 1,
    ("video", "noop"): 1,
    ("video", "delete"): 2,
    ("group", "delete"): 3,
}


_GROUP_OPS: dict[str, StepOp] = {
    "create": "create_group",
    "update": "update_group",
    "adopt": "adopt_group",
}


def apply_order(action: Action) -> tuple[int, str, str]:
    """Sort key putting actions in the order they are applied, then by key."""
    return (_PHASE[(action.resource, action.kind)], action.key, action.video_id or "")


@dataclass(frozen=True, slots=True)
class Plan:
    """What apply would do: every action in apply order, and why it may not be applied."""

    actions: tuple[Action, ...] = ()
    problems: tuple[str, ...] = ()
    """Why the plan must not be applied as it stands (guards); empty when applicable."""
    unmanaged: int = 0
    """Remote videos videosync does not manage and leaves alone."""
    fingerprints: Fingerprints | None = None
    api_version: ApiVersion = "v1"
    """The API version the plan was made for (and apply must use)."""
    migrate_from: ApiVersion | None = None
    """The version the lockfile was recorded under, when it differs: apply records the
    catalog under `api_version` (nothing is uploaded for that)."""

    @property
    def applicable(self) -> bool:
        return not self.problems

    def require_applicable(self) -> None:
        """Raise `PlanRefused` (exit 5), carrying this plan, when a guard or rail refuses it."""
        if self.problems:
            raise PlanRefused("the plan cannot be applied: " + "; ".join(self.problems), plan=self)

    @property
    def changes(self) -> tuple[Action, ...]:
        """The actions that change something (everything but `noop`)."""
        return tuple(a for a in self.actions if a.kind != "noop")

    @property
    def has_changes(self) -> bool:
        """Something to do: an action, or the lockfile to record under another API version."""
        return self.migrate_from is not None or any(a.kind != "noop" for a in self.actions)

    def summary(self) -> Summary:
        count: dict[str, int] = {}
        upload = 0
        for a in self.actions:
            name = a.kind if a.resource == "video" else f"group_{a.kind}"
            count[name] = count.get(name, 0) + 1
            if a.kind in ("create", "replace") and a.size:
                upload += a.size
        return Summary(
            create=count.get("create", 0),
            replace=count.get("replace", 0),
            delete=count.get("delete", 0),
            adopt=count.get("adopt", 0),
            move=count.get("move", 0),
            update=count.get("update", 0),
            unchanged=count.get("noop", 0),
            upload_bytes=upload,
            group_create=count.get("group_create", 0),
            group_update=count.get("group_update", 0),
            group_delete=count.get("group_delete", 0),
            group_adopt=count.get("group_adopt", 0),
        )

    def steps(self) -> tuple[Step, ...]:
        """The API-level steps in dependency order: a replace uploads its new copy before
        any video is deleted, and groups are deleted after the videos in them."""
        phases: list[list[Step]] = [[], [], [], []]
        for a in self.actions:
            if a.resource == "group":
                if a.kind in _GROUP_OPS:
                    phases[0].append(Step(_GROUP_OPS[a.kind], a))
                elif a.kind == "delete":
                    phases[3].append(Step("delete_group", a))
            elif a.kind in ("create", "replace"):
                phases[1].append(Step("upload", a))
                if a.kind == "replace":
                    phases[2].append(Step("delete_video", a))
            elif a.kind == "adopt":
                phases[1].append(Step("adopt", a))
                if a.replaces is not None:
                    phases[2].append(Step("delete_video", a))
            elif a.kind == "move":
                phases[1].append(Step("move", a))
            elif a.kind == "update":
                phases[1].append(Step("update_video", a))
            elif a.kind == "delete":
                phases[2].append(Step("delete_video", a))
        return tuple(step for phase in phases for step in phase)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format_version": PLAN_FORMAT_VERSION,
            "applicable": self.applicable,
            "problems": list(self.problems),
            "summary": self.summary().to_json(),
            "unmanaged": self.unmanaged,
            "actions": [a.to_json() for a in self.actions],
            "api_version": self.api_version,
        }
        if self.migrate_from is not None:
            out["migrate_from"] = self.migrate_from
        if self.fingerprints is not None:
            out["fingerprints"] = self.fingerprints.to_json()
        return out

    def to_json(self) -> str:
        """Stable JSON: same plan, same bytes (sorted keys, no timestamps)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        fp = data.get("fingerprints")
        return cls(
            actions=tuple(Action.from_json(a) for a in data["actions"]),
            problems=tuple(data["problems"]),
            unmanaged=data["unmanaged"],
            api_version=data.get("api_version", "v1"),
            migrate_from=data.get("migrate_from"),
            fingerprints=Fingerprints(fp["manifest"], fp["lockfile"], fp["remote"], fp["local"])
            if fp
            else None,
        )

    def save(self, path: Path) -> None:
        """Write the plan file (`plan --out`), atomically."""
        try:
            write_atomic(path, self.to_json().encode("utf-8"))
        except OSError as exc:
            raise PlanFileError(f"{path}: cannot write the plan file: {exc.strerror}") from exc

    @classmethod
    def load(cls, path: Path) -> Plan:
        """Read a plan file written by `plan --out`; `PlanFileError` (exit 3) if it is not one."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PlanFileError(f"{path}: cannot read the plan file: {exc.strerror}") from exc
        except ValueError:
            raise PlanFileError(
                f"{path}: not a videosync plan file (not JSON); run `videosync plan --out` again"
            ) from None
        if isinstance(data, dict) and data.get("format_version", 0) > PLAN_FORMAT_VERSION:
            raise PlanFileError(f"{path}: the plan was written by a newer videosync; upgrade it")
        error = schema_error("plan", data)
        if error is not None:
            raise PlanFileError(
                f"{path}: not a valid plan file {error}; run `videosync plan --out` again"
            )
        return cls.from_dict(data)


def action_difference(saved: Sequence[Action], current: Sequence[Action]) -> str | None:
    """How a plan file's actions (`saved`) differ from the same plan computed again from its
    manifest and inputs (`current`), naming the first action that does; None when equal.

    Same inputs and options give the same actions, so any difference is an edit: a source
    path pointed elsewhere, a video_id swapped for another video's, an action added.
    """
    if tuple(saved) == tuple(current):
        return None
    now = {_identity(a): a for a in current}
    for action in saved:
        match = now.get(_identity(action))
        if match is None:
            return f"its action {_named(action)} is not one the manifest gives"
        if match != action:
            fields = _differing(action.to_json(), match.to_json())
            verb = "differs" if len(fields) == 1 else "differ"
            return (
                f"its action {_named(action)} is not the one the manifest gives "
                f"({', '.join(fields)} {verb})"
            )
    kept = {_identity(a) for a in saved}
    for action in current:
        if _identity(action) not in kept:
            return f"the manifest gives the action {_named(action)}, which it lacks"
    return "its actions are not in the order the manifest gives them"


def _identity(action: Action) -> tuple[str, str, str, str | None]:
    return (action.resource, action.kind, action.key, action.video_id)


def _named(action: Action) -> str:
    what = f"{action.kind} {'group ' if action.resource == 'group' else ''}{action.key}"
    return repr(what)  # an edited key may hold anything: quoted, on one line


def _differing(old: Any, new: Any, at: str = "") -> list[str]:
    """The dotted paths (`spec.source.path`) at which two JSON values differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            path
            for name in sorted(old.keys() | new.keys())
            for path in _differing(old.get(name), new.get(name), f"{at}{name}.")
        ]
    return [at.rstrip(".")] if old != new else []


def human_bytes(n: int) -> str:
    """`412.3 MB`: decimal units, as people read sizes of video files."""
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            break
    return f"{value:.1f} {unit}"


def short_id(value: str | None) -> str:
    """`1a2b3c4d…`: enough of an id or digest (without its `sha256:`) to recognise it."""
    if not value:
        return "none"
    text = value.split(":", 1)[-1]
    return text[:8] + "…" if len(text) > 8 else text
