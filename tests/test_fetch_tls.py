"""The shared TLS context: httpx's default verification, its CA bundle read at first use."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hotpress._fetch import FetchSettings, fetch_one, make_client
from hotpress._fetch.aio import AiohttpTransport
from hotpress._fetch.tls import DeferredTrust, shared_context
from hotpress.types import FetchRequest


def _fresh() -> DeferredTrust:
    shared_context.cache_clear()
    try:
        return shared_context()
    finally:
        shared_context.cache_clear()


def test_the_context_verifies_as_httpx_default_one_does() -> None:
    ours, theirs = _fresh(), httpx.create_ssl_context()
    assert ours.protocol == theirs.protocol
    assert ours.verify_mode == theirs.verify_mode == ssl.CERT_REQUIRED
    assert ours.check_hostname and theirs.check_hostname
    assert ours.options == theirs.options
    assert ours.verify_flags == theirs.verify_flags
    assert ours.minimum_version == theirs.minimum_version
    assert ours.maximum_version == theirs.maximum_version


def test_the_ca_bundle_is_read_at_the_first_tls_connection_and_only_then() -> None:
    context = _fresh()
    assert context.cert_store_stats()["x509_ca"] == 0  # nothing trusted yet: fails closed
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.com")
    assert context.cert_store_stats() == httpx.create_ssl_context().cert_store_stats()
    assert context.cert_store_stats()["x509_ca"] > 0


def test_a_plain_socket_wrap_reads_the_bundle_too() -> None:
    context = _fresh()
    with socket.socket() as raw, context.wrap_socket(raw, server_hostname="example.com"):
        assert context.cert_store_stats()["x509_ca"] > 0


def test_ssl_cert_file_is_honoured_as_httpx_honours_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    context = _fresh()
    assert context._where == {"cafile": certifi.where()}
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent-ca-dir")
    assert _fresh()._where == {"capath": "/nonexistent-ca-dir"}


@pytest.mark.usefixtures("no_proxy_env")
def test_every_client_shares_one_context() -> None:
    settings = FetchSettings()
    first, second = make_client(settings), make_client(settings)
    transports = [c._transport for c in (first, second)]
    assert all(isinstance(t, AiohttpTransport) for t in transports)
    assert transports[0].context is transports[1].context is shared_context()  # type: ignore[attr-defined]


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An https URL on 127.0.0.1 whose certificate no CA signed (it only shakes hands)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            with conn:
                try:
                    with server.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1024)
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                except (OSError, ssl.SSLError):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{port}/feed"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_a_certificate_no_ca_signed_is_refused(self_signed_server: str) -> None:
    settings = FetchSettings(retries=0)

    async def fetch() -> str | None:
        async with make_client(settings) as client:
            request = FetchRequest(source_key="s", url=self_signed_server)
            result = await fetch_one(request, client=client, settings=settings)
            return result.error

    error = asyncio.run(fetch())
    assert error is not None and "could not be verified" in error, error


def test_a_certificate_the_trusted_bundle_holds_is_accepted(
    self_signed_server: str, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # The same server, its certificate now the CA bundle (SSL_CERT_FILE): the handshake,
    # the host check against the certificate's IP and the answer all go through.
    no_proxy_env.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    shared_context.cache_clear()
    settings = FetchSettings(retries=0)

    async def fetch() -> tuple[int | None, str | None]:
        async with make_client(settings) as client:
            assert isinstance(client._transport, AiohttpTransport)
            request = FetchRequest(source_key="s", url=self_signed_server)
            result = await fetch_one(request, client=client, settings=settings)
            return result.status, result.error

    try:
        assert asyncio.run(fetch()) == (200, None)
    finally:
        shared_context.cache_clear()  # the next test's context reads the usual bundle
