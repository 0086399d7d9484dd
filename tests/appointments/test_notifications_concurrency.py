"""Sweepers and workers racing on the real engine: MariaDB/MySQL only, skipped on SQLite.

Each thread has its own connection; the conditional UPDATE that claims a row is the only
thing keeping two of them from sending the same message. The fake WeChat server counts
every message it receives.
"""

import datetime
import logging
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import Notification, Reminder
from appointments.notifications.delivery import (
    DeliveryResult,
    notification_create,
    notification_deliver,
    notifications_sweep,
)
from appointments.notifications.reminders import reminders_sweep
from tests.appointments.factories import PatientUserFactory
from tests.appointments.notification_helpers import appointment_at
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

N = Notification


def pending_notifications(count: int, *, created: datetime.datetime) -> list[N]:
    """Rows whose queued task never ran (the tests' broker is down, see broker_down)."""
    rows = []
    for n in range(count):
        user = PatientUserFactory(wechat_openid=f"o-race-{n}")
        rows.append(
            notification_create(
                user_id=user.pk,
                event="refund_done",
                dedupe_key=f"race:{n}",
                context={"patient": "张三", "amount": "1.00", "order_no": f"X{n}"},
                now=created,
            )
        )
    return rows


def test_two_sweepers_at_once_send_each_notification_once(
    broker_down, wechat_server, templates
):
    # given: 30 rows the queued tasks never sent (a worker outage)
    now = timezone.now()
    rows = pending_notifications(30, created=now - datetime.timedelta(minutes=10))
    wechat_server.subscribe_delay = 0.02  # keep both sweepers busy at the same time

    # when
    results = run_at_once([lambda: notifications_sweep(now=now)] * 2)

    # then: every row sent once, and both sweepers did part of the work
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 30
    assert min(results) > 0, results
    assert wechat_server.subscribe_calls == 30
    per_user = Counter(m["touser"] for m in wechat_server.subscribe_messages)
    assert per_user == Counter({f"o-race-{n}": 1 for n in range(30)})
    assert set(
        N.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", "attempts")
    ) == {(N.Status.SENT, 1)}


def test_a_task_and_a_sweeper_racing_for_one_row_send_it_once(
    broker_down, wechat_server, templates
):
    now = timezone.now()
    [row] = pending_notifications(1, created=now - datetime.timedelta(minutes=10))
    wechat_server.subscribe_delay = 0.1

    results = run_at_once(
        [
            lambda: notification_deliver(notification_id=row.pk, now=now),
            lambda: notifications_sweep(now=now),
            lambda: notification_deliver(notification_id=row.pk, now=now),
        ]
    )

    assert wechat_server.subscribe_calls == 1
    assert results.count(DeliveryResult("sent")) + results[1] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (N.Status.SENT, 1)


def test_two_reminder_sweeps_at_once_remind_each_visit_once(
    broker_down, wechat_server, templates
):
    # given: ten booked visits, the sweep runs ten minutes before the first reminder
    visit = timezone.localtime() + datetime.timedelta(hours=2, minutes=10)
    appointments = [appointment_at(visit) for _ in range(10)]

    # when: two sweeps plan at once, then two fire at once
    planned = run_at_once([reminders_sweep] * 2)
    later = timezone.now() + datetime.timedelta(minutes=10)
    fired = run_at_once([lambda: reminders_sweep(now=later)] * 2)

    # then
    assert planned == [0, 0]
    assert sum(fired) == 10, fired
    reminders = Reminder.objects.filter(kind=Reminder.Kind.HOURS_BEFORE)
    assert reminders.count() == 10
    assert set(reminders.values_list("status", flat=True)) == {Reminder.Status.SENT}
    assert sorted(
        N.objects.filter(event="visit_reminder").values_list("dedupe_key", flat=True)
    ) == sorted(
        f"reminder:{a.pk}:hours_before:{reminders.get(appointment=a).pk}"
        for a in appointments
    )


def test_a_late_answer_after_the_row_was_taken_back_does_not_overwrite_it(
    broker_down, wechat_server, templates, caplog
):
    # given: a worker is sending slowly (1 s per message)
    now = timezone.now()
    [row] = pending_notifications(1, created=now)
    wechat_server.subscribe_delay = 1.0
    slow: list[object] = []

    def slow_worker() -> None:
        try:
            slow.append(notification_deliver(notification_id=row.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=slow_worker)
    with caplog.at_level(logging.WARNING):
        worker.start()
        deadline = time.monotonic() + 10
        while N.objects.get(pk=row.pk).status != N.Status.SENDING:
            assert time.monotonic() < deadline, "the worker never claimed the row"
            time.sleep(0.01)

        # when: the sweeper takes it for dead and another claim sends it again
        timeout = datetime.timedelta(seconds=601)
        notifications_sweep(now=timezone.now() + timeout)
        again = notification_deliver(
            notification_id=row.pk, now=timezone.now() + timeout
        )
        worker.join(timeout=30)

    # then: the second claim's outcome stands; the duplicate is the documented price
    assert again == DeliveryResult("sent")
    assert slow == [DeliveryResult("sent")]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (N.Status.SENT, 2)
    assert wechat_server.subscribe_calls == 2
    assert f"notification {row.pk} was reclaimed while being sent (sent)" in (
        caplog.messages
    )
