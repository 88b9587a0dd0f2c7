"""Choose a feed's character encoding and hand the parser UTF-8.

Order: byte order mark, HTTP charset, XML declaration, UTF-8, then GB18030 (the superset of
GB2312/GBK that Chinese sites mislabel most). Each candidate must decode the whole body
strictly; the first that does wins, so a wrong label falls through to the next guess instead
of producing mojibake. The parser always gets UTF-8 bytes, which keeps one lxml code path and
lets the HTML-entity repair work on bytes. ``unchecked_utf8`` is the same choice for the common
case with the UTF-8 check left to the parser, which makes it anyway.
"""

from __future__ import annotations

import codecs
import re

__all__ = [
    "C1_AS_WINDOWS_1252",
    "Decoded",
    "charset_from_content_type",
    "decode_body",
    "unchecked_utf8",
]

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
)
# A document without a BOM but in UTF-16/32 starts "<?" in that encoding (XML 1.0 appendix F).
_WIDE_STARTS = (
    (b"\x00\x00\x00<", "utf-32be"),
    (b"<\x00\x00\x00", "utf-32le"),
    (b"\x00<\x00?", "utf-16be"),
    (b"<\x00?\x00", "utf-16le"),
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.IGNORECASE)
# Labels Chinese servers use for what is, in practice, GB18030 (a strict superset).
_UNICODE = frozenset({"utf-8", "utf-16be", "utf-16le", "utf-32be", "utf-32le"})
_AS_GB18030 = frozenset({"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "csgb2312", "euc-cn"})


# C1 control characters (U+0080-U+009F) in a feed are Windows-1252 punctuation read with the
# wrong table ("don\x92t"); they print as nothing. Read them as Windows-1252 meant them, as
# browsers do for "&#146;" and feedparser does for the raw character. The five bytes
# Windows-1252 leaves undefined stay as they are.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_C1_REF = re.compile(rb"&#(1[2-5][0-9]);|&#[xX]([89][0-9a-fA-F]);")
C1_AS_WINDOWS_1252 = {
    0x80 + n: ch
    for n in range(32)
    if (ch := bytes([0x80 + n]).decode("windows-1252", errors="ignore"))
}


class Decoded:
    """The body as UTF-8 bytes (no BOM) and the label of the encoding it was read as."""

    __slots__ = ("encoding", "utf8")

    def __init__(self, utf8: bytes, encoding: str) -> None:
        if b"\xc2" in utf8 and _C1_UTF8.search(utf8):  # memchr first: C1 is rare
            utf8 = utf8.decode("utf-8").translate(C1_AS_WINDOWS_1252).encode("utf-8")
        if _has_char_ref(utf8):
            utf8 = _C1_REF.sub(_c1_ref, utf8)
        self.utf8 = utf8
        self.encoding = encoding


def _has_char_ref(data: bytes) -> bool:
    """``b"&#" in data``, faster on escaped HTML: there ``&`` is everywhere (``&lt;``) and the
    two-byte search crawls, while ``#`` is rare and found by memchr."""
    at = data.find(b"#")
    misses = 0
    while at != -1:
        if at and data[at - 1] == 0x26:  # "&"
            return True
        misses += 1
        if misses > 64:  # '#' is common here after all: one plain search for the rest
            return data.find(b"&#", at) != -1
        at = data.find(b"#", at + 1)
    return False


def _c1_ref(m: re.Match[bytes]) -> bytes:
    code = int(m[1]) if m[1] else int(m[2], 16)
    char = C1_AS_WINDOWS_1252.get(code)
    return b"&#%d;" % ord(char) if char else m[0]


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, normalised; ``None`` if absent."""
    if not content_type:
        return None
    m = _CHARSET.search(content_type)
    return _normalise(m[1]) if m else None


def decode_body(content: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``content`` by the first encoding that reads it without error."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            body = content[len(bom) :]
            if name == "utf-8" and _is_utf8(body):
                return Decoded(body, name)
            text = body.decode(name, errors="replace")  # a BOM is authoritative
            return Decoded(text.encode("utf-8"), name)
    candidates = _candidates(content, content_type)
    if candidates[0] not in _UNICODE and not content.isascii() and _is_utf8(content):
        # Valid multi-byte UTF-8 almost never happens by accident in a legacy encoding:
        # the label is wrong (a template's stale "iso-8859-1" or "gb2312" prolog).
        return Decoded(content, "utf-8")
    for candidate in candidates:
        if candidate == "utf-8":
            if _is_utf8(content):
                return Decoded(content, "utf-8")
            continue
        try:
            text = content.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        return Decoded(text.encode("utf-8"), candidate)
    # Nothing reads it cleanly: keep what UTF-8 can read rather than refuse the feed.
    return Decoded(content.decode("utf-8", errors="replace").encode("utf-8"), "utf-8")


def unchecked_utf8(content: bytes, content_type: str | None = None) -> Decoded | None:
    """What :func:`decode_body` returns for ``content`` *if* it is valid UTF-8, or ``None`` when
    decode_body would not read a valid UTF-8 body as UTF-8 (a BOM or label of another Unicode
    encoding, or an ASCII body under a legacy label).

    The UTF-8 check itself is left to the caller: a strict lxml parse rejects invalid UTF-8
    anyway, so checking here too costs a second pass over the body for nothing. A caller that
    cannot prove the body valid must fall back to decode_body.
    """
    body = content
    if content.startswith(codecs.BOM_UTF8):
        body = content[len(codecs.BOM_UTF8) :]
    elif content[:2] in (codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE) or content[:4] in (
        codecs.BOM_UTF32_BE,
        codecs.BOM_UTF32_LE,
    ):
        return None
    else:
        first = _candidates(content, content_type)[0]
        # Mirrors decode_body: a UTF-8 first guess, or a legacy label over non-ASCII bytes
        # (valid UTF-8 there means the label is stale).
        if first != "utf-8" and (first in _UNICODE or content.isascii()):
            return None
    if not _starts_as_utf8(body):
        return None  # a GBK feed, say: spare the caller a doomed parse of the whole body
    try:
        return Decoded(body, "utf-8")
    except UnicodeDecodeError:  # C1 repair decodes the body: it was not UTF-8 after all
        return None


def _candidates(content: bytes, content_type: str | None) -> list[str]:
    found: list[str] = []
    head = content[:4]
    for start, name in _WIDE_STARTS:
        if head == start:
            found.append(name)
    http = charset_from_content_type(content_type)
    if http:
        found.append(http)
    m = _XML_DECL.match(content[:1024])
    if m:
        declared = _normalise(m[1].decode("ascii"))
        if declared:
            found.append(declared)
    found += ["utf-8", "gb18030"]
    return list(dict.fromkeys(c for c in found if _known(c)))


def _normalise(label: str) -> str:
    name = label.strip().lower()
    if name in _AS_GB18030:
        return "gb18030"
    if name in ("utf8", "utf-8"):
        return "utf-8"
    if name in ("utf-16", "utf-32"):
        return ""  # without a BOM the byte order comes from the first bytes, found above
    return name


def _known(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _starts_as_utf8(data: bytes) -> bool:
    """The first few KB are valid UTF-8 (a character cut at the end of them is allowed)."""
    try:
        codecs.utf_8_decode(data[:4096], "strict", False)
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
