"""A broker outage delays notifications but never loses them.

Celery publishes through the real kombu amqp transport to a port nobody listens on, so
queuing the delivery task fails exactly as it does when the broker is down. The event must
commit anyway, its notification must stay pending, and the sweeper must send it once.
"""

import datetime
import logging

import pytest
from django.conf import settings
from django.utils import timezone

from appointments.models import Appointment, Notification
from appointments.notifications.delivery import notifications_sweep
from appointments.services import appointment_cancel
from tests.appointments.notification_helpers import ACTOR, appointment_at

# transaction=True: the cancel really commits, and its on-commit callbacks really run.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock]


def test_with_the_broker_down_the_event_commits_and_the_sweeper_sends_it_once(
    broker_down, wechat_server, templates, caplog
):
    # given
    appointment = appointment_at(timezone.now() + datetime.timedelta(days=2))

    # when: the cancel commits while the broker is unreachable
    with caplog.at_level(logging.ERROR, logger="common.tasks"):
        appointment_cancel(actor=ACTOR, appointment=appointment, reason="改期")

    # then: the cancel is committed, its notification pending and logged as not queued
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    notification = Notification.objects.get(event="cancelled")
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 0
    # (the helper's free booking queued its confirmation the same way, before the cancel)
    assert caplog.messages[-1] == (
        "could not queue appointments.tasks.notification_deliver"
        f"({notification.pk},); its sweep will pick the work up"
    )
    assert wechat_server.subscribe_calls == 0

    # when: the sweeper runs once the row has waited long enough (it needs no broker)
    later = timezone.now() + datetime.timedelta(
        seconds=settings.NOTIFICATIONS["SWEEP_AFTER_SECONDS"]
    )
    first = notifications_sweep(now=later)
    second = notifications_sweep(now=later + datetime.timedelta(minutes=5))

    # then: delivered exactly once
    assert (first, second) == (1, 0)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert [m["template_id"] for m in wechat_server.subscribe_messages] == [
        "tmpl-cancelled"
    ]


def test_with_the_broker_down_a_paid_cancel_commits_and_its_refund_waits_for_its_sweep(
    settings, broker_down, django_capture_on_commit_callbacks
):
    from billing.models import Refund
    from billing.services import payment_order_dev_pay
    from tests.billing.factories import open_order

    # given: a paid appointment (dev channel)
    settings.PAYMENTS_DEV_GATEWAY = True
    order = open_order(channel="dev")
    payment_order_dev_pay(order=order, actor=ACTOR)
    appointment = Appointment.objects.get(pk=order.appointment_id)

    # when: the patient cancels while the broker is unreachable
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=appointment)

    # then: no error; the cancel and the refund row are committed, the refund not yet sent
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    refund = Refund.objects.get(order=order)
    assert refund.status == Refund.Status.REFUNDING
    assert refund.amount == order.amount
