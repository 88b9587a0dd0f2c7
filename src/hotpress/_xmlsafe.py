"""The one set of safe lxml parser options (feeds and OPML files alike).

No network, no DTD loading or validation, no XInclude, ``huge_tree`` off so libxml2's
amplification limit stops entity bombs, comments and processing instructions dropped.
Entities: a feed's own internal ones are expanded (``internal_entities=True``); external
ones (files, URLs) never are. A new parser per call: lxml parsers must not be shared
between threads.
"""

from __future__ import annotations

from lxml import etree


def safe_parser(
    *, internal_entities: bool, recover: bool = False, encoding: str | None = None
) -> etree.XMLParser:
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities="internal" if internal_entities else False,  # type: ignore[arg-type]  # lxml-stubs predate lxml 5
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )
