"""Secrets out of text shown to people: URL user info, and the values of names that say
key, token, secret, password, code, auth, signature, session or cookie (RSSHub's access key
travels as ``?key=`` or ``?code=``), in a URL's query or as ``name=value`` in free text
(an error page's title), plus ``Bearer`` tokens and quoted JSON pairs.

One place for the status page, the error texts a server sends (stored as ``last_error``,
shown by ``hotpress sources``) and anything else that shows a URL or a server's words.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "SECRET_NAME", "public_text", "public_url"]

SECRET_NAME = re.compile(r"key|token|secret|pass|code|auth|sig|session|cookie", re.IGNORECASE)
MASK = "***"
# name=value in a query string, wherever it appears in a text (an error message quoting a URL).
_QUERY_PAIR = re.compile(r"([?&;]([^=&#\s\"'<>]*)=)([^&#\s\"'<>]*)")
# name=value in prose ("invalid token=abc"); "name: value" only for the plainest secret
# names (not "code": "Error code: 10001" says something); JSON's "token": "abc".
_VALUE = r"([^\s\"'<>&#,;()\[\]{}]+)"
_FREE_PAIR = re.compile(r"((?<![\w.~-])([\w.~-]+)=)" + _VALUE)
_COLON_PAIR = re.compile(
    r"((?<![\w.~-])([\w.~-]*(?:key|token|secret|passw(?:or)?d)):\s+)" + _VALUE, re.IGNORECASE
)
_JSON_PAIR = re.compile(r"(\"([^\"\\]{1,64})\"\s*:\s*\")((?:[^\"\\]|\\.)*)(?=\")")
_BEARER = re.compile(r"(\b(?:Bearer|Basic)\s+)([A-Za-z0-9\-._~+/]{8,}=*)")
_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@\s\"'<>]*@")


def _mask_pair(match: re.Match[str]) -> str:
    if match.group(3) and SECRET_NAME.search(match.group(2)):
        return match.group(1) + MASK
    return match.group(0)


def public_text(text: str) -> str:
    """``text`` with URL user info and secret-looking values masked."""
    text = _USERINFO.sub(r"\1" + MASK + "@", text)
    text = _QUERY_PAIR.sub(_mask_pair, text)
    text = _JSON_PAIR.sub(_mask_pair, text)
    text = _FREE_PAIR.sub(_mask_pair, text)
    text = _COLON_PAIR.sub(_mask_pair, text)
    return _BEARER.sub(r"\1" + MASK, text)


def public_url(url: str) -> str:
    """A source URL fit for a public page (see :func:`public_text`)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc=MASK + "@" + parts.netloc.rsplit("@", 1)[1])
    query = parts.query
    if query:
        query = _QUERY_PAIR.sub(_mask_pair, "?" + query)[1:]
    return urlunsplit(parts._replace(query=query))
