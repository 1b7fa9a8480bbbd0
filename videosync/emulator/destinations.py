"""Where a `video_url` may be fetched from: a host, no credentials, no internal address.

A server that downloads URLs for its clients must not become their way into its own
network (SSRF). Never fetched: link-local addresses (169.254.0.0/16, fe80::/10, where cloud
metadata services answer), the other cloud metadata addresses, and addresses that are not
one host's (0.0.0.0/8, multicast, broadcast, reserved). Loopback and private addresses only
when the policy allows them: when the emulator listens on loopback alone (its only clients
can reach them anyway) or runs with `--allow-private-urls`.

A URL is checked at upload (the route answers 422) and again by the connection itself:
`guarded_client` resolves each host once, checks every address it resolves to and connects
to the address it checked, so a name that resolves elsewhere the second time (DNS
rebinding) gains nothing, and every redirect is checked the same way.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
import httpcore
import httpx

__all__ = ["DestinationPolicy", "RefusedAddress", "RefusedUrl", "guarded_client"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NEVER: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(network), label)
    for network, label in (
        ("169.254.0.0/16", "link-local, where cloud metadata services answer"),
        ("fe80::/10", "link-local"),
        ("0.0.0.0/8", "not a host's address (0.0.0.0/8)"),
        ("fd00:ec2::254/128", "AWS's instance metadata service"),
        ("100.100.100.200/32", "Alibaba Cloud's metadata service"),
        ("192.0.0.192/32", "Oracle Cloud's metadata service"),
        ("168.63.129.16/32", "Azure's host endpoint (WireServer)"),
    )
)
"""Refused whatever the policy says."""

_RESOLVE_WAIT = 5.0
"""Seconds an upload waits for its `video_url`'s host to resolve before letting it pass."""

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class RefusedUrl(Exception):
    """A URL this emulator will not fetch; the message says why."""


class RefusedAddress(RefusedUrl):
    """`host` resolves to `address`, which the policy refuses (`kind` says what it is)."""

    def __init__(self, host: str, address: str, kind: str, *, private: bool) -> None:
        super().__init__(host, address, kind)
        self.host = host
        self.address = address
        self.kind = kind
        self.private = private

    def __str__(self) -> str:
        where = self.address if self.host == self.address else f"{self.host} ({self.address})"
        if self.private:
            return (
                f"{where} is {self.kind}: this emulator fetches from loopback and private "
                "addresses only when it listens on loopback alone or runs with "
                "--allow-private-urls"
            )
        return f"{where} is {self.kind}: never fetched"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _NAT64) or (
        ip in _IPV4_COMPATIBLE and int(ip) > 1  # not :: or ::1
    ):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _classify(ip: IPAddress) -> tuple[str, bool] | None:
    """None if anyone may fetch from `ip`, else what it is and whether it is only private."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return _classify(embedded)  # the packets go to that IPv4 host
    for network, label in _NEVER:
        if ip in network:
            return label, False
    if ip.is_loopback:
        return "a loopback address", True
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "not one host's address (multicast, broadcast or reserved)", False
    if not ip.is_global:
        return "a private address", True
    return None


@dataclass(frozen=True)
class DestinationPolicy:
    """Which URLs and addresses a `video_url` fetch may reach."""

    allow_private: bool
    """Loopback and private addresses (10/8, 192.168/16, fc00::/7, 100.64/10 …) too."""

    def check_url(self, url: httpx.URL) -> None:
        """Refuse a URL without a host, with credentials or an impossible port."""
        if url.scheme not in ("http", "https"):
            raise RefusedUrl(f"only http and https URLs are fetched, not {url.scheme}")
        if not url.raw_host:
            raise RefusedUrl("no host in the URL")
        if url.userinfo:
            raise RefusedUrl("a URL with credentials (user:password@host) is never fetched")
        if url.port is not None and not 0 < url.port < 65536:
            raise RefusedUrl(f"port {url.port} is not a TCP port")

    def check_address(self, host: str, address: str) -> None:
        """Refuse `address` (one that `host` resolved to) unless the policy allows it."""
        verdict = _classify(ipaddress.ip_address(address))
        if verdict is None:
            return
        kind, private = verdict
        if private and self.allow_private:
            return
        raise RefusedAddress(host, address, kind, private=private)

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, each checked; `OSError` if it does not resolve."""
        found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))
        for address in addresses:
            self.check_address(host, address)
        return addresses

    async def vet(self, url: str) -> None:
        """Refuse `url` now if it can be told now; a host that does not resolve is let be.

        Raises `RefusedUrl`. A name that does not resolve (or not within `_RESOLVE_WAIT`
        seconds) passes: its download fails later, as for any unreachable URL.
        """
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise RefusedUrl(f"not a valid URL ({exc})") from None
        self.check_url(parsed)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        with anyio.move_on_after(_RESOLVE_WAIT), contextlib.suppress(OSError, ValueError):
            await self.resolve(parsed.raw_host.decode("ascii"), port)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: DestinationPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._policy.resolve(host, port)
        except (OSError, ValueError) as exc:  # UnicodeError is a ValueError
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        failure: Exception | None = None
        for address in addresses:  # the checked address itself: no second lookup
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve() never answers an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedUrl("Unix sockets are never fetched from")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.1 s: once, not on every download.
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: DestinationPolicy) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        # httpx takes no network backend, the one place where every connection (a
        # redirect's too) is opened: the pool it built is replaced by one that has ours.
        assert isinstance(self._pool, httpcore.AsyncConnectionPool)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(), network_backend=_GuardedBackend(policy)
        )


def guarded_client(policy: DestinationPolicy, timeout: float) -> httpx.AsyncClient:
    """An httpx client that connects only where `policy` allows, never through a proxy.

    It does not follow redirects: the caller checks each `next_request` with `check_url`
    (its connection is checked like the first).
    """
    return httpx.AsyncClient(
        transport=_GuardedTransport(policy),
        timeout=timeout,
        trust_env=False,  # an HTTP(S)_PROXY from the environment would connect for us
        follow_redirects=False,
    )
