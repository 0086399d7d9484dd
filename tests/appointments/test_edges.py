"""Edges of booking, cancel, stop-clinic and the waitlist that the other tests leave open.

Each test here was checked against a planted bug in the service it guards (a boundary moved
by one, an ordering reversed, a status left out): it fails with the bug and passes without.
"""

import datetime

import pytest
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from appointments.services import (
    appointment_cancel,
    appointment_check_in,
    session_stop,
    waitlist_join,
)
from appointments.services.stopping import SessionStopResult
from billing.models import Refund
from billing.services import payment_order_dev_pay
from common.errors import Conflict
from common.services import Actor
from tests.appointments.booking_helpers import book, join, same_person
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status
DAY = datetime.timedelta(days=1)


def slot_on(hospital, date, **kwargs):
    return SlotFactory(
        session=ClinicSessionFactory(doctor__hospital=hospital, date=date), **kwargs
    )


# the 7-day window -----------------------------------------------------------------------


def test_the_weekly_cap_counts_the_seven_days_that_start_on_the_visit_day():
    # given: at most 2 bookings in any 7 days; the user holds D+1 and D+6, nothing before D
    day = timezone.localdate() + 2 * DAY
    hospital = SlotFactory().session.hospital
    BookingRuleFactory(
        hospital=hospital, max_active_per_day=2, max_active_per_week=2, window_days=14
    )
    profile = PatientProfileFactory()
    book(slot_on(hospital, day + DAY), profile)
    book(slot_on(hospital, day + 6 * DAY), same_person(profile))
    visit_day = slot_on(hospital, day)

    # when: a booking on D, whose window D..D+6 would then hold three
    with pytest.raises(Conflict) as excinfo:
        book(visit_day, same_person(profile))

    # then
    assert excinfo.value.code == "weekly_limit_reached"
    visit_day.refresh_from_db()
    assert visit_day.booked == 0
    assert not Appointment.objects.filter(slot=visit_day).exists()


def test_a_booking_seven_days_after_the_others_is_outside_their_window():
    # given: 2 in any 7 days; the user holds D+1 and D+6
    day = timezone.localdate() + 2 * DAY
    hospital = SlotFactory().session.hospital
    BookingRuleFactory(
        hospital=hospital, max_active_per_day=2, max_active_per_week=2, window_days=14
    )
    profile = PatientProfileFactory()
    book(slot_on(hospital, day + DAY), profile)
    book(slot_on(hospital, day + 6 * DAY), same_person(profile))

    # when: D+8 (its windows D+2..D+8 and later hold only D+6)
    later = book(slot_on(hospital, day + 8 * DAY), same_person(profile))

    # then
    assert later.status == S.PENDING_PAYMENT


# cancel ----------------------------------------------------------------------------------


def test_staff_cannot_cancel_at_the_exact_visit_start_but_can_one_second_before():
    # given
    slot = SlotFactory(capacity=2)
    late, in_time = book(slot), book(slot)

    # when: exactly at the visit start
    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(
            actor=ACTOR,
            appointment=late,
            by=Appointment.CancelledBy.STAFF,
            now=slot.starts_at,
        )

    # then: refused, nothing changed
    assert excinfo.value.code == "visit_started"
    late.refresh_from_db()
    assert late.status == S.PENDING_PAYMENT
    slot.refresh_from_db()
    assert slot.booked == 2

    # when: one second before
    appointment_cancel(
        actor=ACTOR,
        appointment=in_time,
        by=Appointment.CancelledBy.STAFF,
        now=slot.starts_at - datetime.timedelta(seconds=1),
    )

    # then
    in_time.refresh_from_db()
    assert in_time.status == S.CANCELLED
    slot.refresh_from_db()
    assert slot.booked == 1


def test_cancelling_one_of_several_bookings_in_a_slot_returns_exactly_one_seat():
    # given: three seats taken in one slot, two in the session's next slot
    slot = SlotFactory(capacity=4)
    neighbour = SlotFactory(session=slot.session, capacity=4)
    first, second, third = book(slot), book(slot), book(slot)
    book(neighbour), book(neighbour)

    # when
    appointment_cancel(actor=ACTOR, appointment=second)

    # then: one seat back in that slot; the others and the neighbour keep theirs
    slot.refresh_from_db()
    neighbour.refresh_from_db()
    assert (slot.booked, neighbour.booked) == (2, 2)
    statuses = dict(Appointment.objects.filter(slot=slot).values_list("pk", "status"))
    assert statuses == {
        first.pk: S.PENDING_PAYMENT,
        second.pk: S.CANCELLED,
        third.pk: S.PENDING_PAYMENT,
    }


# stop-clinic ----------------------------------------------------------------------------


