"""The app under gunicorn for a rush: start, wait until healthy, stop, read its log."""

import http.client
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

HEALTH_PATH = "/health/"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(
    *, port: int, workers: int, threads: int, log_path: Path
) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:`port` with this process's environment."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed by the OS
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        # Only the flags below: not the project's gunicorn.conf.py (gunicorn_config.py).
        "--config",
        str(Path(__file__).with_name("gunicorn_config.py")),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        # Longer than any pause in the run, so keep-alive connections are not dropped.
        "--keep-alive",
        "75",
        "--timeout",
        "120",
        "--graceful-timeout",
        "30",
        "--log-level",
        "warning",
    ]
    try:
        return subprocess.Popen(
            command, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
    finally:
        log.close()


def gunicorn_wait_healthy(
    process: subprocess.Popen, *, port: int, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited with status {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", HEALTH_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise CommandError(f"gunicorn did not answer {HEALTH_PATH} within {seconds:.0f} s")


def gunicorn_stop(process: subprocess.Popen) -> None:
    """Graceful stop (SIGTERM lets running requests finish), then kill if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_SERVER_ERROR = re.compile(r"Internal Server Error: (\S+)")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Deadlock\w*)\b")


def server_errors(log_text: str) -> dict[str, dict[str, int]]:
    """Per request path, how often each exception ended a 500 in the server log.

    A traceback's last unindented exception line is the one that reached Django.
    """
    found: dict[str, Counter] = {}
    path, last = None, None

    def flush() -> None:
        if path is not None:
            found.setdefault(path, Counter())[last or "unknown"] += 1

    for line in log_text.splitlines():
        if _LOG_RECORD.match(line):
            flush()
            match = _SERVER_ERROR.search(line)
            path, last = (match.group(1), None) if match else (None, None)
        elif path is not None and _EXCEPTION_LINE.match(line):
            last = line.strip()
    flush()
    return {key: dict(counter) for key, counter in found.items()}
