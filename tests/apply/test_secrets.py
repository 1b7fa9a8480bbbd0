"""Secrets never leave videosync: not the API key (however malformed), not the query string
of a URL entry (a presigned URL's signature), at any verbosity, in any file it writes.

Each test runs the real command line in its own process, as a user or CI does, so the
logging set up by the command line, the tracebacks of `-v` and httpcore's `-vv` lines are
all there to be scanned.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.apply.conftest import child_env, command, run
from tests.conftest import API_KEY
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.state.lockfile import load_lockfile, lockfile_path

VERBOSITIES = (("-q",), (), ("-v",), ("-vv",))
"""Every level of output: errors only, the default, with tracebacks, with debug lines."""

FORMATS = ((), ("--format", "markdown"), ("--json",))
"""Every format of a plan: text, a pull-request comment, JSON."""

CORE = "vs-secret-8f3k2Q"
"""The part of each test key that must never be seen, in whatever form it is escaped."""


class EchoServer(ThreadingHTTPServer):
    """A careless server on loopback: it echoes the key it gets, in headers and in errors."""

    requests: list[str]


class _Echo(BaseHTTPRequestHandler):
    server: EchoServer

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append(f"{self.command} {self.path}")
        key = self.headers.get("X-Api-Key", "")
        body: dict[str, object] = {"results": []}
        status = 200
        if self.path != "/videos/get":
            status, body = 401, {"detail": f"the key {key} is not valid here"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Api-Key", key)
        self.send_header("Authorization", f"Bearer {key}")
        self.send_header("X-Seen-Key", key)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[tuple[str, EchoServer]]:
    server = EchoServer(("127.0.0.1", 0), _Echo)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def url_manifest(tmp_path: Path) -> Path:
    manifest = tmp_path / "catalog" / "videosync.yaml"
    manifest.parent.mkdir()
    manifest.write_text(
        "version: 1\nvideos:\n  - url: https://cdn.example.com/clip.mp4\n    name: Clip\n"
    )
    return manifest


def _videosync(manifest: Path, url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**child_env(), "REKA_API_KEY": key}
    return subprocess.run(
        command(manifest, url, *args), capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (f"{CORE}\r", "contains a control character (a carriage return)"),
        (f"{CORE}\n", "contains a control character (a line break)"),
        (f"{CORE}\t", "contains a control character (a tab)"),
        (f"\x1b{CORE}", "contains a control character:"),
        (f" {CORE} ", "begins or ends with a space"),
        (f"{CORE} 2", "contains a space"),
        (f"{CORE}é", "contains a character that is not ASCII"),
        (f"\u200b{CORE}", "contains a character that is not ASCII"),
    ],
    ids=[
        "cr",
        "lf",
        "tab",
        "escape",
        "surrounding-spaces",
        "inner-space",
        "accent",
        "zero-width-space",
    ],
)
def test_a_malformed_key_is_refused_before_any_request_and_never_shown(
    url_manifest: Path, echo_server: tuple[str, EchoServer], key: str, problem: str
) -> None:
    url, server = echo_server
    for verbosity in VERBOSITIES:
        done = _videosync(url_manifest, url, key, *verbosity, "plan")
        assert done.returncode == 3, (verbosity, done.stderr)
        for text in (done.stdout, done.stderr):
            assert CORE not in text, verbosity
        last = done.stderr.splitlines()[-1]
        assert last.startswith(f"error: REKA_API_KEY {problem}"), (verbosity, last)
        assert last.endswith(": set it without one"), (verbosity, last)
        if verbosity in ((), ("-q",)):
            assert done.stderr == last + "\n"  # one line, no traceback
    assert server.requests == []


@pytest.mark.slow
def test_a_server_echoing_the_key_gets_it_printed_at_no_verbosity(
    url_manifest: Path, echo_server: tuple[str, EchoServer]
) -> None:
    url, server = echo_server
    seen: list[str] = []
    for verbosity in VERBOSITIES:
        done = _videosync(url_manifest, url, CORE, *verbosity, "plan")
        assert done.returncode == 1, (verbosity, done.stderr)
        assert "HTTP 401: the key <api key> is not valid here" in done.stderr
        seen += [done.stdout, done.stderr]
    assert "Traceback" in seen[-3]  # -v did print the traceback
    assert "receive_response_headers" in seen[-1]  # -vv did print httpcore's response lines
    assert "GET /videos/groups" in server.requests  # the key did reach the server
    for text in seen:
        assert CORE not in text


def _signed_url(emulator: RunningEmulator, video_id: str) -> str:
    """A fresh download URL of `video_id`, signed by the emulator (`?expires=…&signature=…`)."""
    answer = httpx.post(
        f"{emulator.url}/videos/get", json={"video_ids": [video_id]}, headers={"X-Api-Key": API_KEY}
    )
    url: str = answer.json()["results"][0]["url"]
    assert "signature=" in url
    return url


def _stored(emulator: RunningEmulator) -> list[tuple[str, str, str]]:
    """(video_id, metadata.source, status) of each video, as the server stores them."""
    answer = httpx.post(f"{emulator.url}/videos/get", json={}, headers={"X-Api-Key": API_KEY})
    return [
        (v["video_id"], v["metadata"]["source"], v["indexing_status"])
        for v in answer.json()["results"]
    ]


def _written(folder: Path) -> dict[str, str]:
    """Every file videosync wrote in `folder` (lockfile, plan files, .videosync/) by path,
    as text: each but the manifest."""
    files = [f for f in folder.rglob("*") if f.is_file() and f.name != "videosync.yaml"]
    return {f.relative_to(folder).as_posix(): f.read_text("utf-8", "replace") for f in files}


@pytest.mark.slow
def test_a_presigned_url_is_sent_whole_and_its_query_string_is_in_no_output_or_file(
    tmp_path: Path, emulator: RunningEmulator, sample_video: Path
) -> None:
    with SyncVisionClient(emulator.url, API_KEY) as client:
        source = client.upload_file(sample_video, name="source", filename="elsewhere.mp4")
    signed = _signed_url(emulator, source.video_id)
    base, query = signed.split("?")
    key = f"{base}?…"
    folder = tmp_path / "catalog"
    folder.mkdir()
    manifest = folder / "videosync.yaml"
    manifest.write_text(f"version: 1\nvideos:\n  - url: '{signed}'\n    name: Remote clip\n")

    def videosync(*args: str) -> subprocess.CompletedProcess[str]:
        done = _videosync(manifest, emulator.url, API_KEY, *args)
        seen.extend([done.stdout, done.stderr])
        return done

    seen: list[str] = []
    for verbosity in VERBOSITIES:
        assert f"+ create {key}\n" in videosync(*verbosity, "plan").stdout
    assert f"| `{key}` |" in videosync("plan", "--format", "markdown").stdout
    assert json.loads(videosync("plan", "--json").stdout)["actions"][0]["key"] == key
    assert videosync("-vv", "plan", "--out", str(folder / "plan.json")).returncode == 0
    done = videosync("-vv", "apply", "--yes")
    assert done.returncode == 0, done.stderr
    assert f"+ created {key}" in done.stdout
    assert "DEBUG" in done.stderr
    emulator.wait_for_downloads()

    # The server was sent the whole URL: it stored it, and the signature let it download.
    video_id = load_lockfile(lockfile_path(manifest)).videos[key].video_id
    assert (video_id, signed, "indexed") in _stored(emulator)

    # Signed again (a later expiry, a new signature): the same entry, nothing to do.
    time.sleep(1.1)
    again = _signed_url(emulator, source.video_id)
    assert again != signed and again.split("?")[0] == base
    manifest.write_text(f"version: 1\nvideos:\n  - url: '{again}'\n    name: Remote clip\n")
    for verbosity in VERBOSITIES:
        done = videosync(*verbosity, "plan", "--detailed-exitcode")
        assert done.returncode == 0, done.stdout + done.stderr
    done = videosync("-v", "status")
    assert done.returncode == 0, done.stderr

    # The lockfile lost: the server's copy is recognised by its source, query string aside.
    lockfile_path(manifest).unlink()
    assert f"~ adopt {key}" in videosync("plan").stdout
    done = videosync("-vv", "apply", "--yes")
    assert done.returncode == 0, done.stderr
    assert load_lockfile(lockfile_path(manifest)).videos[key].video_id == video_id
    assert len(_stored(emulator)) == 2  # the source and the one upload: nothing sent twice

    written = _written(folder)
    assert {"videosync.lock", "plan.json"} <= written.keys()
    assert all("Remote clip" in written[name] for name in ("videosync.lock", "plan.json"))
    for text in seen + list(written.values()):
        for secret in (query, again.split("?")[1], "signature=", "expires=", API_KEY):
            assert secret not in text


def test_a_lockfile_from_before_shows_its_keys_without_their_query_string(
    tmp_path: Path,
    emulator: RunningEmulator,
    sample_video: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    with SyncVisionClient(emulator.url, API_KEY) as client:
        source = client.upload_file(sample_video, name="source", filename="elsewhere.mp4")
    signed = _signed_url(emulator, source.video_id)
    base, query = signed.split("?")
    manifest = tmp_path / "videosync.yaml"
    manifest.write_text(f"version: 1\nvideos:\n  - url: '{signed}'\n    name: Remote clip\n")
    args = ("-f", str(manifest), "--api-url", emulator.url)
    assert run(capsys, *args, "apply", "--yes")[0] == 0
    # As videosync recorded a URL entry before: keyed and sourced by the whole URL.
    lock = json.loads(lockfile_path(manifest).read_text())
    (entry,) = lock["videos"].values()
    entry["source"]["url"] = signed
    lock["videos"] = {signed: entry}
    lockfile_path(manifest).write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    manifest.write_text("version: 1\nvideos: []\n")

    outputs = [run(capsys, *args, "plan", "--allow-empty", *fmt) for fmt in FORMATS]
    assert f"- delete {base}?…  (video " in outputs[0][1]
    for code, out, err in outputs:
        assert code == 0, err
        assert query not in out + err


def test_a_saved_plan_of_a_presigned_url_applies_and_sends_the_whole_url(
    tmp_path: Path, emulator: RunningEmulator, sample_video: Path
) -> None:
    with SyncVisionClient(emulator.url, API_KEY) as client:
        source = client.upload_file(sample_video, name="source", filename="elsewhere.mp4")
    signed = _signed_url(emulator, source.video_id)
    folder = tmp_path / "catalog"
    folder.mkdir()
    manifest = folder / "videosync.yaml"
    manifest.write_text(f"version: 1\nvideos:\n  - url: '{signed}'\n    name: Remote clip\n")
    saved = folder / "plan.json"
    assert _videosync(manifest, emulator.url, API_KEY, "plan", "--out", str(saved)).returncode == 0
    assert signed.split("?")[1] not in saved.read_text(encoding="utf-8")
    done = _videosync(manifest, emulator.url, API_KEY, "apply", str(saved))
    assert done.returncode == 0, done.stdout + done.stderr
    video_id = load_lockfile(lockfile_path(manifest)).videos[f"{signed.split('?')[0]}?…"].video_id
    emulator.wait_for_downloads()
    assert (video_id, signed, "indexed") in _stored(emulator)
