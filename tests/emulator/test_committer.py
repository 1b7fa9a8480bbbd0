"""Uploaded files are probed and stored in batches, each upload answered once it is durable."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from videosync.emulator.committer import UploadCommitter
from videosync.emulator.store import Store, VideoRecord, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    yield opened
    opened.close()


def _count_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of each batch the committer hands to `store` (which stores it)."""
    sizes: list[int] = []
    real = store.add_file_videos

    def counted(uploads: Sequence[tuple[Path, VideoRecord]]) -> list[BaseException | None]:
        sizes.append(len(uploads))
        time.sleep(0.005)  # a slow disk: more uploads come while one batch is stored
        return real(uploads)

    monkeypatch.setattr(store, "add_file_videos", counted)
    return sizes


def _upload(store: Store, source: Path) -> tuple[Path, VideoRecord]:
    temp = store.temp_path()
    shutil.copyfile(source, temp)
    video = VideoRecord(
        video_id=str(uuid.uuid4()),
        tenant="t",
        group_id="default",
        video_name=source.name,
        source=source.name,
        start_ms=None,
        do_index=True,
        thumbnails=False,
        created_at=time.time(),
        ready_at=None,
    )
    return temp, video


async def _store_all(
    committer: UploadCommitter, uploads: list[tuple[Path, VideoRecord]], size: int = 1000
) -> list[VideoRecord | BaseException]:
    """Hand all `uploads` to the committer at once; what each got back."""
    return await asyncio.gather(
        *(committer.store(temp, video, size) for temp, video in uploads), return_exceptions=True
    )


def test_concurrent_uploads_are_stored_in_fewer_batches_each_probed(
    store: Store, sample_videos: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _count_batches(store, monkeypatch)
    committer = UploadCommitter(store)
    sources = [sample_videos[i % 3] for i in range(16)]
    uploads = [_upload(store, source) for source in sources]

    stored = asyncio.run(_store_all(committer, uploads))
    committer.close()

    assert [v.video_id for v in stored if isinstance(v, VideoRecord)] == [
        video.video_id for _, video in uploads
    ]
    assert {v.video_id for v in store.videos("t")} == {video.video_id for _, video in uploads}
    for (_, video), source in zip(uploads, sources, strict=True):
        assert store.file_path(video.video_id).read_bytes() == source.read_bytes()
    assert all(v.width == 160 and v.duration == 2.0 and v.error is None for v in store.videos("t"))
    assert sum(batches) == 16
    assert len(batches) < 16 / 2
    assert list(store.tmp_dir.iterdir()) == []


def test_an_upload_whose_file_is_gone_fails_alone(store: Store, sample_videos: list[Path]) -> None:
    committer = UploadCommitter(store)
    uploads = [_upload(store, sample_videos[0]) for _ in range(4)]
    uploads[2][0].unlink()  # e.g. its request was cancelled and cleaned up

    outcomes = asyncio.run(_store_all(committer, uploads, size=1))
    committer.close()

    assert [type(o).__name__ for o in outcomes] == [
        "VideoRecord",
        "VideoRecord",
        "FileNotFoundError",
        "VideoRecord",
    ]
    assert {v.video_id for v in store.videos("t")} == {
        video.video_id for i, (_, video) in enumerate(uploads) if i != 2
    }


def test_a_failed_batch_stores_none_of_its_uploads_and_the_next_batch_works(
    store: Store, sample_videos: list[Path]
) -> None:
    committer = UploadCommitter(store)
    uploads = [_upload(store, sample_videos[0]) for _ in range(3)]
    # A row with the same id as the second upload's makes its batch's insert fail.
    store.add_video(replace(uploads[1][1], video_name="already there"))

    outcomes = asyncio.run(_store_all(committer, uploads, size=1))

    assert type(outcomes[1]).__name__ == "IntegrityError"
    failed = [o for o in outcomes if not isinstance(o, VideoRecord)]
    assert len({id(o) for o in failed}) == len(failed)  # each request raises its own
    kept = {o.video_id for o in outcomes if isinstance(o, VideoRecord)}
    rows = {v.video_id for v in store.videos("t")}
    assert rows == kept | {uploads[1][1].video_id}
    assert {p.name for p in store.videos_dir.iterdir()} == kept  # no file without its row

    (after,) = asyncio.run(_store_all(committer, [_upload(store, sample_videos[1])]))
    committer.close()
    assert isinstance(after, VideoRecord)
    assert store.file_path(after.video_id).is_file()


def test_a_file_that_is_no_video_is_stored_failed(store: Store, tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    committer = UploadCommitter(store)

    (stored,) = asyncio.run(_store_all(committer, [_upload(store, fake)]))
    committer.close()

    assert isinstance(stored, VideoRecord)
    assert stored.error is not None
    assert stored.error.startswith("not a decodable video")
    assert store.videos("t") == [stored]


def test_after_close_no_upload_is_taken(store: Store, sample_videos: list[Path]) -> None:
    committer = UploadCommitter(store)
    committer.close()
    (outcome,) = asyncio.run(_store_all(committer, [_upload(store, sample_videos[0])]))
    assert isinstance(outcome, RuntimeError)
    assert store.videos("t") == []
