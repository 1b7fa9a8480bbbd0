"""An API that cannot be reached says so at the first retry, and an error that cannot heal
fails at once (issue 13, item 9).

Connection refused is a closed port on loopback, a TLS server that speaks no TLS is the
emulator reached over https://, an untrusted certificate is a loopback TLS server with a
self-signed one, and a name that does not resolve is the resolver's own answer
(`socket.getaddrinfo`, the seam below httpx) so no lookup leaves the machine.
"""

from __future__ import annotations

import errno
import logging
import re
import select
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.apply.conftest import child_env, run
from tests.client.conftest import FAST, ScriptedServer
from tests.conftest import API_KEY
from tests.rails.conftest import make_catalog
from videosync.api.retry import RetryPolicy
from videosync.api.sync import SyncVisionClient
from videosync.emulator import RunningEmulator
from videosync.errors import BadEndpoint, ConnectionFailed

Scripted = Callable[..., tuple[ScriptedServer, SyncVisionClient]]

NOTICE = re.compile(
    r"cannot reach (?P<url>\S+): (?P<why>[^;]+); retrying for up to (?P<seconds>\d+) s "
    r"\(attempt 2 of (?P<attempts>\d+)\)"
)


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REKA_API_KEY", API_KEY)
    monkeypatch.delenv("VIDEOSYNC_API_URL", raising=False)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _notices(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if NOTICE.search(r.getMessage())]


# --- the first retry is announced ------------------------------------------------------------


def test_the_first_retry_is_shown_at_the_default_verbosity_with_its_horizon(
    tmp_path: Path, sample_videos: list[Path]
) -> None:
    manifest = make_catalog(tmp_path, sample_videos, 1)
    url = f"http://127.0.0.1:{_closed_port()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "videosync", "-f", str(manifest), "--api-url", url, "plan"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert proc.stderr is not None
        started = time.monotonic()
        ready, _, _ = select.select([proc.stderr], [], [], 10)
        assert ready, "nothing on stderr within 10 s"
        line = proc.stderr.readline()
        shown_after = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()

    found = NOTICE.search(line)
    assert found, line
    assert found["url"] == url
    assert found["why"] == "connection refused"
    assert found["attempts"] == "6"
    # 0.5 + 1 + 2 + 4 + 8 s of backoff and up to 0.5 s of jitter each: about 18 s.
    assert 15 <= int(found["seconds"]) <= 19
    assert line.startswith("warning: cannot reach ")  # as the error line reads, no module
    assert shown_after < 5


def test_the_notice_is_given_once_per_run_and_quiet_at_debug_level_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    policy = RetryPolicy(attempts=3, deadline=30.0, initial=0.01, maximum=0.01, jitter=0.0)

    with (
        caplog.at_level(logging.INFO, logger="videosync.api.client"),
        SyncVisionClient(url, "a-key", retry=policy) as client,
    ):
        with pytest.raises(ConnectionFailed) as first:
            client.list_videos()
        with pytest.raises(ConnectionFailed):
            client.list_groups()

    notices = _notices(caplog)
    assert [r.levelno for r in notices] == [logging.WARNING]
    assert NOTICE.search(notices[0].getMessage())["seconds"] == "1"  # type: ignore[index]
    assert first.value.attempts == 3
    assert str(first.value) == (
        "POST /videos/get: could not connect: connection refused (after 3 attempts) "
        "(check the network and --api-url)"
    )


