"""A real Celery worker with embedded beat in a subprocess, for the broker tests.

The worker is a separate process, so it runs on a file SQLite database of its own, migrated
and filled through manage.py in subprocesses; tests read it back with sqlite3. Each test
uses a queue of its own, deleted afterwards, so runs never see each other's messages.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

BROKER_URL = os.environ.get("RABBITMQ_URL") or os.environ.get("CELERY_BROKER_URL")
BASE_DIR = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")

# For a test module's pytestmark: the test runs only when a broker is named.
BROKER_MARKS = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not BROKER_URL, reason="needs RABBITMQ_URL or CELERY_BROKER_URL"
    ),
]


def queue_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def worker_env(
    tmp_path: Path, queue: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """This process's environment for a worker on `queue` and a SQLite file in `tmp_path`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL") and not key.startswith("NOTIFY_")
    }
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "CELERY_BROKER_URL": BROKER_URL or "",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        }
        | (extra or {})
    )


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def run_worker_until(
    env: dict[str, str],
    queue: str,
    log: Path,
    done: Callable[[], bool],
    seconds: int = 60,
) -> None:
    """Run a worker with embedded beat on `queue` until `done()` or `seconds` pass; stop it."""
    command = [
        str(CELERY),
        "-A",
        "config",
        "worker",
        "-B",
        "--loglevel=INFO",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("wb") as output:
        worker = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and worker.poll() is None:
                if done():
                    break
                time.sleep(1)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            _delete_queue(queue)


def _delete_queue(queue: str) -> None:
    from kombu import Connection

    with Connection(BROKER_URL, connect_timeout=5) as connection:
        connection.default_channel.queue_delete(queue)
