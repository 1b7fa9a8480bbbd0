"""What the emulator keeps: SQLite (WAL) for metadata, one file per video under the data dir.

Layout of a data dir: `emulator.sqlite3` (videos, groups, the URL-signing secret),
`videos/<video_id>` (stored files), `tmp/` (uploads in flight). A video row is inserted only
after its file is complete, fsynced and renamed into `videos/`, so a killed emulator never
lists a half-written video; `open_store` removes what such a kill left behind.
Tenants are stored as a hash of their API key: the key itself is never written anywhere.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import filelock

from videosync.errors import DataDirBusy

__all__ = ["FeatureRecord", "GroupRecord", "Store", "VideoRecord", "fsync_file", "open_store"]

logger = logging.getLogger("videosync.emulator")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_tenant ON groups (tenant);
CREATE TABLE IF NOT EXISTS videos (
    video_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    group_id TEXT NOT NULL,
    video_name TEXT,
    source TEXT,
    start_ms INTEGER,
    do_index INTEGER NOT NULL,
    thumbnails INTEGER NOT NULL,
    created_at REAL NOT NULL,
    ready_at REAL,
    size INTEGER,
    width INTEGER,
    height INTEGER,
    avg_fps REAL,
    duration REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS videos_by_tenant ON videos (tenant, created_at);
CREATE TABLE IF NOT EXISTS features (
    video_id TEXT NOT NULL,
    feature TEXT NOT NULL,
    requested_at REAL NOT NULL,
    attempt INTEGER NOT NULL,
    fails INTEGER NOT NULL,
    options TEXT NOT NULL,
    PRIMARY KEY (video_id, feature)
);
"""

_ADDED_COLUMNS = (("videos", "title", "TEXT"), ("videos", "description", "TEXT"))
"""Columns added after a data dir may have been made (v2's title and description)."""

INTERRUPTED = "download interrupted: the emulator was stopped before it finished"


@dataclass(frozen=True)
class VideoRecord:
    """One stored video as the emulator knows it (the API's Video is rendered from this)."""

    video_id: str
    tenant: str
    group_id: str
    video_name: str | None
    source: str | None
    start_ms: int | None
    do_index: bool
    thumbnails: bool
    created_at: float
    ready_at: float | None
    """When the file was complete and probed; None while a `video_url` is downloading."""
    size: int | None = None
    width: int | None = None
    height: int | None = None
    avg_fps: float | None = None
    duration: float | None = None
    error: str | None = None
    """Why the video cannot be indexed (not a decodable video, download failed), else None."""
    title: str | None = None
    """Set by v2's PATCH; None: the title is the name."""
    description: str | None = None
    """Set by a v2 upload or PATCH; None: v1's generated description."""


@dataclass(frozen=True)
class FeatureRecord:
    """The last request of one feature of one video (v2); its status follows from the time."""

    video_id: str
    feature: str
    requested_at: float
    attempt: int
    """1 for the first request, one more for each forced re-run."""
    fails: bool
    """Decided when requested (failure injection, an undecodable file): ends `failed`."""
    options: dict[str, Any]
    """The trigger's body beyond `force` (e.g. transcript's `chunking_config`)."""


@dataclass(frozen=True)
class GroupRecord:
    """One custom video group of a tenant."""

    group_id: str
    tenant: str
    name: str
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


_VIDEO_COLUMNS = tuple(f.name for f in fields(VideoRecord))


def _video(row: sqlite3.Row) -> VideoRecord:
    values = dict(row)
    values["do_index"] = bool(values["do_index"])
    values["thumbnails"] = bool(values["thumbnails"])
    return VideoRecord(**values)


