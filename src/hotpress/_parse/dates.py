"""Feed dates to aware UTC datetimes.

Two passes: a strict ISO 8601 / W3C-DTF regex (the Atom and JSON Feed form), then a loose
tokenizer for RFC 822 and the many hand-made shapes found in the wild. The tokenizer rejects
any word it does not know, so garbage (``Invalid Date``) gives ``None`` instead of a guess.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotpress._parse.date_words import _IGNORED, _MILITARY, _MONTHS, _ZONES, normalise_cjk

__all__ = ["EARLIEST", "LATEST", "parse_date", "parse_timestamp"]

# Instants every later step can show in any time zone and step a month from (archives, the
# site's local dates). A date outside is not a date but a placeholder (Go's zero time
# 0001-01-01, .NET's DateTime.MaxValue 9999-12-31): it reads as undated, like "Invalid Date".
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def _plausible(found: datetime | None) -> datetime | None:
    return found if found is not None and EARLIEST <= found <= LATEST else None


_CHINA__ZONES = frozenset(
    {
        "Asia/Shanghai",
        "Asia/Chongqing",
        "Asia/Chungking",
        "Asia/Harbin",
        "Asia/Urumqi",
        "Asia/Kashgar",
        "PRC",
        "Asia/Hong_Kong",
        "Hongkong",
        "Asia/Taipei",
        "ROC",
        "Asia/Macau",
        "Asia/Macao",
    }
)

_ISO = re.compile(
    r"(\d{4})(?:-?(0?\d\d)(?:-?(\d\d))?)?"
    r"(?:(?:T|\s+)(\d{1,2})(?::?(\d\d)(?::?(\d\d)(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d\d(?::?\d\d)?)?Z?)?",
    re.IGNORECASE,
)
# feedparser's 2-digit-year ISO variants: -YYMM, -YY-MM, YYMMDD, YY-MM-DD. (Not the ordinal
# YYDDD: "22013" must stay garbage, and no feed writes ordinal dates.)
_ISO_YYMM = re.compile(r"-(\d\d)-?(\d\d)")
_ISO_YYMMDD = re.compile(r"(\d\d)(-?)(\d\d)\2(\d\d)")
_TIMESTAMP = re.compile(r"(\d{9,10})(\.\d+)?|(\d{12,13})")

_TOKEN = re.compile(
    r"""
    (?P<zonename>[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)
  | (?P<ymd>(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d))
  | (?P<dmy>(?<!\d)\d{1,2}(?P<dsep>[-/.])\d{1,2}(?P=dsep)\d{2,4}(?!\d))
  | (?P<time>(?<!\d)\d{1,2}:\d\d(?::\d\d(?:[.,]\d+)?)?(?![\d:]))
  | (?P<offset>(?:(?:gmt|utc|ut)\s*)?[+-]\d\d:?\d\d(?!\d)|(?:gmt|utc|ut)[+-]\d{1,2}(?![\d:]))
  | (?P<ampm>(?<![^\W\d_])[ap]\.?m\.?(?![^\W\d_]))
  | (?P<ordinal>(?<!\d)\d{1,2}(?:st|nd|rd|th)(?![^\W\d_]))
  | (?P<number>\d+)
  | (?P<word>[^\W\d_]+)
  | (?P<sep>(?:[\s,./]|-(?!\d\d:?\d\d(?!\d)))+)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PARENS = re.compile(r"\([^()]*\)")
_T_BETWEEN_DIGITS = re.compile(r"(?<=\d)T(?=\d)")


def parse_timestamp(value: str | float | None) -> datetime | None:
    """A Unix timestamp (seconds, or milliseconds when it has 12-13 digits) to UTC."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
        if number > 1e11:  # milliseconds (JavaScript ``Date.now()``)
            number /= 1000
        return _plausible(datetime.fromtimestamp(number, UTC))
    except (ValueError, OverflowError, OSError):
        return None


def parse_date(text: str | None, tz: str = "UTC") -> datetime | None:
    """Parse a feed date; naive dates are in ``tz``. ``None`` when missing or unparsable."""
    if not text:
        return None
    s = text.strip()
    if not s or len(s) > 100:
        return None
    try:
        return _plausible(_parse(s, tz))
    except (ValueError, OverflowError):
        # datetime() refuses day 99, hour 25, year 10000 after the offset shift...
        return None


# The shape nearly every RSS feed (and every RSSHub feed) uses: a fast path before the tokenizer.
_RFC822 = re.compile(
    r"(?:[A-Z][a-z]{2}, ?)?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) "
    r"(GMT|UTC|UT|Z|[+-]\d{4})"
)
_MONTHS_EN = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _rfc822(m: re.Match[str]) -> datetime | None:
    day, name, year, hour, minute, sec, zone = m.groups()
    month = _MONTHS_EN.get(name)
    if month is None:
        return None
    shift = _RFC822_SHIFTS.get(zone)
    if shift is None:
        offset = _offset(zone[0], int(zone[1:3]), int(zone[3:5]))
        if offset is None:
            return None
        shift = _RFC822_SHIFTS[zone] = offset.utcoffset(None) or timedelta(0)
    # Subtracting the offset from the wall clock read as UTC is what astimezone(UTC) does,
    # without building a timezone per entry; out-of-range results raise OverflowError alike.
    clock = datetime(int(year), month, int(day), int(hour), int(minute), min(int(sec), 59), 0, UTC)
    return clock - shift


# The zones of _RFC822 as UTC offsets, the numeric ones memoised as met (a few per process).
_RFC822_SHIFTS: dict[str, timedelta] = {z: timedelta(0) for z in ("GMT", "UTC", "UT", "Z")}


# The W3C-DTF shape Atom and JSON feeds use: another fast path.
_W3C = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|([+-])(\d\d):(\d\d))")


def _w3c(s: str, m: re.Match[str]) -> datetime | None:
    if m[1] and (int(m[2]) > 12 or int(m[3]) > 59):
        return None  # an unusual or broken offset: the general path decides
    found = datetime.fromisoformat(s)
    return found.astimezone(UTC) if found.tzinfo else None


def _parse(s: str, tz: str) -> datetime | None:
    fast = _RFC822.fullmatch(s)
    if fast and (found := _rfc822(fast)) is not None:
        return found
    iso = _W3C.fullmatch(s)
    if iso and (found := _w3c(s, iso)) is not None:
        return found
    if _TIMESTAMP.fullmatch(s):
        return parse_timestamp(s)
    m2 = _ISO_YYMMDD.fullmatch(s)
    if m2:
        return _finish(2000 + int(m2[1]), int(m2[3]), int(m2[4]), 0, 0, 0, 0, None, tz)
    m = _ISO.fullmatch(s)
    if m:
        return _from_iso(m, tz)
    m2 = _ISO_YYMM.fullmatch(s)
    if m2:
        return _finish(2000 + int(m2[1]), int(m2[2]), 1, 0, 0, 0, 0, None, tz)
    return _parse_loose(s, tz)


def _from_iso(m: re.Match[str], tz: str) -> datetime | None:
    year, month, day, hour, minute, sec, frac, zone = m.groups()
    offset: tzinfo | None = None
    if zone:
        offset = _offset_from_text(zone)
        if offset is None:
            return None
    micro = int((frac or "0")[:6].ljust(6, "0"))
    return _finish(
        int(year),
        int(month or 1),
        int(day or 1),
        int(hour or 0),
        int(minute or 0),
        int(sec or 0),
        micro,
        offset,
        tz,
    )


def _finish(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    sec: int,
    micro: int,
    zone: tzinfo | None,
    tz: str,
) -> datetime:
    if sec == 60:  # a leap second is a second too late, not a parse failure
        sec = 59
    naive = datetime(year, month, day, hour, minute, sec, micro)
    return naive.replace(tzinfo=zone or _zone(tz)).astimezone(UTC)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _offset(sign: str, hours: int, minutes: int) -> tzinfo | None:
    if minutes > 59 or hours > 23:
        return None
    total = hours * 60 + minutes
    if total > 14 * 60 or (sign == "-" and total > 12 * 60):
        return UTC  # no such zone on Earth: a broken feed, read the clock as UTC (miniflux)
    return timezone(timedelta(minutes=-total if sign == "-" else total))


def _offset_from_text(text: str) -> tzinfo | None:
    """``Z``, ``+08``, ``+0800``, ``+08:00``, ``GMT-01:01``; ``None`` when malformed."""
    t = text.strip().upper().lstrip("GMTUC ").strip()
    if t in ("", "Z"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d\d)?", t)
    if not m:
        return None
    return _offset(m[1], int(m[2]), int(m[3] or 0))


def _named_zone(word: str, tz: str) -> tzinfo | None:
    if word == "cst" and tz in _CHINA__ZONES:
        return timezone(timedelta(hours=8))  # China Standard Time, not US Central
    hours = _ZONES.get(word)
    if hours is None:
        return None
    return timezone(timedelta(hours=hours))


def _parse_loose(text: str, tz: str) -> datetime | None:
    s = _PARENS.sub(" ", text)
    s, default_zone = normalise_cjk(s)
    s = _T_BETWEEN_DIGITS.sub(" ", s)
    year = month = day = None
    hour = minute = sec = micro = 0
    has_time = False
    ampm: str | None = None
    weekday_or_month: int | None = None
    zone: tzinfo | None = None
    pos = 0
    for m in _TOKEN.finditer(s):
        if m.start() != pos:
            return None  # a character no token accepts: not a date
        pos = m.end()
        kind, value = m.lastgroup, m.group()
        low = value.lower()
        if kind == "sep":
            continue
        if kind == "zonename":
            try:
                zone = ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                return None
        elif kind == "ymd":
            y, mo, d = re.split(r"[-/.]", value)
            year, month, day = int(y), int(mo), int(d)
        elif kind == "dmy":
            sep = m["dsep"]
            parts = value.split(sep)
            a, b, c = (int(p) for p in parts)
            # 26/06/2020 and 30.10.23 are day-first; 03/30/2020 is US month-first.
            if a > 12 or (sep == "." and b <= 12):
                day, month = a, b
            else:
                month, day = a, b
            year = _year(c, len(parts[2]))
        elif kind == "time":
            if has_time:
                return None
            has_time = True
            hms = value.replace(",", ".").split(":")
            hour, minute = int(hms[0]), int(hms[1])
            if len(hms) == 3:
                whole, _, frac = hms[2].partition(".")
                sec, micro = int(whole), int(frac[:6].ljust(6, "0"))
        elif kind == "offset":
            zone = _offset_from_text(value)
            if zone is None:
                return None
        elif kind == "ampm":
            ampm = low[0]
        elif kind == "ordinal":
            if day is not None:
                return None
            day = int(value[:-2])
        elif kind == "number":
            n = len(value)
            num = int(value)
            if n in (3, 4) and year is None:
                year = num
            elif n <= 2 and day is None:
                day = num
            elif n <= 2 and month is None:
                month = num
            elif n <= 2 and year is None:
                year = _year(num, 2)
            else:
                return None
        else:  # word
            word = low.rstrip(".")
            if word in _MONTHS and word in _IGNORED:
                weekday_or_month = _MONTHS[word]  # French "mar." is mardi or March
            elif word in _MONTHS and month is None:
                month = _MONTHS[word]
            elif zone is None and has_time and (named := _named_zone(word, tz)) is not None:
                zone = named  # after the time, "AT" is Atlantic time, not "at"
            elif word in _IGNORED:
                continue
            elif zone is None and (named := _named_zone(word, tz)) is not None:
                zone = named
            elif zone is None and has_time and len(word) == 1 and word in _MILITARY:
                zone = timezone(timedelta(hours=_MILITARY[word]))
            else:
                return None
    if month is None:
        month = weekday_or_month
    if pos != len(s) or year is None or month is None:
        return None
    if ampm is not None:
        if not has_time or not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return _finish(year, month, day or 1, hour, minute, sec, micro, zone or default_zone, tz)


def _year(value: int, digits: int) -> int:
    if digits > 2:
        return value
    return 2000 + value if value < 50 else 1900 + value  # RFC 2822 section 4.3
