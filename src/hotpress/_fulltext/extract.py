"""A web page -> the article's HTML, sanitized like any feed body (pure: no I/O)."""

from __future__ import annotations

import html
import re

from hotpress._normalize.sanitize import sanitize_html
from hotpress._parse.encoding import decode_body

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_WRAPPER = re.compile(r"</?(?:html|body)\b[^>]*>", re.IGNORECASE)


def text_length(body: str) -> int:
    """Characters of visible text in an HTML body (tags dropped, entities read, blanks
    collapsed): what "shorter than" and "gives less" compare."""
    return len(_SPACE.sub(" ", html.unescape(_TAG.sub(" ", body))).strip())


def extract_article(content: bytes, content_type: str | None, url: str) -> str | None:
    """The main text of a page (paragraphs, headings, lists, images, links) as sanitized
    HTML; ``None`` when the page holds no article trafilatura recognises."""
    # Imported here: trafilatura and its helpers take ~0.25 s to import, which every
    # `hotpress` command would pay otherwise (and runs racing for the lock feel it).
    import trafilatura

    page = decode_body(content, content_type).utf8.decode("utf-8", errors="replace")
    found = trafilatura.extract(
        page,
        url=url,
        output_format="html",
        include_images=True,
        include_links=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        # Not deduplicate=True: its cache lives across calls, so a second extraction of the
        # same page (a retry, a changed entry) or a paragraph shared by two pages would lose
        # text.
    )
    if not found:
        return None
    body = _WRAPPER.sub("", found).strip()
    cleaned = sanitize_html(body, url)
    return cleaned if text_length(cleaned) else None
