"""The one exception tree of hotpress.

Every error hotpress raises on purpose derives from :class:`HotpressError`; anything else
escaping the library is a bug. Third-party exceptions are wrapped only at the boundary
where they occur, with the original chained as ``__cause__``::

    HotpressError
    ├── ConfigError            bad config file: carries path, line and key
    ├── CatalogError           RSSHub's /api/namespace could not be read
    ├── OpmlError              an OPML file hotpress cannot read
    ├── SourceError            one source could not be refreshed: carries the source URL
    │   ├── FetchError         network, HTTP status, size cap, redirects
    │   │   └── NotModified    (not an error for users: a 304, raised only internally)
    │   └── ParseError         the bytes are not a feed hotpress can read
    ├── StorageError           the archive cannot be opened, migrated or written
    │   └── LockedError        another hotpress run holds the archive
    ├── PublishError           an output file could not be written: carries the path
    ├── MediaError             an image hotpress refuses to keep (not raster, too many pixels)
    ├── ServeError             `hotpress serve` cannot listen on the address asked for
    └── WorkerError            distributed refresh (`broker:`) cannot go on
        └── BrokerRefused      the broker refused the login, vhost or database number
                               (``_workers.broker``: raised where Celery's transports are)
"""

from __future__ import annotations

from pathlib import Path


def causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps, outermost first (``__cause__``, else ``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


class HotpressError(Exception):
    """Root of every error hotpress raises on purpose."""


class ConfigError(HotpressError):
    """The configuration file is missing or invalid."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        return f"{where}{key}{self.message}"


class CatalogError(HotpressError):
    """The RSSHub instance did not give a usable route catalog."""


class OpmlError(HotpressError):
    """The file is not an OPML document hotpress can read."""


class SourceError(HotpressError):
    """A source could not be refreshed. Recorded on the source; the run goes on."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")


class FetchError(SourceError):
    """Network failure, unwanted HTTP status, size cap or redirect problem."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message, url=url)


class ParseError(SourceError):
    """The response is not a feed hotpress can read (or is hostile XML)."""


class StorageError(HotpressError):
    """The archive could not be opened, migrated or written."""


class LockedError(StorageError):
    """Another hotpress process holds the lock on this archive."""


class LeaseLostError(StorageError):
    """A worker's lease on a source is no longer the source's (another claim took it, or its
    refresh is already stored): the late result is dropped, nothing is written."""


class WorkerError(HotpressError):
    """Distributed refresh (``broker:``) cannot go on: no worker answers, the broker cannot be
    reached, or the workers extra is not installed."""


class PublishError(HotpressError):
    """An output file could not be written."""

    def __init__(self, message: str, *, path: str | Path) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class MediaError(HotpressError):
    """An image hotpress refuses to keep: not a raster image by its bytes (SVG, HTML), too
    many pixels (decompression bomb), or unreadable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServeError(HotpressError):
    """The preview server cannot listen where it was asked to (port taken, not allowed)."""
