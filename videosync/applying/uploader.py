"""Sending one entry's upload, and settling it by looking when its answer was lost.

The client does not send an upload again once its body may have reached the server
(`ConnectionFailed(ambiguous=True)`): a second copy could be made. The uploader looks
instead: one list call, and the single copy that has the entry's key as `metadata.source`
(with its name, group and start) and that nobody records, and was not on the server when the
run planned, is the upload; none → it is sent again; several → the action fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from videosync.api.protocol import CatalogApi
from videosync.api.uploadstream import Hasher
from videosync.applying.runrecord import RunRecord
from videosync.content.digest import new_hasher
from videosync.content.git import IdentitiesToRecord
from videosync.errors import ActionFailed, ApiError, ConnectionFailed
from videosync.model import RemoteVideo, VideoSpec, parse_start
from videosync.ownership import unrecorded_uploads

__all__ = ["Uploaded", "Uploader"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Uploaded:
    video_id: str
    size: int | None
    digest: str | None
    """Hex digest of the bytes sent, when known (file uploads)."""


class Uploader:
    """Uploads entries for one run; `preexisting` are the video_ids listed when it planned."""

    def __init__(
        self,
        client: CatalogApi,
        record: RunRecord,
        *,
        preexisting: set[str],
        progress: Callable[[str, int], None],
        rounds: int = 3,
    ) -> None:
        self.client = client
        self.record = record
        self._preexisting = preexisting
        self._progress = progress
        self._rounds = rounds

    async def upload(
        self,
        key: str,
        spec: VideoSpec,
        path: Path | None,
        intent: int,
        identities: IdentitiesToRecord = IdentitiesToRecord(),  # noqa: B008 (frozen)
    ) -> Uploaded:
        """Upload, settling lost answers by looking: (video_id, size, hex digest or None).

        `identities` are the git identities of the file's bytes to compute as it is sent,
        or the ones git already vouches for, added to the digest if the file is unchanged.
        """
        hashers: list[Hasher] = []
        sent = 0

        def hasher() -> Hasher:
            # The size makes the git blob id.
            made = new_hasher(size, git_oid=identities.git_oid, sha256=identities.sha256)
            hashers.append(made)
            return made

        def progress(n: int) -> None:
            nonlocal sent
            sent = n
            self._progress(key, n)

        size = path.stat().st_size if path is not None else None
        for _ in range(self._rounds):
            try:
                sent_now = await self._send(key, spec, path, progress, hasher)
                return replace(sent_now, digest=identities.complete(sent_now.digest, path))
            except ConnectionFailed as exc:
                if not exc.ambiguous:
                    await self.record.done(intent)  # it did not reach the server: nothing to find
                    raise
                landed = await self.find_landed(key, spec)
                log.info("%s: answer lost; %s", key, "found on the server" if landed else "resend")
                if landed is not None:
                    # The last attempt sent the whole file: its hasher saw exactly the bytes.
                    whole = path is not None and sent == size and hashers
                    digest = hashers[-1].hexdigest() if whole else None
                    return Uploaded(landed.video_id, size, identities.complete(digest, path))
            except ApiError:
                await self.record.done(intent)  # the server answered no: nothing was created
                raise
        raise ActionFailed(
            "the upload's answer was lost every time and no copy was found; "
            "the next run looks again"
        )

    async def _send(
        self,
        key: str,
        spec: VideoSpec,
        path: Path | None,
        progress: Callable[[int], None],
        hasher: Callable[[], Hasher],
    ) -> Uploaded:
        start = parse_start(spec.start) if spec.start is not None else None
        if path is None:
            result = await self.client.upload_url(
                spec.source.url or "",
                name=spec.name,
                index=spec.index,
                thumbnails=spec.thumbnails,
                start=start,
                group_id=spec.group_id,
                description=spec.description,
            )
            return Uploaded(result.video_id, None, None)
        result = await self.client.upload_file(
            path,
            name=spec.name,
            filename=key,
            index=spec.index,
            thumbnails=spec.thumbnails,
            start=start,
            group_id=spec.group_id,
            progress=progress,
            hasher=hasher,
            description=spec.description,
        )
        return Uploaded(result.video_id, result.size, result.digest)

    async def find_landed(self, key: str, spec: VideoSpec) -> RemoteVideo | None:
        """The single copy of this upload that reached the server despite a lost answer."""
        known = self._preexisting | {e.video_id for e in self.record.videos.values()}
        found = unrecorded_uploads(await self.client.list_videos(), key, spec, known)
        if len(found) > 1:
            raise ActionFailed(
                f"{len(found)} unrecorded copies of this entry are on the server; "
                "delete all but one, then run again"
            )
        return found[0] if found else None
