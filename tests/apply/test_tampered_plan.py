"""A saved plan is applied only as its manifest gives it: an edited plan file is refused.

Issue 13: editing a source path in a plan file (`plan --out`) to `../../../../etc/hostname`
and running `apply PLANFILE` uploaded that file (exit 0) and recorded a path outside the
project. The fingerprints cover what a plan was computed from, not its actions: `apply
PLANFILE` now computes the plan again and refuses a saved plan whose actions differ (exit
3), and every path in a plan is resolved inside the manifest's folder before any upload.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import videosync
from tests.apply.conftest import remote_videos, run
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.errors import PathOutsideProject
from videosync.planning.plan import Plan
from videosync.state.lockfile import lockfile_path

EDITED = "the plan file was edited or corrupted; run `videosync plan --out` again"


def _saved(capsys: pytest.CaptureFixture[str], catalog: Path, url: str, *extra: str) -> Path:
    saved = catalog.parent.parent / "plan.json"
    code, out, err = run(
        capsys, "-f", str(catalog), "--api-url", url, "plan", "--out", str(saved), *extra
    )
    assert code == 0, out + err
    return saved


def _edit(saved: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    data = json.loads(saved.read_text(encoding="utf-8"))
    change(data["actions"])
    saved.write_text(json.dumps(data), encoding="utf-8")


def _action(actions: list[dict[str, Any]], key: str) -> dict[str, Any]:
    [action] = [a for a in actions if a["key"] == key]
    return action


def _apply_saved(
    capsys: pytest.CaptureFixture[str], catalog: Path, url: str, saved: Path
) -> tuple[int, str, str]:
    return run(capsys, "-f", str(catalog), "--api-url", url, "apply", str(saved))


def test_an_edited_source_path_is_refused_before_any_upload(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = _saved(capsys, catalog, emulator.url)

    def outside(actions: list[dict[str, Any]]) -> None:
        _action(actions, "media/b.mp4")["spec"]["source"]["path"] = "../../../../etc/hostname"

    _edit(saved, outside)
    code, out, err = _apply_saved(capsys, catalog, emulator.url, saved)
    assert (code, out) == (3, "")
    assert err == (
        f"error: {saved}: its action 'create media/b.mp4' is not the one the manifest gives "
        f"(spec.source.path differs); {EDITED}\n"
    )
    assert remote_videos(emulator) == []
    assert not lockfile_path(catalog).exists()


def test_an_added_or_a_dropped_action_is_refused(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = _saved(capsys, catalog, emulator.url)
    original = saved.read_text(encoding="utf-8")

    def added(actions: list[dict[str, Any]]) -> None:
        extra = json.loads(json.dumps(_action(actions, "media/b.mp4")))
        extra["key"] = "secrets.txt"
        extra["spec"]["source"]["path"] = "secrets.txt"
        actions.append(extra)

    (catalog.parent / "secrets.txt").write_text("not a video\n")
    _edit(saved, added)
    code, _, err = _apply_saved(capsys, catalog, emulator.url, saved)
    assert (code, err) == (
        3,
        f"error: {saved}: its action 'create secrets.txt' is not one the manifest gives; "
        f"{EDITED}\n",
    )
    saved.write_text(original, encoding="utf-8")
    _edit(saved, lambda actions: actions.remove(_action(actions, "media/c.mp4")))
    code, _, err = _apply_saved(capsys, catalog, emulator.url, saved)
    assert (code, err) == (
        3,
        f"error: {saved}: the manifest gives the action 'create media/c.mp4', which it "
        f"lacks; {EDITED}\n",
    )
    assert remote_videos(emulator) == []


def test_a_delete_edited_to_name_another_video_is_refused(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "apply", "-y")
    assert code == 0, out + err
    with SyncVisionClient(emulator.url, API_KEY) as client:
        theirs = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="theirs", filename="theirs.mp4"
        ).video_id
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("  - path: media/b.mp4\n", ""), encoding="utf-8")
    saved = _saved(capsys, catalog, emulator.url)
    _edit(saved, lambda actions: _action(actions, "media/b.mp4").update(video_id=theirs))
    code, _, err = _apply_saved(capsys, catalog, emulator.url, saved)
    assert (code, err) == (
        3,
        f"error: {saved}: its action 'delete media/b.mp4' is not one the manifest gives; "
        f"{EDITED}\n",
    )
    assert theirs in {v.video_id for v in remote_videos(emulator)}


def test_a_file_swapped_for_a_link_out_while_apply_asks_is_not_uploaded(
    catalog: Path, emulator: RunningEmulator, tmp_path: Path
) -> None:
    b = catalog.parent / "media" / "b.mp4"
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"not for the server")

    def swap_then_say_yes(plan: Plan) -> bool:  # while the person reads the plan
        b.unlink()
        b.symlink_to(secret)
        return True

    with pytest.raises(PathOutsideProject) as info:
        videosync.apply(catalog, api_url=emulator.url, api_key=API_KEY, confirm=swap_then_say_yes)
    assert str(info.value) == (
        f"'media/b.mp4' leads outside the manifest's folder {catalog.parent} (to "
        f"'{secret}'): nothing was uploaded or recorded; make it a file inside the folder, "
        "then plan again"
    )
    assert info.value.exit_code == 3
    assert remote_videos(emulator) == []
    assert not lockfile_path(catalog).exists()


def test_a_saved_plan_carries_its_prune_and_allow_protected(
    catalog: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "-f", str(catalog), "--api-url", emulator.url, "apply", "-y")
    assert code == 0, out + err
    with SyncVisionClient(emulator.url, API_KEY) as client:
        stray = client.upload_file(
            catalog.parent / "media" / "b.mp4", name="stray", filename="stray.mp4"
        ).video_id
    (catalog.parent / "media" / "c.mp4").write_bytes(b"edited")  # c is protected: replaced
    saved = _saved(
        capsys,
        catalog,
        emulator.url,
        "--prune",
        "--prune-default",
        "--allow-protected",
        "--max-delete-percent",
        "100",
    )
    code, out, err = _apply_saved(capsys, catalog, emulator.url, saved)  # no flags repeated
    assert (code, err) == (0, ""), out
    assert f"- deleted {stray} ({stray[:8]}…)" in out
    assert "-/+ replaced media/c.mp4" in out
    assert stray not in {v.video_id for v in remote_videos(emulator)}