def test_stop_clinic_refunds_a_patient_who_paid_and_checked_in(settings):
    # given: a 30-yuan booking, paid, and the patient checked in at the desk on the day
    settings.PAYMENTS_DEV_GATEWAY = True
    order = open_order(fee=3000)
    payment_order_dev_pay(order=order, actor=ACTOR)
    appointment = Appointment.objects.get(pk=order.appointment_id)
    on_the_day = appointment.visit_starts_at - datetime.timedelta(minutes=30)
    appointment_check_in(
        actor=ACTOR, appointment=appointment, by_staff=True, now=on_the_day
    )
    assert appointment.status == S.CHECKED_IN

    # when
    result = session_stop(
        actor=ACTOR, session=appointment.session, reason="医生急诊手术", now=on_the_day
    )

    # then: sent home and refunded in full
    assert result == SessionStopResult(cancelled=1, refunds=1, refunded=3000)
    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert appointment.cancelled_by == Appointment.CancelledBy.STOP_CLINIC
    refund = Refund.objects.get(order=order)
    assert refund.amount == 3000


# the waitlist ---------------------------------------------------------------------------


def test_within_one_priority_the_first_to_join_is_promoted_first():
    # given: a full session; three waiting at the same priority, the second joined first
    slot = SlotFactory(capacity=1)
    holder = book(slot)
    entries = [join(slot.session) for _ in range(3)]
    joined = timezone.now() - datetime.timedelta(hours=1)
    for entry, minutes in zip(entries, (20, 10, 30), strict=True):
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            priority=0, created_at=joined + datetime.timedelta(minutes=minutes)
        )

    # when: one seat comes back
    appointment_cancel(actor=ACTOR, appointment=holder)

    # then: the earliest to join got it; the others still wait
    status = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert status == {
        entries[0].pk: WaitlistEntry.Status.WAITING,
        entries[1].pk: WaitlistEntry.Status.PROMOTED,
        entries[2].pk: WaitlistEntry.Status.WAITING,
    }
    slot.refresh_from_db()
    assert slot.booked == 1


def test_promotion_skips_a_patient_at_the_daily_cap_and_gives_the_seat_to_the_next():
    # given: one booking a day; the first waiting patient already has one that day elsewhere
    slot = SlotFactory(capacity=1)
    hospital = slot.session.hospital
    BookingRuleFactory(hospital=hospital, max_active_per_day=1, max_active_per_week=5)
    holder = book(slot)
    capped = PatientProfileFactory()
    book(slot_on(hospital, slot.session.date), capped)
    again = same_person(capped)
    first = join(slot.session, again)
    second = join(slot.session)
    WaitlistEntry.objects.filter(pk=second.pk).update(
        created_at=first.created_at + datetime.timedelta(seconds=1)
    )

    # when
    appointment_cancel(actor=ACTOR, appointment=holder)

    # then: the capped patient's entry is closed without a booking; the next one has the seat
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistEntry.Status.CLOSED
    assert first.appointment is None
    assert second.status == WaitlistEntry.Status.PROMOTED
    assert second.appointment.slot_id == slot.pk
    assert (
        Appointment.objects.filter(
            user=again.user, session=slot.session, holds_seat=True
        ).exists()
        is False
    )
    slot.refresh_from_db()
    assert slot.booked == 1


def test_the_waitlist_of_a_session_with_several_slots_needs_every_slot_full():
    # given: two slots; the first full, the second with a seat left
    first = SlotFactory(capacity=1)
    second = SlotFactory(session=first.session, capacity=2)
    book(first)
    holder = book(second)

    # when / then: a seat in the later slot means book directly
    with pytest.raises(Conflict) as excinfo:
        join(first.session)
    assert excinfo.value.code == "seats_available"
    assert WaitlistEntry.objects.count() == 0

    # given: the later slot fills too
    book(second)

    # when: the patient joins, and a seat of the later slot comes back
    entry = join(first.session)
    appointment_cancel(actor=ACTOR, appointment=holder)

    # then: promoted into the slot that has the seat
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert entry.appointment.slot_id == second.pk
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.booked, second.booked) == (1, 2)


def test_the_waitlist_ignores_a_free_seat_in_a_slot_that_has_started():
    # given: the first slot started with a seat left; the later slot is full
    first = SlotFactory(capacity=2)
    second = SlotFactory(session=first.session, capacity=1)
    BookingRuleFactory(hospital=first.session.hospital, cutoff_minutes=0)
    book(first, now=first.starts_at - datetime.timedelta(hours=2))
    book(second, now=first.starts_at - datetime.timedelta(hours=2))
    during_first = first.starts_at + datetime.timedelta(minutes=5)
    profile = PatientProfileFactory()

    # when
    entry = waitlist_join(
        actor=ACTOR,
        user=profile.user,
        profile=profile,
        session=first.session,
        now=during_first,
    )

    # then: the seat that can no longer be booked does not keep the patient out
    assert entry.status == WaitlistEntry.Status.WAITING
