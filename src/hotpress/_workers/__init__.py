"""Distributed refresh (issue 16): with ``broker:`` set, sources are refreshed by Celery
workers (``hotpress worker``), handed to them through leases in the archive.

``app`` (the Celery app: settings, the task, sending), ``task`` (what a worker does with one
task), ``rounds`` (``run``: claim, enqueue, wait, then publish), ``scheduler`` (``watch``:
claim what is due, enqueue, publish after rounds that changed something).
"""
