from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hotpress._schedule import next_due

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def due(**kwargs: object) -> timedelta:
    return next_due(NOW, rng=random.Random(1), **kwargs) - NOW  # type: ignore[arg-type]


def test_a_healthy_source_is_due_after_its_interval_plus_at_most_ten_percent() -> None:
    wait = due(interval_minutes=60)
    assert timedelta(minutes=60) <= wait <= timedelta(minutes=66)


def test_failures_back_off_exponentially_up_to_a_day() -> None:
    waits = [due(interval_minutes=10, error_count=n) for n in (1, 2, 3)]
    assert waits[0] < waits[1] < waits[2]
    assert due(interval_minutes=10, error_count=30) <= timedelta(hours=24, minutes=144)
    assert due(interval_minutes=10, error_count=30) >= timedelta(hours=24)


def test_the_server_and_the_feed_can_ask_for_longer_waits() -> None:
    assert due(interval_minutes=10, retry_after=3600) >= timedelta(hours=1)
    assert due(interval_minutes=10, max_age=7200) >= timedelta(hours=2)
    assert due(interval_minutes=10, ttl_minutes=30) >= timedelta(minutes=30)
