"""hotpress: feeds and Chinese hot lists in, a news blog out."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up when asked for: importlib.metadata costs ~40 ms to import, paid by every
    # worker process the run spawns, which never asks.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("hotpress")
        except PackageNotFoundError:  # running from a source tree that is not installed
            found = "0.0.0"
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module 'hotpress' has no attribute {name!r}")
