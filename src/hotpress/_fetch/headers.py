"""Pure helpers over HTTP headers and wording of failures (no I/O, no clock of their own)."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from http import HTTPStatus

from ..types import Validators

LONGEST_WAIT = 30 * 24 * 3600.0
"""What a server's ``Retry-After``, ``max-age`` or ``Expires`` may ask for at most (30 days):
beyond it the number is nonsense (a 25-digit count, a date in year 9999), not a plan."""


def _wait(value: float) -> float:
    return min(max(0.0, value), LONGEST_WAIT)


def seconds(value: float) -> str:
    """``30`` -> ``"30 s"``, ``0.25`` -> ``"0.25 s"``, ``2592000`` -> ``"2592000 s (30 days)"``."""
    if value < 100_000:
        return f"{value:g} s"
    return f"{value:.0f} s ({value / 86400:.3g} days)"


def size(n: int) -> str:
    """Bytes in the unit a person reads best: ``10 MiB``, ``512 KiB``, ``300 bytes``."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


def status_message(status: int, reason: str = "") -> str:
    """``HTTP 404 Not Found``; 410 also says what it means for a feed."""
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    text = f"HTTP {status} {reason}".rstrip()
    if status == 410:
        text += ": the feed is gone for good (remove it from the config)"
    return text


def conditional_headers(validators: Validators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date); ``None`` if absent
    or unreadable. A date in the past means "now" (0); more than :data:`LONGEST_WAIT` means
    that long."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return _wait(float(value))
    when = _http_date(value)
    if when is None:
        return None
    return _wait(when - now)


def _cache_control(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = arg.strip().strip('"') if sep else None
    return directives


def parse_max_age(headers: Mapping[str, str], now: float) -> float | None:
    """Freshness lifetime declared by the server, in seconds (RFC 9111 4.2.1 order):
    ``no-store``/``no-cache`` -> 0, else ``max-age``, else ``Expires`` minus ``Date`` (or now).
    An ``Expires`` that is not a date means already expired (0). ``None``: nothing declared."""
    directives = _cache_control(headers.get("cache-control", ""))
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    max_age = directives.get("max-age")
    if max_age is not None and max_age.isascii() and max_age.isdigit():
        return _wait(float(max_age))
    expires = headers.get("expires")
    if expires is None:
        return None
    when = _http_date(expires)
    if when is None:
        return 0.0
    date = _http_date(headers.get("date", "")) or now
    return _wait(when - date)
