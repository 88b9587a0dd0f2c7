"""Local file sources (a path or a ``file://`` URL): read with the same cap, and validators
from the file's size and mtime so an unchanged file reports ``not_modified``."""

from __future__ import annotations

import asyncio
import os
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..types import FetchRequest, FetchResult, Validators
from .headers import size


class _LocalError(Exception):
    pass


def is_local(url: str) -> bool:
    scheme = urlsplit(url).scheme
    # A one-letter "scheme" is a Windows drive letter.
    return scheme in ("", "file") or len(scheme) == 1


def to_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    return Path(url)


def file_validators(stat: os.stat_result) -> Validators:
    return Validators(
        etag=f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
        last_modified=formatdate(stat.st_mtime, usegmt=True),
    )


def _unchanged(old: Validators, new: Validators) -> bool:
    if old.etag is not None:
        return old.etag == new.etag
    return old.last_modified is not None and old.last_modified == new.last_modified


def _read(path: Path, old: Validators, cap: int) -> tuple[Validators, bytes | None]:
    try:
        with path.open("rb") as f:
            validators = file_validators(os.fstat(f.fileno()))
            if _unchanged(old, validators):
                return validators, None
            data = f.read(cap + 1)
    except FileNotFoundError:
        raise _LocalError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise _LocalError(f"is a directory, not a file: {path}") from None
    except PermissionError:
        raise _LocalError(f"permission denied reading {path}") from None
    except OSError as exc:
        raise _LocalError(f"could not read {path}: {exc.strerror or exc}") from None
    if len(data) > cap:
        raise _LocalError(f"file larger than {size(cap)}: {path}")
    return validators, data


async def fetch_local(request: FetchRequest, *, max_body_bytes: int) -> FetchResult:
    started = time.monotonic()
    path = to_path(request.url)
    url = path.absolute().as_uri()
    try:
        validators, data = await asyncio.to_thread(_read, path, request.validators, max_body_bytes)
    except _LocalError as exc:
        return FetchResult(
            source_key=request.source_key,
            url=url,
            status=None,
            content=None,
            content_type=None,
            validators=request.validators,
            duration=time.monotonic() - started,
            error=str(exc),
        )
    return FetchResult(
        source_key=request.source_key,
        url=url,
        status=None,
        content=data,
        content_type=None,
        validators=validators,
        duration=time.monotonic() - started,
        not_modified=data is None,
    )