def test_a_server_error_retried_is_announced_with_what_it_said(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    busy = httpx.Response(503, json={"detail": "busy"})
    _, client = scripted(busy, httpx.Response(200, json={"results": []}))

    with caplog.at_level(logging.WARNING, logger="videosync.api.client"):
        assert client.list_videos() == []

    assert [r.getMessage() for r in caplog.records] == [
        "https://vision.test/videos/get answered HTTP 503: busy; retrying for up to 1 s "
        "(attempt 2 of 4)"
    ]


def test_a_call_left_without_an_answer_is_announced_as_such(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    lost = httpx.ReadTimeout("timed out")
    _, client = scripted(lost, httpx.Response(200, json={"results": []}))

    with caplog.at_level(logging.WARNING, logger="videosync.api.client"):
        assert client.list_groups() == []

    assert [r.getMessage() for r in caplog.records] == [
        "https://vision.test/videos/groups failed: no answer within 60 s; retrying for up "
        "to 1 s (attempt 2 of 4)"
    ]


# --- errors that cannot heal fail at once -------------------------------------------------------


@contextmanager
def _resolver_says(answer: int, host: str) -> Iterator[None]:
    """`socket.getaddrinfo` answers `answer` (a gaierror code) for `host`, as a resolver
    would for a name that does not exist (EAI_NONAME) or cannot be looked up now (EAI_AGAIN)."""
    real = socket.getaddrinfo

    def getaddrinfo(name: Any, *args: Any, **kwargs: Any) -> Any:
        if name in (host, host.encode()):  # anyio asks with the IDNA-encoded bytes
            raise socket.gaierror(
                answer,
                {socket.EAI_NONAME: "Name or service not known"}.get(
                    answer, "Temporary failure in name resolution"
                ),
            )
        return real(name, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


def test_a_host_name_that_does_not_exist_fails_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sample_videos: list[Path]
) -> None:
    manifest = make_catalog(tmp_path, sample_videos, 1)
    started = time.monotonic()

    with _resolver_says(socket.EAI_NONAME, "vision.invalid"):
        code, _, err = run(
            capsys, "-f", str(manifest), "--api-url", "https://vision.invalid", "plan"
        )

    assert time.monotonic() - started < 3
    assert code == 1
    assert err == (
        "error: POST /videos/get: could not connect: no host vision.invalid (the name does "
        "not resolve) (check the host name in --api-url)\n"
    )


def test_a_name_lookup_that_fails_for_now_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    policy = RetryPolicy(attempts=3, deadline=30.0, initial=0.01, maximum=0.01, jitter=0.0)
    with (
        _resolver_says(socket.EAI_AGAIN, "vision.invalid"),
        caplog.at_level(logging.WARNING, logger="videosync.api.client"),
        SyncVisionClient("https://vision.invalid", "a-key", retry=policy) as client,
        pytest.raises(ConnectionFailed) as caught,
    ):
        client.list_videos()

    assert not isinstance(caught.value, BadEndpoint)
    assert caught.value.attempts == 3
    assert [NOTICE.search(r.getMessage())["why"] for r in caplog.records] == [  # type: ignore[index]
        "the name vision.invalid cannot be looked up for now (temporary failure in name resolution)"
    ]


def test_https_to_a_server_that_speaks_no_tls_fails_at_once(
    emulator: RunningEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sample_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, sample_videos, 1)
    url = emulator.url.replace("http://", "https://")
    started = time.monotonic()

    code, _, err = run(capsys, "-f", str(manifest), "--api-url", url, "plan")

    assert time.monotonic() - started < 3
    assert code == 1
    assert err == (
        "error: POST /videos/get: could not connect: the server does not speak TLS "
        "(check --api-url: does its server want http, not https?)\n"
    )


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def _tls_server(cert: Path, key: Path) -> Iterator[str]:
    """A loopback TLS server with a self-signed certificate (no client trusts it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client gave up on our certificate, as it should

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_an_untrusted_certificate_fails_at_once(
    self_signed: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    with (
        _tls_server(*self_signed) as url,
        SyncVisionClient(url, "a-key") as client,
        pytest.raises(BadEndpoint) as caught,
    ):
        client.list_videos()

    assert caught.value.attempts == 1
    assert str(caught.value) == (
        "POST /videos/get: could not connect: the server's TLS certificate is not trusted "
        "(self-signed certificate) (check --api-url; a proxy that intercepts TLS needs its "
        "certificate authority trusted)"
    )
    assert _notices(caplog) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1", "API URL 'http://[::1' is not a valid URL (invalid port: ':1')"),
        (
            "http://127.0.0.1:99999",
            "API URL 'http://127.0.0.1:99999' is not a valid URL "
            "(the port must be from 1 to 65535)",
        ),
    ],
)
def test_an_invalid_url_is_bad_input_before_any_call(
    url: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sample_videos: list[Path],
) -> None:
    manifest = make_catalog(tmp_path, sample_videos, 1)

    code, _, err = run(capsys, "-f", str(manifest), "--api-url", url, "plan")

    assert (code, err) == (3, f"error: {message}\n")


def test_connection_refused_is_still_retried(scripted: Scripted) -> None:
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    server, client = scripted(refused, refused, httpx.Response(200, json={"results": []}))

    assert client.list_videos() == []
    assert len(server.requests) == 3
    assert FAST.attempts == 4
