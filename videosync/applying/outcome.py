"""What an apply did: one `Outcome` per finished or failed action, and the run's `ApplyResult`."""

from __future__ import annotations

from dataclasses import dataclass

from videosync.planning.plan import short_id

__all__ = ["ApplyResult", "Outcome"]

_SIGN = {
    "created": "+",
    "replaced": "-/+",
    "adopted": "~",
    "deleted": "-",
    "updated": "~",
    "moved": ">",
    "failed": "!",
}


@dataclass(frozen=True)
class Outcome:
    """One finished action: what was done to which key, or why it failed."""

    verb: str
    """created, replaced, adopted, moved, deleted, updated, or failed."""
    key: str
    resource: str = "video"
    video_id: str | None = None
    error: str | None = None
    old_copy: bool = False
    """A replace's (or an adopt's) superseded copy deleted: counted with that action."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        what = f"group {self.key}" if self.resource == "group" else self.key
        if self.error is not None:
            return f"! failed {what}: {self.error}"
        sign = _SIGN[self.verb]
        if self.video_id is None:
            return f"{sign} {self.verb} {what}"
        if self.old_copy:
            return f"{sign} {self.verb} {what} (old copy {short_id(self.video_id)})"
        if self.verb in ("deleted", "moved", "updated"):
            return f"{sign} {self.verb} {what} ({short_id(self.video_id)})"
        return f"{sign} {self.verb} {what} → {short_id(self.video_id)}"


@dataclass(frozen=True)
class ApplyResult:
    """What a run did: one outcome per finished or failed action, and what it left."""

    outcomes: tuple[Outcome, ...]
    not_started: int
    interrupted: bool
    uploaded: tuple[str, ...] = ()
    """The video_ids uploaded by this run (for `--wait`)."""

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def summary(self) -> str:
        count: dict[str, int] = {}
        for o in self.outcomes:
            if o.ok and not o.old_copy:
                name = o.verb if o.resource == "video" else f"group {o.verb}"
                count[name] = count.get(name, 0) + 1
        lockfile_only = "".join(
            f", {count[verb]} {verb}" for verb in ("moved", "updated") if count.get(verb)
        )
        done = (
            f"{count.get('created', 0)} created, {count.get('replaced', 0)} replaced, "
            f"{count.get('deleted', 0)} deleted, {count.get('adopted', 0)} adopted"
            f"{lockfile_only}; groups: "
            f"{count.get('group created', 0)} created, {count.get('group updated', 0)} updated, "
            f"{count.get('group deleted', 0)} deleted"
            + (f", {count['group adopted']} adopted" if count.get("group adopted") else "")
        )
        if self.interrupted:
            return (
                f"Apply interrupted: {done}; {self.not_started} action(s) not started. "
                "The lockfile records what was done: run `videosync apply` again to finish."
            )
        if self.failed:
            return (
                f"Apply failed: {len(self.failed)} action(s) failed ({done}). "
                "Run `videosync apply` again to do what is left."
            )
        return f"Apply complete: {done}."
