"""The configured RSSHub is the user's own server: full concurrency, no spacing, backing off
when it asks (429/503) or slows down; every other host keeps the ordinary politeness."""

from __future__ import annotations

import itertools
from pathlib import Path

from feedserver import FeedServer, Reply
from hotpress import cli
from hotpress._fetch import HostLimiter
from hotpress.config import parse_settings
from hotpress.core import rsshub_hosts

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>one</title><guid>1</guid></item></channel></rss>"
)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hotpress.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_own_rsshub_gets_full_concurrency_other_hosts_stay_polite(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    for n in range(30):
        feed_server.route(f"/route/{n}", Reply(body=RSS, delay=0.3))
    sources = "".join(f"  - category: [a, r{n}]\n    route: /route/{n}\n" for n in range(30))
    with FeedServer(host="127.0.0.2") as other:  # someone else's host
        for n in range(6):
            other.route(f"/other/{n}", Reply(body=RSS, delay=0.3))
        sources += "".join(
            f"  - category: [b, o{n}]\n    url: {other.url(f'/other/{n}')}\n" for n in range(6)
        )
        config = _config(
            tmp_path, f"rsshub: {feed_server.url('/').rstrip('/')}\nsources:\n{sources}"
        )
        assert cli.main(["fetch", "-q", "-c", str(config)]) == 0
    assert max(feed_server.max_active.values()) == 10  # the global cap, not per_host (4)
    assert max(other.max_active.values()) <= 4
    # min_host_interval (0.2 s) between starts, even while the own RSSHub holds every
    # global slot (less a little for the arrival of each request).
    starts = sorted(r.time for r in other.requests)
    assert len(starts) == 6
    assert all(b - a >= 0.12 for a, b in itertools.pairwise(starts)), starts


def test_429s_make_the_own_rsshub_back_off_to_one_spaced_request(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    for n in range(30):
        feed_server.route(f"/route/{n}", Reply(status=429, delay=0.1))
    sources = "".join(f"  - category: [a, r{n}]\n    route: /route/{n}\n" for n in range(30))
    config = _config(
        tmp_path,
        f"rsshub: {feed_server.url('/').rstrip('/')}\nfetch:\n  retries: 0\nsources:\n{sources}",
    )
    assert cli.main(["fetch", "-q", "-c", str(config)]) == 1  # every source failed
    starts = sorted(r.time for r in feed_server.requests)
    assert len(starts) == 30
    assert all(b - a >= 0.12 for a, b in itertools.pairwise(starts[-12:])), starts


def test_the_own_hosts_cap_halves_on_429_drops_on_slow_answers_and_recovers() -> None:
    limiter = HostLimiter(10, 4, 0.2, own_hosts={"rsshub.example"}, slow_answer=5.0)
    assert limiter.limit("rsshub.example") == (10, 0.0)
    assert limiter.limit("other.example") == (4, 0.2)
    limiter.observe("rsshub.example", 503, 0.1)
    assert limiter.limit("rsshub.example") == (5, 0.2)
    for _ in range(5):
        limiter.observe("rsshub.example", 429, 0.1)
    assert limiter.limit("rsshub.example") == (1, 0.2)
    for expected in range(2, 11):
        limiter.observe("rsshub.example", 200, 0.1)
        assert limiter.limit("rsshub.example")[0] == expected
    assert limiter.limit("rsshub.example") == (10, 0.0)  # at full cap the spacing goes
    limiter.observe("rsshub.example", 200, 6.0)  # slow: per_host, or half if that is more
    assert limiter.limit("rsshub.example") == (5, 0.2)
    limiter.observe("rsshub.example", None, 6.0)  # no answer for 6 s
    assert limiter.limit("rsshub.example") == (4, 0.2)
    limiter.observe("other.example", 429, 0.1)  # other hosts keep their fixed politeness
    assert limiter.limit("other.example") == (4, 0.2)


def test_own_hosts_are_the_configured_rsshub_instances_but_the_public_one(
    tmp_path: Path,
) -> None:
    text = (
        "rsshub: https://rsshub.example.com:1200\n"
        "sources:\n"
        "  - category: [a]\n    route: /zhihu/hot\n"
        "  - category: [b]\n    route: /x\n    rsshub: http://Second.Example/\n"
        "  - category: [c]\n    url: https://news.example.org/feed\n"
    )
    settings = parse_settings(text, tmp_path / "hotpress.yml")
    assert rsshub_hosts(settings) == {"rsshub.example.com", "second.example"}
    public = parse_settings("sources: []\n", tmp_path / "hotpress.yml")
    assert public.rsshub == "https://rsshub.app" and rsshub_hosts(public) == frozenset()
