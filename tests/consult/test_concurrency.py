"""Consults racing on a real engine: the daily cap's last place, sweeps run at once.

Each thread has its own connection and transaction, so the conditional UPDATEs decide."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from billing.models import PaymentOrder, Refund
from billing.services.notifications import payment_order_dev_pay
from billing.services.orders import payable_order_open
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from consult.models import Consult, ConsultDay
from consult.services.consults import consult_close, overdue_consults_cancel
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


def _paid(doctor) -> Consult:
    consult = consult_for(doctor=doctor)
    order = payable_order_open(
        kind=PaymentOrder.Kind.CONSULT,
        ref_id=consult.pk,
        channel="dev",
        actor=Actor.system(),
    )
    payment_order_dev_pay(order=order, actor=Actor.system())
    consult.refresh_from_db()
    assert consult.status == Consult.Status.WAITING
    return consult


def test_two_overdue_sweeps_at_once_refund_each_paid_consult_once(settings):
    # given
    settings.PAYMENTS_DEV_GATEWAY = True
    doctor = offering_doctor(fee=2000, reply_hours=1, daily_cap=50)
    consults = [_paid(doctor) for _ in range(8)]
    assert ConsultDay.objects.get(doctor=doctor).taken == 8

    # when
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=5)):
        results = run_at_once([overdue_consults_cancel, overdue_consults_cancel])

    # then
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == len(consults)
    refunds = Refund.objects.filter(kind="consult_cancel")
    assert refunds.count() == len(consults)
    assert sorted(r.order.ref_id for r in refunds) == sorted(c.pk for c in consults)
    assert {r.amount for r in refunds} == {2000}
    assert ConsultDay.objects.get(doctor=doctor).taken == 0


def test_a_withdrawal_racing_the_overdue_sweep_refunds_and_frees_the_place_once(
    settings,
):
    # given
    settings.PAYMENTS_DEV_GATEWAY = True
    doctor = offering_doctor(fee=2000, reply_hours=1, daily_cap=50)
    consults = [_paid(doctor) for _ in range(6)]

    def withdraw(consult: Consult) -> str:
        try:
            return consult_close(
                actor=Actor.system(), consult=consult, by="patient"
            ).status
        except Conflict as exc:
            return exc.code

    # when
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=5)):
        results = run_at_once(
            [overdue_consults_cancel]
            + [lambda c=consult: withdraw(c) for consult in consults]
        )

    # then
    assert [r for r in results if isinstance(r, Exception)] == []
    swept = results[0]
    withdrawn = results[1:].count("closed")
    assert swept + withdrawn == len(consults)
    assert Refund.objects.count() == len(consults)
    assert ConsultDay.objects.get(doctor=doctor).taken == 0
