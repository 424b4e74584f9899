"""Where a subscription may send: http(s) URLs only, and — unless the deployment allows it
(``event_webhooks.allow_private_targets``) — never to a private, loopback, link-local or otherwise
non-public address. The check runs when the URL is saved and again on every connection (a resolver
that drops such addresses), so a name that later resolves inward (DNS rebinding) is refused too."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_URL = 2048


class TargetRefused(ValueError):
    """The URL may not be a subscription's target; the message says why, for people."""


def public_address(host: str) -> bool:
    """True for a global unicast address (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool) -> str:
    """The URL as stored, or TargetRefused."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise TargetRefused(f"url must be an http or https URL of at most {MAX_URL} characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("url must be an http or https URL with a host")
    if parts.username or parts.password:
        raise TargetRefused("url must not carry a user or password (the signature authenticates us)")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as err:
        raise TargetRefused("url has an invalid port") from err
    if not allow_private:
        host = parts.hostname
        try:
            literal = public_address(host)
        except ValueError:
            literal = None  # a name: checked again at each connection
            if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
                raise TargetRefused("url points to a private host, which this deployment does not allow") from None
        if literal is False:
            raise TargetRefused("url points to a private or loopback address, which this deployment does not allow")
    return url.strip()


class PublicResolver(AbstractResolver):
    """Resolves like aiohttp's default, then keeps only public addresses (none: the connection fails)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = [r for r in await self._inner.resolve(host, port, family) if public_address(r["host"])]
        if not found:
            raise OSError(f"{host} resolves to no public address (private targets are not allowed here)")
        return found

    async def close(self) -> None:
        await self._inner.close()
