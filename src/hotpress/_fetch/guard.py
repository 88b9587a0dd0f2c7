"""Redirects into the local network: refused unless the source itself lives there.

A feed on the internet that redirects to ``http://169.254.169.254/``, ``http://127.0.0.1:…``
or ``http://10.…`` would make hotpress request a machine only its own network can reach
(server-side request forgery) and store or show the answer. Such a redirect is refused with
a sentence saying why, unless the configured URL is itself on a loopback, private or
link-local network (a self-hosted RSSHub on the LAN may redirect inside the LAN).

"Internal" is any address that is not globally routable (``ipaddress``'s ``is_global``:
loopback, RFC 1918, link-local, CGNAT, unique-local ``fc00::/7``, unspecified, reserved,
documentation ranges), multicast, and IPv6 forms that carry one of those IPv4 addresses
(``::ffff:127.0.0.1``, 6to4, NAT64). Host names are resolved (the resolver is passed in, so
tests can map names without touching the network). A name that does not resolve here is let
through: the request then fails the same way, or goes through a proxy that resolves it.
Limits: the check resolves the name itself, so a DNS server that answers differently a
moment later (DNS rebinding) is not caught; the connection is not pinned to the address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

import httpx

__all__ = ["Resolver", "internal_kind", "redirect_refusal", "system_resolver"]

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses`` (text); raises ``OSError`` when the name does not resolve."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def internal_kind(address: str) -> str | None:
    """What kind of non-public address ``address`` is (``"loopback"``, ``"private"``,
    ``"link-local"``, …), or ``None`` for a public one."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            address.split("%", 1)[0]
        )
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_v4(ip)) is not None:
        ip = inner
    for kind, test in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
    ):
        if test:
            return kind
    return None if ip.is_global else "reserved"


async def _kinds(url: httpx.URL, resolve: Resolver) -> list[tuple[str, str]]:
    """(address, kind) for each internal address ``url``'s host has; [] when none or when
    the name does not resolve here."""
    host = url.host
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        addresses: Sequence[str] = [host]
    except ValueError:
        try:
            addresses = await resolve(host, url.port or (443 if url.scheme == "https" else 80))
        except (OSError, UnicodeError):
            return []
    return [(a, kind) for a in addresses if (kind := internal_kind(a)) is not None]


async def redirect_refusal(configured: str, target: str, resolve: Resolver) -> str | None:
    """Why the redirect to ``target`` must not be followed for a source configured as
    ``configured``, or ``None`` to follow it."""
    target_url = httpx.URL(target)
    bad = await _kinds(target_url, resolve)
    if not bad:
        return None
    if await _kinds(httpx.URL(configured), resolve):
        return None  # the source itself is on a local network: its redirects may stay there
    address, kind = bad[0]
    shown = target_url.host if address == target_url.host else f"{target_url.host} ({address})"
    return (
        f"refused a redirect to {target}: {shown} is a {kind} address, and the configured "
        f"URL is not on a local network (a public feed may not lead hotpress into one)"
    )
