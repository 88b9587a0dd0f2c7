"""Text and attribute values for the XML the site writes (feeds, sitemaps): escaped, and
without the characters XML 1.0 forbids (C0 controls but tab, newline and carriage return;
surrogates; U+FFFE and U+FFFF). One such character anywhere makes a strict parser (lxml,
feed readers) reject the whole document, and titles and bodies come from other people's
feeds. They carry nothing a reader could see, so they are dropped.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

__all__ = ["xml_attr", "xml_text"]

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Every character outside XML 1.0's ``Char`` production (str holds nothing above U+10FFFF)."""


def xml_text(value: str) -> str:
    """``value`` as element content."""
    return escape(NOT_XML.sub("", value))


def xml_attr(value: str) -> str:
    """``value`` as a quoted attribute value (quotes included); line breaks and tabs kept as
    character references so they survive attribute-value normalization."""
    return quoteattr(NOT_XML.sub("", value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
