"""The embedded archive: one SQLite file in WAL mode, one module per concern.

``sqlite_conn`` opens, checks and migrates the file and wraps every call; ``sqlite_sources``,
``sqlite_items`` and ``sqlite_publish`` hold the pipeline's queries; the ``*_sqlite`` mixins
hold the site's, hot lists', filters', pushes', expansions', media and lease queries.
"""

from __future__ import annotations

from hotpress._storage.conn import guard_calls
from hotpress._storage.expand_sqlite import ExpansionQueriesMixin
from hotpress._storage.filter_sqlite import FilterQueriesMixin
from hotpress._storage.hot_sqlite import HotQueriesMixin
from hotpress._storage.lease_sqlite import LeaseQueriesMixin
from hotpress._storage.media_sqlite import MediaQueriesMixin
from hotpress._storage.notify_sqlite import NotifyQueriesMixin
from hotpress._storage.site_sqlite import SiteQueriesMixin
from hotpress._storage.sqlite_conn import SQLiteConnection
from hotpress._storage.sqlite_items import ItemQueriesMixin
from hotpress._storage.sqlite_publish import PublicationQueriesMixin
from hotpress._storage.sqlite_sources import SourceQueriesMixin
from hotpress._storage.story_sqlite import StoryQueriesMixin

__all__ = ["SQLiteStorage"]


@guard_calls
class SQLiteStorage(
    SQLiteConnection,
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
    """Archive in one SQLite file. Not for concurrent use: one thread at a time."""
