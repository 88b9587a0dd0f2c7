"""What an HTTP error page says, in one line: RSSHub's error message, a JSON error, a title.

Pure: bytes in, a short sentence (or ``None``) out, secrets masked (``hotpress._mask``). Used
to make "HTTP 503" failures actionable
("HTTP 503 Service Unavailable: ConfigNotFoundError: Test config not found error").
"""

from __future__ import annotations

import json
import re

from lxml import html as lxml_html
from lxml.etree import ParserError, XMLSyntaxError

from .._mask import public_text

MAX_DETAIL = 200
_SPACE = re.compile(r"\s+")
# Titles that say nothing about the failure.
_GENERIC = re.compile(
    r"^(welcome to rsshub!?|error|\d{3}( [\w ]+)?|looks like something went wrong|"
    r"service unavailable|internal server error|not found|bad gateway|gateway time-?out)$",
    re.IGNORECASE,
)


def _short(text: str) -> str | None:
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return None
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _nodes(doc: lxml_html.HtmlElement, path: str) -> list[lxml_html.HtmlElement]:
    found = doc.xpath(path)
    return (
        [n for n in found if isinstance(n, lxml_html.HtmlElement)]
        if isinstance(found, list)
        else []
    )


def _from_html(body: bytes) -> str | None:
    try:
        doc = lxml_html.fromstring(body)
    except (ParserError, XMLSyntaxError, ValueError):
        return None
    # RSSHub: <p class="message">Error Message:<br/><code>…</code></p>
    for code in _nodes(
        doc,
        '//p[contains(@class,"message")][starts-with(normalize-space(.),"Error Message")]//code',
    ):
        found = _short(code.text_content())
        if found:
            return found
    for path in ("//title", "//h1"):
        for node in _nodes(doc, path):
            text = _short(node.text_content())
            if text and not _GENERIC.match(text):
                return text
    return None


def _from_json(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    for value in (
        error.get("message") if isinstance(error, dict) else error,
        data.get("message"),
    ):
        if isinstance(value, str) and (found := _short(value)):
            return found
    return None


def error_detail(body: bytes, content_type: str | None) -> str | None:
    """A one-line explanation from an error response's body, if it holds one, with what
    looks like a secret masked (it is stored, printed and may be published)."""
    found = _detail(body, content_type)
    return public_text(found) if found else None


def _detail(body: bytes, content_type: str | None) -> str | None:
    if not body.strip():
        return None
    kind = (content_type or "").split(";")[0].strip().lower()
    head = body.lstrip()[:1]
    if "json" in kind or head in (b"{", b"["):
        return _from_json(body)
    if "html" in kind or head == b"<":
        return _from_html(body)
    text = body.decode("utf-8", errors="replace")
    for line in text.splitlines():
        if found := _short(line):
            return found
    return None
