"""Consults racing on a real engine: the daily cap's last place, sweeps run at once.

Each thread has its own connection and transaction, so the conditional UPDATEs decide."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from common.models import OperationLog
from consult.models import Consult, ConsultDay
from consult.services.consults import overdue_consults_cancel
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.race import needs_row_locks, run_at_once
from tests.records.helpers import client_for

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]


def test_twenty_requests_for_the_last_place_of_the_day_take_it_once():
    doctor = offering_doctor(daily_cap=5)
    for _ in range(4):
        consult_for(doctor=doctor)
    profiles = [PatientProfileFactory() for _ in range(20)]
    clients = [client_for(profile.user) for profile in profiles]

    def create(client, profile):
        return client.post(
            f"{BASE}create/",
            {"doctor": doctor.pk, "profile": profile.pk, "problem": "发热"},
            format="json",
        ).status_code

    results = run_at_once(
        [
            lambda c=client, p=profile: create(c, p)
            for client, profile in zip(clients, profiles, strict=True)
        ]
    )

    assert Counter(results) == {201: 1, 409: 19}
    assert Consult.objects.filter(doctor=doctor).count() == 5
    assert ConsultDay.objects.get(doctor=doctor).taken == 5


def test_two_overdue_sweeps_at_once_cancel_each_consult_once():
    doctor = offering_doctor(reply_hours=1, daily_cap=50)
    consults = [consult_for(doctor=doctor) for _ in range(12)]

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=5)):
        results = run_at_once([overdue_consults_cancel, overdue_consults_cancel])

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == len(consults)
    assert Consult.objects.filter(status="cancelled").count() == len(consults)
    assert OperationLog.objects.filter(action="consult.cancel").count() == len(consults)
