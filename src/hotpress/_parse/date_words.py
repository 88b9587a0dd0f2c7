"""The loose date parser's tables: CJK date forms, month and weekday names, zone
abbreviations (``dates.py`` holds the parsing)."""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo


def normalise_cjk(s: str) -> tuple[str, tzinfo | None]:
    """Rewrite CJK dates to Western tokens; Korean blog dates carry KST implicitly."""
    zone: tzinfo | None = None
    if _HANGUL.search(s):
        zone = timezone(timedelta(hours=9))
    if _HANGUL.search(s) or _HAN.search(s):
        s = _CJK_DATE.sub(r"\1-\2-\3 ", s)
        s = _CJK_TIME.sub(lambda m: f"{m[1]}:{m[2]}:{m[3] or '00'}", s)
        for native, latin in _CJK_WORDS.items():
            s = s.replace(native, latin)
    return s, zone


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAN = re.compile(r"[年月日时分秒點点時]")
_CJK_DATE = re.compile(r"(\d{2,4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일号]?")
_CJK_TIME = re.compile(r"(\d{1,2})\s*[时時点點시]\s*(\d{1,2})\s*[分분]\s*(?:(\d{1,2})\s*[秒초])?")
_CJK_WORDS = {"오후": " pm ", "오전": " am ", "下午": " pm ", "上午": " am ", "星期": " "}


def _names(*groups: tuple[str, ...]) -> dict[str, int]:
    """Month name tables: each group lists names for January..December in one language."""
    table: dict[str, int] = {}
    for group in groups:
        for number, names in enumerate(group, start=1):
            for name in names.split():
                table[name] = number
    return table


_MONTHS = _names(
    # English (full, short, and the dotted "Sept")
    (
        "january jan",
        "february feb",
        "march mar",
        "april apr",
        "may",
        "june jun",
        "july jul",
        "august aug",
        "september sep sept",
        "october oct",
        "november nov",
        "december dec",
    ),
    # French, German, Spanish, Italian, Dutch (only names not already above)
    (
        "janvier janv januar jänner jän enero ene gennaio gen januari",
        "février févr fevrier fevr februar febrero febbraio februari",
        "mars märz mär mrz marzo maart mrt",
        "avril avr abril abr aprile",
        "mai mayo maggio mei",
        "juin juni junio giugno",
        "juillet juil juli julio luglio",
        "août aout agosto ago",
        "septembre septiembre setiembre settembre set",
        "octobre oktober okt octubre ottobre",
        "novembre noviembre",
        "décembre déc dezember dez diciembre dic dicembre",
    ),
    # Hungarian
    (
        "január",
        "február",
        "március",
        "április",
        "május",
        "június",
        "július",
        "augusztus",
        "szeptember",
        "október",
        "november",
        "december",
    ),
    # Greek (accented and plain)
    (
        "ιαν",
        "φεβ",
        "μάρ μαρ",
        "απρ",
        "μάι μαι μαΐ μάη μαη",
        "ιούν ιουν ιον",
        "ιούλ ιουλ ιολ",
        "αύγ αυγ",
        "σεπ",
        "οκτ",
        "νοέ νοε",
        "δεκ",
    ),
)

# weekdays in the languages above, and filler words ("at", "um")
_IGNORED_WORDS = (
    "mon monday tue tues tuesday wed weds wednesday thu thur thurs thursday fri friday "
    "sat saturday sun sunday "
    "lun lundi mar mardi mer mercredi jeu jeudi ven vendredi sam samedi dim dimanche "
    "mo mon montag di dienstag mi mittwoch do donnerstag fr freitag sa samstag so sonntag "
    "lu ma me je ve "
    "κυρ δευ τρι τετ πεμ παρ σαβ "
    "at on the of um le de h"
)
_IGNORED = frozenset(_IGNORED_WORDS.split())

_ZONES: dict[str, float] = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
    "bst": 1, "cet": 1, "met": 1, "wat": 1, "west": 1,
    "cest": 2, "mest": 2, "eet": 2, "sast": 2,
    "eest": 3, "msk": 3, "ist": 5.5, "pkt": 5, "wib": 7, "ict": 7,
    "hkt": 8, "sgt": 8, "awst": 8, "pht": 8, "jst": 9, "kst": 9, "acst": 9.5,
    "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
    "ast": -4, "adt": -3, "at": -4, "est": -5, "edt": -4, "et": -5,
    "cst": -6, "cdt": -5, "ct": -6, "mst": -7, "mdt": -6, "mt": -7,
    "pst": -8, "pdt": -7, "pt": -8, "akst": -9, "akdt": -8, "hst": -10,
}  # fmt: skip

# RFC 822 military zones (A-I, K-M east as +1..+12; N-Y west as -1..-12).
_MILITARY: dict[str, int] = {
    **{c: i for i, c in enumerate("abcdefghi", start=1)},
    **{c: i for i, c in enumerate("klm", start=10)},
    **{c: -i for i, c in enumerate("nopqrstuvwxy", start=1)},
    "z": 0,
}
