"""Links from feeds made absolute and safe: relative ones joined to their base, script
schemes and hostless http(s) URLs refused."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

__all__ = ["checked_join", "safe_link", "simple_join"]

_UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data"})
_LINK_JUNK = re.compile(r"[\x00-\x20\x7f]")

# An absolute http(s) URL with a plain host and nothing to clean: the common case, kept as is.
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][^\s\x00-\x1f\x7f]*)?")
# The shapes simple_join handles: a base of plain origin and path, a relative href of path
# segments (none empty, none "." or "..", no scheme, no params) and an optional query and
# fragment. urljoin of these is plain concatenation; anything else takes urljoin.
_SEGMENT = r"[A-Za-z0-9_~!$&'()*+,=@%-][A-Za-z0-9_.~!$&'()*+,=@%-]*"
_SIMPLE_BASE = re.compile(rf"(https?://[A-Za-z0-9.-]+)(?:/{_SEGMENT})*/?")
_SIMPLE_HREF = re.compile(
    rf"/?{_SEGMENT}(?:/{_SEGMENT})*/?"
    r"(?:\?[A-Za-z0-9_.~!$&'()*+,;=:@%/?-]+)?(?:#[A-Za-z0-9_.~!$&'()*+,;=:@%/?-]+)?"
)


def safe_link(href: str | None, base: str | None) -> str | None:
    """``href`` made absolute against ``base``; ``None`` when empty or script-bearing."""
    if not href:
        return None
    href = href.strip()
    if not href:
        return None
    if _PLAIN_HTTP.fullmatch(href):
        return href
    if base:
        simple = simple_join(base, href)
        if simple is not None:
            return simple
    return checked_join(href, base)


def simple_join(base: str, href: str) -> str | None:
    """``urljoin(base, href)`` for the plain shapes (an Atom ``post/3`` against its xml:base),
    where it is concatenation; ``None`` for any other shape. Such a result always passes
    :func:`checked_join`'s checks (http(s), a host, no port)."""
    if not _SIMPLE_HREF.fullmatch(href):
        return None
    m = _SIMPLE_BASE.fullmatch(base)
    if m is None:
        return None
    if href[0] == "/":
        return m[1] + href
    path = base[m.end(1) :]
    return m[1] + (path[: path.rfind("/") + 1] or "/") + href


def checked_join(href: str, base: str | None) -> str | None:
    """The general path of :func:`safe_link`: urljoin, then refuse hostless http(s) URLs,
    bad ports and script schemes."""
    try:
        joined = urljoin(base, href) if base else href
        parts = urlsplit(_LINK_JUNK.sub("", joined))
        scheme = parts.scheme.lower()
        # ``parts.port`` raises ValueError for ``//javascript:alert(1)`` (a host with a bad port).
        if scheme in {"http", "https"} and (not parts.hostname or (parts.port or 0) < 0):
            return None
    except ValueError:
        return None
    if scheme in _UNSAFE_SCHEMES:
        return None
    return joined
