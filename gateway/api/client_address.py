"""The address of the person behind a request, also behind a load balancer we trust."""

from __future__ import annotations

import hashlib
import ipaddress
from functools import lru_cache

from aiohttp import web

from gateway.appkeys import CONFIG


@lru_cache(maxsize=64)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: web.Request) -> str:
    """``request.remote``, or, when that is a trusted proxy, the nearest X-Forwarded-For hop it did
    not add itself (the rightmost address that is not a trusted proxy: anything left of it could be forged)."""
    remote = request.remote or "?"
    networks = _networks(tuple(request.config_dict[CONFIG].server.trusted_proxies))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return remote


def address_subject(address: str) -> str:
    """The address as a bounded storage-key part: canonical for an IP, a short hash for anything else
    (a forwarded hop is text a client may have shaped)."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "h:" + hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def is_trusted_proxy(request: web.Request, address: str) -> bool:
    """Whether ``address`` is one of the configured trusted load balancers."""
    return _trusted(address, _networks(tuple(request.config_dict[CONFIG].server.trusted_proxies)))
