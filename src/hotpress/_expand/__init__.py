"""Expand stage (``expand:``): a second feed per item, whose chosen entry becomes its body.

``plan`` holds the pure decisions (which URL, is it due, when to retry, which entry);
``run`` fetches through the fetch stage, reads with the parse and normalize stages, and
hands the results to the archive.
"""

from __future__ import annotations

from .plan import choose_entry, expansion_url, is_due, retry_at
from .run import ExpandReport, expand_sources

__all__ = ["ExpandReport", "choose_entry", "expand_sources", "expansion_url", "is_due", "retry_at"]