def _stored_metadata(group_id: str, text: str) -> dict[str, Any]:
    """A group's stored metadata as it can be served, whatever an older emulator stored.

    NaN and Infinity (stored before issue 13; no JSON response can carry them) read as
    null, and a value that is not a JSON object as {}.
    """
    try:
        metadata = json.loads(text, parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        metadata = None
    if not isinstance(metadata, dict):
        logger.warning("group %s: its stored metadata is not a JSON object; served as {}", group_id)
        return {}
    return metadata


def _feature(row: sqlite3.Row) -> FeatureRecord:
    values = dict(row)
    values["fails"] = bool(values["fails"])
    values["options"] = json.loads(values["options"])
    return FeatureRecord(**values)


def _group(row: sqlite3.Row) -> GroupRecord:
    values = dict(row)
    values["metadata"] = _stored_metadata(values["group_id"], values["metadata"])
    return GroupRecord(**values)


def _metadata_json(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, allow_nan=False)  # what could not be served is never stored


_IDS_PER_QUERY = 500
"""Bound parameters per `IN (…)`: old SQLite builds allow 999 in all."""


def _split(db: sqlite3.Connection, tenant: str, ids: Sequence[str]) -> tuple[set[str], list[str]]:
    """Which of `ids` the tenant has, and which it has not (in request order)."""
    wanted = list(dict.fromkeys(ids))
    present: set[str] = set()
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        batch = wanted[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" for _ in batch)
        rows = db.execute(
            f"SELECT video_id FROM videos WHERE tenant = ? AND video_id IN ({marks})",
            (tenant, *batch),
        )
        present.update(row["video_id"] for row in rows)
    return present, [i for i in wanted if i not in present]


def fsync_file(path: Path) -> None:
    """Make the data of the file at `path` durable (open for writing: portable)."""
    with path.open("r+b") as file:
        os.fsync(file.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """Thread-safe access to one data dir (one connection, one lock: calls are short)."""

    def __init__(self, data_dir: Path, db: sqlite3.Connection, lock: filelock.FileLock) -> None:
        self.data_dir = data_dir
        self._dir_lock = lock
        self.videos_dir = data_dir / "videos"
        self.tmp_dir = data_dir / "tmp"
        self._db = db
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._dir_lock.release()

    # --- settings -------------------------------------------------------------------

    def secret(self) -> bytes:
        """The per-data-dir key that signs download URLs (made on first use, then kept)."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM settings WHERE name = 'url_secret'").fetchone()
            if row is not None:
                return bytes(row["value"])
            value = secrets.token_bytes(32)
            db.execute("INSERT INTO settings VALUES ('url_secret', ?)", (value,))
            return value

    # --- files ----------------------------------------------------------------------

    def temp_path(self) -> Path:
        """A fresh path under `tmp/` for an upload in flight."""
        return self.tmp_dir / f"{uuid.uuid4().hex}.part"

    def file_path(self, video_id: str) -> Path:
        return self.videos_dir / video_id

    def commit_file(self, temp: Path, video_id: str) -> Path:
        """Move a complete, fsynced temp file into place under `videos/`."""
        final = self.file_path(video_id)
        temp.replace(final)
        _fsync_dir(self.videos_dir)
        return final

    def add_file_videos(
        self, uploads: Sequence[tuple[Path, VideoRecord]]
    ) -> list[BaseException | None]:
        """Store uploaded files (each complete in `tmp/`) and their rows, durably, as one batch.

        Each file is fsynced and renamed into `videos/`, then `videos/` is fsynced once and
        the rows are inserted in one transaction (one WAL fsync): a batch costs the file
        system about as many journal commits as one upload. Returns, per upload, what kept
        it out (None: stored), e.g. a temp file removed meanwhile; raises if the batch
        failed as a whole (then none of it is stored). Blocking.
        """
        outcomes: list[BaseException | None] = []
        placed = []
        for temp, video in uploads:
            try:
                fsync_file(temp)
                temp.replace(self.file_path(video.video_id))
            except OSError as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
                placed.append(video)
        if placed:
            try:
                _fsync_dir(self.videos_dir)
                self._insert_videos(placed)
            except BaseException:
                for video in placed:
                    self.file_path(video.video_id).unlink(missing_ok=True)
                raise
        return outcomes

    # --- videos ---------------------------------------------------------------------

    def add_video(self, video: VideoRecord) -> None:
        self._insert_videos([video])

    def _insert_videos(self, videos: Sequence[VideoRecord]) -> None:
        marks = ", ".join("?" for _ in _VIDEO_COLUMNS)
        rows = [tuple(getattr(video, name) for name in _VIDEO_COLUMNS) for video in videos]
        with self._tx() as db:
            db.executemany(
                f"INSERT INTO videos ({', '.join(_VIDEO_COLUMNS)}) VALUES ({marks})", rows
            )

    def finish_video(self, video_id: str, **changes: Any) -> bool:
        """Record the outcome of a download (ready_at, size, probe or error); False if gone."""
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._tx() as db:
            cursor = db.execute(
                f"UPDATE videos SET {assignments} WHERE video_id = ?",
                (*changes.values(), video_id),
            )
            return cursor.rowcount == 1

    def videos(self, tenant: str, ids: Sequence[str] | None = None) -> list[VideoRecord]:
        """The tenant's videos, oldest first; with `ids`, only those found, in that order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM videos WHERE tenant = ? ORDER BY created_at, rowid", (tenant,)
            ).fetchall()
        found = [_video(row) for row in rows]
        if ids is None:
            return found
        by_id = {video.video_id: video for video in found}
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]

    def video(self, tenant: str, video_id: str) -> VideoRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM videos WHERE tenant = ? AND video_id = ?", (tenant, video_id)
            ).fetchone()
        return None if row is None else _video(row)

    def any_video(self, video_id: str) -> VideoRecord | None:
        """A video of any tenant: the signed download route has no key, only the signature."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM videos WHERE video_id = ?", (video_id,)
            ).fetchone()
        return None if row is None else _video(row)

    def delete_videos(self, tenant: str, ids: Sequence[str]) -> list[str]:
        """Delete those of `ids` the tenant has (row first, then file); return the missing ids."""
        with self._tx() as db:
            present, missing = _split(db, tenant, ids)
            if missing:
                return missing
            db.executemany("DELETE FROM videos WHERE video_id = ?", [(i,) for i in present])
            db.executemany("DELETE FROM features WHERE video_id = ?", [(i,) for i in present])
        for video_id in present:
            self.file_path(video_id).unlink(missing_ok=True)
        return []

    def move_videos(self, tenant: str, ids: Sequence[str], group_id: str) -> list[str]:
        """Move the tenant's `ids` to `group_id`; return the missing ids (nothing moved then)."""
        with self._tx() as db:
            present, missing = _split(db, tenant, ids)
            if not missing:
                db.executemany(
                    "UPDATE videos SET group_id = ? WHERE video_id = ?",
                    [(group_id, i) for i in present],
                )
            return missing

    def update_video(self, tenant: str, video_id: str, **changes: Any) -> VideoRecord | None:
        """Change some columns of one of the tenant's videos; the new record, or None if gone."""
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._tx() as db:
            if changes:
                db.execute(
                    f"UPDATE videos SET {assignments} WHERE tenant = ? AND video_id = ?",
                    (*changes.values(), tenant, video_id),
                )
            row = db.execute(
                "SELECT * FROM videos WHERE tenant = ? AND video_id = ?", (tenant, video_id)
            ).fetchone()
        return None if row is None else _video(row)

    # --- features (v2) --------------------------------------------------------------

    def features(
        self, video_ids: Sequence[str], *, tenant: str | None = None
    ) -> dict[str, list[FeatureRecord]]:
        """The feature requests of `video_ids`, by video id (videos without any left out).

        With `tenant`, `video_ids` are all of that tenant's videos: one query does.
        """
        found: dict[str, list[FeatureRecord]] = {}
        if tenant is not None:
            with self._lock:
                rows = self._db.execute(
                    "SELECT features.* FROM features JOIN videos USING (video_id) "
                    "WHERE videos.tenant = ?",
                    (tenant,),
                ).fetchall()
            for row in rows:
                record = _feature(row)
                found.setdefault(record.video_id, []).append(record)
            return found
        wanted = list(dict.fromkeys(video_ids))
        with self._lock:
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                batch = wanted[start : start + _IDS_PER_QUERY]
                marks = ", ".join("?" for _ in batch)
                rows = self._db.execute(
                    f"SELECT * FROM features WHERE video_id IN ({marks})", batch
                ).fetchall()
                for row in rows:
                    record = _feature(row)
                    found.setdefault(record.video_id, []).append(record)
        return found

    def put_feature(self, record: FeatureRecord) -> None:
        """Record a feature request (replacing the previous one of that video and feature)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO features VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.video_id,
                    record.feature,
                    record.requested_at,
                    record.attempt,
                    int(record.fails),
                    json.dumps(record.options, allow_nan=False),
                ),
            )

    # --- groups ---------------------------------------------------------------------

    def groups(self, tenant: str) -> list[GroupRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM groups WHERE tenant = ? ORDER BY created_at, rowid", (tenant,)
            ).fetchall()
        return [_group(row) for row in rows]

    def group(self, tenant: str, group_id: str) -> GroupRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM groups WHERE tenant = ? AND group_id = ?", (tenant, group_id)
            ).fetchone()
        return None if row is None else _group(row)

    def add_group(self, group: GroupRecord, limit: int) -> bool:
        """Insert `group` unless its tenant already has `limit` groups (then False)."""
        with self._tx() as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM groups WHERE tenant = ?", (group.tenant,)
            ).fetchone()
            if count >= limit:
                return False
            db.execute(
                "INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?)",
                (
                    group.group_id,
                    group.tenant,
                    group.name,
                    _metadata_json(group.metadata),
                    group.created_at,
                    group.updated_at,
                ),
            )
            return True

    def update_group(self, group: GroupRecord) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE groups SET name = ?, metadata = ?, updated_at = ? WHERE group_id = ?",
                (group.name, _metadata_json(group.metadata), group.updated_at, group.group_id),
            )

    def delete_group(self, tenant: str, group_id: str, *, ungroup_to: str | None = None) -> int:
        """Delete the group if it holds no video; return how many videos it holds (0: gone).

        With `ungroup_to`, its videos are first moved there (v2) and the group always goes.
        """
        with self._tx() as db:
            if ungroup_to is not None:
                db.execute(
                    "UPDATE videos SET group_id = ? WHERE tenant = ? AND group_id = ?",
                    (ungroup_to, tenant, group_id),
                )
            (count,) = db.execute(
                "SELECT COUNT(*) FROM videos WHERE tenant = ? AND group_id = ?", (tenant, group_id)
            ).fetchone()
            if count == 0:
                db.execute(
                    "DELETE FROM groups WHERE tenant = ? AND group_id = ?", (tenant, group_id)
                )
            return int(count)

    # --- recovery -------------------------------------------------------------------

    def recover(self) -> None:
        """Clean up after a kill: temp files, files without a row, downloads cut short."""
        for temp in self.tmp_dir.iterdir():
            temp.unlink(missing_ok=True)
        with self._lock:
            known = {row[0] for row in self._db.execute("SELECT video_id FROM videos")}
        for stored in self.videos_dir.iterdir():
            if stored.name not in known:
                stored.unlink(missing_ok=True)
        with self._tx() as db:
            db.execute(
                "UPDATE videos SET error = ?, ready_at = created_at "
                "WHERE ready_at IS NULL AND error IS NULL",
                (INTERRUPTED,),
            )


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a data dir made by an older emulator up to the current columns."""
    for table, column, kind in _ADDED_COLUMNS:
        present = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def open_store(data_dir: Path) -> Store:
    """Open (creating if needed) the data dir and clean up what a killed emulator left.

    One emulator per data dir: a second one would take the first's uploads in flight
    for debris. The lock is an flock, released by the kernel if its holder dies.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(data_dir / "emulator.lock", timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise DataDirBusy(data_dir) from exc
    (data_dir / "videos").mkdir(exist_ok=True)
    (data_dir / "tmp").mkdir(exist_ok=True)
    try:
        db = sqlite3.connect(
            data_dir / "emulator.sqlite3", isolation_level=None, check_same_thread=False
        )
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_SCHEMA)
        _add_missing_columns(db)
    except BaseException:
        lock.release()
        raise
    store = Store(data_dir, db, lock)
    store.recover()
    return store
