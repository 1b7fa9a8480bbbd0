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
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.apply.conftest import child_env, command

VERBOSITIES = (("-q",), (), ("-v",), ("-vv",))
"""Every level of output: errors only, the default, with tracebacks, with debug lines."""

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
