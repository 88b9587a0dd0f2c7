"""PostgreSQL for tests: a database of its own per test, made and dropped here.

The machine's server (127.0.0.1:5432, trust auth; ``HOTPRESS_TEST_PG`` names another) is
used; each test that asks for ``pg_url`` gets a new database ``hotpress_test_<pid>_<random>``
(CREATE DATABASE takes ~20 ms here) and it is dropped afterwards, so helpers running tests at
the same time never share one. No server: ``skip_or_fail``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from conftest import skip_or_fail

SERVER = os.environ.get("HOTPRESS_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # the postgresql extra is part of the test extra
        skip_or_fail(f"psycopg not installed: {exc}")
        raise
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        skip_or_fail(f"no PostgreSQL server at {SERVER}: {exc}")
        raise


@pytest.fixture
def pg_database() -> Iterator[Callable[..., str]]:
    """A factory of new, empty databases (URLs; ``encoding=`` another than the server's
    default); all dropped when the test ends."""
    admin = _admin()
    made: list[str] = []

    def make(encoding: str = "") -> str:
        name = f"hotpress_test_{os.getpid()}_{secrets.token_hex(4)}"
        how = f" ENCODING '{encoding}' LOCALE 'C' TEMPLATE template0" if encoding else ""
        admin.execute(f'CREATE DATABASE "{name}"{how}')
        made.append(name)
        return f"{SERVER}/{name}"

    try:
        yield make
    finally:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_url(pg_database: Callable[[], str]) -> str:
    """A new, empty database for this test."""
    return pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def archives(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """A factory of new archives of one backend (the test runs once with each): SQLite
    files, or PostgreSQL databases (URLs)."""
    if request.param == "sqlite":
        names = iter(range(100))
        return lambda: str(tmp_path / f"archive{next(names)}.db")
    return cast(Callable[[], str], request.getfixturevalue("pg_database"))
