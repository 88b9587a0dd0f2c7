"""Full-text stage (``fulltext:``): the article behind an item's link as its body.

``extract`` turns a fetched page into sanitized HTML (trafilatura, then the same sanitizer as
every body); ``run`` picks the items, fetches through the fetch stage and stores the results
in the expansions table (the article is the item's "expansion": same retry state, same
in-place update, same protection from list edits).
"""

from __future__ import annotations

from .extract import extract_article, text_length
from .run import FulltextReport, fulltext_sources

__all__ = ["FulltextReport", "extract_article", "fulltext_sources", "text_length"]
