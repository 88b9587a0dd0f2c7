"""Command bodies of the ``hotpress`` command line (see ``hotpress.cli``)."""
