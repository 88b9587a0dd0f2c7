"""Feed HTML -> HTML that is safe to publish, and the cover image found in it.

One nh3 (Ammonia) pass does the work: an allow-list of tags and attributes, comments and
``script``/``style`` dropped with their content, and an attribute filter that resolves
relative URLs against the item's base URL and re-checks every URL's scheme itself (Ammonia
lets ``\\x01java\\x03script:`` through as a "relative" URL). Markup that is already clean comes
out byte-identical, which keeps the seed post's body unchanged.
"""

from __future__ import annotations

import functools
import html as html_lib
import operator
import re
import threading
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = ["IFRAME_HOSTS", "first_image", "sanitize_html"]

IFRAME_HOSTS = frozenset(
    {
        "player.bilibili.com",
        "www.youtube.com",
        "www.youtube-nocookie.com",
        "player.youku.com",
        "v.qq.com",
    }
)
"""Video players whose iframes are kept; any other iframe is dropped with its content."""

_TAGS = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span", "blockquote"),
        *("pre", "code", "kbd", "samp", "var", "ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th"),
        *("a", "img", "figure", "figcaption", "picture", "abbr", "cite", "q", "time", "wbr"),
        *("b", "strong", "i", "em", "u", "s", "del", "ins", "sub", "sup", "mark", "small"),
        *("details", "summary", "video", "audio", "source", "iframe"),
    }
)
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "srcset", "alt", "title", "width", "height", "referrerpolicy"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
    "abbr": {"title"},
    "time": {"datetime"},
    "details": {"open"},
    "video": {"src", "poster", "controls", "width", "height", "loop", "muted", "preload"},
    "audio": {"src", "controls", "loop", "muted", "preload"},
    "source": {"src", "type"},
    "iframe": {"src", "width", "height", "allowfullscreen", "frameborder"},
}
_URL_ATTRIBUTES = frozenset({"href", "src", "poster"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Browsers drop ASCII tab/newline anywhere in a URL ("jav&#x0A;ascript:" is javascript:); we
# drop them too before reading the scheme, and refuse URLs holding any other control character.
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Control characters (and lone surrogates, which a JSON feed can carry) have no place in HTML,
# break XML outputs built from it, and hide attacks ("\x01java\x03script:"). Character
# references such as "&#1;" bring them back after parsing, hence a pass on both sides of nh3.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|avif|bmp)[;,]", re.IGNORECASE)
# nh3 writes every attribute as name="value" (lower-case name, `"` escaped), and iframe content
# is raw text it does not escape: this pattern reads its own output exactly.
_IFRAME = re.compile(r'<iframe((?:\s[a-z][a-z0-9_.:-]*(?:="[^"]*")?)*)>.*?</iframe>', re.DOTALL)
# What makes a URL need more than a look: controls, tab/newline, spaces (stripped or refused).
_NOT_PLAIN = re.compile(r"[\x00-\x20\x7f]")
# A base URL whose origin urlsplit would give as is: lower-case http(s), a plain ASCII host
# (no user info, no IPv6 brackets, nothing urlsplit strips or checks).
_PLAIN_ORIGIN = re.compile(r"(https?://[A-Za-z0-9.\-]+(?::[0-9]*)?)(?:[/?#]|$)")


def _origin(base_url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) base URL, else ``None``."""
    plain = _PLAIN_ORIGIN.match(base_url)  # each item has its own base: a cache rarely hits
    return plain.group(1) if plain else _split_origin(base_url)


@functools.lru_cache(maxsize=256)
def _split_origin(base_url: str) -> str | None:
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _clean_url(tag: str, attr: str, value: str, base_url: str | None) -> str | None:
    if tag != "iframe" and not _NOT_PLAIN.search(value):
        # The usual values, answered as _resolve_url would: an http(s) URL is kept, a
        # root-relative path ("/img/a.png") joins onto the base's origin.
        if value.startswith(("https://", "http://")):
            return value
        if value[:1] == "/" and value[1:2] not in ("/", "\\") and base_url and "/." not in value:
            origin = _origin(base_url)
            if origin:
                return origin + value
    return _resolve_url(tag, attr, value, base_url)


def _resolve_url(tag: str, attr: str, value: str, base_url: str | None) -> str | None:
    """Any URL value: absolute against the base, or None if its scheme is not allowed."""
    if _CONTROL.search(value):
        return None
    value = _TAB_NEWLINE.sub("", value).strip(" \x0c")
    if tag == "iframe" and value.startswith("//"):
        value = "https:" + value
    match = _SCHEME.match(value)
    if match is None and base_url:
        origin = _origin(base_url) if value[:1] == "/" and value[1:2] not in ("/", "\\") else None
        # A root-relative path ("/img/a.png", the usual case) joins onto the base's origin.
        value = origin + value if origin and "/." not in value else urljoin(base_url, value)
        match = _SCHEME.match(value)
    scheme = match.group(1).lower() if match else None
    if tag == "iframe":
        if scheme not in ("http", "https") or urlsplit(value).hostname not in IFRAME_HOSTS:
            return None
        # An http player inside an https page is blocked as mixed content.
        return "https:" + value[len(scheme) + 1 :] if scheme == "http" else value
    if scheme is None or scheme in ("http", "https"):
        return value
    if scheme == "mailto" and attr == "href":
        return value
    if scheme == "data" and tag == "img" and attr == "src" and _IMAGE_DATA.match(value):
        return value
    return None


_SRCSET_DESCRIPTOR = re.compile(r"\d+(?:\.\d+)?[wx]")
_SRCSET_CANDIDATE = re.compile(r"[\s,]*([^\s]+)([^,]*)")


def _clean_srcset(value: str, base_url: str | None) -> str | None:
    """A ``srcset`` whose every candidate is an http(s) URL (resolved against the base) with
    at most a plain ``120w``/``2x`` descriptor, written back in one canonical form. The URL
    is a run of non-blanks as HTML reads it (a ``data:`` URL's comma stays inside it); a
    candidate that is not http(s), holds a comma, or has another descriptor is dropped.
    ``None`` when none is left. (The best candidate is what ``images: local`` downloads.)"""
    kept = []
    for match in _SRCSET_CANDIDATE.finditer(value):
        url, descriptor = match.group(1), match.group(2).split()
        if url.endswith(","):
            url, descriptor = url.rstrip(","), []
        if not url or len(descriptor) > 1:
            continue
        if descriptor and not _SRCSET_DESCRIPTOR.fullmatch(descriptor[0]):
            continue
        try:
            clean = _clean_url("img", "srcset", url, base_url)
        except ValueError:
            continue
        if clean is None or not clean.startswith(("http://", "https://")):
            continue
        if "," in clean or _NOT_PLAIN.search(clean):
            continue
        kept.append(" ".join([clean, *descriptor]))
    return ", ".join(kept) or None


# The base URL of the document being cleaned. One Cleaner serves every document (building one
# costs more than cleaning a short description); its filter reads the base from here.
_current = threading.local()


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in _URL_ATTRIBUTES:
        try:
            return _clean_url(tag, attr, value, getattr(_current, "base", None))
        except ValueError:  # urllib refuses it (e.g. "http://[::1"): so do we
            return None
    if attr == "srcset":
        return _clean_srcset(value, getattr(_current, "base", None))
    if attr == "referrerpolicy":
        # Kept in place rather than re-added: nh3 moves attributes around when the
        # filter drops one, and a re-added attribute would land elsewhere on a second pass.
        return "no-referrer"
    return value


_CLEANER = nh3.Cleaner(
    tags=set(_TAGS),
    # Dropped with their content: active or form elements, and elements the HTML parser
    # lets hold a <p> inside a <p> (select, button, svg, math); stripping only their tags
    # would leave markup that parses differently the next time.
    clean_content_tags={
        *("script", "style", "noscript", "template", "object", "embed", "applet"),
        *("select", "button", "textarea", "svg", "math"),
    },
    attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    url_schemes={"http", "https", "mailto", "data"},
    # Hotlink-protected CDNs (zhimg, sinaimg, ...) refuse images sent with a Referer.
    set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer"}},
)

_MAX_PASSES = 4


def _fix_iframe(match: re.Match[str]) -> str:
    attrs = match.group(1)
    # The filter removed the src of a player not on the list: drop the whole frame. A kept
    # frame loses its fallback content, which nh3 would emit unescaped.
    return f"<iframe{attrs}></iframe>" if ' src="' in attrs else ""


def sanitize_html(html: str, base_url: str | None = None, *, junk_free: bool = False) -> str:
    """Safe HTML for publishing: no active content, relative URLs made absolute.

    Idempotent: ``sanitize_html(sanitize_html(x, b), b) == sanitize_html(x, b)``.
    ``junk_free``: the caller has checked that ``html`` holds no control character or
    lone surrogate (what ``_JUNK`` matches), so it is not scanned again.
    """
    if not junk_free and _JUNK.search(html):
        html = _JUNK.sub("", html)
    if base_url is not None and not base_url.isascii():
        # A lone surrogate (a JSON Feed can carry one) would make every URL joined to the
        # base unencodable, and nh3 would drop the attribute with a warning.
        base_url = base_url.encode("utf-8", "ignore").decode("utf-8")
    # Without junk in the input, nh3's output holds some only if a character reference
    # ("&#1;") or the base URL (joined into relative URLs) brings it: else none is looked for.
    junk_base = base_url is not None and _JUNK.search(base_url) is not None
    _current.base = base_url
    try:
        cleaned = _clean_once(_CLEANER, html, junk_base)
        if cleaned == html:
            return cleaned  # cleaning its own input again gives the same: it is stable
        if _same_markup(html, cleaned, base_url):
            return cleaned  # only attributes (and whole scripts) changed: stable too
        # Removing a tag can leave markup that the parser rebuilds differently (misnested
        # blocks): clean until the result is stable, so re-sanitizing never changes content.
        for _ in range(_MAX_PASSES):
            again = _clean_once(_CLEANER, cleaned, junk_base)
            if again == cleaned:
                break
            cleaned = again
    finally:
        _current.base = None
    return cleaned


# A start tag's attributes, each written name="value" as nh3 writes them (the input may also
# have bare names and a "/" before the ">", which the parser ignores on these elements).
_ATTRIBUTED = re.compile(r'(<[a-z][a-z0-9]*)(?:(?: [a-z][-a-z0-9_:.]*(?:="[^"]*")?)+ ?/?| ?/)(?=>)')
# The replacement: the tag's "<name" (a C callable: Python 3.11 expands an r"\1" template in
# Python, for each match).
_TAG_NAME = operator.itemgetter(1)
# A script or style element whose text holds no "<": read as raw text up to its end tag.
_SCRIPT = re.compile(r"<(script|style)(?: [a-z][-a-z0-9_:.]*=\"[^\"]*\")*>[^<]*</\1>")
# Base URLs the attribute filter's answers are fixed points for (see _same_markup).
_PLAIN_BASE = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]*)?(?:[/?#][\x21-\x7e]*)?")


def _same_markup(html: str, cleaned: str, base_url: str | None) -> bool:
    """Whether the first pass's output is stable without a second pass to prove it: with
    attributes taken out of both, it equals the input, or the input without whole
    ``script``/``style`` elements.

    Then the tokenizer reads both the same way (nh3 escapes ``<`` in text and attribute
    values, so every ``<`` left is a tag, and the input's attributes are the ones the
    pattern skips), and the parser builds from the output the tree the first pass
    serialized: had an element been removed, added (an implied ``tbody``, a reconstructed
    ``<b>``) or moved (misnesting), the tags would differ, and attributes do not steer how
    the allowed elements are built. A dropped script is a token the parser only inserts,
    except right after ``<pre>``, whose first newline is skipped: hence no scripts when
    the output has a ``<pre``. The attribute filter's answers are its own fixed points
    (absolute or unchanged URLs, ``no-referrer``; ``rel`` is re-added last, where nh3 put
    it) for a plain base URL or none, but not for ``srcset``. tests/test_sanitize_fixed_point.py
    compares the result with cleaning until stable over every corpus and generated markup."""
    if (base_url is not None and not _PLAIN_BASE.fullmatch(base_url)) or ' srcset="' in cleaned:
        return False
    before = _ATTRIBUTED.sub(_TAG_NAME, html)
    after = _ATTRIBUTED.sub(_TAG_NAME, cleaned)
    if before == after:
        return True
    if ("<script" not in before and "<style" not in before) or "<pre" in after:
        return False
    return _ATTRIBUTED.sub(_TAG_NAME, _SCRIPT.sub("", html)) == after


def _clean_once(cleaner: nh3.Cleaner, html: str, junk_base: bool) -> str:
    cleaned = cleaner.clean(html)
    if (junk_base or "&#" in html) and _JUNK.search(cleaned):
        cleaned = _JUNK.sub("", cleaned)
    if "<iframe" in cleaned:
        cleaned = _IFRAME.sub(_fix_iframe, cleaned)
    return cleaned


_IMG = re.compile(
    r"<img\b((?:\s*[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*/?>", re.I
)
_SRC = re.compile(r"""(?:^|\s)src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def first_image(html: str) -> str | None:
    """The first ``<img src>`` that is an absolute http(s) URL, entities decoded."""
    for img in _IMG.finditer(html):
        src = _SRC.search(img.group(1))
        if src is None:
            continue
        url = html_lib.unescape(next(g for g in src.groups() if g is not None)).strip()
        if url.lower().startswith(("http://", "https://")) and len(url) > len("https://"):
            return url
    return None
