"""Which hosts a URL taken from a feed's content may reach: public ones, or non-public ones
when the source itself is on such a network (a LAN RSSHub) or the config allows it.

Used for URLs that come from feed content rather than from the config: images
(``images: local``) and article links (``fulltext:``). ``is_private`` and ``may_fetch`` are
pure; ``resolve`` asks the system resolver. Known limit: the client resolves the name again
when it connects (DNS rebinding is not closed here).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from hotpress._fetch.guard import internal_kind


def is_private(address: str) -> bool:
    """Loopback, private, link-local, unique-local, reserved, multicast or unspecified (the
    redirect guard's classification, embedded IPv4 forms included); an unreadable address
    counts as not public."""
    try:
        ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    return internal_kind(address) is not None


def may_fetch(
    target_addresses: Sequence[str], source_addresses: Sequence[str], *, allow_private: bool
) -> bool:
    """A host may be asked when all its addresses are public, or when the source itself is
    on a non-public network, or the config allows it. No address (unresolvable): no."""
    if not target_addresses:
        return False
    if allow_private or not any(is_private(a) for a in target_addresses):
        return True
    return any(is_private(a) for a in source_addresses)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


async def resolve(hosts: Iterable[str]) -> dict[str, list[str]]:
    """Each host's addresses (an IP literal is its own); ``[]`` when it does not resolve."""
    loop = asyncio.get_running_loop()

    async def one(host: str) -> tuple[str, list[str]]:
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return host, []
        return host, sorted({str(info[4][0]) for info in infos})

    pairs = await asyncio.gather(*(one(h) for h in sorted(set(hosts)) if h))
    return dict(pairs)
