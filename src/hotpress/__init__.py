"""hotpress: feeds and Chinese hot lists in, a news blog out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hotpress")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
