"""The PostgreSQL backend's connection: open, check, migrate, and the sqlite3-like adapter.

The query mixins run unchanged on ``PgDB``: it translates each statement once
(``pg_sql.translate``, cached) and hands back psycopg's cursor, which has the
``fetchone``/``fetchall``/``fetchmany``/``rowcount``/iteration the mixins use. The
connection is in autocommit mode: a read is its own statement, a write is the mixins'
explicit ``BEGIN`` … ``COMMIT`` (``ArchiveConnection._write``), as on SQLite.

- **Schema version**: the table ``hotpress_schema`` (SQLite keeps ``PRAGMA user_version``);
  the same numbered ``MIGRATIONS`` run through ``pg_sql.migration_statements``, under a
  transaction-level advisory lock, so two processes opening a new archive at once migrate it
  once.
- **Data version** (``serve`` rebuilds when it moves): the sequence
  ``hotpress_data_version``, advanced right after every write transaction commits (in the
  same round trip as the ``COMMIT``). Sequences are not transactional and take no row lock,
  so concurrent writers do not queue on it; advanced after the commit, a reader that sees
  the new value also sees the data.
- **Not someone else's database**: a schema holding tables but no ``hotpress_schema`` is
  refused untouched, as ``guard.py`` refuses another program's SQLite file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit, urlunsplit

import psycopg

from hotpress._storage.conn import ArchiveConnection, Cursor
from hotpress._storage.migrations import MIGRATIONS
from hotpress._storage.pg_sql import migration_statements, numbered, translate
from hotpress.exceptions import StorageError

__all__ = ["PgDB", "PostgreSQLConnection", "lock_key", "public_dsn", "session_settings"]

_BUMP = "COMMIT; SELECT nextval('hotpress_data_version')"


def public_dsn(url: str) -> str:
    """``url`` with its password masked, for messages."""
    parts = urlsplit(url)
    if parts.password is not None:
        user = parts.username or ""
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{user}:***@{host}")
    query = "&".join(
        f"{k}=***" if k.lower() == "password" else f"{k}={v}" if sep else k
        for k, sep, v in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return urlunsplit(parts._replace(query=query))


def lock_key(purpose: str, schema: str) -> int:
    """A signed 64-bit advisory lock key for ``purpose`` in ``schema`` (advisory locks are
    per database already; the schema keeps two archives in one database apart)."""
    digest = hashlib.sha256(f"hotpress:{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# Settings an operator did not choose (server default or postgresql.conf) that the archive's
# session changes: what SQLite does with `synchronous=NORMAL` in WAL mode (a crash may lose the
# last commits, never corrupt: a refresh lost is fetched again at the next round), and lz4
# instead of pglz for the bodies PostgreSQL compresses (items of ~4 KB). Measured on the
# ingest corpus's store stage (10,000 items): 2.30 s as the server came, 0.94 s with both.
# A value set for the role, the database or in the URL (`?options=-csynchronous_commit=on`)
# is kept.
_SESSION = {"synchronous_commit": "off", "default_toast_compression": "lz4"}


def session_settings(conn: psycopg.Connection[Any]) -> None:
    """Set :data:`_SESSION` on ``conn`` where nobody chose otherwise."""
    rows = conn.execute(
        "SELECT name, source FROM pg_settings WHERE name = ANY(%s)", (list(_SESSION),)
    ).fetchall()
    for name, source in rows:
        if source in ("default", "configuration file"):
            # (A server built without lz4 refuses it: its default compression stays.)
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"SET {name} = '{_SESSION[name]}'")


_ROW_VALUES = re.compile(
    r"^(INSERT INTO \w+ \([^()]*\) VALUES )(\((?:%s, )*%s\))( ON CONFLICT DO NOTHING)?$"
)
"""An INSERT of one row of positional values, and nothing after it but ``DO NOTHING``
(``DO UPDATE`` may not touch one row twice in a statement; ``RETURNING`` wants its rows)."""
_MANY_ROWS = 1000
_MANY_PARAMS = 30000
"""Rows and parameters of one many-row INSERT at most (PostgreSQL takes 65,535 parameters)."""


_NO_DATABASE = re.compile(r'database "([^"]+)" does not exist')


def _create_hint(exc: psycopg.Error) -> str:
    """What to do when the URL names a database the server does not have."""
    found = _NO_DATABASE.search(str(exc))
    if found is None:
        return ""
    name = found.group(1).replace('"', '""')
    return (
        f'; create it first (`CREATE DATABASE "{name}"` in psql, or `createdb` on the'
        " server), hotpress makes its tables itself"
    )


class _Done:
    """The cursor of an ``executemany`` that took several statements: their rows counted."""

    def __init__(self, cursor: psycopg.Cursor[Any], rowcount: int) -> None:
        self._cursor, self.rowcount = cursor, rowcount

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Any:
        return iter(self._cursor)


class PgDB:
    """``execute``/``executemany`` as ``sqlite3.Connection`` has them, over psycopg."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = None, /) -> Cursor:
        if sql == "COMMIT":
            return self.conn.execute(_BUMP)
        named = isinstance(parameters, Mapping)
        query = translate(sql, parameters is not None, named)
        # Results in binary: integers cross without text parsing (1,000,000 rows of
        # `site_order`: ~1.1 s against ~1.9 s in text).
        if parameters is None or named:
            return self.conn.execute(query.encode(), parameters, binary=True)
        return psycopg.RawCursor(self.conn).execute(numbered(query), parameters, binary=True)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        rows = list(parameters)
        if not rows:
            return self.conn.cursor(binary=True)
        named = isinstance(rows[0], Mapping)
        query = translate(sql, True, named)
        if named:
            cursor = self.conn.cursor(binary=True)
            cursor.executemany(query.encode(), rows)
            return cursor
        cursor = psycopg.RawCursor(self.conn)
        cursor.format = psycopg.pq.Format.BINARY
        values = None if len(rows) == 1 else _ROW_VALUES.match(query)
        if values is None:
            cursor.executemany(numbered(query), rows)
            return cursor
        # A plain INSERT of several rows: one statement of many VALUES rows (one round trip,
        # one executor start) instead of a statement a row.
        row = values.group(2)
        width = row.count("%s")
        size = max(1, min(_MANY_ROWS, _MANY_PARAMS // max(width, 1)))
        count = 0
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            many = f"{values.group(1)}{', '.join([row] * len(chunk))}{values.group(3) or ''}"
            flat = [value for one in chunk for value in one]
            cursor.execute(numbered(many), flat)
            count += max(cursor.rowcount, 0)
        return _Done(cursor, count) if len(rows) > size else cursor


class PostgreSQLConnection(ArchiveConnection):
    """An archive in a PostgreSQL database (its current schema). One thread at a time."""

    _errors: ClassVar[tuple[type[Exception], ...]] = (psycopg.Error,)
    _borrowed = False
    """Over a connection of a pool (:meth:`over`): closed by the pool, not by this."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ids: dict[str, int] = {}
        try:
            conn = self._connect()
        except psycopg.Error as exc:
            raise StorageError(
                f"cannot open archive {self.name}: {str(exc).strip()}{_create_hint(exc)}"
            ) from exc
        self._pg = conn
        self._db = PgDB(conn)
        try:
            row = conn.execute(
                "SELECT current_schema(), current_setting('server_encoding')"
            ).fetchone()
            assert row is not None
            if row[0] is None:
                raise StorageError(
                    f"cannot open archive {self.name}: no schema to use (check search_path)"
                )
            self.schema: str = row[0]
            self._refuse_encoding(str(row[1]))
            self._migrate()
        except psycopg.Error as exc:
            conn.close()
            raise StorageError(f"cannot open archive {self.name}: {exc}") from exc
        except BaseException:
            conn.close()
            raise

    @classmethod
    def over(
        cls, conn: psycopg.Connection[Any], url: str, schema: str, ids: dict[str, int]
    ) -> Self:
        """The archive at ``url``, opened (migrated) before, over ``conn``: a connection a
        pool made (autocommit, :func:`session_settings`) and closes. ``ids``: the source
        ids found so far, shared by the pool's borrowers (a source's id never changes)."""
        self = cls.__new__(cls)
        self.url, self.schema, self._ids = url, schema, ids
        self._pg, self._db = conn, PgDB(conn)
        self._borrowed = True
        return self

    @property
    def name(self) -> str:
        return public_dsn(self.url)

    def _connect(self) -> psycopg.Connection[Any]:
        # UTF8 whatever PGCLIENTENCODING or the server's default says: archive text is Unicode.
        conn = psycopg.connect(
            self.url, autocommit=True, application_name="hotpress", client_encoding="UTF8"
        )
        try:
            session_settings(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def reconnect(self) -> None:
        """A new session in place of this one (the server restarted, the network dropped the
        connection); the archive was opened and migrated already."""
        if self._borrowed:
            raise StorageError(f"archive {self.name}: a pool's connection is renewed by its pool")
        with contextlib.suppress(psycopg.Error):
            self._pg.close()
        conn = self._connect()
        self._pg, self._db = conn, PgDB(conn)

    # --- schema -------------------------------------------------------------------------

    def _version(self) -> int | None:
        # A catalog query, not to_regclass(): that looks names up in caches that may not have
        # seen a table another process just made (two processes creating one new archive).
        row = self._pg.execute(
            "SELECT 1 FROM pg_catalog.pg_tables"
            " WHERE schemaname = current_schema() AND tablename = 'hotpress_schema'"
        ).fetchone()
        if row is None:
            return None
        found = self._pg.execute("SELECT version FROM hotpress_schema").fetchone()
        return None if found is None else int(found[0])

    def _migrate(self) -> None:
        if self._version() == len(MIGRATIONS):
            return
        with self._pg.transaction():
            self._pg.execute(
                "SELECT pg_advisory_xact_lock(%s)", (lock_key("migrate", self.schema),)
            )
            version = self._version()
            if version is None:
                self._refuse_foreign()
                self._pg.execute("CREATE TABLE hotpress_schema (version BIGINT NOT NULL)")
                self._pg.execute("INSERT INTO hotpress_schema (version) VALUES (0)")
                self._pg.execute("CREATE SEQUENCE hotpress_data_version")
                version = 0
            if version > len(MIGRATIONS):
                raise StorageError(
                    f"archive {self.name} has schema {version}, newer than this hotpress "
                    f"({len(MIGRATIONS)}): upgrade hotpress"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in migration_statements(script):
                    self._pg.execute(statement.encode())
                self._pg.execute("UPDATE hotpress_schema SET version = %s", (number,))

    def _refuse_encoding(self, encoding: str) -> None:
        """An archive holds text in any script: a database that cannot store it (its
        ``encoding``) is refused before a table is made. (A SQL_ASCII database, what `initdb`
        gives under the C locale, takes any bytes but makes psycopg send text as bytea: every
        query fails.)"""
        if encoding.upper() not in ("UTF8", "UTF-8"):
            name = urlsplit(self.url).path.lstrip("/") or "hotpress"
            raise StorageError(
                f"cannot open archive {self.name}: the database's encoding is {encoding}, "
                "hotpress needs UTF8; make a new database for it (`createdb -E UTF8 -T "
                f"template0 {name}`, or `CREATE DATABASE \"{name}\" ENCODING 'UTF8' "
                "TEMPLATE template0` in psql)"
            )

    def _refuse_foreign(self) -> None:
        tables = [
            row[0]
            for row in self._pg.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() ORDER BY table_name"
            )
        ]
        if tables:
            shown = ", ".join(tables[:4]) + (", …" if len(tables) > 4 else "")
            raise StorageError(
                f"cannot open archive {self.name}: schema {self.schema!r} holds another "
                f"program's tables ({shown}), not a hotpress archive; hotpress leaves it "
                "untouched: use a new database (or another schema through search_path)"
            )

    # --- the rest of the connection -----------------------------------------------------

    def close(self) -> None:
        if not self._borrowed:
            self._pg.close()

    def opener(self) -> Callable[[], Self] | None:
        """A picklable way for another process to open this archive."""
        return functools.partial(type(self), self.url)

    def _table_names(self) -> set[str]:
        rows = self._pg.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
        )
        return {r[0] for r in rows} - {"hotpress_schema"}

    def _reset_ids(self, table: str) -> None:
        # Identity columns hand out ids from a sequence that rows inserted with their own id
        # did not move.
        self._pg.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )

    def _analyze(self) -> None:
        # A database filled by `archive copy` has no statistics until autovacuum comes by:
        # the planner then takes 100,000 items for a few hundred (a 200 ms sort instead of an
        # index scan for each page of `pending`).
        self._pg.execute("ANALYZE")

    def data_version(self) -> int:
        row = self._pg.execute(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM hotpress_data_version"
        ).fetchone()
        return int(row[0]) if row is not None else 0

    def integrity_ok(self) -> bool:
        """PostgreSQL keeps its own pages consistent; what can break here is the archive's
        own shape: every table the migrations made is there and readable."""
        for table in ("sources", "items", "publications", "fetch_log"):
            self._pg.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
        return self._version() == len(MIGRATIONS)
