"""The archive on a PostgreSQL server (``database: postgresql://…``): the same query mixins as
SQLite, on the connection of ``pg_conn`` (translated SQL, same numbered migrations)."""

from __future__ import annotations

from hotpress._storage.conn import guard_calls
from hotpress._storage.expand_sqlite import ExpansionQueriesMixin
from hotpress._storage.filter_sqlite import FilterQueriesMixin
from hotpress._storage.hot_sqlite import HotQueriesMixin
from hotpress._storage.lease_rows import Dialect
from hotpress._storage.lease_sqlite import LeaseQueriesMixin
from hotpress._storage.media_sqlite import MediaQueriesMixin
from hotpress._storage.notify_sqlite import NotifyQueriesMixin
from hotpress._storage.pg_conn import PostgreSQLConnection
from hotpress._storage.site_sqlite import SiteQueriesMixin
from hotpress._storage.sqlite_items import ItemQueriesMixin
from hotpress._storage.sqlite_publish import PublicationQueriesMixin
from hotpress._storage.sqlite_sources import SourceQueriesMixin
from hotpress._storage.story_sqlite import StoryQueriesMixin

__all__ = ["PostgreSQLStorage"]


@guard_calls
class PostgreSQLStorage(
    PostgreSQLConnection,
    SiteQueriesMixin,
    ExpansionQueriesMixin,
    MediaQueriesMixin,
    HotQueriesMixin,
    FilterQueriesMixin,
    NotifyQueriesMixin,
    StoryQueriesMixin,
    LeaseQueriesMixin,
    SourceQueriesMixin,
    ItemQueriesMixin,
    PublicationQueriesMixin,
):
    """Archive in a PostgreSQL database. Not for concurrent use: one thread at a time."""

    dialect: Dialect = "postgresql"
    """The lease claim locks its rows ``FOR UPDATE SKIP LOCKED`` (``lease_rows``)."""
