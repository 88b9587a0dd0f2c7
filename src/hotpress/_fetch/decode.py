"""Content-Encoding decoders that never produce more than a cap.

httpx's own decoders inflate each network chunk without a bound, so a 64 KiB gzip chunk can
become 64 MiB in one call. These pass an output limit to zlib/brotli, so a gzip bomb stops at
the cap after allocating at most the cap.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli  # type: ignore[import-untyped]  # no stubs published

from ..exceptions import FetchError


class BodyTooLarge(Exception):
    """The body (as sent or as decoded) is over the cap; the caller words the message."""


class Decoder(Protocol):
    def decode(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class _Bounded:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.total = 0

    def _room(self) -> int:
        # One byte more than allowed, so reaching it proves the cap is exceeded.
        return self.cap - self.total + 1

    def _take(self, out: bytes) -> bytes:
        self.total += len(out)
        if self.total > self.cap:
            raise BodyTooLarge
        return out


class Identity(_Bounded):
    def decode(self, data: bytes) -> bytes:
        return self._take(data)

    def flush(self) -> bytes:
        return b""


class Zlib(_Bounded):
    """gzip (``wbits=31``, members concatenated) and deflate (zlib-wrapped or raw).

    Bytes after the end of the compressed data (after the last gzip member that decodes)
    are ignored, as browsers and curl do: some servers pad or append junk to gzip bodies."""

    def __init__(self, cap: int, wbits: int) -> None:
        super().__init__(cap)
        self.wbits = wbits
        self.first = True
        self.inflater = zlib.decompressobj(wbits)
        self.members = 0
        """Complete gzip members decoded so far."""
        self.ended = False
        """A complete member was followed by something that is not one: ignore the rest."""

    def decode(self, data: bytes) -> bytes:
        if self.ended:
            return b""
        try:
            out = self._inflate(data)
        except zlib.error:
            if self.members:  # trailing garbage after a complete member
                self.ended = True
                return b""
            # Many servers send raw deflate under "deflate"; try that once, like browsers.
            if not (self.first and self.wbits == zlib.MAX_WBITS):
                raise
            self.wbits = -zlib.MAX_WBITS
            self.inflater = zlib.decompressobj(self.wbits)
            out = self._inflate(data)
        self.first = False
        parts = [out]
        # A gzip body may hold several members back to back.
        while self.inflater.eof and self.wbits == 31:
            self.members += 1
            rest = self.inflater.unused_data
            self.inflater = zlib.decompressobj(self.wbits)
            if not rest:
                break
            if not rest.startswith(b"\x1f\x8b"[: len(rest)]):
                self.ended = True  # trailing garbage after a complete member
                break
            try:
                parts.append(self._inflate(rest))
            except zlib.error:
                self.ended = True  # looked like a member, was not: garbage all the same
                break
        return b"".join(parts)

    def _inflate(self, data: bytes) -> bytes:
        return self._take(self.inflater.decompress(data, self._room()))

    def flush(self) -> bytes:
        if self.ended:
            return b""
        try:
            return self._take(self.inflater.flush(self._room()))
        except zlib.error:
            if self.members:
                return b""
            raise


class Brotli(_Bounded):
    def __init__(self, cap: int) -> None:
        super().__init__(cap)
        self.inflater = brotli.Decompressor()

    def decode(self, data: bytes) -> bytes:
        parts = [self._take(self.inflater.process(data, output_buffer_limit=self._room()))]
        # With a limit, brotli keeps the rest buffered and must be drained with empty input.
        while not self.inflater.can_accept_more_data():
            parts.append(self._take(self.inflater.process(b"", output_buffer_limit=self._room())))
        return b"".join(parts)

    def flush(self) -> bytes:
        return b""


class Chain:
    """Encodings as listed in ``Content-Encoding``, undone last-applied first."""

    def __init__(self, content_encoding: str | None, cap: int, url: str) -> None:
        self.url = url
        self.names: list[str] = []
        self.decoders: list[Decoder] = []
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        for name in reversed([c for c in codings if c and c != "identity"]):
            self.names.append(name)
            self.decoders.append(_make(name, cap, url))
        if not self.decoders:
            self.decoders.append(Identity(cap))

    def decode(self, data: bytes) -> bytes:
        return self._run(data, flush=False)

    def flush(self) -> bytes:
        return self._run(b"", flush=True)

    def _run(self, data: bytes, *, flush: bool) -> bytes:
        try:
            for decoder in self.decoders:
                data = decoder.decode(data) + (decoder.flush() if flush else b"")
        except (zlib.error, brotli.error) as exc:
            names = " + ".join(self.names)
            raise FetchError(f"could not decode the {names} body: {exc}", url=self.url) from exc
        return data


def _make(name: str, cap: int, url: str) -> Decoder:
    if name in ("gzip", "x-gzip"):
        return Zlib(cap, 31)
    if name == "deflate":
        return Zlib(cap, zlib.MAX_WBITS)
    if name == "br":
        return Brotli(cap)
    raise FetchError(f"unsupported Content-Encoding {name!r}", url=url)
