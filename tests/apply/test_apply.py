"""`videosync apply` end to end over the emulator: every kind of change, and its order."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.apply.conftest import assert_converged, remote_videos, run
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator
from videosync.state.lockfile import load_lockfile, lockfile_path
from videosync.workdir import journal_path


class RequestLog(list[str]):
    """The emulator's request log as `METHOD PATH STATUS` lines, in the order served."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        super().__init__()
        self._caplog = caplog

    def refresh(self) -> RequestLog:
        self[:] = [
            " ".join(r.getMessage().split()[:3])
            for r in self._caplog.records
            if r.name == "videosync.emulator"
        ]
        return self


@pytest.fixture
def requests_seen(caplog: pytest.LogCaptureFixture) -> RequestLog:
    caplog.set_level(logging.INFO, logger="videosync.emulator")
    return RequestLog(caplog)


def _apply(capsys: pytest.CaptureFixture[str], catalog: Path, url: str, *extra: str) -> str:
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", url, "apply", "--yes", *extra)
    assert (code, err) == (0, ""), out + err
    return out


def _plan_is_empty(capsys: pytest.CaptureFixture[str], catalog: Path, url: str) -> None:
    code, out, _ = run(capsys, "-f", str(catalog), "--api-url", url, "plan", "--detailed-exitcode")
    assert (code, out) == (0, "No changes. The catalog matches the manifest.\n")


