"""gunicorn's settings for the web role (`gunicorn config.wsgi:application`).

gunicorn reads this file by itself when started from the project's root (the image's web role
is). Flags on the command line win over it. The rush benchmark starts gunicorn with its own
flags and this file left out (benchmarks/rush/server.py), so its figures do not depend on it.

Defaults fit one CPU and 1 GiB (the Kubernetes web pod's limits): 2 worker processes of 4
threads each. Every worker loads the whole project (scikit-learn for the no-show model
included), about 200 MiB.
"""

import os
from pathlib import Path

bind = [os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# Threads: a request waiting on the database or Redis does not hold the whole process.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# A request running longer than this has its worker restarted (the client gets a 502 from
# the proxy); nothing in the WSGI app should take it (the long-poll is served by daphne).
timeout = 30
# On SIGTERM (a rollout, a scale-down), requests in flight get this long to finish;
# Kubernetes' terminationGracePeriodSeconds is above it.
graceful_timeout = 25
# Longer than the proxy's idle timeout for its upstream connections (nginx and most load
# balancers: 60 s), so the proxy, not gunicorn, closes an idle one.
keepalive = 65
# Heartbeat files of the workers on a memory filesystem (the root filesystem is read-only).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# A worker is replaced after about this many requests (a slow leak never grows for long);
# the jitter keeps the workers from restarting all at once.
max_requests = 1000
max_requests_jitter = 100

# Access log on stdout; the request id of the proxy (X-Request-ID) when it sends one, and
# the time taken in milliseconds.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '%(h)s %({x-request-id}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
)


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server) -> None:
    """A new master: the metric files of an earlier run's workers are stale; remove them."""
    folder = _multiproc_dir()
    if folder is not None and folder.is_dir():
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    """A worker is gone: its live gauges stop counting in /metrics (prometheus_client's
    multiprocess mode, on when PROMETHEUS_MULTIPROC_DIR is set)."""
    if _multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
