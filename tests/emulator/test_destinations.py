"""Where a `video_url` may be fetched from (SSRF): refused at upload, at connect, at redirects."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY
from tests.emulator.conftest import video
from videosync.emulator import EmulatorConfig, RunningEmulator, start_emulator

NEVER_FETCHED = ": never fetched"
PRIVATE_REFUSED = (
    ": this emulator fetches from loopback and private addresses only when it listens on "
    "loopback alone or runs with --allow-private-urls"
)

Route = tuple[int, dict[str, str], bytes]


class _Site:
    """A plain HTTP server on 127.0.0.1 answering `routes` (path → status, headers, body)."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.asked: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.asked.append(self.path)
                status, headers, body = site.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @contextmanager
    def serving(self) -> Iterator[_Site]:
        thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def site(sample_video: Path) -> Iterator[_Site]:
    """Serves the sample video at /v.mp4; tests add routes."""
    with _Site({"/v.mp4": (200, {}, sample_video.read_bytes())}).serving() as serving:
        yield serving


@pytest.fixture
def strict_emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    """A loopback emulator told to refuse private addresses anyway."""
    config = EmulatorConfig(
        data_dir=tmp_path / "strict", api_keys=(API_KEY,), allow_private_urls=False
    )
    with start_emulator(config) as emulator:
        yield emulator


@pytest.fixture
def strict(strict_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """A client on `strict_emulator`."""
    headers = {"X-Api-Key": API_KEY}
    with httpx.Client(base_url=strict_emulator.url, headers=headers) as client:
        yield client


def _upload_url(api: httpx.Client, url: str) -> httpx.Response:
    return api.post("/videos/upload", data={"video_url": url, "index": "true"})


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == {"type": "validation_error", "message": body["detail"]}
    detail: str = body["detail"]
    return detail


Fetch = Callable[[str], dict[str, Any]]


def _fetcher(emulator: RunningEmulator, api: httpx.Client) -> Fetch:
    def fetched(url: str) -> dict[str, Any]:
        response = _upload_url(api, url)
        assert response.status_code == 200, response.text
        emulator.wait_for_downloads()
        return video(api, response.json()["video_id"])

    return fetched


@pytest.fixture
def fetch(emulator: RunningEmulator, api: httpx.Client) -> Fetch:
    """Upload a `video_url` (it must be accepted), wait for its download, return the Video."""
    return _fetcher(emulator, api)


@pytest.fixture
def strict_fetch(strict_emulator: RunningEmulator, strict: httpx.Client) -> Fetch:
    """`fetch` on `strict_emulator`."""
    return _fetcher(strict_emulator, strict)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is link-local, where cloud metadata services answer" + NEVER_FETCHED,
        ),
        (
            "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one decimal number
            "2852039166 (169.254.169.254) is link-local, where cloud metadata services answer"
            + NEVER_FETCHED,
        ),
        (
            "http://[::ffff:169.254.169.254]/latest/meta-data/",
            "::ffff:169.254.169.254 is link-local, where cloud metadata services answer"
            + NEVER_FETCHED,
        ),
        ("http://[fe80::1]/v.mp4", "fe80::1 is link-local" + NEVER_FETCHED),
        (
            "http://[fd00:ec2::254]/latest/meta-data/",
            "fd00:ec2::254 is AWS's instance metadata service" + NEVER_FETCHED,
        ),
        (
            "http://100.100.100.200/latest/meta-data/",
            "100.100.100.200 is Alibaba Cloud's metadata service" + NEVER_FETCHED,
        ),
        (
            "http://0.0.0.0:8787/v.mp4",
            "0.0.0.0 is not a host's address (0.0.0.0/8)" + NEVER_FETCHED,
        ),
        (
            "http://user:pw@127.0.0.1/v.mp4",
            "a URL with credentials (user:password@host) is never fetched",
        ),
        ("http:///etc/passwd", "no host in the URL"),
        ("http://127.0.0.1:99999/v.mp4", "port 99999 is not a TCP port"),
        ("http://[::1/v.mp4", "not a valid URL (Invalid IPv6 URL)"),
        ("http://127.0.0.1:8o/v.mp4", "not a valid URL (Invalid port: '8o')"),
    ],
)
def test_internal_credential_and_hostless_urls_are_refused_at_upload_on_any_emulator(
    api: httpx.Client, url: str, reason: str
) -> None:
    detail = _refusal(_upload_url(api, url))

    assert detail == f"video_url refused: {reason}"
    assert api.post("/videos/get").json() == {"results": []}


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("2130706433", "2130706433 (127.0.0.1) is a loopback address"),
        ("[::1]", "::1 is a loopback address"),
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("192.168.0.10", "192.168.0.10 is a private address"),
        ("100.64.0.1", "100.64.0.1 is a private address"),
        ("[fd12:3456::1]", "fd12:3456::1 is a private address"),
    ],
)
def test_private_urls_are_refused_unless_allowed(
    strict: httpx.Client, host: str, reason: str
) -> None:
    detail = _refusal(_upload_url(strict, f"http://{host}:8080/v.mp4"))

    assert detail == f"video_url refused: {reason}{PRIVATE_REFUSED}"
    assert strict.post("/videos/get").json() == {"results": []}


