"""A visit reminder end to end: beat -> reminder sweep -> broker -> worker -> WeChat.

Runs only when RABBITMQ_URL (or CELERY_BROKER_URL) names a broker, like
tests/scheduling/test_broker.py: the worker (with embedded beat) is a separate process on a
file SQLite database of its own, and talks to the fake WeChat server this test runs.
The notification sweeper waits SWEEP_AFTER_SECONDS (120 s) before it sends anything, so a
message arriving within the test's 60 s went through the queued delivery task.
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

from tests.fakes.wechat_server import FakeWeChatServer

BROKER_URL = os.environ.get("RABBITMQ_URL") or os.environ.get("CELERY_BROKER_URL")
BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
OPENID = "o-broker-patient"
TEMPLATE = "tmpl-visit-reminder"

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
from tests.appointments.notification_helpers import appointment_at

# Only the notification jobs, every 2 seconds, on this test's queue.
PeriodicTask.objects.update(enabled=False)
every_2s = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.SECONDS)
for task in ("appointments.tasks.reminders_sweep", "appointments.tasks.notifications_sweep"):
    PeriodicTask.objects.create(name=task, task=task, interval=every_2s, queue=QUEUE)

# A booked visit whose 2-hours-before reminder comes due in 10 seconds.
visit = timezone.now() + datetime.timedelta(hours=2, seconds=10)
appointment_at(visit, openid=OPENID)
"""


def _env(tmp_path: Path, queue: str, wechat: FakeWeChatServer) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL") and not key.startswith("NOTIFY_")
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "WECHAT_API_BASE_URL": wechat.base_url,
        "WECHAT_APP_ID": wechat.app_id,
        "WECHAT_APP_SECRET": wechat.app_secret,
        "NOTIFY_TEMPLATE_VISIT_REMINDER": TEMPLATE,
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


def _rows(db: Path) -> tuple[list[tuple], list[tuple]]:
    """(reminders as (kind, status), notifications as (event, status, channel))."""
    with sqlite3.connect(db, timeout=10) as connection:
        reminders = connection.execute(
            "SELECT kind, status FROM appointments_reminder ORDER BY kind"
        ).fetchall()
        notifications = connection.execute(
            "SELECT event, status, channel FROM appointments_notification"
        ).fetchall()
    return reminders, notifications


def _delete_queue(queue: str) -> None:
    from kombu import Connection

    with Connection(BROKER_URL, connect_timeout=5) as connection:
        connection.default_channel.queue_delete(queue)


def test_worker_and_beat_deliver_a_visit_reminder_through_the_broker(tmp_path):
    # given: a migrated database with a booked visit, and the fake WeChat API
    wechat = FakeWeChatServer(app_id="wx-broker-app", app_secret="broker-secret")
    wechat.start()
    queue = f"notifications-broker-test-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, queue, wechat)
    db = tmp_path / "db.sqlite3"
    try:
        _manage(env, "migrate", "--noinput")
        _manage(env, "shell", "-c", f"QUEUE = {queue!r}\nOPENID = {OPENID!r}\n{SETUP}")
        assert _rows(db) == ([], [])

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
                    if wechat.subscribe_messages and _rows(db)[1] == [
                        ("visit_reminder", "sent", "wechat")
                    ]:
                        break
                    time.sleep(1)
                messages = list(wechat.subscribe_messages)
                reminders, notifications = _rows(db)
            finally:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
                _delete_queue(queue)
    finally:
        wechat.stop()

    # then: the reminder reached WeChat once, through the delivery task
    worker_log = log.read_text(errors="replace")
    assert [(m["touser"], m["template_id"]) for m in messages] == [
        (OPENID, TEMPLATE)
    ], worker_log[-5000:]
    assert messages[0]["page"].startswith("pages/appointment/detail?id=")
    assert reminders == [("evening_before", "skipped"), ("hours_before", "sent")]
    assert notifications == [("visit_reminder", "sent", "wechat")]
    assert "appointments.tasks.notification_deliver" in worker_log
    assert "appointments.tasks.reminders_sweep" in worker_log
