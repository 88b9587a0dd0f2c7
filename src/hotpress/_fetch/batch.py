"""The fetch stage's entry points: one source (:func:`fetch_one`) and a batch (:func:`fetch_all`).

``fetch_one`` is pure I/O (a request in, a result out, no storage), so a Celery task can run one
batch with one event loop and one client; ``fetch_all`` is only a loop over it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from ..types import FetchRequest, FetchResult
from .guard import Resolver
from .http import fetch_http
from .limits import HostLimiter
from .local import fetch_local, is_local
from .settings import FetchSettings
from .stall import StallWatch


async def fetch_one(
    request: FetchRequest,
    *,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    limiter: HostLimiter | None = None,
    resolve: Resolver | None = None,
    stalls: StallWatch | None = None,
) -> FetchResult:
    """Fetch one source. Never raises for a failure of the source (see ``FetchResult.error``).

    ``resolve`` looks up host names for the redirect check (``guard.py``); the system's
    resolver when ``None``."""
    if is_local(request.url):
        return await fetch_local(request, max_body_bytes=settings.max_body_bytes)
    scheme = urlsplit(request.url).scheme.lower()
    if scheme not in ("http", "https"):
        return FetchResult(
            source_key=request.source_key,
            url=request.url,
            status=None,
            content=None,
            content_type=None,
            validators=request.validators,
            duration=0.0,
            error=f"unsupported URL scheme {scheme!r} (use http, https or a local file)",
        )
    return await fetch_http(
        request,
        client=client,
        settings=settings,
        limiter=limiter or HostLimiter.from_settings(settings),
        resolve=resolve,
        stalls=stalls,
    )


async def fetch_all(
    requests: Sequence[FetchRequest],
    *,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    on_result: Callable[[FetchResult], None] | None = None,
    resolve: Resolver | None = None,
) -> list[FetchResult]:
    """Fetch every source concurrently (global and per-host caps); results in request order.

    ``on_result`` is called as each source completes (progress, saving each source at once).
    An exception from ``on_result`` or a bug cancels the rest and propagates as itself.
    """
    limiter = HostLimiter.from_settings(settings)
    stalls = StallWatch(settings.per_host)

    async def one(request: FetchRequest) -> FetchResult:
        result = await fetch_one(
            request,
            client=client,
            settings=settings,
            limiter=limiter,
            resolve=resolve,
            stalls=stalls,
        )
        if result.error is not None and result.status is None:
            # No answer at all (timeout, connection lost): slow, if it took long enough.
            limiter.observe(_host(request.url), None, result.duration)
        if on_result is not None:
            on_result(result)
        return result

    hooks = _Timing(limiter) if limiter.own_hosts else None
    if hooks is not None:
        hooks.install(client)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(request)) for request in requests]
    except BaseExceptionGroup as group_error:
        # Callers expect the error itself (e.g. a StorageError from on_result), not a group.
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise
    finally:
        if hooks is not None:
            hooks.remove(client)
    return [task.result() for task in tasks]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class _Timing:
    """httpx event hooks telling the limiter each answer's status and time to headers (the
    server's own time: what "slow" means), for every attempt and redirect hop."""

    _KEY = "hotpress_started"

    def __init__(self, limiter: HostLimiter) -> None:
        self.limiter = limiter

    async def request(self, request: httpx.Request) -> None:
        request.extensions[self._KEY] = time.monotonic()

    async def response(self, response: httpx.Response) -> None:
        started = response.request.extensions.get(self._KEY)
        seconds = time.monotonic() - started if isinstance(started, float) else 0.0
        host = (response.request.url.host or "").lower()
        self.limiter.observe(host, response.status_code, seconds)

    def install(self, client: httpx.AsyncClient) -> None:
        client.event_hooks["request"].append(self.request)
        client.event_hooks["response"].append(self.response)

    def remove(self, client: httpx.AsyncClient) -> None:
        hooks = client.event_hooks
        hooks["request"] = [h for h in hooks["request"] if h != self.request]
        hooks["response"] = [h for h in hooks["response"] if h != self.response]
