"""The lockfile, `videosync.lock`: what videosync uploaded, recorded beside the manifest.

It is read by people as much as by videosync: JSON with sorted keys, two-space indent and a
trailing newline, one block per key, so a `git diff` shows exactly what changed in the
catalog. It holds per manifest key the video_id, the attributes sent at upload, the file's
size and content hash; per managed group its group_id and attributes. Never the API key,
absolute paths or stat data (those live in the git-ignored `.videosync/`). Its values are
`videosync.model.Lockfile` and friends; this module reads and writes the file.

A lockfile that cannot be trusted (corrupt, truncated, from a newer videosync) is an error
that stops the run before any API call, and it is never overwritten.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from videosync.errors import LockError
from videosync.model import LOCKFILE_VERSION_V2, LockEntry, Lockfile, LockGroup
from videosync.ownership import url_identity
from videosync.schemas import schema_error
from videosync.workdir import write_atomic

__all__ = [
    "LOCKFILE_NAME",
    "dumps_lockfile",
    "load_lockfile",
    "lockfile_path",
    "parse_lockfile",
    "read_lockfile",
    "save_lockfile",
]

LOCKFILE_NAME = "videosync.lock"


def lockfile_path(manifest: Path) -> Path:
    """The lockfile that belongs to `manifest`: `videosync.lock` in the same folder."""
    return manifest.parent / LOCKFILE_NAME


def dumps_lockfile(lockfile: Lockfile) -> str:
    """The lockfile's text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(lockfile.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_RESTORE = "restore it from git (git checkout -- {name}) or move it aside to start over"


def parse_lockfile(text: str, where: str = LOCKFILE_NAME) -> Lockfile:
    """Read a lockfile's text; `LockError` (exit 3) says what is wrong and what to do."""
    name = Path(where).name
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(
            f"{where}:{exc.lineno}:{exc.colno}: the lockfile is corrupt or truncated "
            f"({exc.msg}); {_RESTORE.format(name=name)}"
        ) from None
    except RecursionError:
        # No lockfile videosync writes nests deeper than a few levels.
        raise LockError(
            f"{where}: the lockfile is corrupt (nested too deeply); {_RESTORE.format(name=name)}"
        ) from None
    except ValueError:
        # Python refuses integers of more than 4300 digits (int_max_str_digits).
        raise LockError(
            f"{where}: the lockfile is corrupt (a number too long); {_RESTORE.format(name=name)}"
        ) from None
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > LOCKFILE_VERSION_V2:
        raise LockError(
            f"{where}: lockfile version {version} was written by a newer videosync "
            f"(this one reads versions up to {LOCKFILE_VERSION_V2}); upgrade videosync"
        )
    error = schema_error("lockfile", data)
    if error is not None:
        raise LockError(f"{where}: the lockfile is not valid {error}; {_RESTORE.format(name=name)}")
    return Lockfile(
        videos=_without_queries(
            {key: LockEntry.from_json(v) for key, v in sorted(data["videos"].items())}
        ),
        groups={
            ref: LockGroup(group_id=g["group_id"], name=g["name"], metadata=g["metadata"])
            for ref, g in sorted(data["groups"].items())
        },
        api_version=data.get("api_version"),
    )


def read_lockfile(path: Path) -> tuple[Lockfile, bytes | None]:
    """The recorded state in `path` and the file's bytes (None, and an empty `Lockfile`,
    when there is no lockfile yet); `LockError` (exit 3) when it cannot be trusted."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        target = _link_target(path)
        if target is None:
            return Lockfile(), None
        # Never "no lockfile yet": that plan would upload every video again.
        raise LockError(
            f"{path}: the lockfile is a link to {target}, which does not exist; restore the "
            "file it points to, or move the link aside to start over"
        ) from exc
    except IsADirectoryError as exc:
        raise LockError(
            f"{path}: the lockfile is a folder, not a file; move it aside and restore the "
            f"lockfile from git (git checkout -- {path.name})"
        ) from exc
    except OSError as exc:
        raise LockError(
            f"{path}: cannot read the lockfile: {exc.strerror or exc}; make it readable by "
            f"this user, or {_RESTORE.format(name=path.name)}"
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LockError(
            f"{path}: the lockfile is not UTF-8 text; {_RESTORE.format(name=path.name)}"
        ) from None
    return parse_lockfile(text, str(path)), raw


def _link_target(path: Path) -> str | None:
    """What the symbolic link `path` points to; None when `path` is not one."""
    try:
        return str(path.readlink())
    except OSError:  # not a link, or gone
        return None


def load_lockfile(path: Path) -> Lockfile:
    """The recorded state in `path`; an empty `Lockfile` when there is none yet."""
    return read_lockfile(path)[0]


def save_lockfile(path: Path, lockfile: Lockfile) -> None:
    """Write the lockfile atomically.

    Refuses (`LockError`) to overwrite a lockfile that cannot be read: it may hold the only
    record of what was uploaded, and the person must decide what to do with it.
    """
    if path.exists() or path.is_symlink():
        load_lockfile(path)
    write_atomic(path, dumps_lockfile(lockfile).encode("utf-8"))


def _without_queries(videos: dict[str, LockEntry]) -> dict[str, LockEntry]:
    """Entries written before URL keys dropped their query string, keyed as they are now.

    A presigned URL's query string (its signature) is kept nowhere (`ownership.url_identity`);
    a lockfile from before that records it in the key and the source. Read as it would be
    written now, the entry stays unchanged in the next plan instead of being uploaded again.
    """
    out: dict[str, LockEntry] = {}
    for key, entry in videos.items():
        url = entry.spec.source.url
        if url is None or url_identity(url) == url:
            out.setdefault(key, entry)
            continue
        bare = url_identity(url)
        spec = replace(entry.spec, source=replace(entry.spec.source, url=bare))
        now = bare + key[len(url) :] if key.startswith(url) else key
        out.setdefault(now, replace(entry, spec=spec))
    return dict(sorted(out.items()))
