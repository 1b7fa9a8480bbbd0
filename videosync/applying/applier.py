"""The applier: carries a plan out against the API. The only place that changes the world.

Steps run in dependency order (`Plan.steps()`): group creates, updates and adoptions, then
uploads, adoptions and the lockfile-only moves and `protect` updates, then video deletes
(batched; a replace's or an adopt's superseded copy only once its new copy is recorded),
then group deletes. Within a phase up to `parallelism` calls are in flight. A failing
action does not stop the others; it is reported and left for the next run. A failed write
of the journal or lockfile does (`StateWriteFailed`): nothing more is started, no delete is
sent on the strength of a record that is not on disk, and `run` raises it at the end.

Crash safety (DESIGN.md, "Reliability"; recovery.py has the other half): an intent is
journaled before each upload and group creation, a done record after each finished action,
each fsynced before the run goes on. The journal is an accelerator, not the only record:
what a run made carries its marks on the server (`ownership.py`), and the next plan adopts
it even with no journal and a stale lockfile (a CI runner's fresh checkout). The lockfile
is rewritten atomically every `checkpoint_seconds` or `checkpoint_actions` finished actions
and at the end, and the journal is then trimmed to the intents still open: no O(n²)
rewrite per action.

An upload whose body was sent without an answer is settled by looking (`uploader.py`), and
so is a group creation (below): never sent twice blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from videosync.api.protocol import UNCHANGED, CatalogApi, Unchanged
from videosync.applying.indexwait import start_feature
from videosync.applying.outcome import ApplyResult, Outcome
from videosync.applying.progress import Reporter, SilentReporter
from videosync.applying.runrecord import RunRecord
from videosync.applying.uploader import Uploader
from videosync.content.digest import prefixed
from videosync.content.git import IdentitiesToRecord, identities_to_record
from videosync.content.localfiles import HashCache
from videosync.errors import (
    ActionFailed,
    ConnectionFailed,
    NotFound,
    StateWriteFailed,
    VideosyncError,
)
from videosync.model import (
    LockEntry,
    Lockfile,
    LockGroup,
    RemoteVideo,
    VideoSpec,
    orphan_key,
    utc_now,
)
from videosync.ownership import marked_groups, marked_metadata, recorded_group
from videosync.planning.inplace import FEATURE_PREFIX
from videosync.planning.plan import Action, Change, Plan, Step
from videosync.state.journal import GroupIntent, Journal, UploadIntent
from videosync.workdir import journal_path

__all__ = ["Applier", "ApplyOptions"]

log = logging.getLogger(__name__)

_DELETE_BATCH = 100
_PATCHED = ("name", "title", "description")


@dataclass(frozen=True)
class ApplyOptions:
    """How a run goes: calls in flight, how often the lockfile is written, lost-answer rounds."""

    parallelism: int = 4
    checkpoint_seconds: float = 5.0
    checkpoint_actions: int = 200
    ambiguous_rounds: int = 3
    """How many times an upload whose answer was lost is looked for and sent again."""


class _NotStarted(Exception):
    """An action that cannot start because one it depends on did not finish."""


class Applier:
    """Runs one plan once. `stop()` stops starting new work; `abort()` cancels what is in flight."""

    def __init__(
        self,
        plan: Plan,
        recorded: Lockfile,
        *,
        root: Path,
        lock_path: Path,
        client: CatalogApi,
        remote_videos: Sequence[RemoteVideo],
        remote_group_ids: set[str],
        reporter: Reporter | None = None,
        options: ApplyOptions | None = None,
    ) -> None:
        self.plan = plan
        self.root = root
        self.lock_path = lock_path
        self.client = client
        self.options = options or ApplyOptions()
        self.reporter = reporter or SilentReporter()
        self.record = RunRecord(
            recorded,
            journal=Journal(journal_path(root)),
            lock_path=lock_path,
            every_seconds=self.options.checkpoint_seconds,
            every_records=self.options.checkpoint_actions,
        )
        # Copies on the server before this run are never taken for one of its uploads.
        self._preexisting = {v.video_id for v in remote_videos}
        self._remote_group_ids = set(remote_group_ids)
        self._outcomes: list[Outcome] = []
        self._uploaded: list[str] = []
        self._not_started = 0
        self._stopping = False
        self._write_failure: StateWriteFailed | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._semaphore = asyncio.Semaphore(max(1, self.options.parallelism))
        # Uploads journal their intent while the uploads before them are in flight, so
        # the fsync is off the critical path: at most 2N intents are open at once.
        self._lookahead = asyncio.Semaphore(2 * max(1, self.options.parallelism))
        self._hashes = HashCache.for_manifest_dir(root)
        self._identities: dict[str, IdentitiesToRecord] = {}
        self._uploader = Uploader(
            client,
            self.record,
            preexisting=self._preexisting,
            progress=self.reporter.upload_progress,
            rounds=self.options.ambiguous_rounds,
        )

    # --- control ------------------------------------------------------------------------

    def stop(self) -> None:
        """Start nothing new; what is in flight finishes (the first Ctrl-C)."""
        self._stopping = True

    def abort(self) -> None:
        """Cancel what is in flight too (the second Ctrl-C); open intents stay journaled."""
        self._stopping = True
        for task in list(self._inflight):
            task.cancel()

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    # --- the run ------------------------------------------------------------------------

    async def run(self) -> ApplyResult:
        steps = self.plan.steps()
        size = sum(s.action.size or 0 for s in steps if s.op == "upload")
        self.reporter.begin(len(steps), size)
        try:
            sources = {
                s.action.spec.source.path
                for s in steps
                if s.op == "upload" and s.action.spec is not None and s.action.spec.source.path
            }
            # Asked once per run, not per upload: git runs a fixed number of times.
            self._identities = await asyncio.to_thread(identities_to_record, self.root, sources)
            # The lockfile says which API version it was applied under (v1: nothing said,
            # so a v1 lockfile stays byte for byte what it was).
            self.record.api_version = "v2" if self.plan.api_version == "v2" else None
            if self.plan.migrate_from is not None:
                await self._record_unchanged()
            await self._phase(
                [s for s in steps if s.op in ("create_group", "update_group", "adopt_group")]
            )
            await self._phase(
                [s for s in steps if s.op in ("upload", "adopt", "move", "update_video")]
            )
            await self._delete_videos([s.action for s in steps if s.op == "delete_video"])
            await self._phase([s for s in steps if s.op == "delete_group"])
        finally:
            try:
                await self.record.checkpoint()
            except StateWriteFailed as exc:
                self._write_failed(exc)  # the first failure is the one reported
            self.record.close()
            self._hashes.save()
            self.reporter.end()
        if self._write_failure is not None:
            raise self._write_failure
        return ApplyResult(
            outcomes=tuple(self._outcomes),
            not_started=self._not_started,
            interrupted=self._stopping,
            uploaded=tuple(self._uploaded),
        )

    async def _phase(self, steps: Sequence[Step]) -> None:
        if not steps:
            return
        tasks = [asyncio.create_task(self._guarded(step)) for step in steps]
        await asyncio.gather(*tasks, return_exceptions=True)
        self._not_started += sum(1 for t in tasks if t.cancelled())

    def _runner(self, step: Step) -> Callable[[], Awaitable[None]]:
        action = step.action
        return {
            "create_group": lambda: self._create_group(action),
            "update_group": lambda: self._update_group(action),
            "adopt_group": lambda: self._adopt_group(action),
            "upload": lambda: self._upload(action),
            "adopt": lambda: self._adopt(action),
            "move": lambda: self._move(action),
            "update_video": lambda: self._update_video(action),
            "delete_group": lambda: self._delete_group(action),
        }[step.op]

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """One of the `parallelism` places for a call to the API; none once stopping."""
        async with self._semaphore:
            if self._stopping:
                raise _NotStarted("the run is stopping")
            task = asyncio.current_task()
            assert task is not None
            self._inflight.add(task)
            try:
                yield
            finally:
                self._inflight.discard(task)

    async def _guarded(self, step: Step) -> None:
        """Run one step; its failure is reported, never raised: the others go on.

        Except a failed write of the run's record (`StateWriteFailed`): that stops the run.
        """
        run = self._runner(step)
        try:
            if step.op == "upload":
                async with self._lookahead:  # the upload takes its slot itself
                    if self._stopping:
                        raise _NotStarted("the run is stopping")
                    await run()
            else:
                async with self._slot():
                    await run()
        except StateWriteFailed as exc:
            self._write_failed(exc)
        except _NotStarted as exc:
            self._not_started += 1
            log.info("%s not started: %s", step.action.key, exc)
        except VideosyncError as exc:
            self._finish(Outcome("failed", step.action.key, step.action.resource, error=str(exc)))
        except OSError as exc:
            self._finish(
                Outcome(
                    verb="failed",
                    key=step.action.key,
                    resource=step.action.resource,
                    error=f"cannot read the file: {exc.strerror or exc}",
                )
            )

    def _write_failed(self, exc: StateWriteFailed) -> None:
        """Stop at a failed write of the journal or lockfile, and end the run with the first.

        Nothing more may be done on the strength of a record that is not on disk: above
        all, no replace's old copy deleted while its new copy is unrecorded.
        """
        if self._write_failure is None:
            self._write_failure = exc
        self.stop()

    def _finish(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self.reporter.finished(outcome)

    # --- groups -------------------------------------------------------------------------

    async def _create_group(self, action: Action) -> None:
        assert action.group is not None
        spec = action.group
        intent = await self.record.intent(lambda i: GroupIntent(i, action.key, spec, utc_now()))
        for _ in range(self.options.ambiguous_rounds):
            try:
                made = await self.client.create_group(
                    spec.name, marked_metadata(action.key, spec.metadata)
                )
                break
            except ConnectionFailed as exc:
                if not exc.ambiguous:
                    await self.record.done(intent)
                    raise
                known = self._remote_group_ids | {g.group_id for g in self.record.groups.values()}
                found = marked_groups(await self.client.list_groups(), action.key, known)
                if found:  # the oldest; a later plan deletes any other as a duplicate
                    made = found[0]
                    break
        else:
            raise ActionFailed("the group creation's answers were lost every time")
        await self.record.done(intent, groups={action.key: recorded_group(made)})
        self._finish(Outcome("created", action.key, "group", made.group_id))

    async def _update_group(self, action: Action) -> None:
        assert action.group is not None and action.group_id is not None
        spec = action.group
        made = await self.client.update_group(
            action.group_id, name=spec.name, metadata=marked_metadata(action.key, spec.metadata)
        )
        await self.record.done(None, groups={action.key: recorded_group(made)})
        self._finish(Outcome("updated", action.key, "group"))

    async def _adopt_group(self, action: Action) -> None:
        """Record the group the server holds for this ref; bring it in line if it differs."""
        assert action.group is not None and action.group_id is not None
        spec = action.group
        group = LockGroup(action.group_id, spec.name, dict(spec.metadata))
        if action.changes:
            made = await self.client.update_group(
                action.group_id, name=spec.name, metadata=marked_metadata(action.key, spec.metadata)
            )
            group = recorded_group(made)
        await self.record.done(None, groups={action.key: group})
        self._finish(Outcome("adopted", action.key, "group", action.group_id))

    async def _delete_group(self, action: Action) -> None:
        assert action.group_id is not None
        if action.group_id in self._remote_group_ids:
            with contextlib.suppress(NotFound):  # gone already: what we wanted
                await self.client.delete_group(action.group_id)
        await self.record.done(None, groups={action.key: None})
        self._finish(Outcome("deleted", action.key, "group"))

    # --- uploads ------------------------------------------------------------------------

    def _resolved(self, action: Action) -> VideoSpec:
        """The spec with its group_id, once a group created in this run has one."""
        assert action.spec is not None
        spec = action.spec
        if spec.group_id is None:
            group = self.record.groups.get(spec.group)
            if group is None:
                raise _NotStarted(f"its group {spec.group} was not created")
            spec = replace(spec, group_id=group.group_id)
        return spec

    async def _upload(self, action: Action) -> None:
        spec = self._resolved(action)
        path = self.root / spec.source.path if spec.source.path is not None else None
        st = path.stat() if path is not None else None
        replaces = action.video_id if action.kind == "replace" else None
        intent = await self.record.intent(
            lambda i: UploadIntent(
                id=i,
                key=action.key,
                spec=spec,
                replaces=replaces,
                size=st.st_size if st else None,
                mtime_ns=st.st_mtime_ns if st else None,
                protect=action.protect,
                at=utc_now(),
            )
        )
        try:
            async with self._slot():
                self.reporter.upload_started(action.key, st.st_size if st else None)
                try:
                    sent = await self._uploader.upload(
                        action.key, spec, path, intent, self._identities_of(spec)
                    )
                finally:
                    self.reporter.upload_ended(action.key)
        except _NotStarted:
            await self.record.done(intent)  # nothing was sent: the intent is void
            raise
        digest = prefixed(sent.digest) if sent.digest else None
        if path is not None and digest is None:
            digest = self._hashes.digest(path)  # only after a lost answer, rarely
        entry = LockEntry(
            video_id=sent.video_id,
            spec=spec,
            size=sent.size,
            hash=digest,
            uploaded_at=utc_now(),
            protect=action.protect,
        )
        changes: dict[str, LockEntry | None] = {action.key: entry}
        old = self.record.videos.get(action.key)
        if replaces is not None and old is not None:
            # Kept under a key no manifest has until it is deleted: a crash now cannot leak it.
            changes[orphan_key(action.key, replaces)] = replace(
                old, video_id=replaces, protect=False
            )
        await self.record.done(intent, videos=changes)
        self._uploaded.append(sent.video_id)
        verb = "replaced" if replaces else "created"
        self._finish(Outcome(verb, action.key, "video", sent.video_id))
        await self._after_upload(action.key, sent.video_id, spec)

    async def _after_upload(self, key: str, video_id: str, spec: VideoSpec) -> None:
        """v2: what the upload call cannot carry: the title (a PATCH), then the features.

        The upload is recorded already: a failure here is reported, and the next plan
        sets what is missing on the copy the server holds.
        """
        if self.client.api_version != "v2":
            return
        try:
            if spec.title is not None:
                await self.client.update_video(video_id, title=spec.title)
            if spec.features:
                await self._start_features(video_id, spec, forced=())
        except VideosyncError as exc:
            error = f"uploaded as {video_id}, but then: {exc}"
            self._finish(Outcome("failed", key, "video", video_id, error=error))

    def _identities_of(self, spec: VideoSpec) -> IdentitiesToRecord:
        return self._identities.get(spec.source.path or "", IdentitiesToRecord())

    async def _adopt(self, action: Action) -> None:
        """Record the copy of an entry the server holds, uploaded by an earlier run; the copy
        it supersedes (`replaces`) stays recorded under an orphan key until deleted."""
        assert action.spec is not None and action.video_id is not None
        spec = action.spec
        size = digest = None
        if spec.source.path is not None:
            path = self.root / spec.source.path
            size = path.stat().st_size
            digest = self._hashes.digest(path)
        entry = LockEntry(
            video_id=action.video_id,
            spec=spec,
            size=size,
            hash=digest,
            uploaded_at=utc_now(),
            protect=action.protect,
        )
        changes: dict[str, LockEntry | None] = {action.key: entry}
        old = self.record.videos.get(action.key)
        if action.replaces is not None and old is not None:
            changes[orphan_key(action.key, action.replaces)] = replace(
                old, video_id=action.replaces, protect=False
            )
        await self.record.done(None, videos=changes)
        if action.changes:
            await self._set_in_place(action.video_id, spec, action.changes)
        self._finish(Outcome("adopted", action.key, "video", action.video_id))

    async def _move(self, action: Action) -> None:
        """Record the video of `moved_from` under the entry's new key: nothing is sent."""
        assert action.spec is not None and action.moved_from is not None
        old = self.record.videos.get(action.moved_from)
        if old is None:
            raise ActionFailed(f"{action.moved_from} is no longer recorded; plan again")
        spec = replace(action.spec, group_id=action.spec.group_id or old.spec.group_id)
        entry = replace(old, spec=spec, protect=action.protect)
        await self.record.done(None, videos={action.key: entry, action.moved_from: None})
        self._finish(Outcome("moved", action.key, "video", old.video_id))

    async def _update_video(self, action: Action) -> None:
        """Set in place what the server's copy lacks (v2: name, title, description, group;
        v1: the group, by the move call), start its missing features, and record the entry.
        A changed `protect`, or a file moved under an `id:` key, is recorded only."""
        assert action.spec is not None and action.video_id is not None
        old = self.record.videos.get(action.key)
        if old is None:
            raise ActionFailed("it is no longer recorded; plan again")
        if any(c.attribute == "group_id" for c in action.changes):
            spec = self._resolved(action)  # moved into a group this run created
        else:
            spec = replace(action.spec, group_id=action.spec.group_id or old.spec.group_id)
        await self._set_in_place(action.video_id, spec, action.changes)
        entry = replace(old, spec=spec, protect=action.protect)
        await self.record.done(None, videos={action.key: entry})
        self._finish(Outcome("updated", action.key, "video", old.video_id))

    async def _set_in_place(
        self, video_id: str, spec: VideoSpec, changes: Sequence[Change]
    ) -> None:
        """Send the changes an update (or an adopt) plans for the server: nothing else."""
        changed = {c.attribute for c in changes}
        if self.client.api_version == "v2":
            fields = {name: getattr(spec, name) for name in _PATCHED if name in changed}
            if fields or "group_id" in changed:
                group: str | Unchanged = UNCHANGED
                if "group_id" in changed:
                    assert spec.group_id is not None  # resolved by the caller
                    group = spec.group_id
                await self.client.update_video(video_id, **fields, group_id=group)
        elif "group_id" in changed:
            assert spec.group_id is not None
            await self.client.move_videos(spec.group_id, [video_id])
        forced = tuple(
            c.attribute.removeprefix(FEATURE_PREFIX)
            for c in changes
            if c.attribute.startswith(FEATURE_PREFIX) and c.old in ("failed", "blocked")
        )
        if any(c.attribute.startswith(FEATURE_PREFIX) for c in changes):
            await self._start_features(video_id, spec, forced=forced)

    async def _start_features(
        self, video_id: str, spec: VideoSpec, *, forced: Sequence[str]
    ) -> None:
        """Start what can start now of the video's features: those that failed (again, in
        dependency order), then each the API's plan calls actionable. What waits on another
        feature starts in a later run, or while `--wait` waits."""
        for feature in forced:
            await start_feature(self.client, video_id, feature, force=True)
        plan = await self.client.plan_features(video_id, spec.features)
        for feature in plan.actionable:
            await start_feature(self.client, video_id, feature)

    async def _record_unchanged(self) -> None:
        """Record the unchanged entries as the API version the plan is for has them: the
        first apply under v2 of a catalog applied under v1 uploads nothing, it records."""
        changes: dict[str, LockEntry | None] = {}
        for action in self.plan.actions:
            old = self.record.videos.get(action.key)
            if action.kind != "noop" or action.spec is None or old is None:
                continue
            spec = replace(action.spec, group_id=action.spec.group_id or old.spec.group_id)
            if spec != old.spec:
                changes[action.key] = replace(old, spec=spec)
        if changes:
            await self.record.done(None, videos=changes)

    # --- deletes ------------------------------------------------------------------------

    async def _delete_videos(self, actions: Sequence[Action]) -> None:
        """Delete the videos of delete actions and replaced copies, `_DELETE_BATCH` a call."""
        targets: list[_Target] = []
        for action in actions:
            if self._stopping:
                self._not_started += 1
                continue
            old = action.replaces if action.kind == "adopt" else action.video_id
            assert old is not None
            if action.kind in ("replace", "adopt"):
                key = orphan_key(action.key, old)
                if key not in self.record.videos:
                    continue  # its new copy was not recorded: the old one stays, still recorded
            else:
                key = action.key
            targets.append(_Target(key, old, action.key, old_copy=action.kind != "delete"))
        gone = [t for t in targets if t.video_id not in self._preexisting]
        if gone:
            try:
                await self._deleted(gone)
            except StateWriteFailed as exc:
                self._write_failed(exc)
                return
        live = [t for t in targets if t.video_id in self._preexisting]
        batches = [live[i : i + _DELETE_BATCH] for i in range(0, len(live), _DELETE_BATCH)]
        if batches:
            await asyncio.gather(*(self._delete_batch(b) for b in batches))

    async def _delete_batch(self, batch: list[_Target]) -> None:
        async with self._semaphore:
            if self._stopping:
                self._not_started += len(batch)
                return
            ids = [t.video_id for t in batch]
            try:
                try:
                    await self.client.delete_videos(ids, batch_size=_DELETE_BATCH)
                except NotFound:
                    # All or nothing on the server: some were gone already; delete the rest.
                    left = [v.video_id for v in await self.client.get_videos(ids)]
                    if left:
                        await self.client.delete_videos(left, batch_size=_DELETE_BATCH)
            except VideosyncError as exc:
                for t in batch:
                    self._finish(Outcome("failed", t.shown, "video", t.video_id, error=str(exc)))
                return
            try:
                await self._deleted(batch)
            except StateWriteFailed as exc:
                self._write_failed(exc)

    async def _deleted(self, batch: Sequence[_Target]) -> None:
        await self.record.done(None, videos={t.key: None for t in batch})
        for t in batch:
            self._finish(Outcome("deleted", t.shown, "video", t.video_id, old_copy=t.old_copy))


@dataclass(frozen=True)
class _Target:
    """A video to delete: its lockfile key, its id, the key shown, and whether it is the old
    copy a replace (or an adopt) supersedes, part of that action rather than a delete."""

    key: str
    video_id: str
    shown: str
    old_copy: bool = False
