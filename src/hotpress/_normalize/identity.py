"""Pure decisions about an item's identity and whether it changed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Tracking parameters that vary between fetches of the same article.
_TRACKING_PREFIXES = ("utm_", "spm", "from", "share_", "ref_src")


def normalize_link(url: str) -> str:
    """A link in canonical form for identity: lower-case scheme and host, no default port,
    no fragment, no tracking parameters. Other query parameters keep their order."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith(_TRACKING_PREFIXES)
        ]
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def item_identity(
    source_key: str, *, guid: str | None, link: str | None, title: str, content: str
) -> str:
    """Stable identity: source + guid; else source + normalised link; else source + a hash
    of title and content. Hex, 32 characters."""
    if guid:
        basis = "g\0" + guid
    elif link:
        basis = "l\0" + normalize_link(link)
    else:
        digest = hashlib.sha256(f"{title}\0{content}".encode()).hexdigest()
        basis = "h\0" + digest
    return hashlib.sha256(f"{source_key}\0{basis}".encode()).hexdigest()[:32]


def content_hash(
    *,
    title: str,
    content: str,
    link: str | None,
    published: datetime | None,
    author: str | None,
    cover: str | None,
) -> str:
    """Digest over what a reader sees: when it changes, the item was edited."""
    stamp = published.isoformat() if published else ""
    text = "\0".join((title, content, link or "", stamp, author or "", cover or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
