"""The waitlist pinned exactly: who may join (and the words of each refusal), which slot a
promotion fills, the boundary instants of the cutoff, and the audit entries it writes."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from appointments.services import appointment_cancel, waitlist_leave
from appointments.services import waitlist as waitlist_module
from appointments.services.waitlist import waitlist_promote
from common.errors import Conflict, NotAllowed
from common.models import OperationLog
from common.services import Actor
from scheduling.models import ClinicSession, Slot
from scheduling.rules import booking_cutoff_at, rule_for_hospital_id
from tests.appointments.booking_helpers import book, join
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def full_slot(capacity: int = 1, **kwargs) -> Slot:
    slot = SlotFactory(capacity=capacity, **kwargs)
    for _ in range(capacity):
        book(slot)
    return slot


def refused(session: ClinicSession, profile=None, exc=Conflict) -> Conflict:
    with pytest.raises(exc) as excinfo:
        join(session, profile)
    return excinfo.value


# joining -----------------------------------------------------------------------------------


def test_joining_is_logged_with_its_session():
    slot = full_slot()

    entry = join(slot.session)

    log = OperationLog.objects.get(action="waitlist.join")
    assert (log.object_id, log.summary) == (
        str(entry.pk),
        f"session={slot.session_id}",
    )


def test_an_inactive_profile_of_ones_own_may_not_join_in_words():
    slot = full_slot()
    profile = PatientProfileFactory(is_active=None)

    error = refused(slot.session, profile, NotAllowed)

    assert error.code == "profile_not_yours"
    assert error.message == "This patient profile does not belong to you."


def test_a_session_whose_slots_passed_the_cutoff_is_closed_in_words():
    # given: the only slot's cutoff has passed, its start has not
    slot = full_slot()
    cutoff = booking_cutoff_at(
        rule_for_hospital_id(slot.session.hospital_id), slot, slot.session
    )

    # when
    with time_machine.travel(cutoff, tick=False):
        error = refused(slot.session)

    # then
    assert error.code == "booking_closed"
    assert error.message == "Booking for this session has closed."


def test_a_session_with_free_seats_sends_the_patient_to_book_in_words():
    slot = SlotFactory(capacity=2)
    book(slot)

    error = refused(slot.session)

    assert error.code == "seats_available"
    assert error.message == "Seats are still available; please book directly."


def test_a_patient_holding_a_seat_in_the_session_may_not_join_in_words():
    slot = full_slot(capacity=0)
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    holder = book(slot)

    error = refused(slot.session, holder.profile)

    assert error.code == "already_booked"
    assert error.message == "This patient already has a booking in this session."


def test_a_booking_elsewhere_or_a_cancelled_one_here_does_not_stop_a_join():
    # given: the patient booked another session, and cancelled a booking of this one
    slot = SlotFactory(capacity=1)
    mine = book(slot)
    appointment_cancel(actor=ACTOR, appointment=mine)
    book(slot)
    book(SlotFactory(), mine.profile)

    # when
    entry = join(slot.session, mine.profile)

    # then
    assert entry.status == WaitlistEntry.Status.WAITING


def test_waiting_twice_is_refused_in_words():
    slot = full_slot()
    entry = join(slot.session)

    error = refused(slot.session, entry.profile)

    assert error.code == "already_waiting"
    assert error.message == "This patient is already on the waitlist."


def test_waiting_elsewhere_or_having_left_here_does_not_stop_a_join():
    slot, other = full_slot(), full_slot()
    profile = PatientProfileFactory()
    join(other.session, profile)
    waitlist_leave(actor=ACTOR, entry=join(slot.session, profile))

    entry = join(slot.session, profile)

    assert entry.status == WaitlistEntry.Status.WAITING


def test_a_concurrent_join_of_the_same_patient_is_refused_by_the_key(monkeypatch):
    """The unique key decides when two joins pass the checks at once: the other join's
    row is inserted just before this one's."""
    slot = full_slot()
    profile = PatientProfileFactory()
    priority_of = waitlist_module.waitlist_priority_for_user

    def other_join_first(*, user):
        WaitlistEntry.objects.create(
            user=user, profile=profile, session=slot.session, priority=0
        )
        return priority_of(user=user)

    monkeypatch.setattr(waitlist_module, "waitlist_priority_for_user", other_join_first)

    error = refused(slot.session, profile)

    assert error.code == "already_waiting"
    assert error.message == "This patient is already on the waitlist."
    assert WaitlistEntry.objects.filter(profile=profile).count() == 0  # rolled back


# leaving -----------------------------------------------------------------------------------


