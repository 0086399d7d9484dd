"""Membership under real concurrency: run on MariaDB/MySQL, skipped on SQLite.

Each thread has its own connection and transaction, so the user's row lock and the
ledger's unique key are what keep the rules, not the test.
"""

import datetime
from collections import Counter

import pytest
from django.db.models import Sum

from accounts.members import member_late_cancel_use, points_apply
from accounts.models import LateCancelUse, PointsEntry
from appointments.models import Appointment
from appointments.services import appointment_book, appointment_cancel
from billing.services import payment_order_mark_paid
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    default_levels,
    make_appointment,
)
from tests.accounts.test_concurrency import outcome
from tests.appointments.factories import (
    PatientProfileFactory as BookingProfileFactory,
)
from tests.billing.factories import open_order
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

THREADS = 10
ACTOR = Actor.system()


def apply(user, delta: int, source_id: str, source_type: str = "order_paid"):
    return lambda: points_apply(
        user=user,
        delta=delta,
        reason="concurrent",
        source_type=source_type,
        source_id=source_id,
        actor=ACTOR,
    )


def test_two_identical_point_events_at_once_add_points_once():
    # given
    default_levels()
    user = PatientFactory()

    # when
    results = run_at_once([apply(user, 10, "42") for _ in range(2)])

    # then
    assert Counter(type(r).__name__ for r in results) == {
        "PointsEntry": 1,
        "NoneType": 1,
    }
    user.refresh_from_db()
    assert user.points == 10
    assert PointsEntry.objects.count() == 1
    assert OperationLog.objects.filter(action="member.points").count() == 1


def test_many_copies_of_one_event_at_once_add_points_once():
    default_levels()
    user = PatientFactory()

    results = run_at_once([apply(user, 10, "7") for _ in range(THREADS)])

    assert sum(1 for r in results if isinstance(r, PointsEntry)) == 1
    assert all(r is None or isinstance(r, PointsEntry) for r in results), results
    user.refresh_from_db()
    assert user.points == 10
    assert PointsEntry.objects.count() == 1


def test_different_events_at_once_all_count_and_the_balance_matches_the_ledger():
    # given
    levels = default_levels()
    user = PatientFactory()

    # when: 10 x 20 points reach silver (200) exactly
    results = run_at_once([apply(user, 20, str(i)) for i in range(THREADS)])

    # then
    assert all(isinstance(r, PointsEntry) for r in results), results
    user.refresh_from_db()
    assert user.points == 200
    assert user.member_level == levels["silver"]
    assert PointsEntry.objects.aggregate(s=Sum("delta"))["s"] == 200
    balances = sorted(PointsEntry.objects.values_list("balance_after", flat=True))
    assert balances == list(range(20, 201, 20))  # applied one after the other


def test_take_backs_at_once_never_drive_the_balance_below_zero():
    default_levels()
    user = PatientFactory()
    points_apply(
        user=user,
        delta=30,
        reason="x",
        source_type="order_paid",
        source_id="1",
        actor=ACTOR,
    )

    results = run_at_once(
        [apply(user, -10, f"r{i}", source_type="refund") for i in range(THREADS)]
    )

    assert all(isinstance(r, PointsEntry) for r in results), results
    user.refresh_from_db()
    assert user.points == 0
    deltas = Counter(r.delta for r in results)
    assert deltas == {-10: 3, 0: THREADS - 3}


def test_two_late_cancels_at_once_with_a_quota_of_one_pass_once():
    # given
    levels = default_levels()
    user = PatientFactory(member_level=levels["gold"])
    appointments = [
        make_appointment(profile=PatientProfileFactory(user=user)) for _ in range(2)
    ]
    now = datetime.datetime(2027, 1, 15, 9, tzinfo=datetime.UTC)

    # when
    results = run_at_once(
        [
            (
                lambda a=a: member_late_cancel_use(
                    user=user, appointment_id=a.pk, now=now
                )
            )
            for a in appointments
        ]
    )

    # then
    assert Counter(outcome(r) for r in results) == {
        "ok": 1,
        "late_cancel_quota_used": 1,
    }
    assert LateCancelUse.objects.count() == 1


def test_many_late_cancels_at_once_stop_at_the_vip_quota_of_three():
    levels = default_levels()
    user = PatientFactory(member_level=levels["vip"])
    appointments = [
        make_appointment(profile=PatientProfileFactory(user=user))
        for _ in range(THREADS)
    ]
    now = datetime.datetime(2027, 1, 15, 9, tzinfo=datetime.UTC)

    results = run_at_once(
        [
            (
                lambda a=a: member_late_cancel_use(
                    user=user, appointment_id=a.pk, now=now
                )
            )
            for a in appointments
        ]
    )

    assert Counter(outcome(r) for r in results) == {
        "ok": 3,
        "late_cancel_quota_used": THREADS - 3,
    }
    assert LateCancelUse.objects.count() == 3


def test_two_late_cancels_of_a_gold_member_through_the_cancel_service():
    # given: two bookings of one gold member, both past their cancel deadline
    levels = default_levels()
    session = ClinicSessionFactory(fee=0)
    slots = [SlotFactory(session=session) for _ in range(2)]
    first = BookingProfileFactory(
        user__member_level=levels["gold"], user__member_level_floor=levels["gold"]
    )
    second = BookingProfileFactory(user=first.user)
    appointments = [
        appointment_book(actor=ACTOR, user=p.user, profile=p, slot=s)
        for p, s in [(first, slots[0]), (second, slots[1])]
    ]
    late = slots[0].starts_at - datetime.timedelta(minutes=30)

    # when
    results = run_at_once(
        [
            (lambda a=a: appointment_cancel(actor=ACTOR, appointment=a, now=late))
            for a in appointments
        ]
    )

    # then: one cancelled, the other refused and still booked
    codes = Counter(outcome(r) for r in results)
    assert codes["ok"] == 1
    assert sum(codes.values()) == 2
    assert set(codes) - {"ok"} <= {"cancel_deadline_passed", "late_cancel_quota_used"}
    statuses = Counter(
        Appointment.objects.filter(pk__in=[a.pk for a in appointments]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"cancelled": 1, "booked": 1}
    assert LateCancelUse.objects.count() == 1


def test_copies_of_one_payment_notification_earn_points_once(settings):
    # given
    settings.PAYMENTS_DEV_GATEWAY = True
    settings.POINTS_PER_PAID_BOOKING = 10
    default_levels()
    order = open_order(fee=2000)

    # when
    results = run_at_once(
        [
            lambda: payment_order_mark_paid(
                order=order,
                transaction_id="T-1",
                amount=order.amount,
                paid_at=None,
                actor=ACTOR,
            )
            for _ in range(THREADS)
        ]
    )

    # then
    assert Counter(outcome(r) for r in results) == {"ok": THREADS}
    order.user.refresh_from_db()
    assert order.user.points == 10
    assert PointsEntry.objects.count() == 1
