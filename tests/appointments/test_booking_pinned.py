"""Booking pinned exactly: the order number, the audit entry, the members' share, and the
races a single SQLite connection cannot produce on its own (a seat or a queue number taken,
or the session stopped, between the checks and the write), made to happen at that step."""

import datetime
import re

import pytest
from django.utils import timezone

from accounts.models import MemberLevel
from appointments.models import Appointment
from appointments.services import appointment_book, appointment_cancel
from appointments.services import booking as booking_module
from appointments.services.booking import order_no_new
from common.errors import Conflict, NotAllowed
from common.models import OperationLog
from common.services import Actor
from scheduling.models import ClinicSession, Slot
from scheduling.rules import booking_cutoff_at, rule_for_hospital_id
from scheduling.services import availability_versions
from scheduling.soldout import slot_is_known_sold_out
from tests.appointments.booking_helpers import book, join
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status


def test_order_numbers_are_the_local_booking_time_and_ten_digits():
    now = timezone.now() - datetime.timedelta(hours=3)

    numbers = [order_no_new(now) for _ in range(20)]

    for number in numbers:
        assert re.fullmatch(r"\d{24}", number)
        assert number[:14] == f"{timezone.localtime(now):%Y%m%d%H%M%S}"


def test_a_booking_is_numbered_by_the_time_it_was_made_and_logged():
    slot = SlotFactory()
    now = timezone.now() - datetime.timedelta(hours=3)

    appointment = book(slot, now=now)

    assert appointment.order_no[:14] == f"{timezone.localtime(now):%Y%m%d%H%M%S}"
    log = OperationLog.objects.get(
        action="appointment.create", object_id=str(appointment.pk)
    )
    assert log.summary == (
        f"pending_payment slot={slot.pk} profile={appointment.profile_id} "
        f"queue={appointment.queue_no}"
    )


def test_a_booking_refreshes_its_doctors_availability_after_commit(
    django_capture_on_commit_callbacks,
):
    slot = SlotFactory()
    session = slot.session
    before = availability_versions(
        doctor_id=session.doctor_id, hospital_id=session.hospital_id
    )

    with django_capture_on_commit_callbacks(execute=True):
        book(slot)

    after = availability_versions(
        doctor_id=session.doctor_id, hospital_id=session.hospital_id
    )
    assert after[0] == before[0] + 1


def test_public_bookings_do_not_use_up_the_members_share():
    # given: a 5-seat session booked once in public, then its release moved to tomorrow
    slot = SlotFactory(capacity=5)
    book(slot)
    release = timezone.now() + datetime.timedelta(days=1)
    ClinicSession.objects.filter(pk=slot.session_id).update(release_at=release)
    slot.session.refresh_from_db()
    member = PatientProfileFactory()
    member.user.member_level = MemberLevel.objects.get(code="vip")
    member.user.save(update_fields=["member_level"])

    # when: a VIP books early (20 percent of 5 seats: 1)
    early = book(slot, member, now=release - datetime.timedelta(hours=1))

    # then
    assert early.booked_early is True


# races made to happen at their step -------------------------------------------------------


def test_the_last_seat_taken_meanwhile_is_refused_in_words_and_remembered(
    monkeypatch,
):
    # given: another booking takes the last seat between the checks and the UPDATE
    slot = SlotFactory(capacity=1)
    seat_take = booking_module.seat_take

    def taken_meanwhile(*, slot_id, **where):
        Slot.objects.filter(pk=slot_id).update(booked=1)
        return seat_take(slot_id=slot_id, **where)

    monkeypatch.setattr(booking_module, "seat_take", taken_meanwhile)

    # when
    with pytest.raises(Conflict) as excinfo:
        book(slot)

    # then
    assert excinfo.value.code == "slot_full"
    assert excinfo.value.message == "This time slot is fully booked."
    assert slot_is_known_sold_out(slot_id=slot.pk) is True
    assert Appointment.objects.exists() is False


def test_a_session_stopped_meanwhile_is_refused_and_the_seat_goes_back(monkeypatch):
    # given: staff stop the session while this booking waits for the slot
    slot = SlotFactory(capacity=2)
    SlotFactory()  # another session, still open
    seat_take = booking_module.seat_take

    def stopped_meanwhile(*, slot_id, **where):
        ClinicSession.objects.filter(pk=slot.session_id).update(
            status=ClinicSession.Status.STOPPED
        )
        return seat_take(slot_id=slot_id, **where)

    monkeypatch.setattr(booking_module, "seat_take", stopped_meanwhile)

    # when
    with pytest.raises(Conflict) as excinfo:
        book(slot)

    # then
    assert excinfo.value.code == "session_stopped"
    assert excinfo.value.message == "This clinic session has been stopped."
    slot.refresh_from_db()
    assert slot.booked == 0
    assert Appointment.objects.exists() is False


