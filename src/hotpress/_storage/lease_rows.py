"""Leases (issue 16): how a scheduler hands sources to workers through the archive.

A scheduler *claims* sources: it writes a lease token and an expiry on each row it takes,
and only rows with no live lease can be taken, so two schedulers never hand out one source
twice. A worker *starts* a lease before fetching (a counter of tries, so a source whose
refresh kills its worker again and again is given up), and ``save_fetch(..., lease=token)``
stores the refresh only while the token is still the row's, clearing it in the same
transaction. An expired lease can be claimed again (a new token): the old holder's late
result is then refused.

``claim_sql`` is the one claim statement of every backend: PostgreSQL locks the chosen rows
``FOR UPDATE SKIP LOCKED`` so concurrent claimers pass each other; SQLite serializes writers,
so the plain subquery is already exclusive there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]


def claim_sql(dialect: Dialect, *, keys: int, due_only: bool) -> str:
    """The claim statement (``?`` placeholders, which the PostgreSQL connection translates),
    parameters in this order: the new lease's expiry and token, now (a live lease ends after
    it), [now (due)], ``keys`` keys, the limit."""
    where = ["(lease_until IS NULL OR lease_until <= ?)"]
    if due_only:
        where.append("(next_due IS NULL OR next_due <= ?)")
    if keys:
        where.append(f"key IN ({','.join('?' * keys)})")
    lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    return (
        "UPDATE sources SET lease_until = ?, lease_token = ?, lease_tries = 0"
        f" WHERE id IN (SELECT id FROM sources WHERE {' AND '.join(where)}"
        f" ORDER BY next_due NULLS FIRST, id LIMIT ?{lock}) RETURNING key"
    )


class LeaseStore(Protocol):
    """The archive's side of distributed refresh (see the module's docstring)."""

    def claim_sources(
        self,
        now: datetime,
        *,
        token: str,
        until: datetime,
        limit: int,
        keys: Sequence[str] | None = None,
        due_only: bool = True,
    ) -> list[str]:
        """Lease up to ``limit`` sources (of ``keys``; due ones only with ``due_only``) that
        hold no live lease, to ``token`` until ``until``; returns their keys, most overdue
        first."""

    def start_lease(self, token: str, keys: Sequence[str]) -> dict[str, int]:
        """Of ``keys``, those still leased to ``token``, each with its tries counted up by one
        (1 on the first start)."""

    def leased(self, token: str) -> list[str]:
        """Keys of the sources still leased to ``token`` (a round is done when none is)."""

    def release_leases(self, token: str) -> int:
        """Give up every lease of ``token`` (a round abandoned); returns how many."""

    def leases_now(self, now: datetime) -> tuple[int, datetime | None]:
        """Sources leased at ``now`` (being refreshed by workers, or queued for them), and
        when the last of those leases ends."""

    def archive_id(self) -> str:
        """This archive's own random id, made the first time it is asked for (``archive
        copy`` leaves it out: a copy gets its own). Two processes share an archive when
        their ids are equal, however each names it (a path, a host name or another)."""
