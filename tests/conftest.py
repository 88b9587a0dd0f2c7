"""Shared fixtures: where the read-only corpora are, and peers required in CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import settings

# Property tests check results, not speed (speed is measured in bench/): on a loaded machine
# Hypothesis's per-example deadline failed correct code, so no test inherits one.
settings.register_profile("hotpress", deadline=None)
settings.load_profile("hotpress")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HOTPRESS_SHARED", REPO.parent / "shared"))
CORPORA = SHARED / "corpora"
DATA = Path(__file__).resolve().parent / "data"


def peers_required() -> bool:
    """In CI (``HOTPRESS_REQUIRE_PEERS=1``) a missing peer (Chromium, Node, RSSHub) fails."""
    return os.environ.get("HOTPRESS_REQUIRE_PEERS") == "1"


def skip_or_fail(reason: str) -> NoReturn:
    if peers_required():
        pytest.fail(f"required peer missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"corpora not found at {CORPORA} (set HOTPRESS_SHARED)")
    return CORPORA


@pytest.fixture(scope="session")
def shared() -> Path:
    return SHARED


@pytest.fixture(scope="session")
def seed_post(shared: Path) -> bytes:
    return (shared / "seed" / "zhihu-hotlist-post.md").read_bytes()


pytest_plugins = ["feedserver", "pgserver", "workers_support"]


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variable set (with one, ``make_client`` takes httpx's own transport)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch
