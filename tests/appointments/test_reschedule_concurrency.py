"""Reschedules racing bookers, cancels and each other on the real engine (MariaDB/MySQL;
skipped on SQLite). The row locks and conditional UPDATEs decide, not the test.

After every race: each booking holds at most one seat, no slot is over capacity, and each
slot's taken count equals the appointments holding a seat on it.
"""

import datetime
import itertools
from collections import Counter
from collections.abc import Callable

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_expire,
    appointment_reschedule,
)
from billing.models import PaymentOrder, Refund
from billing.services.notifications import payment_order_dev_pay
from billing.services.orders import payment_order_open
from common.services import Actor
from scheduling.models import Slot
from tests.appointments.booking_helpers import booking_job, outcome
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import SlotFactory

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

ACTOR = Actor.system()
_days = itertools.count(3)


def elsewhere(doctor, **kwargs) -> Slot:
    date = timezone.localdate() + datetime.timedelta(days=next(_days))
    return SlotFactory(session__doctor=doctor, session__date=date, **kwargs)


def book(profile, slot) -> Appointment:
    return appointment_book(actor=ACTOR, user=profile.user, profile=profile, slot=slot)


def reschedule_job(appointment_id: int, slot_id: int) -> Callable[[], object]:
    """A reschedule as the API does it: the appointment and slot read in the thread."""

    def job() -> object:
        appointment = Appointment.objects.select_related(
            "profile", "doctor", "session", "slot"
        ).get(pk=appointment_id)
        slot = Slot.objects.select_related("session__doctor", "session__hospital").get(
            pk=slot_id
        )
        return appointment_reschedule(
            actor=ACTOR, user=appointment.user, appointment=appointment, slot=slot
        )

    return job


def cancel_job(appointment_id: int) -> Callable[[], object]:
    def job() -> object:
        return appointment_cancel(
            actor=ACTOR, appointment=Appointment.objects.get(pk=appointment_id)
        )

    return job


def result_of(result: object) -> str:
    if isinstance(result, Appointment):
        return result.status
    return outcome(result)


def assert_seats_consistent() -> None:
    """No slot over capacity; every slot's count is the seats its appointments hold."""
    slots = Slot.objects.annotate(
        holders=Count("appointments", filter=Q(appointments__holds_seat=True))
    )
    for slot in slots:
        assert slot.booked <= slot.capacity, slot
        assert slot.booked == slot.holders, (slot.pk, slot.booked, slot.holders)


def test_one_booking_moved_by_ten_requests_while_others_rush_the_last_seats():
    # given: a booking, and ten slots of the same doctor with one seat left each (the
    # other taken by a real booking), and twenty patients rushing those last seats
    doctor = DoctorFactory()
    appointment = book(PatientProfileFactory(), elsewhere(doctor))
    targets = [elsewhere(doctor, capacity=2) for _ in range(10)]
    for slot in targets:
        book(PatientProfileFactory(), slot)
    rushers = [PatientProfileFactory() for _ in range(20)]
    jobs = [reschedule_job(appointment.pk, slot.pk) for slot in targets]
    jobs += [booking_job(p, targets[i % 10].pk) for i, p in enumerate(rushers)]

    # when
    results = run_at_once(jobs)

    # then: only moves and clean refusals, never an error
    outcomes = Counter(result_of(r) for r in results)
    assert set(outcomes) <= {"pending_payment", "slot_full", "slot_busy"}, outcomes
    assert outcomes["pending_payment"] >= 1  # at least one move or booking won
    appointment.refresh_from_db()
    assert appointment.holds_seat is True
    assert Appointment.objects.filter(pk=appointment.pk, holds_seat=True).count() == 1
    assert_seats_consistent()
    # every last seat went to exactly one rusher or to the moved booking, or stayed free
    for slot in targets:
        slot.refresh_from_db()
        assert slot.booked in (1, 2)


def test_reschedules_crossing_between_the_same_slots_never_deadlock(caplog):
    # given: pairs of bookings, each moving to the other's slot at the same moment
    doctor = DoctorFactory()
    pairs = []
    for _ in range(8):
        left, right = elsewhere(doctor, capacity=2), elsewhere(doctor, capacity=2)
        a, b = book(PatientProfileFactory(), left), book(PatientProfileFactory(), right)
        pairs.append((a, right, b, left))
    jobs = []
    for a, right, b, left in pairs:
        jobs += [reschedule_job(a.pk, right.pk), reschedule_job(b.pk, left.pk)]

    # when
    results = run_at_once(jobs)

    # then: every move done (a seat was free on each side), none refused or failed, and
    # none even retried: the two slot rows are locked in pk order by both
    assert Counter(result_of(r) for r in results) == {"pending_payment": 16}
    assert "Deadlock" not in caplog.text
    for a, right, b, left in pairs:
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.slot_id, b.slot_id) == (right.pk, left.pk)
    assert_seats_consistent()


@pytest.fixture
def dev_gateway(settings):
    """The development channel pays and refunds at once (no network)."""
    settings.PAYMENTS_DEV_GATEWAY = True