def test_leaving_is_stamped_and_logged_and_a_second_leave_is_refused_in_words():
    entry = join(full_slot().session)
    WaitlistEntry.objects.filter(pk=entry.pk).update(updated_at=LONG_AGO)

    waitlist_leave(actor=ACTOR, entry=entry)
    with pytest.raises(Conflict) as excinfo:
        waitlist_leave(actor=ACTOR, entry=entry)

    entry.refresh_from_db()
    assert entry.updated_at > LONG_AGO
    log = OperationLog.objects.get(action="waitlist.left")
    assert log.summary == "left by patient"
    assert excinfo.value.code == "not_waiting"
    assert excinfo.value.message == "This waitlist entry is no longer waiting."


# promotion ---------------------------------------------------------------------------------


def test_a_promotion_fills_the_earliest_slot_and_stamps_the_entry():
    # given: a later slot made first, an earlier one made second; both full, one waiting
    session = SlotFactory(capacity=0).session
    Slot.objects.filter(session=session).delete()
    late = SlotFactory(session=session, capacity=1, booked=1)
    early = SlotFactory(
        session=session,
        capacity=1,
        booked=1,
        starts_at=late.starts_at - datetime.timedelta(hours=1),
        ends_at=late.starts_at - datetime.timedelta(minutes=30),
        queue_start=10,
    )
    entry = join(session)
    Slot.objects.filter(pk__in=[late.pk, early.pk]).update(booked=0)
    WaitlistEntry.objects.filter(pk=entry.pk).update(updated_at=LONG_AGO)
    now = timezone.now()

    # when
    with transaction.atomic():
        promoted = waitlist_promote(actor=ACTOR, session=session, now=now)

    # then
    assert promoted == 1
    entry.refresh_from_db()
    assert entry.appointment.slot_id == early.pk
    assert entry.updated_at == now


def test_a_slot_at_its_cutoff_instant_is_not_offered():
    # given: a full slot with a waiting patient; its seat comes back at the cutoff
    slot = full_slot()
    entry = join(slot.session)
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    cutoff = booking_cutoff_at(
        rule_for_hospital_id(slot.session.hospital_id), slot, slot.session
    )

    # when
    with transaction.atomic():
        promoted = waitlist_promote(actor=ACTOR, session=slot.session, now=cutoff)

    # then
    assert promoted == 0
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING


def test_the_previous_evening_cutoff_uses_the_sessions_date():
    # given: bookings close at 18:00 the evening before the session
    slot = SlotFactory(capacity=1)
    BookingRuleFactory(hospital=slot.session.hospital, cutoff_mode="previous_evening")
    book(slot)
    entry = join(slot.session)
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    cutoff = booking_cutoff_at(
        rule_for_hospital_id(slot.session.hospital_id), slot, slot.session
    )

    # when: just before, then at the cutoff
    with transaction.atomic():
        at_cutoff = waitlist_promote(actor=ACTOR, session=slot.session, now=cutoff)
        before = waitlist_promote(
            actor=ACTOR,
            session=slot.session,
            now=cutoff - datetime.timedelta(seconds=1),
        )

    # then
    assert (at_cutoff, before) == (0, 1)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED


def test_a_stopped_session_promotes_no_one():
    slot = full_slot()
    join(slot.session)
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    ClinicSession.objects.filter(pk=slot.session_id).update(
        status=ClinicSession.Status.STOPPED
    )
    slot.session.refresh_from_db()

    with transaction.atomic():
        promoted = waitlist_promote(actor=ACTOR, session=slot.session)

    assert promoted == 0
    assert Appointment.objects.filter(session=slot.session).count() == 1


def test_a_seat_taken_meanwhile_sends_the_first_in_line_to_the_next_free_slot(
    monkeypatch,
):
    # given: two full slots, two waiting patients; a seat comes back in each, and a
    # concurrent booking takes the first one between the read and the UPDATE
    session = SlotFactory(capacity=1).session
    first_slot = session.slots.get()
    second_slot = SlotFactory(session=session, capacity=1)
    for slot in (first_slot, second_slot):
        book(slot)
    first, second = join(session), join(session)
    Slot.objects.filter(session=session).update(booked=0)
    seat_take = waitlist_module.seat_take

    def first_seat_taken_meanwhile(*, slot_id, **where):
        if slot_id == first_slot.pk:
            Slot.objects.filter(pk=slot_id).update(booked=1)
        return seat_take(slot_id=slot_id, **where)

    monkeypatch.setattr(waitlist_module, "seat_take", first_seat_taken_meanwhile)

    # when
    with transaction.atomic():
        promoted = waitlist_promote(actor=ACTOR, session=session)

    # then: the first in line has the second slot, the other waits on
    assert promoted == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistEntry.Status.PROMOTED
    assert first.appointment.slot_id == second_slot.pk
    assert second.status == WaitlistEntry.Status.WAITING
