"""Talking to the broker: which errors are the broker's, which of them a retry cannot mend
(a refused login, a vhost or Redis database that does not exist), and asking who answers.

A broker that cannot be reached may come back (a restart): callers wait and try again. One
that answers and refuses does not change its mind: :class:`BrokerRefused` is raised at
once, saying what to fix in ``broker:``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hotpress.exceptions import WorkerError, causes

log = logging.getLogger("hotpress")


class BrokerRefused(WorkerError):
    """The broker answered and refused hotpress's connection: trying again will not help."""


def answering(names: Sequence[str]) -> str:
    """``1 worker answers: a`` or ``2 workers answer: a, b``, for the log."""
    verb = "worker answers" if len(names) == 1 else "workers answer"
    return f"{len(names)} {verb}: {', '.join(names)}"


def redact(url: str) -> str:
    """The broker URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def broker_errors(app: Any) -> tuple[type[BaseException], ...]:
    """What talking to ``app``'s broker may raise: kombu's ``OperationalError``, socket
    errors, and the transport's own connection and channel errors (py-amqp's
    ``AccessRefused`` is neither of the first two). Built-in types other than ``OSError``
    that a transport lists (Redis: ``KeyError``) are left out: they would hide hotpress's
    own bugs."""
    from kombu.exceptions import OperationalError

    conn = app.connection_for_write()
    try:
        listed = (*conn.connection_errors, *conn.channel_errors)
    finally:
        conn.release()
    own = tuple(e for e in listed if e.__module__ != "builtins")
    return (OSError, OperationalError, *own)


def refusal(app: Any, exc: BaseException, config: object = None) -> BrokerRefused | None:
    """``exc`` as a :class:`BrokerRefused` naming what to fix (in the file ``config``), when
    the broker answered and refused (else ``None``: it could not be reached, which may
    pass)."""
    url = redact(str(app.conf.broker_url or ""))
    where = f" in {config}" if config is not None else ""
    for cause in causes(exc):
        hint = _hint(cause, where)
        if hint is not None:
            reason = str(getattr(cause, "reply_text", "") or cause).strip()
            reason = reason.removesuffix(" For details see the broker logfile.").rstrip(".")
            return BrokerRefused(f"the broker {url} refused the connection: {reason}; {hint}")
    return None


def _hint(exc: BaseException, where: str) -> str | None:
    """What to check in ``broker:`` for a refusal, ``None`` for any other error. (By class
    name: py-amqp and redis-py are Celery's transports, not hotpress's imports.)"""
    kinds = {c.__name__ for c in type(exc).__mro__}
    text = str(exc)
    if type(exc).__module__.startswith("amqp"):
        if "AccessRefused" in kinds or "ACCESS_REFUSED" in text:
            return f"check the user and password in `broker:`{where} ({_AMQP})"
        if "vhost" in text:
            return (
                f"check the vhost at the end of `broker:`{where} (`//` is the default vhost"
                " `/`), or create it: `rabbitmqctl add_vhost NAME`, then"
                " `rabbitmqctl set_permissions -p NAME USER '.*' '.*' '.*'`"
            )
        if kinds & {"IrrecoverableConnectionError", "IrrecoverableChannelError"}:
            return f"check `broker:`{where}"
        return None
    if type(exc).__module__.startswith("redis"):
        if "AuthenticationError" in kinds or "WRONGPASS" in text or "NOAUTH" in text:
            return f"check the user and password in `broker:`{where} ({_REDIS})"
        if "DB index" in text:
            return (
                f"check the database number at the end of `broker:`{where} (the server's"
                " `databases` setting bounds it; 0 always exists)"
            )
    return None


_AMQP = "amqp://USER:PASSWORD@HOST:5672/VHOST"
_REDIS = "redis://USER:PASSWORD@HOST:6379/0"


def reach(app: Any, timeout: float = 1.0, config: object = None) -> tuple[list[str], str | None]:
    """The workers answering a ping within ``timeout`` seconds, and why the broker could not
    be asked (``None``: it was asked), as a clause to quote (no final full stop: Redis's
    errors end with one, RabbitMQ's do not). Raises :class:`BrokerRefused` (naming the file
    ``config``)."""
    try:
        replies = app.control.ping(timeout=timeout) or []
    except broker_errors(app) as exc:
        refused = refusal(app, exc, config)
        if refused is not None:
            raise refused from exc
        log.debug("ping failed: %s", exc)
        return [], str(exc).rstrip(".") or type(exc).__name__
    return sorted(name for reply in replies for name in reply), None


def ping(app: Any, timeout: float = 1.0) -> list[str]:
    """Names of the workers answering on the broker within ``timeout`` seconds."""
    return reach(app, timeout)[0]


def check_broker(app: Any, config: object = None, timeout: float = 5.0) -> str | None:
    """Connect to the broker once: ``None`` when it answers, else why it could not be
    reached. Raises :class:`BrokerRefused` (naming the file ``config``) when it answers and
    refuses."""
    conn = app.connection_for_write()
    try:
        conn.ensure_connection(max_retries=1, timeout=timeout)
    except broker_errors(app) as exc:
        refused = refusal(app, exc, config)
        if refused is not None:
            raise refused from exc
        return str(exc).rstrip(".") or type(exc).__name__
    finally:
        conn.release()
    return None
