"""Fetch stage: sources in (:class:`~hotpress.types.FetchRequest`), bytes out
(:class:`~hotpress.types.FetchResult`). No parsing, no storage.

A failing source is a result with ``error`` set, never an exception; only bugs escape.
"""

from __future__ import annotations

from .batch import fetch_all, fetch_one
from .http import make_client
from .limits import HostLimiter
from .settings import DEFAULT_USER_AGENT, FetchSettings

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchSettings",
    "HostLimiter",
    "fetch_all",
    "fetch_one",
    "make_client",
]
