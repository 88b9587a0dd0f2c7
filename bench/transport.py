"""CPU a GET costs the client: httpx's own transport, httpx on aiohttp (hotpress's client,
``_fetch/aio.py``), aiohttp alone.

    python -m bench.transport [--requests 1000] [--rounds 3]

The feed server of ``bench.fetch`` (50 loopback addresses, no delay, 10-item bodies); the
requests in tasks of 10 to one host, as a worker's task sends them, through one client kept
from task to task; each body read to the end as it came (no decompression). Every client
gets one untimed warm-up pass (connections open), then a timed one; the clients take turns,
``--rounds`` times. CPU: this process's ``time.process_time()`` (the server runs in its own).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx

from bench.fetch import start_server


def batches(urls: list[str]) -> list[list[str]]:
    by_host: dict[str, list[str]] = collections.defaultdict(list)
    for url in urls:
        by_host[httpx.URL(url).host].append(url)
    return [group[i : i + 10] for group in by_host.values() for i in range(0, len(group), 10)]


async def _through_httpx(client: httpx.AsyncClient, tasks: list[list[str]]) -> int:
    async def one(url: str) -> int:
        async with client.stream("GET", url) as response:
            return sum([len(chunk) async for chunk in response.aiter_raw()])

    total = 0
    for task in tasks:
        total += sum(await asyncio.gather(*(one(u) for u in task)))
    return total


async def _through_aiohttp(session: aiohttp.ClientSession, tasks: list[list[str]]) -> int:
    async def one(url: str) -> int:
        async with session.get(url) as response:
            return sum([len(chunk) async for chunk in response.content.iter_any()])

    total = 0
    for task in tasks:
        total += sum(await asyncio.gather(*(one(u) for u in task)))
    return total


def measure(name: str, tasks: list[list[str]]) -> tuple[float, int]:
    """CPU seconds of the timed pass, and the bytes it read."""
    from hotpress._fetch import FetchSettings, make_client

    settings = FetchSettings()

    async def go() -> tuple[float, int]:
        client: Any
        if name == "aiohttp alone":
            client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=settings.concurrency),
                auto_decompress=False,
            )
            run: Callable[[Any, list[list[str]]], Awaitable[int]] = _through_aiohttp
        else:
            own = httpx.AsyncHTTPTransport(
                limits=httpx.Limits(
                    max_connections=settings.concurrency,
                    max_keepalive_connections=settings.concurrency,
                )
            )
            client = make_client(settings, transport=own if name == "httpx's own" else None)
            run = _through_httpx
        try:
            await run(client, tasks)  # warm-up: connections open
            cpu = time.process_time()
            read = await run(client, tasks)
            return time.process_time() - cpu, read
        finally:
            await (client.close() if isinstance(client, aiohttp.ClientSession) else client.aclose())

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server, urls = start_server(args.requests, 50, 0.0, 200, 10)
    names = ("httpx's own", "httpx on aiohttp (hotpress)", "aiohttp alone")
    cpu: dict[str, list[float]] = {name: [] for name in names}
    try:
        tasks = batches(urls)
        for _ in range(args.rounds):
            for name in names:
                seconds, read = measure(name, tasks)
                cpu[name].append(seconds)
                print(f"{name}: {seconds * 1000 / args.requests:.3f} ms a request ({read} bytes)")
    finally:
        server.terminate()
        server.wait(10)
    print(f"\n{args.requests} GETs in tasks of 10, one kept client, median of {args.rounds}:")
    print("| client | CPU a request | ÷ hotpress |\n|---|---|---|")
    ours = statistics.median(cpu[names[1]])
    for name in names:
        median = statistics.median(cpu[name])
        print(f"| {name} | {median * 1000 / args.requests:.3f} ms | {median / ours:.2f}× |")


if __name__ == "__main__":
    main()