def numbers_taken_meanwhile(monkeypatch, slot: Slot, times: int) -> list[Appointment]:
    """Each of the next `times` queue numbers this booking picks is taken by another
    booking of the session just before its insert (as a concurrent booking would)."""
    others = [book(slot) for _ in range(times)]
    for offset, other in enumerate(others):
        Appointment.objects.filter(pk=other.pk).update(queue_no=100 + offset)
    queue_no_free = booking_module.queue_no_free
    pending = list(others)

    def then_taken(*, slot):
        number = queue_no_free(slot=slot)
        if pending:
            Appointment.objects.filter(pk=pending.pop(0).pk).update(queue_no=number)
        return number

    monkeypatch.setattr(booking_module, "queue_no_free", then_taken)
    return others


def test_a_queue_number_taken_meanwhile_is_picked_again(monkeypatch):
    # given: the patient holds a booking in another session and cancelled one in this
    # session; two numbers are taken meanwhile
    slot = SlotFactory(capacity=5)
    profile = PatientProfileFactory()
    book(SlotFactory(), profile)
    appointment_cancel(actor=ACTOR, appointment=book(slot, profile))
    numbers_taken_meanwhile(monkeypatch, slot, times=2)

    # when
    appointment = book(slot, profile)

    # then: the third number tried
    assert appointment.status == S.PENDING_PAYMENT
    assert appointment.queue_no == slot.queue_start + 2
    held = Appointment.objects.filter(session=slot.session, holds_seat=True)
    assert sorted(held.values_list("queue_no", flat=True)) == [
        slot.queue_start,
        slot.queue_start + 1,
        slot.queue_start + 2,
    ]


def test_after_three_numbers_taken_meanwhile_the_patient_is_asked_to_retry(
    monkeypatch,
):
    slot = SlotFactory(capacity=5)
    numbers_taken_meanwhile(monkeypatch, slot, times=3)

    with pytest.raises(Conflict) as excinfo:
        book(slot)

    assert excinfo.value.code == "slot_busy"
    assert excinfo.value.message == "Too many bookings at once; please try again."
    slot.refresh_from_db()
    assert slot.booked == 3


# refusals a patient reads ------------------------------------------------------------------


def test_booking_at_the_cutoff_is_refused_in_words():
    slot = SlotFactory()
    cutoff = booking_cutoff_at(
        rule_for_hospital_id(slot.session.hospital_id), slot, slot.session
    )

    with pytest.raises(Conflict) as excinfo:
        book(slot, now=cutoff)

    assert excinfo.value.code == "booking_closed"
    assert excinfo.value.message == "Booking for this time slot has closed."


def test_a_full_slot_is_refused_in_words():
    slot = SlotFactory(capacity=1)
    book(slot)

    with pytest.raises(Conflict) as excinfo:
        book(slot)

    assert excinfo.value.code == "slot_full"
    assert excinfo.value.message == "This time slot is fully booked."


def test_another_accounts_profile_is_refused_in_words():
    slot = SlotFactory()
    profile, stranger = PatientProfileFactory(), PatientProfileFactory()

    with pytest.raises(NotAllowed) as excinfo:
        appointment_book(actor=ACTOR, user=stranger.user, profile=profile, slot=slot)

    assert excinfo.value.code == "profile_not_yours"
    assert excinfo.value.message == "This patient profile does not belong to you."


def test_a_second_booking_in_the_session_is_refused_in_words():
    slot = SlotFactory()
    first = book(slot)

    with pytest.raises(Conflict) as excinfo:
        book(SlotFactory(session=slot.session), first.profile)

    assert excinfo.value.code == "already_booked"
    assert excinfo.value.message == (
        "This patient already has a booking in this session."
    )


def refusal(slot: Slot, now=None) -> Conflict:
    with pytest.raises(Conflict) as excinfo:
        book(slot, now=now)
    return excinfo.value


def test_a_session_not_released_is_refused_in_words_to_booking_and_waitlist():
    slot = SlotFactory(session__release_at=timezone.now() + datetime.timedelta(days=1))

    booking = refusal(slot)
    with pytest.raises(Conflict) as waiting:
        join(slot.session)

    for error in (booking, waiting.value):
        assert error.code == "not_released_yet"
        assert error.message == "Booking for this session has not opened yet."


def test_a_stopped_session_is_refused_in_words():
    slot = SlotFactory(session__status=ClinicSession.Status.STOPPED)

    error = refusal(slot)

    assert error.code == "session_stopped"
    assert error.message == "This clinic session has been stopped."


def test_an_inactive_doctor_is_refused_in_words():
    slot = SlotFactory(session__doctor__is_active=False)

    error = refusal(slot)

    assert error.code == "doctor_unavailable"
    assert error.message == "This doctor is not taking bookings."


def test_a_slot_that_started_is_refused_in_words():
    slot = SlotFactory()

    error = refusal(slot, now=slot.starts_at)

    assert error.code == "slot_in_past"
    assert error.message == "This time slot has already started."
