"""The ``hotpress`` command's entry point, light on purpose.

A worker process spawned by a run (``_pool``, the site build) runs its parent's main script
again, as ``__mp_main__``, before it does any work. For the ``hotpress`` console script that
is the import of this module only, not of the whole command line (``hotpress.cli``: rich,
pydantic, httpx and every command), which the worker never uses.
"""

from __future__ import annotations


def main() -> int:
    """``hotpress …``: the command line (``hotpress.cli.main``)."""
    from hotpress.cli import main as cli_main

    return cli_main()
