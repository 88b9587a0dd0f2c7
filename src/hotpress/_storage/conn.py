"""What every archive backend shares: the connection the queries run on, and error wrapping.

The query mixins (``sqlite_*.py``, ``*_sqlite.py``) are written once, against ``DB``: the
slice of ``sqlite3.Connection`` they use (``execute``/``executemany`` returning a cursor
with ``fetchone``/``fetchall``/``fetchmany``/``rowcount``). SQLite hands them its connection;
PostgreSQL an adapter translating the SQL (``pg_sql.py``). Writes run in one transaction
(``_write``); every public method turns the backend's raw error into a ``StorageError``
naming the archive (``guard_calls``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Protocol, Self, TypeVar

from hotpress.exceptions import StorageError

C = TypeVar("C", bound=type)
NOT_AHEAD: Any = object()
"""No value read ahead (``ArchiveConnection._read_ahead``)."""
# Not wrapped: they hand out the object itself or a way to open another one.
_UNWRAPPED = frozenset({"opener"})


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    @property
    def description(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class DB(Protocol):
    """The part of a DB-API connection the queries use (``sqlite3.Connection`` has it)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...


def _guard_iterator(owner: ArchiveConnection, items: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from items
    except owner._errors as exc:
        raise owner._failure(exc) from exc


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(self: ArchiveConnection, *args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(self, *args, **kwargs)
        except self._errors as exc:
            raise self._failure(exc) from exc
        if isinstance(result, Iterator):
            return _guard_iterator(self, result)
        return result

    call.__guarded__ = True  # type: ignore[attr-defined]
    return call


def guard_calls(cls: C) -> C:
    """Wrap every public method of ``cls`` (its mixins' too): reads fail like writes."""
    for name in dir(cls):
        if name.startswith("_") or name in _UNWRAPPED:
            continue
        fn = inspect.getattr_static(cls, name)
        if inspect.isfunction(fn) and not getattr(fn, "__guarded__", False):
            setattr(cls, name, _guarded(fn))
    return cls


class ArchiveConnection:
    """One connection to an archive. Not for concurrent use: one thread at a time."""

    _db: DB
    _errors: ClassVar[tuple[type[Exception], ...]] = ()
    """The backend's raw error classes, turned into ``StorageError`` by ``guard_calls``."""
    _ids: dict[str, int]
    _ahead: dict[tuple[str, str], Any]
    """Values ``start_lease`` read with the lease (``(key, column)``), each handed out by
    the first read of it after that (:meth:`_read_ahead`)."""

    @property
    def name(self) -> str:
        """The archive as error messages name it (a path, or a URL without its password)."""
        raise NotImplementedError

    def _failure(self, exc: Exception) -> StorageError:
        return StorageError(f"archive {self.name}: {exc}")

    def close(self) -> None:
        raise NotImplementedError

    def _table_names(self) -> set[str]:
        """Every table of the archive (``archive copy`` checks it knows them all)."""
        raise NotImplementedError

    def _reset_ids(self, table: str) -> None:
        """After rows were inserted with their ids: new rows get the next id."""

    def _analyze(self) -> None:
        """After a bulk load: let the query planner see the tables as they now are."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _source_id(self, key: str) -> int:
        if key not in self._ids:
            row = self._db.execute("SELECT id FROM sources WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise StorageError(f"unknown source {key!r}: sync_sources() first")
            self._ids[key] = row[0]
        return self._ids[key]

    def _read_ahead(self, key: str, column: str) -> Any:
        """The value of ``column`` that the last ``start_lease`` read for ``key`` (each once),
        or :data:`NOT_AHEAD`. A worker's refresh reads the source's validators, body digest
        and error count once each: asked with the lease, they cost no round trip of their
        own. While the lease holds, its holder is the only writer of them."""
        ahead = self.__dict__.get("_ahead")
        return NOT_AHEAD if not ahead else ahead.pop((key, column), NOT_AHEAD)

    def _write(self, fn: Any, *args: Any) -> Any:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(*args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result
        except self._errors as exc:
            raise self._failure(exc) from exc
