"""A real Celery worker with embedded beat, against a real broker, end to end.

Runs only when RABBITMQ_URL (or CELERY_BROKER_URL) names a broker; see tests/celery_worker.py.
Beat reads the schedule from the worker's database (the DatabaseScheduler), where the test
puts two 5-second jobs on a queue of its own.
"""

import sqlite3
from pathlib import Path

from tests.celery_worker import (
    BROKER_MARKS,
    manage,
    queue_name,
    run_worker_until,
    worker_env,
)

pytestmark = BROKER_MARKS

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


def test_worker_with_embedded_beat_generates_and_releases_sessions(tmp_path):
    # given: a migrated database with a template for tomorrow and a session due for release
    queue = queue_name("scheduling-broker-test")
    env = worker_env(tmp_path, queue)
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", f"QUEUE = {queue!r}\n{SETUP}")
    db = tmp_path / "db.sqlite3"
    assert _effects(db) == (0, 0)

    # when: a worker with embedded beat runs
    log = tmp_path / "worker.log"
    run_worker_until(env, queue, log, done=lambda: _effects(db) == (2, 1))
    effects = _effects(db)

    # then: tomorrow's session and the one a week later (the window's end + 1 day), and
    # the due session released
    assert effects == (2, 1), log.read_text(errors="replace")[-5000:]
    assert "scheduling.tasks.sessions_release" in log.read_text(errors="replace")