def test_a_reschedule_racing_a_cancel_of_the_same_paid_booking(dev_gateway):
    # given: paid bookings of 2000, each moved to a 1000 slot while the patient cancels it
    doctor = DoctorFactory(fee=2000)
    rounds = []
    for _ in range(6):
        appointment = book(PatientProfileFactory(), elsewhere(doctor))
        order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
        payment_order_dev_pay(order=order, actor=ACTOR)
        rounds.append((appointment, elsewhere(doctor, session__fee=1000)))
    jobs = []
    for appointment, target in rounds:
        jobs += [reschedule_job(appointment.pk, target.pk), cancel_job(appointment.pk)]

    # when
    results = run_at_once(jobs)

    # then: each cancel went through (before or after the move); a reschedule that came
    # second was refused cleanly
    for index, (appointment, _target) in enumerate(rounds):
        moved, cancelled = results[2 * index], results[2 * index + 1]
        assert result_of(cancelled) == "cancelled", cancelled
        assert result_of(moved) in (
            "booked",
            "reschedule_not_allowed",
            "appointment_state_changed",
        ), moved
        appointment.refresh_from_db()
        assert (appointment.status, appointment.holds_seat) == ("cancelled", None)
        # whichever came first, exactly what was paid came back, never more
        order = PaymentOrder.objects.get(appointment=appointment)
        refunds = Refund.objects.filter(order=order)
        assert order.refunded_amount == 2000
        assert sum(r.amount for r in refunds) == 2000
        kinds = sorted(refunds.values_list("kind", flat=True))
        if result_of(moved) == "booked":
            assert kinds == ["cancel", "reschedule"]
        else:
            assert kinds == ["cancel"]
    assert_seats_consistent()
    assert Slot.objects.filter(booked__gt=0).exists() is False


def kept(appointment) -> int:
    """What the booking's paid orders keep: paid less refunded, in fen."""
    return sum(
        order.amount - order.refunded_amount
        for order in PaymentOrder.objects.filter(
            appointment=appointment, status__in=PaymentOrder.PAID_STATUSES
        )
    )


def pay_job(order_id: int) -> Callable[[], object]:
    def job() -> object:
        return payment_order_dev_pay(
            order=PaymentOrder.objects.get(pk=order_id), actor=ACTOR
        )

    return job


def test_a_reschedule_racing_the_payment_of_the_hold(dev_gateway):
    # given: holds of 2000 with their order open, each moved to a 1500 slot while the
    # patient pays the 2000 order
    doctor = DoctorFactory(fee=2000)
    rounds = []
    for _ in range(6):
        appointment = book(PatientProfileFactory(), elsewhere(doctor))
        order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
        rounds.append((appointment, order, elsewhere(doctor, session__fee=1500)))
    jobs = []
    for appointment, order, target in rounds:
        jobs += [reschedule_job(appointment.pk, target.pk), pay_job(order.pk)]

    # when
    results = run_at_once(jobs)

    # then: paid first, the move refunds 500 and the booking keeps 1500; moved first, the
    # old order's payment cannot pay the new fee and is refunded whole
    assert not [r for r in results if isinstance(r, Exception)], results
    for appointment, _order, target in rounds:
        appointment.refresh_from_db()
        assert appointment.slot_id == target.pk
        assert appointment.fee == 1500
        if appointment.status == "booked":
            assert kept(appointment) == 1500
        else:
            assert appointment.status == "pending_payment"
            assert kept(appointment) == 0
    assert_seats_consistent()


def test_a_top_up_payment_racing_the_hold_expiry(dev_gateway):
    # given: bookings paid 2000, moved to 3000 slots, their 1000 top-up order open, the
    # hold just over when the payment arrives
    doctor = DoctorFactory(fee=2000)
    rounds = []
    for _ in range(6):
        appointment = book(PatientProfileFactory(), elsewhere(doctor))
        first = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
        payment_order_dev_pay(order=first, actor=ACTOR)
        target = elsewhere(doctor, session__fee=3000)
        reschedule_job(appointment.pk, target.pk)()
        appointment.refresh_from_db()
        top_up = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
        assert top_up.amount == 1000
        rounds.append((appointment, top_up))
    later = max(a.hold_expires_at for a, _ in rounds) + datetime.timedelta(seconds=1)
    jobs = []
    for appointment, top_up in rounds:
        jobs += [
            lambda pk=appointment.pk: appointment_expire(
                actor=ACTOR, appointment_id=pk, now=later
            ),
            pay_job(top_up.pk),
        ]

    # when
    results = run_at_once(jobs)

    # then: either the top-up came first (booked, keeping 3000) or the expiry did
    # (cancelled, everything paid refunded: the first payment and a late top-up; or the
    # top-up order was closed at the channel before the patient could pay it)
    failures = [r for r in results if isinstance(r, Exception)]
    assert all(outcome(r) == "order_closed" for r in failures), failures
    for appointment, _top_up in rounds:
        appointment.refresh_from_db()
        if appointment.status == "booked":
            assert kept(appointment) == 3000
            assert appointment.holds_seat is True
        else:
            assert appointment.status == "cancelled"
            assert kept(appointment) == 0
    assert_seats_consistent()
