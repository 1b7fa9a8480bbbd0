"""Re-record the client's vcrpy cassettes in cassettes/ (one per call and per error class).

Scenarios named `v2_*` speak API v2 (`v2_detect` asks the server which version it serves);
the others v1. Name scenarios to record only those (`... record_cassettes.py v2_features`).

    .venv/bin/python scripts/record_cassettes.py
        starts the emulator in-process (temporary data, a test key) and records every
        scenario of tests/client/scenarios.py, the injected-fault ones included.

    REKA_API_KEY=... .venv/bin/python scripts/record_cassettes.py \\
        --api-url https://vision-agent.api.reka.ai [--video-url URL]
        records against a real service with your key; the scenarios that need fault
        injection keep their emulator-recorded cassettes. Each scenario deletes what it
        created. Run only when you mean to: it uploads and deletes real videos.

`X-Api-Key` and `Authorization` are filtered out and file-upload bodies replaced by a
placeholder before anything is written; the script then checks every cassette for the key.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scenarios live with the tests they are replayed by

from testing.samplemedia import write_sample_video  # noqa: E402
from tests.client.scenarios import (  # noqa: E402
    CASSETTES,
    NEEDS_FAULTS,
    POLICY,
    RECORDING_KEYS,
    SCENARIOS,
    RecordingFailed,
    Stage,
    record,
    serve_files,
)
from videosync.api.sync import SyncVisionClient  # noqa: E402
from videosync.emulator import EmulatorConfig, start_emulator  # noqa: E402

SAMPLE_URL = "https://sample-videos.com/video321/mp4/720/big_buck_bunny_720p_1mb.mp4"
"""The example `video_url` of the API's OpenAPI description."""


def _check(paths: list[Path], keys: tuple[str, ...]) -> None:
    for path in paths:
        text = path.read_text()
        if any(key and key in text for key in keys):
            path.unlink()
            raise SystemExit(f"error: {path} contained the API key; deleted it. Do not commit.")


def _record_against_emulator(names: list[str], work: Path) -> list[Path]:
    media = write_sample_video(work / "media" / "sample.mp4", seed=7)
    key = RECORDING_KEYS[0]
    config = EmulatorConfig(data_dir=work / "data", api_keys=(key,), retry_after=1)
    with start_emulator(config) as emulator, serve_files(media.parent) as files:
        stage = Stage(
            client=lambda **version: SyncVisionClient(emulator.url, key, retry=POLICY, **version),
            stranger=lambda: SyncVisionClient(emulator.url, "not-a-key", retry=POLICY),
            media=media,
            video_url=f"{files}/{media.name}",
            set_faults=emulator.set_faults,
            settle=emulator.wait_for_downloads,
        )
        return record(stage, CASSETTES, names)


def _record_against(
    api_url: str, api_key: str, video_url: str, names: list[str], work: Path
) -> list[Path]:
    media = write_sample_video(work / "sample.mp4", seed=7)
    stage = Stage(
        client=lambda **version: SyncVisionClient(api_url, api_key, retry=POLICY, **version),
        stranger=lambda: SyncVisionClient(api_url, "videosync-invalid-key", retry=POLICY),
        media=media,
        video_url=video_url,
    )
    return record(stage, CASSETTES, [n for n in names if n not in NEEDS_FAULTS])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-url", help="record against this server (key from REKA_API_KEY)")
    parser.add_argument("--video-url", default=SAMPLE_URL, help="a video the server can fetch")
    parser.add_argument("only", nargs="*", help=f"scenarios to record: {', '.join(SCENARIOS)}")
    args = parser.parse_args()
    unknown = sorted(set(args.only) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}")
    names = list(args.only) or list(SCENARIOS)
    CASSETTES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            written, keys = _record(args.api_url, args.video_url, names, Path(tmp))
        except RecordingFailed as exc:
            raise SystemExit(f"error: {exc} (cassettes recorded before it were kept)") from None
    _check(written, keys)
    for path in written:
        print(f"recorded {path.relative_to(ROOT)}")


def _record(
    api_url: str | None, video_url: str, names: list[str], work: Path
) -> tuple[list[Path], tuple[str, ...]]:
    """Record; the cassettes written and the keys none of them may contain."""
    if not api_url:
        return _record_against_emulator(names, work), RECORDING_KEYS
    api_key = os.environ.get("REKA_API_KEY", "")
    if not api_key:
        raise SystemExit("error: --api-url needs the key in REKA_API_KEY")
    written = _record_against(api_url, api_key, video_url, names, work)
    return written, (*RECORDING_KEYS, api_key)


if __name__ == "__main__":
    main()
