"""Every v2 call of the client against the real emulator over loopback.

The emulator serves v1 and v2 on one catalog, so a v1 client beside a v2 one shows that a
call changed the video it was meant to, and kept its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.client.conftest import request_lines
from tests.client.scenarios import serve_files
from tests.conftest import API_KEY
from videosync.api.protocol import UNCHANGED
from videosync.api.retry import RetryPolicy
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.errors import InvalidRequest, NotFound
from videosync.model import DEFAULT_GROUP

LIVE = RetryPolicy(attempts=3, deadline=30.0, initial=0.01, maximum=0.05, jitter=0.0)


@pytest.fixture
def v2(emulator: RunningEmulator) -> Iterator[SyncVisionClient]:
    with SyncVisionClient(emulator.url, API_KEY, api_version="v2", retry=LIVE) as client:
        yield client


@pytest.fixture
def v1(emulator: RunningEmulator) -> Iterator[SyncVisionClient]:
    with SyncVisionClient(emulator.url, API_KEY, retry=LIVE) as client:
        yield client


def test_v2_upload_list_and_get_round_trip(
    v2: SyncVisionClient,
    emulator: RunningEmulator,
    sample_videos: list[Path],
    client_log: pytest.LogCaptureFixture,
) -> None:
    group = v2.create_group("Launch", {"campaign": "spring"})
    seen: list[int] = []
    uploaded = v2.upload_file(
        sample_videos[0],
        name="Intro",
        filename="media/intro.mp4",
        group_id=group.group_id,
        description="The first minute",
        progress=seen.append,
        hasher=hashlib.sha256,
    )
    with serve_files(sample_videos[1].parent) as files:
        fetched = v2.upload_url(f"{files}/{sample_videos[1].name}", name=None)
        emulator.wait_for_downloads()

    assert uploaded.status == "uploaded"
    assert uploaded.size == sample_videos[0].stat().st_size == seen[-1]
    assert uploaded.digest == hashlib.sha256(sample_videos[0].read_bytes()).hexdigest()
    assert fetched.status == "uploading"
    listed = {v.video_id: v for v in v2.list_videos()}
    intro, other = listed[uploaded.video_id], listed[fetched.video_id]
    assert (intro.name, intro.title, intro.description) == ("Intro", "Intro", "The first minute")
    assert (intro.group_id, intro.source) == (group.group_id, "media/intro.mp4")
    assert intro.status == other.status == "uploaded"
    assert (intro.features, intro.indexing_status, intro.start_ms) == ({}, None, None)
    assert (other.name, other.group_id) == (sample_videos[1].name, DEFAULT_GROUP)
    assert other.source == f"{files}/{sample_videos[1].name}"
    got = v2.get_videos([fetched.video_id, uploaded.video_id], batch_size=1)
    assert [v.video_id for v in got] == [fetched.video_id, uploaded.video_id]
    assert request_lines(client_log, "POST", "/v2/videos")
    assert len(request_lines(client_log, "GET", "/v2/videos")) == 3  # one list, two batches


def test_v2_upload_without_description_gets_the_servers_and_v1_fields_are_refused(
    v2: SyncVisionClient, v1: SyncVisionClient, sample_video: Path
) -> None:
    uploaded = v2.upload_file(sample_video, name="Plain", filename="media/plain.mp4")
    (video,) = v2.get_videos([uploaded.video_id])
    assert video.description == "Uploaded video file: media/plain.mp4"

    with pytest.raises(ValueError, match="no start timestamp"):
        v2.upload_file(sample_video, name="x", filename="x.mp4", thumbnails=True)
    with pytest.raises(ValueError, match="no description"):
        v1.upload_file(sample_video, name="x", filename="x.mp4", description="words")


def test_a_failed_v2_upload_reads_as_failed(
    v2: SyncVisionClient, emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "noise.mp4").write_bytes(b"this is no video" * 100)
    with serve_files(tmp_path) as files:
        result = v2.upload_url(f"{files}/noise.mp4", name="Noise")
        emulator.wait_for_downloads()

    (video,) = v2.get_videos([result.video_id])
    assert (video.status, video.indexing_status) == ("failed", "failed")


def test_update_video_changes_only_what_is_given_and_keeps_the_id(
    v2: SyncVisionClient, v1: SyncVisionClient, sample_video: Path
) -> None:
    group = v2.create_group("Moved here")
    uploaded = v2.upload_file(sample_video, name="Before", filename="media/a.mp4")

    renamed = v2.update_video(uploaded.video_id, name="After")
    assert (renamed.video_id, renamed.name, renamed.title) == (uploaded.video_id, "After", "After")
    retitled = v2.update_video(uploaded.video_id, title="A title", description="Words")
    assert (retitled.name, retitled.title, retitled.description) == ("After", "A title", "Words")
    moved = v2.update_video(uploaded.video_id, group_id=group.group_id)
    assert (moved.group_id, moved.name, moved.title) == (group.group_id, "After", "A title")
    out = v2.update_video(uploaded.video_id, group_id=DEFAULT_GROUP, name="Last")
    assert (out.group_id, out.name, out.title) == (DEFAULT_GROUP, "Last", "A title")

    (seen_by_v1,) = v1.get_videos([uploaded.video_id])
    assert (seen_by_v1.name, seen_by_v1.group_id) == ("Last", DEFAULT_GROUP)
    with pytest.raises(ValueError, match="needs a field"):
        v2.update_video(uploaded.video_id, group_id=UNCHANGED)
    with pytest.raises(NotFound) as caught:
        v2.update_video(uploaded.video_id, group_id="no-such-group")
    assert str(caught.value) == (
        f"PATCH /v2/videos/{uploaded.video_id}: HTTP 404: "
        "Group 'no-such-group' not found (group_id)"
    )


def test_move_videos_keeps_ids_in_both_versions(
    v2: SyncVisionClient,
    v1: SyncVisionClient,
    sample_videos: list[Path],
    client_log: pytest.LogCaptureFixture,
) -> None:
    group = v2.create_group("Destination")
    ids = [
        v2.upload_file(path, name=path.stem, filename=f"media/{path.name}").video_id
        for path in sample_videos
    ]

    v2.move_videos(group.group_id, ids)
    assert {v.group_id for v in v2.get_videos(ids)} == {group.group_id}
    v2.move_videos(DEFAULT_GROUP, ids[:2])
    groups = [v.group_id for v in v2.get_videos(ids)]
    assert groups == [DEFAULT_GROUP, DEFAULT_GROUP, group.group_id]
    assert len(request_lines(client_log, "PATCH", f"/v2/videos/{ids[0]}")) == 1

    v1.move_videos(group.group_id, ids[:1])
    v1.move_videos(DEFAULT_GROUP, ids[2:])
    groups = [v.group_id for v in v1.get_videos(ids)]
    assert groups == [group.group_id, DEFAULT_GROUP, DEFAULT_GROUP]
    assert request_lines(client_log, "POST", "/videos/groups/default/videos")
    with pytest.raises(NotFound):
        v2.move_videos(DEFAULT_GROUP, ["00000000-0000-4000-8000-000000000000"])


def test_v2_delete_deletes_every_known_video_then_says_which_was_unknown(
    v2: SyncVisionClient, sample_videos: list[Path], client_log: pytest.LogCaptureFixture
) -> None:
    ids = [
        v2.upload_file(path, name=path.stem, filename=f"media/{path.name}").video_id
        for path in sample_videos
    ]
    unknown = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(NotFound) as caught:
        v2.delete_videos([ids[0], unknown, ids[1]])

    assert caught.value.call == f"DELETE /v2/videos/{unknown}"
    assert [v.video_id for v in v2.list_videos()] == [ids[2]]
    v2.delete_videos([ids[2]])
    assert v2.list_videos() == []
    assert len(request_lines(client_log, "DELETE", f"/v2/videos/{ids[0]}")) == 1


def test_v2_groups_round_trip_and_a_deleted_group_leaves_its_videos_ungrouped(
    v2: SyncVisionClient, sample_video: Path, client_log: pytest.LogCaptureFixture
) -> None:
    group = v2.create_group("Team", {"owner": "ops"})
    assert group.group_id in {g.group_id for g in v2.list_groups()}
    assert v2.get_group(group.group_id) == group
    changed = v2.update_group(group.group_id, name="Team B", metadata={"owner": "dev"})
    assert (changed.name, changed.metadata) == ("Team B", {"owner": "dev"})
    held = v2.upload_file(
        sample_video, name="Held", filename="media/held.mp4", group_id=group.group_id
    )

    v2.delete_group(group.group_id)

    assert [v.group_id for v in v2.get_videos([held.video_id])] == [DEFAULT_GROUP]
    with pytest.raises(NotFound) as caught:
        v2.get_group(group.group_id)
    assert str(caught.value) == (
        f"GET /v2/video-groups/{group.group_id}: HTTP 404: Video group not found (group_id)"
    )
    assert request_lines(client_log, "PATCH", f"/v2/video-groups/{group.group_id}")


def test_features_catalog_plan_and_triggers(
    v2: SyncVisionClient, emulator: RunningEmulator, sample_video: Path
) -> None:
    video_id = v2.upload_file(sample_video, name="F", filename="media/f.mp4").video_id

    assert v2.feature_catalog() == {
        "transcript": (),
        "captions": ("transcript",),
        "embeddings": ("transcript", "captions"),
        "objects": ("transcript",),
    }
    plan = v2.plan_features(video_id, ["embeddings"])
    assert (plan.actionable, plan.processing, plan.blocked, plan.done) == (
        ("transcript",),
        (),
        (),
        False,
    )
    assert plan.statuses == {"transcript": "none", "captions": "none", "embeddings": "none"}
    with pytest.raises(InvalidRequest) as caught:
        v2.trigger_feature(video_id, "captions")
    assert caught.value.status == 409
    assert "depends on 'transcript'" in caught.value.message

    assert v2.trigger_feature(video_id, "transcript") == "ready"
    assert v2.plan_features(video_id, ["embeddings"]).actionable == ("captions",)
    emulator.set_feature_failures(1.0, ("captions",))
    assert v2.trigger_feature(video_id, "captions") == "failed"
    failed = v2.plan_features(video_id, ["embeddings"])
    assert (failed.blocked, failed.done) == (("embeddings",), False)
    assert set(failed.errors) == {"captions", "embeddings"}
    assert v2.trigger_feature(video_id, "captions") == "failed"  # not run again without force
    emulator.set_feature_failures(0.0)
    assert v2.trigger_feature(video_id, "captions", force=True) == "ready"
    assert v2.trigger_feature(video_id, "embeddings") == "ready"
    assert v2.plan_features(video_id, ["embeddings"]).done
    (video,) = v2.get_videos([video_id])
    assert video.features == {"transcript": "ready", "captions": "ready", "embeddings": "ready"}


def test_v2_only_calls_are_refused_on_a_v1_client_before_any_request(
    v1: SyncVisionClient, client_log: pytest.LogCaptureFixture
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: v1.update_video("v", name="n"),
        v1.feature_catalog,
        lambda: v1.plan_features("v", ["transcript"]),
        lambda: v1.trigger_feature("v", "transcript"),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match="call of Vision API v2, and this client speaks v1"):
            call()
    assert not [r for r in client_log.records if r.name == "videosync.api.client"]
