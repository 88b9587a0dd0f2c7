"""The ``hotpress`` console script, and what a worker process spawned by a run imports when it
runs that script again (as ``__mp_main__``, before any work)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hotpress import __version__


def _script() -> Path:
    """The console script the install made beside this interpreter (`pip install -e .`)."""
    script = Path(sys.executable).parent / "hotpress"
    assert script.is_file(), f"no console script at {script}: install with pip install -e ."
    return script


def test_the_console_script_runs_the_command_line() -> None:
    done = subprocess.run(
        [str(_script()), "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"hotpress {__version__}")


def test_a_spawned_worker_running_the_script_again_imports_no_command_line() -> None:
    """What multiprocessing's spawn does with a parent started as ``hotpress …``: the script
    is run with ``__name__ == "__mp_main__"``. Before the light entry point that imported
    ``hotpress.cli`` and with it rich, pydantic and httpx (~0.3 s of each worker's start)."""
    code = (
        "import runpy, sys\n"
        f"runpy.run_path({str(_script())!r}, run_name='__mp_main__')\n"
        "print(sorted(m for m in ('hotpress.cli', 'rich', 'pydantic', 'httpx')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", (
        f"{_script()} imports the command line: made by an older install? (pip install -e .)"
    )


def test_a_worker_reading_a_body_imports_neither_asyncio_nor_package_metadata() -> None:
    """A pool worker imports what reading a body needs (``_reading.read_in_worker``), not the
    event loop's side (``_readers``: asyncio and ssl, ~35 ms) nor ``importlib.metadata``
    (``hotpress.__version__``, ~40 ms): each is paid again by every worker a run spawns."""
    code = (
        "import sys\n"
        "from hotpress._reading import read_in_worker\n"
        "import hotpress._pool, hotpress._storage.sqlite\n"
        "print(sorted(m for m in ('asyncio', 'importlib.metadata', 'hotpress._readers')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
