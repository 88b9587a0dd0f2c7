"""Pushes through Apprise (``notify:``): each new matching item once per target.

A round runs after each refresh. Per target: the items first seen since the target was
added (not held back by the publishing filters) that match its sources and word groups,
oldest first, batched into as few messages as the service's body size allows. Every item is
remembered in the archive (``notifications``): sent, skipped (no match), or failed with its
attempt count and error, retried in later rounds up to ``MAX_ATTEMPTS``. Sending runs on a
daemon thread the round waits for at most ``budget`` seconds: a hung service never holds the
run longer, and what did not finish counts as failed (to be retried). The archive is only
touched from the caller's thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hotpress._filters import compiled, passing
from hotpress._storage.stage_rows import Candidate as Candidate
from hotpress._storage.stage_rows import NotifyStore as NotifyStore

log = logging.getLogger("hotpress")

MAX_ATTEMPTS = 5
MAX_BATCH = 50
"""Items in one message at most, whatever the service allows."""

Sender = Callable[[str, str, str], tuple[bool, str | None]]
"""(url, title, body) -> (delivered, error)."""


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    url: str
    filters: str | None = None
    sources: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        """What the archive remembers the target by: a digest, not the URL (it holds tokens)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class NotifyReport:
    sent: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()


class _Capture(logging.Handler):
    """Apprise says why a push failed only in its log: keep the last warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def plugin_limit(url: str) -> int | None:
    """The service's body size limit, or ``None`` when ``url`` is no Apprise URL."""
    import apprise

    # Apprise's e-mail plugin imports the deprecated imghdr module when plugins load.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return None
    return int(plugin.body_maxlen)


def apprise_send(url: str, title: str, body: str) -> tuple[bool, str | None]:
    import apprise

    capture = _Capture()
    logger = logging.getLogger("apprise")
    logger.addHandler(capture)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            service = apprise.Apprise()
            if not service.add(url):
                return False, "not an Apprise URL"
            ok = bool(service.notify(body=body, title=title))
    finally:
        logger.removeHandler(capture)
    return ok, None if ok else ("; ".join(capture.lines[-2:]) or "the service refused the push")


def batches(items: Sequence[Candidate], limit: int) -> list[list[Candidate]]:
    """Items grouped into messages of at most ``limit`` characters and MAX_BATCH items."""
    out: list[list[Candidate]] = []
    size = 0
    for item in items:
        line = len(render_line(item)) + 1
        if not out or size + line > limit or len(out[-1]) >= MAX_BATCH:
            out.append([])
            size = 0
        out[-1].append(item)
        size += line
    return out


def render_line(item: Candidate) -> str:
    return f"[{item.channel}] {item.title}" + (f"\n{item.link}" if item.link else "")


def _send_all(
    sender: Sender, url: str, messages: list[tuple[str, str]], budget: float
) -> list[tuple[bool, str | None] | None]:
    """Send in a daemon thread, waiting at most ``budget`` seconds; ``None``: not done."""
    results: list[tuple[bool, str | None] | None] = [None] * len(messages)

    def work() -> None:
        for i, (title, body) in enumerate(messages):
            try:
                results[i] = sender(url, title, body)
            except Exception as exc:  # a plugin's bug must not end the run
                results[i] = (False, f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=work, name="hotpress-notify", daemon=True)
    thread.start()
    thread.join(budget)
    return list(results)


def notify_round(
    targets: Sequence[NotifyTarget],
    storage: NotifyStore,
    *,
    now: datetime,
    since: datetime,
    sender: Sender = apprise_send,
    budget: float = 30.0,
) -> NotifyReport:
    """Push what is new to every target; never raises for a failed push."""
    sent = failed = 0
    errors: list[str] = []
    for target in targets:
        first = storage.notify_since(target.key, since)
        candidates = storage.notify_candidates(target.key, first, MAX_ATTEMPTS)
        if not candidates:
            continue
        wanted = [c for c in candidates if target.sources is None or c.source_key in target.sources]
        if target.filters:
            verdicts = passing([compiled(target.filters)], [c.title for c in wanted])
            wanted = [c for c, ok in zip(wanted, verdicts, strict=True) if ok]
        chosen = {c.item_id for c in wanted}
        skipped = [c.item_id for c in candidates if c.item_id not in chosen]
        storage.record_notified(target.key, skipped, "skipped", now, None)
        if not wanted:
            continue
        groups = batches(wanted, min(plugin_limit(target.url) or 4000, 4000))
        messages = [
            (f"hotpress: {len(g)} 条新内容", "\n\n".join(map(render_line, g))) for g in groups
        ]
        results = _send_all(sender, target.url, messages, budget)
        for group, result in zip(groups, results, strict=True):
            ids = [c.item_id for c in group]
            if result is not None and result[0]:
                storage.record_notified(target.key, ids, "sent", now, None)
                sent += len(ids)
                continue
            error = "timed out" if result is None else (result[1] or "failed")
            storage.record_notified(target.key, ids, "failed", now, error)
            failed += len(ids)
            errors.append(f"notify {target.key}: {error}")
            log.warning("push to notify target %s failed: %s", target.key, error)
    return NotifyReport(sent, failed, tuple(errors))