def test_localhost_is_refused_by_the_addresses_it_resolves_to(strict: httpx.Client) -> None:
    detail = _refusal(_upload_url(strict, "http://localhost:8080/v.mp4"))

    assert detail in {
        f"video_url refused: localhost ({address}) is a loopback address{PRIVATE_REFUSED}"
        for address in ("127.0.0.1", "::1")
    }


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433"])
def test_loopback_urls_are_fetched_when_the_emulator_listens_on_loopback_alone(
    fetch: Fetch, site: _Site, host: str
) -> None:
    fetched = fetch(f"http://{host}:{site.port}/v.mp4")

    assert fetched["indexing_status"] == "indexed"
    assert site.asked == ["/v.mp4"]


@pytest.mark.parametrize(
    ("host", "allow", "allowed"),
    [
        ("127.0.0.1", None, True),
        ("localhost", None, True),
        ("::1", None, True),
        ("0.0.0.0", None, False),
        ("192.168.1.5", None, False),
        ("0.0.0.0", True, True),
        ("127.0.0.1", False, False),
    ],
)
def test_private_urls_are_allowed_on_loopback_alone_or_when_asked(
    tmp_path: Path, host: str, allow: bool | None, allowed: bool
) -> None:
    config = EmulatorConfig(data_dir=tmp_path, host=host, allow_private_urls=allow)

    assert config.private_urls_allowed is allowed


def test_a_redirect_to_an_allowed_url_is_followed(fetch: Fetch, site: _Site) -> None:
    site.routes["/moved"] = (302, {"Location": "/v.mp4"}, b"")

    fetched = fetch(f"{site.url}/moved")

    assert fetched["indexing_status"] == "indexed"
    assert site.asked == ["/moved", "/v.mp4"]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is link-local, where cloud metadata services answer" + NEVER_FETCHED,
        ),
        (
            "http://[fd00:ec2::254]/",
            "fd00:ec2::254 is AWS's instance metadata service" + NEVER_FETCHED,
        ),
        (
            "http://user:pw@127.0.0.1:{port}/v.mp4",
            "a URL with credentials (user:password@host) is never fetched",
        ),
        (
            "http://0.0.0.0:{port}/v.mp4",
            "0.0.0.0 is not a host's address (0.0.0.0/8)" + NEVER_FETCHED,
        ),
    ],
)
def test_a_redirect_to_a_refused_url_ends_failed_with_the_reason_logged(
    fetch: Fetch, site: _Site, caplog: pytest.LogCaptureFixture, location: str, reason: str
) -> None:
    site.routes["/hop"] = (302, {"Location": location.format(port=site.port)}, b"")
    url = f"{site.url}/hop"

    fetched = fetch(url)

    assert fetched["indexing_status"] == "failed"
    assert f"refused to download {url}: {reason}" in caplog.text
    assert site.asked == ["/hop"]


def test_endless_redirects_end_failed(
    fetch: Fetch, site: _Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    url = f"{site.url}/loop"

    assert fetch(url)["indexing_status"] == "failed"
    assert f"{url} redirects more than 10 times" in caplog.text
    assert len(site.asked) == 11


class _Resolver:
    """`socket.getaddrinfo` answering `name` with the next of `answers` (the last repeats)."""

    def __init__(self, name: str, answers: list[str]) -> None:
        self.name = name
        self.answers = answers
        self.calls = 0
        self._others = socket.getaddrinfo  # the tests' own: no DNS

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (self.name, self.name.encode()):
            return self._others(host, port, *args, **kwargs)
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, int(port)))]


def test_the_fetch_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, fetch: Fetch, site: _Site
) -> None:
    # Checked at upload and at connect; a third lookup (to connect by name) would be sent
    # to the metadata address, and the tests' network guard would stop that connection.
    resolver = _Resolver("videos.test", ["127.0.0.1", "127.0.0.1", "169.254.169.254"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    fetched = fetch(f"http://videos.test:{site.port}/v.mp4")

    assert fetched["indexing_status"] == "indexed"
    assert resolver.calls == 2
    assert site.asked == ["/v.mp4"]


def test_a_name_that_resolves_elsewhere_at_download_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    strict_fetch: Fetch,
    site: _Site,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # DNS rebinding: a public address when the upload is checked, loopback at download.
    monkeypatch.setattr(
        socket, "getaddrinfo", _Resolver("rebind.test", ["93.184.216.34", "127.0.0.1"])
    )
    url = f"http://rebind.test:{site.port}/v.mp4"

    fetched = strict_fetch(url)

    assert fetched["indexing_status"] == "failed"
    assert (
        f"refused to download {url}: rebind.test (127.0.0.1) is a loopback address"
        f"{PRIVATE_REFUSED}" in caplog.text
    )
    assert site.asked == []


def test_a_proxy_in_the_environment_does_not_carry_the_fetch(
    monkeypatch: pytest.MonkeyPatch, fetch: Fetch, site: _Site
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    assert fetch(f"{site.url}/v.mp4")["indexing_status"] == "indexed"