def test_apply_then_plan_is_empty(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _apply(capsys, catalog, emulator.url)
    assert "+ create media/intro.mp4" in out  # the plan is shown
    lines = [line for line in out.splitlines() if line.startswith("+ created ")]
    assert sorted(line.split(" → ")[0] for line in lines) == [
        "+ created group marketing",
        "+ created media/b.mp4",
        "+ created media/c.mp4",
        "+ created media/intro.mp4",
    ]
    assert out.splitlines()[-1] == (
        "Apply complete: 3 created, 0 replaced, 0 deleted, 0 adopted; "
        "groups: 1 created, 0 updated, 0 deleted."
    )
    lockfile = assert_converged(catalog, emulator)
    assert lockfile.videos["media/intro.mp4"].spec.group_id == lockfile.groups["marketing"].group_id
    assert not journal_path(catalog.parent).exists()
    assert (catalog.parent / ".videosync" / ".gitignore").read_text().endswith("\n*\n")
    _plan_is_empty(capsys, catalog, emulator.url)
    assert _apply(capsys, catalog, emulator.url) == (
        "No changes. The catalog matches the manifest.\n"
    )


def test_changed_file_is_replaced_new_copy_uploaded_before_old_deleted(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    more_videos: list[Path],
    requests_seen: RequestLog,
) -> None:
    _apply(capsys, catalog, emulator.url)
    old = load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id
    shutil.copyfile(more_videos[0], catalog.parent / "media" / "b.mp4")
    requests_seen.refresh()
    before = len(requests_seen)
    out = _apply(capsys, catalog, emulator.url)
    assert "-/+ replace media/b.mp4" in out
    assert "-/+ replaced media/b.mp4 → " in out
    assert f"- deleted media/b.mp4 (old copy {old[:8]}…)" in out
    assert "Apply complete: 0 created, 1 replaced, 0 deleted, 0 adopted;" in out  # as planned
    calls = [c for c in requests_seen.refresh()[before:] if "/videos/upload" in c or "delete" in c]
    assert calls == ["POST /videos/upload 200", "DELETE /videos/delete 200"]
    lockfile = assert_converged(catalog, emulator)
    assert lockfile.videos["media/b.mp4"].video_id != old
    _plan_is_empty(capsys, catalog, emulator.url)


def test_removed_entry_is_deleted(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(capsys, catalog, emulator.url)
    gone = load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id
    text = catalog.read_text(encoding="utf-8").replace("  - path: media/b.mp4\n", "")
    catalog.write_text(text, encoding="utf-8")
    out = _apply(capsys, catalog, emulator.url)
    assert f"- deleted media/b.mp4 ({gone[:8]}…)" in out
    assert gone not in {v.video_id for v in remote_videos(emulator)}
    assert_converged(catalog, emulator)


def test_video_deleted_out_of_band_is_recreated(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(capsys, catalog, emulator.url)
    gone = load_lockfile(lockfile_path(catalog)).videos["media/c.mp4"].video_id
    with SyncVisionClient(emulator.url, API_KEY) as client:
        client.delete_videos([gone])
    out = _apply(capsys, catalog, emulator.url)
    assert "+ created media/c.mp4 → " in out
    assert_converged(catalog, emulator)


def test_failed_video_is_replaced(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    (catalog.parent / "media" / "b.mp4").write_bytes(b"not a video at all" * 100)
    _apply(capsys, catalog, emulator.url)
    failed = load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id
    statuses = {v.video_id: v.indexing_status for v in remote_videos(emulator)}
    assert statuses[failed] == "failed"
    _, out, _ = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "plan", "--json")
    actions = {a["key"]: a for a in json.loads(out)["actions"]}
    assert (actions["media/b.mp4"]["action"], actions["media/b.mp4"]["cause"]) == (
        "replace",
        "failed",
    )
    out = _apply(capsys, catalog, emulator.url)
    assert "-/+ replaced media/b.mp4 → " in out
    assert failed not in {v.video_id for v in remote_videos(emulator)}
    assert_converged(catalog, emulator)


GROUPS = """\
version: 1
groups:
  clips:
    name: Clips
    metadata: {season: one}
videos:
  - path: media/intro.mp4
    group: clips
  - path: media/b.mp4
"""


def test_groups_created_updated_and_deleted_in_order(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    requests_seen: RequestLog,
) -> None:
    catalog.write_text(GROUPS, encoding="utf-8")
    _apply(capsys, catalog, emulator.url)
    calls = [c for c in requests_seen.refresh() if c.startswith("POST")]
    assert calls.index("POST /videos/groups 200") < calls.index("POST /videos/upload 200")

    catalog.write_text(GROUPS.replace("season: one", "season: two"), encoding="utf-8")
    out = _apply(capsys, catalog, emulator.url)
    assert "~ updated group clips" in out
    with SyncVisionClient(emulator.url, API_KEY) as client:
        assert [g.metadata for g in client.list_groups()] == [
            {"season": "two", "videosync": "clips"}
        ]

    before = len(requests_seen.refresh())
    catalog.write_text("version: 1\nvideos:\n  - path: media/b.mp4\n", encoding="utf-8")
    out = _apply(capsys, catalog, emulator.url)
    assert "- deleted media/intro.mp4" in out
    assert "- deleted group clips" in out
    calls = [c for c in requests_seen.refresh()[before:] if c.startswith("DELETE")]
    assert calls[0] == "DELETE /videos/delete 200"
    assert calls[-1].startswith("DELETE /videos/groups/") and calls[-1].endswith(" 200")
    with SyncVisionClient(emulator.url, API_KEY) as client:
        assert client.list_groups() == []
    assert_converged(catalog, emulator)
    assert load_lockfile(lockfile_path(catalog)).groups == {}


FAULTY = """\
version: 1
groups:
  one: {{name: One, metadata: {{round: {round}}}}}
  two: {{name: Two}}
{extra}videos:
  - glob: media/a/*.mp4
    group: one
  - glob: media/b/*.mp4
    group: two
"""


def test_faults_at_20_percent_converge_in_one_run_without_duplicates(
    tmp_path: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    more_videos: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    folder = tmp_path / "faulty"
    for half, videos in (("a", more_videos[:4]), ("b", more_videos[4:])):
        (folder / "media" / half).mkdir(parents=True)
        for video in videos:
            shutil.copyfile(video, folder / "media" / half / video.name)
    manifest = folder / "videosync.yaml"
    for seed in (1, 2, 3):
        if seed > 1:  # work of every kind: replace two, delete one, update and delete groups
            a, b = folder / "media" / "a", folder / "media" / "b"
            shutil.copyfile(more_videos[seed], a / more_videos[1].name)
            shutil.copyfile(more_videos[seed + 1], b / more_videos[5].name)
            (b / more_videos[seed + 4].name).unlink()
        extra = "  three: {name: Three}\n" if seed < 3 else ""
        manifest.write_text(FAULTY.format(round=seed, extra=extra), encoding="utf-8")
        emulator.set_faults(fault_rate=0.2, seed=seed)
        code, out, err = run(
            capsys,
            "-f",
            str(manifest),
            "--api-url",
            emulator.url,
            "apply",
            "--yes",
            "--parallelism",
            "4",
        )
        emulator.set_faults(fault_rate=0.0)
        assert code == 0, out + err
        assert_converged(manifest, emulator)
        with SyncVisionClient(emulator.url, API_KEY) as client:
            groups = sorted((g.name, g.metadata) for g in client.list_groups())
        # each once, marked as videosync's by its ref (ownership.GROUP_MARKER)
        expected: list[tuple[str, dict[str, object]]] = [
            ("One", {"round": seed, "videosync": "one"}),
            ("Two", {"videosync": "two"}),
        ]
        three: list[tuple[str, dict[str, object]]] = (
            [("Three", {"videosync": "three"})] if seed < 3 else []
        )
        assert groups == sorted(expected + three)
    _plan_is_empty(capsys, manifest, emulator.url)


def test_without_terminal_or_yes_apply_refuses_before_any_call(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "apply")
    assert (code, out) == (3, "")
    assert err == (
        "error: apply needs confirmation and there is no terminal to ask: review "
        "`videosync plan`, then run `videosync apply --yes` (or apply a saved PLANFILE)\n"
    )
    assert remote_videos(emulator) == []


def test_saved_plan_is_applied_exactly_or_refused_as_stale(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    args = ("-f", str(catalog), "--api-url", emulator.url)
    assert run(capsys, *args, "plan", "--out", str(saved))[0] == 0
    original = catalog.read_text(encoding="utf-8")
    catalog.write_text(original.replace("name: Intro", "name: Intro 2"), encoding="utf-8")
    code, _, err = run(capsys, *args, "apply", str(saved))
    assert (code, err) == (
        1,
        "error: the saved plan is stale: the manifest has changed since it was made; "
        "run `videosync plan --out` again and review the new plan\n",
    )
    catalog.write_text(original, encoding="utf-8")
    assert run(capsys, *args, "plan", "--out", str(saved))[0] == 0
    (catalog.parent / "media" / "c.mp4").write_bytes(b"edited after the plan was saved")
    code, _, err = run(capsys, *args, "apply", str(saved))
    assert code == 1
    assert err == (
        "error: the saved plan is stale: the local files have changed since it was made; "
        "run `videosync plan --out` again and review the new plan\n"
    )
    assert remote_videos(emulator) == []
    assert run(capsys, *args, "plan", "--out", str(saved))[0] == 0
    code, _, err = run(capsys, *args, "apply", str(saved))
    assert (code, err) == (0, "")
    assert_converged(catalog, emulator)


def test_wait_reports_indexed_videos_and_fails_naming_a_failed_one(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "-f",
        str(catalog),
        "--api-url",
        emulator.url,
        "apply",
        "--yes",
        "--wait",
        "--timeout",
        "20",
    )
    assert (code, err) == (0, "waiting for 3 video(s) to be indexed…\n")
    assert out.splitlines()[-1] == "all 3 uploaded videos are indexed"
    (catalog.parent / "media" / "b.mp4").write_bytes(b"garbage" * 50)
    code, out, err = run(
        capsys, "-f", str(catalog), "--api-url", emulator.url, "apply", "--yes", "--wait"
    )
    new = load_lockfile(lockfile_path(catalog)).videos["media/b.mp4"].video_id
    assert code == 1
    assert err == (
        f"waiting for 1 video(s) to be indexed…\nindexing failed for 1: media/b.mp4 ({new})\n"
    )


def test_url_entry_is_uploaded_by_url_and_then_unchanged(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    with SyncVisionClient(emulator.url, API_KEY) as client:
        source = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="source", filename="elsewhere.mp4"
        ).video_id
    answer = httpx.post(
        f"{emulator.url}/videos/get", json={"video_ids": [source]}, headers={"X-Api-Key": API_KEY}
    )
    signed = answer.json()["results"][0]["url"]
    catalog.write_text(f"version: 1\nvideos:\n  - url: '{signed}'\n    name: Remote clip\n")
    out = _apply(capsys, catalog, emulator.url)
    assert "+ created http://127.0.0.1:" in out
    emulator.wait_for_downloads()
    # Keyed and recorded without its query string (its signature): docs/manifest.md.
    key = signed.split("?")[0] + "?…"
    recorded = load_lockfile(lockfile_path(catalog)).videos[key]
    assert (recorded.spec.source.url, recorded.size, recorded.hash) == (key, None, None)
    code, out, _ = run(
        capsys, "-f", str(catalog), "--api-url", emulator.url, "plan", "--detailed-exitcode"
    )
    assert (code, out.splitlines()[0]) == (0, "No changes. The catalog matches the manifest.")
    assert out.splitlines()[1].startswith("1 remote video not managed by videosync left alone")


def test_guards_refuse_the_whole_plan_before_any_change(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    more_videos: list[Path],
) -> None:
    _apply(capsys, catalog, emulator.url)
    before = load_lockfile(lockfile_path(catalog))
    shutil.copyfile(more_videos[0], catalog.parent / "media" / "c.mp4")  # c is protected
    shutil.copyfile(more_videos[1], catalog.parent / "media" / "b.mp4")
    args = ("-f", str(catalog), "--api-url", emulator.url, "apply", "--yes")
    code, _, err = run(capsys, *args)
    assert code == 5  # refused by a safety rail
    assert err.startswith("error: the plan cannot be applied: 1 protected entry would be replaced")
    code, _, err = run(capsys, *args, "--allow-protected", "--max-delete", "1")
    assert code == 5
    assert "more than --max-delete 1 allows" in err
    assert load_lockfile(lockfile_path(catalog)) == before  # nothing was changed
    # 2 of 3 replaced is the percent rail's too (tests/rails): not what this test is about
    out = _apply(capsys, catalog, emulator.url, "--allow-protected", "--max-delete-percent", "100")
    assert "-/+ replaced media/c.mp4" in out
    assert_converged(catalog, emulator)


def test_prune_deletes_unmanaged_videos_in_the_groups_in_use(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(capsys, catalog, emulator.url)
    with SyncVisionClient(emulator.url, API_KEY) as client:
        stray = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="stray", filename="stray.mp4"
        ).video_id
    _apply(capsys, catalog, emulator.url)  # without --prune it is left alone
    assert stray in {v.video_id for v in remote_videos(emulator)}
    out = _apply(capsys, catalog, emulator.url, "--prune", "--prune-default")  # stray is in default
    assert f"- deleted {stray} ({stray[:8]}…)" in out
    assert_converged(catalog, emulator)


def test_a_failing_action_does_not_stop_the_others_and_the_next_run_does_what_is_left(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sizes = {p.name: p.stat().st_size for p in (catalog.parent / "media").iterdir()}
    limit = sorted(sizes.values())[0]  # only the smallest file is accepted (413 for the rest)
    config = EmulatorConfig(
        data_dir=tmp_path / "data", api_keys=(API_KEY,), retry_after=0, max_upload_bytes=limit
    )
    args = ("-f", str(catalog), "apply", "--yes")
    with start_emulator(config) as emulator:
        code, out, err = run(capsys, "--api-url", emulator.url, *args)
    assert code == 6  # partial failure: the rest was done and recorded
    small = min(sizes, key=lambda name: sizes[name])
    assert f"+ created media/{small} → " in out
    failed = sorted(line.split(":")[0] for line in err.splitlines() if line.startswith("! "))
    assert failed == sorted(f"! failed media/{n}" for n in sizes if n != small)
    assert "HTTP 413" in err
    assert err.splitlines()[-1].startswith(
        f"Apply failed: {len(failed)} action(s) failed (1 created, 0 replaced"
    )
    assert set(load_lockfile(lockfile_path(catalog)).videos) == {f"media/{small}"}

    with start_emulator(replace(config, max_upload_bytes=10**9)) as emulator:
        code, out, err = run(capsys, "--api-url", emulator.url, *args)
        assert (code, err) == (0, "")
        created = sorted(
            line.split(" → ")[0] for line in out.splitlines() if "created media" in line
        )
        assert created == sorted(f"+ created media/{n}" for n in sizes if n != small)
        assert_converged(catalog, emulator)


def test_a_moved_file_and_a_protect_change_only_rewrite_the_lockfile(
    catalog: Path,
    emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
    requests_seen: RequestLog,
) -> None:
    catalog.write_text(
        "version: 1\nvideos:\n  - path: media/b.mp4\n    name: Bee\n"
        "  - path: media/c.mp4\n    protect: true\n",
        encoding="utf-8",
    )
    _apply(capsys, catalog, emulator.url)
    before = load_lockfile(lockfile_path(catalog))
    (catalog.parent / "media" / "b.mp4").rename(catalog.parent / "media" / "bee.mp4")
    catalog.write_text(
        "version: 1\nvideos:\n  - path: media/bee.mp4\n    name: Bee\n"
        "  - path: media/c.mp4\n    protect: false\n",
        encoding="utf-8",
    )
    calls = len(requests_seen.refresh())
    out = _apply(capsys, catalog, emulator.url)
    bee, c = before.videos["media/b.mp4"].video_id, before.videos["media/c.mp4"].video_id
    assert f"> moved media/bee.mp4 ({bee[:8]}…)" in out
    assert f"~ updated media/c.mp4 ({c[:8]}…)" in out
    assert out.splitlines()[-1].startswith(
        "Apply complete: 0 created, 0 replaced, 0 deleted, 0 adopted, 1 moved, 1 updated;"
    )
    writes = [
        c
        for c in requests_seen.refresh()[calls:]
        if not c.startswith(("POST /videos/get", "GET /videos/groups"))
    ]
    assert writes == []  # nothing was sent but the listing
    after = load_lockfile(lockfile_path(catalog))
    assert set(after.videos) == {"media/bee.mp4", "media/c.mp4"}
    assert after.videos["media/bee.mp4"].video_id == bee
    assert after.videos["media/bee.mp4"].spec.source.path == "media/bee.mp4"
    assert after.videos["media/c.mp4"].protect is False
    assert {v.video_id for v in remote_videos(emulator)} == {bee, c}
    _plan_is_empty(capsys, catalog, emulator.url)
