"""A real Celery worker with embedded beat, against a real broker, end to end.

Runs only when RABBITMQ_URL (or CELERY_BROKER_URL) names a broker. The worker is a separate
process, so it gets its own file SQLite database, migrated and filled in subprocesses; the
test reads it back with sqlite3. Beat reads the schedule from that database (the
DatabaseScheduler), where the test puts two 5-second jobs on a queue of its own.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

BROKER_URL = os.environ.get("RABBITMQ_URL") or os.environ.get("CELERY_BROKER_URL")
BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not BROKER_URL, reason="needs RABBITMQ_URL or CELERY_BROKER_URL"
    ),
]

SETUP = """
import datetime
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from tests.scheduling.factories import ClinicSessionFactory, ScheduleTemplateFactory

# Only this test's jobs, on this test's queue.
PeriodicTask.objects.update(enabled=False)
every_5s = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.SECONDS)
for task in ("scheduling.tasks.sessions_generate", "scheduling.tasks.sessions_release"):
    PeriodicTask.objects.create(name=task, task=task, interval=every_5s, queue=QUEUE)

tomorrow = timezone.localdate() + datetime.timedelta(days=1)
ScheduleTemplateFactory(weekday=tomorrow.weekday())
ClinicSessionFactory(
    release_at=timezone.now() - datetime.timedelta(minutes=1), is_released=False
)
"""


def _env(tmp_path: Path, queue: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _effects(db: Path) -> tuple[int, int]:
    """(sessions generated from a template, sessions released)."""
    with sqlite3.connect(db, timeout=10) as connection:
        generated = connection.execute(
            "SELECT COUNT(*) FROM scheduling_clinicsession WHERE template_id IS NOT NULL"
        ).fetchone()[0]
        released = connection.execute(
            "SELECT COUNT(*) FROM scheduling_clinicsession "
            "WHERE template_id IS NULL AND is_released"
        ).fetchone()[0]
    return generated, released


def _delete_queue(queue: str) -> None:
    from kombu import Connection

    with Connection(BROKER_URL, connect_timeout=5) as connection:
        connection.default_channel.queue_delete(queue)


def test_worker_with_embedded_beat_generates_and_releases_sessions(tmp_path):
    # given: a migrated database with a template for tomorrow and a session due for release
    queue = f"scheduling-broker-test-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, queue)
    _manage(env, "migrate", "--noinput")
    _manage(env, "shell", "-c", f"QUEUE = {queue!r}\n{SETUP}")
    db = tmp_path / "db.sqlite3"
    assert _effects(db) == (0, 0)

    # when: a worker with embedded beat runs
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
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
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and worker.poll() is None:
                if _effects(db) == (2, 1):
                    break
                time.sleep(1)
            effects = _effects(db)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            _delete_queue(queue)

    # then: tomorrow's session and the one a week later (the window's end + 1 day), and
    # the due session released
    assert effects == (2, 1), log.read_text(errors="replace")[-5000:]
    assert "scheduling.tasks.sessions_release" in log.read_text(errors="replace")
