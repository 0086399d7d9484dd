"""A pytest plugin for the suite's pytest-xdist workers (`make test`, scripts/pytest_workers.py):
each worker talks to a Redis database of its own.

Loaded with `-p tests.xdist_worker`, it is imported before pytest-django reads the settings,
in the main process and in each worker (xdist has set PYTEST_XDIST_WORKER by then). Worker
gwN moves REDIS_URL to the database number 8 + N above the one given, modulo 16 (the clock
passes, scripts/test_clocks.sh, take the numbers just above it), so one worker's
`cache.clear()`, seat stock and channel layer never touch another's. Subprocesses a test
starts (a Celery worker, gunicorn, daphne) inherit it. Each worker's test database is
pytest-django's own doing: it suffixes the name with the worker id.
"""

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_OFFSET = 8


def redis_url_of_worker(url: str, n: int) -> str:
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + REDIS_OFFSET + n) % 16}"))


def _worker_number() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ...
    return int(worker[2:]) if worker[:2] == "gw" and worker[2:].isdigit() else None


_n = _worker_number()
if _n is not None and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = redis_url_of_worker(os.environ["REDIS_URL"], _n)
