"""The TLS context every client shares: httpx's default verification, its CA bundle read at
the first TLS handshake instead of when the client is made.

Reading the bundle (certifi's, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as httpx honours them)
takes 20-45 ms of CPU; a refresh of plain-http sources (one's own RSSHub on the local network)
never needs it, and a worker makes a client per task. The context is otherwise the one
``ssl.create_default_context`` makes (certificates and host names verified): until the bundle
is read it trusts nothing, so a path that skipped the loading would fail closed.
"""

from __future__ import annotations

import functools
import os
import ssl
import sys
import threading
from typing import Any

__all__ = ["shared_context"]

_LOADING = threading.Lock()


class DeferredTrust(ssl.SSLContext):
    """A verifying client context that reads its CA certificates on first use."""

    _where: dict[str, str]
    _trusted: bool

    def trust(self) -> None:
        """Read the CA certificates now (once; safe from any thread)."""
        if self._trusted:
            return
        with _LOADING:
            if not self._trusted:
                self.load_verify_locations(**self._where)
                self._trusted = True

    # Every TLS connection starts in one of these two (asyncio and anyio: wrap_bio).
    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.trust()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.trust()
        return super().wrap_socket(*args, **kwargs)


def _ca_location() -> dict[str, str]:
    """Where httpx's ``create_ssl_context()`` reads the CA certificates from."""
    if os.environ.get("SSL_CERT_FILE"):
        return {"cafile": os.environ["SSL_CERT_FILE"]}
    if os.environ.get("SSL_CERT_DIR"):
        return {"capath": os.environ["SSL_CERT_DIR"]}
    import certifi

    return {"cafile": certifi.where()}


@functools.cache
def shared_context() -> DeferredTrust:
    """httpx's default verifying context, made once per process (a context is safe to share
    between clients and threads), its CA certificates read at the first handshake."""
    context = DeferredTrust(ssl.PROTOCOL_TLS_CLIENT)
    # What ssl.create_default_context(Purpose.SERVER_AUTH, cafile=...) sets, the loading aside.
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog
    context._where = _ca_location()
    context._trusted = False
    return context
