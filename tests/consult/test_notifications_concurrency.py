"""The new-message throttle on a real engine: messages sent at the same moment, and the
outbox's throttle claim raced on its own, write one notification."""

import datetime
from collections import Counter

import pytest
from django.db import transaction

from appointments.models import Notification, NotificationThrottle
from appointments.notifications.delivery import notification_throttle_claim
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.race import needs_row_locks, run_at_once
from tests.records.helpers import client_for

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]


def test_messages_sent_at_once_tell_the_doctor_once():
    # given
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor)
    clients = [client_for(consult.user) for _ in range(8)]

    # when
    results = run_at_once(
        [
            lambda c=client, n=n: (
                c.post(
                    f"{BASE}{consult.pk}/messages/send/",
                    {"text": f"第{n}条"},
                    format="json",
                ).status_code
            )
            for n, client in enumerate(clients)
        ]
    )

    # then
    assert Counter(results) == {201: 8}
    assert (
        Notification.objects.filter(
            user=doctor.user, event=Notification.Event.CONSULT_MESSAGE
        ).count()
        == 1
    )


def test_the_throttle_claim_raced_on_a_new_key_is_won_once():
    def claim() -> bool:
        with transaction.atomic():
            return notification_throttle_claim(
                key="consult:1:user:1", window=datetime.timedelta(minutes=5)
            )

    results = run_at_once([claim for _ in range(12)])

    assert Counter(results) == {True: 1, False: 11}
    assert NotificationThrottle.objects.filter(key="consult:1:user:1").count() == 1
