"""A visit reminder end to end: beat -> reminder sweep -> broker -> worker -> WeChat.

Runs only when RABBITMQ_URL (or CELERY_BROKER_URL) names a broker, like
tests/scheduling/test_broker.py: the worker (with embedded beat) is a separate process on a
file SQLite database of its own, and talks to the fake WeChat server this test runs.
The notification sweeper waits SWEEP_AFTER_SECONDS (120 s) before it sends anything, so a
message arriving within the test's 60 s went through the queued delivery task.
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
from tests.fakes.wechat_server import FakeWeChatServer

OPENID = "o-broker-patient"
TEMPLATE = "tmpl-visit-reminder"

pytestmark = BROKER_MARKS

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


def test_worker_and_beat_deliver_a_visit_reminder_through_the_broker(tmp_path):
    # given: a migrated database with a booked visit, and the fake WeChat API
    wechat = FakeWeChatServer(app_id="wx-broker-app", app_secret="broker-secret")
    wechat.start()
    queue = queue_name("notifications-broker-test")
    env = worker_env(
        tmp_path,
        queue,
        {
            "WECHAT_API_BASE_URL": wechat.base_url,
            "WECHAT_APP_ID": wechat.app_id,
            "WECHAT_APP_SECRET": wechat.app_secret,
            "NOTIFY_TEMPLATE_VISIT_REMINDER": TEMPLATE,
        },
    )
    db = tmp_path / "db.sqlite3"
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", f"QUEUE = {queue!r}\nOPENID = {OPENID!r}\n{SETUP}")
        assert _rows(db) == ([], [])

        # when: a worker with embedded beat runs
        log = tmp_path / "worker.log"
        run_worker_until(
            env,
            queue,
            log,
            done=lambda: (
                bool(wechat.subscribe_messages)
                and _rows(db)[1] == [("visit_reminder", "sent", "wechat")]
            ),
        )
        messages = list(wechat.subscribe_messages)
        reminders, notifications = _rows(db)
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
