import datetime

import pytest
import time_machine
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_book
from common.errors import Conflict, NotAllowed
from common.models import OperationLog
from common.services import Actor
from scheduling.models import BookingRule, ClinicSession, Slot
from tests.accounts.factories import make_id_card_no
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()


def book(profile, slot, now=None):
    return appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot, now=now
    )


def assert_nothing_booked(slot, booked=0):
    slot.refresh_from_db()
    assert slot.booked == booked
    assert Appointment.objects.filter(slot=slot).count() == booked


def test_booking_takes_one_seat_and_holds_it_until_payment():
    # given
    slot = SlotFactory(capacity=2, session__fee=5000)
    profile = PatientProfileFactory()
    now = timezone.now()

    # when
    appointment = book(profile, slot, now=now)

    # then
    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    assert appointment.fee == 5000
    assert appointment.hold_expires_at == now + datetime.timedelta(minutes=15)
    assert appointment.queue_no == 1
    assert appointment.visit_starts_at == slot.starts_at
    assert appointment.visit_ends_at == slot.ends_at
    assert appointment.place == slot.session.place
    assert len(appointment.order_no) == 24
    assert (
        OperationLog.objects.filter(
            action="appointment.create", object_id=str(appointment.pk)
        ).count()
        == 1
    )


def test_a_free_slot_is_booked_at_once_without_a_hold():
    slot = SlotFactory(session__fee=0)

    appointment = book(PatientProfileFactory(), slot)

    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.hold_expires_at is None


def test_booking_a_full_slot_is_refused_and_changes_nothing():
    slot = SlotFactory(capacity=1)
    book(PatientProfileFactory(), slot)

    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot)

    assert excinfo.value.code == "slot_full"
    assert_nothing_booked(slot, booked=1)


def test_queue_numbers_follow_the_slots_and_reuse_a_cancelled_number():
    from appointments.services import appointment_cancel

    first = SlotFactory(capacity=3)
    second = SlotFactory(session=first.session, capacity=3)
    assert second.queue_start == 4

    a = book(PatientProfileFactory(), first)
    b = book(PatientProfileFactory(), first)
    c = book(PatientProfileFactory(), second)
    appointment_cancel(actor=ACTOR, appointment=a)
    d = book(PatientProfileFactory(), first)

    assert (a.queue_no, b.queue_no, c.queue_no, d.queue_no) == (1, 2, 4, 1)


def test_booking_opens_at_the_exact_release_minute():
    release = timezone.now() + datetime.timedelta(hours=1)
    slot = SlotFactory(session__release_at=release)

    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot, now=release - datetime.timedelta(seconds=1))
    assert excinfo.value.code == "not_released_yet"
    assert_nothing_booked(slot)

    appointment = book(PatientProfileFactory(), slot, now=release)
    assert appointment.status == Appointment.Status.PENDING_PAYMENT


def test_booking_closes_at_the_cutoff_minutes_before_the_slot():
    slot = SlotFactory()
    BookingRuleFactory(hospital=slot.session.hospital, cutoff_minutes=30)
    cutoff = slot.starts_at - datetime.timedelta(minutes=30)

    book(PatientProfileFactory(), slot, now=cutoff - datetime.timedelta(seconds=1))
    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot, now=cutoff)

    assert excinfo.value.code == "booking_closed"
    assert_nothing_booked(slot, booked=1)


def test_booking_closes_at_the_set_time_on_the_evening_before():
    slot = SlotFactory()
    BookingRuleFactory(
        hospital=slot.session.hospital,
        cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING,
        cutoff_time=datetime.time(18, 0),
    )
    day_before = slot.session.date - datetime.timedelta(days=1)
    cutoff = timezone.make_aware(
        datetime.datetime.combine(day_before, datetime.time(18, 0))
    )

    book(PatientProfileFactory(), slot, now=cutoff - datetime.timedelta(minutes=1))
    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot, now=cutoff)

    assert excinfo.value.code == "booking_closed"
    assert_nothing_booked(slot, booked=1)


def test_a_stopped_session_cannot_be_booked():
    slot = SlotFactory(session__status=ClinicSession.Status.STOPPED)

    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot)

    assert excinfo.value.code == "session_stopped"
    assert_nothing_booked(slot)


def test_a_slot_that_has_started_cannot_be_booked():
    slot = SlotFactory()

    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot, now=slot.starts_at)

    assert excinfo.value.code == "slot_in_past"
    assert_nothing_booked(slot)


def test_an_inactive_doctor_cannot_be_booked():
    slot = SlotFactory(session__doctor__is_active=False)

    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(), slot)

    assert excinfo.value.code == "doctor_unavailable"
    assert_nothing_booked(slot)


def test_another_users_profile_is_refused():
    slot = SlotFactory()
    mine = PatientProfileFactory()
    theirs = PatientProfileFactory()

    with pytest.raises(NotAllowed) as excinfo:
        appointment_book(actor=ACTOR, user=mine.user, profile=theirs, slot=slot)

    assert excinfo.value.code == "profile_not_yours"
    assert_nothing_booked(slot)


def test_one_active_booking_per_profile_per_session_even_in_another_slot():
    first = SlotFactory()
    second = SlotFactory(session=first.session)
    profile = PatientProfileFactory()
    book(profile, first)

    with pytest.raises(Conflict) as excinfo:
        book(profile, second)

    assert excinfo.value.code == "already_booked"
    assert_nothing_booked(second)


def test_a_cancelled_booking_does_not_block_booking_again():
    from appointments.services import appointment_cancel

    slot = SlotFactory()
    profile = PatientProfileFactory()
    appointment_cancel(actor=ACTOR, appointment=book(profile, slot))

    again = book(profile, slot)

    assert again.status == Appointment.Status.PENDING_PAYMENT
    slot.refresh_from_db()
    assert slot.booked == 1


def _slot_on(hospital, date):
    session = ClinicSessionFactory(doctor__hospital=hospital, date=date)
    return SlotFactory(session=session)


def test_the_daily_cap_counts_upcoming_bookings_on_the_visit_day():
    # given: one booking a day, and the patient already holds one on that day with
    # another doctor
    first = SlotFactory()
    hospital = first.session.hospital
    BookingRuleFactory(hospital=hospital, max_active_per_day=1, max_active_per_week=4)
    profile = PatientProfileFactory()
    book(profile, first)
    other = _slot_on(hospital, first.session.date)

    # when / then
    with pytest.raises(Conflict) as excinfo:
        book(profile, other)
    assert excinfo.value.code == "daily_limit_reached"
    assert excinfo.value.message == "This patient already has 1 bookings on this day."
    assert_nothing_booked(other)


def test_the_daily_cap_counts_one_person_across_accounts():
    # given: one person (one ID number) on two accounts, one booking a day
    first = SlotFactory()
    hospital = first.session.hospital
    BookingRuleFactory(hospital=hospital, max_active_per_day=1, max_active_per_week=4)
    id_card_no = make_id_card_no()
    book(PatientProfileFactory(id_card_no=id_card_no), first)
    other = _slot_on(hospital, first.session.date)
    same_person = PatientProfileFactory(id_card_no=id_card_no)  # another account

    # when / then
    with pytest.raises(Conflict) as excinfo:
        book(same_person, other)
    assert excinfo.value.code == "daily_limit_reached"
    assert_nothing_booked(other)
    assert Appointment.objects.count() == 1


def test_family_members_on_one_account_each_have_their_own_caps():
    # given: a parent's account books for two children on the same day
    first = SlotFactory()
    hospital = first.session.hospital
    BookingRuleFactory(hospital=hospital, max_active_per_day=1, max_active_per_week=4)
    child = PatientProfileFactory()
    book(child, first)
    sibling = PatientProfileFactory(user=child.user)

    # when
    second = book(sibling, _slot_on(hospital, first.session.date))

    # then
    assert second.status == Appointment.Status.PENDING_PAYMENT
    assert Appointment.objects.filter(user=child.user).count() == 2


def test_a_hospitals_cap_counts_only_its_own_bookings():
    # given: one booking a day at each hospital; the person holds one at another hospital
    elsewhere = SlotFactory()
    BookingRuleFactory(
        hospital=elsewhere.session.hospital, max_active_per_day=1, max_active_per_week=4
    )
    profile = PatientProfileFactory()
    book(profile, elsewhere)
    here = SlotFactory(session__date=elsewhere.session.date)
    BookingRuleFactory(
        hospital=here.session.hospital, max_active_per_day=1, max_active_per_week=4
    )

    # when
    appointment = book(profile, here)

    # then
    assert appointment.hospital_id == here.session.hospital_id
    assert Appointment.objects.filter(profile=profile).count() == 2


def test_the_weekly_cap_applies_to_any_seven_consecutive_days():
    # given: two bookings in any 7 days; bookings on day D and day D+6
    day = timezone.localdate() + datetime.timedelta(days=2)
    first = _slot_on(hospital := SlotFactory().session.hospital, day)
    BookingRuleFactory(
        hospital=hospital, max_active_per_day=1, max_active_per_week=2, window_days=14
    )
    id_card_no = make_id_card_no()
    book(PatientProfileFactory(id_card_no=id_card_no), first)
    book(
        PatientProfileFactory(id_card_no=id_card_no),
        _slot_on(hospital, day + datetime.timedelta(days=6)),
    )

    # when: a third inside D..D+6 is refused, one on D+7 (window D+1..D+7 holds one) is
    # allowed, whichever account of the person books it
    middle = _slot_on(hospital, day + datetime.timedelta(days=3))
    with pytest.raises(Conflict) as excinfo:
        book(PatientProfileFactory(id_card_no=id_card_no), middle)
    later = book(
        PatientProfileFactory(id_card_no=id_card_no),
        _slot_on(hospital, day + datetime.timedelta(days=7)),
    )

    # then
    assert excinfo.value.code == "weekly_limit_reached"
    assert_nothing_booked(middle)
    assert later.status == Appointment.Status.PENDING_PAYMENT


def test_frozen_clock_books_at_the_release_minute():
    # The clock itself, not an injected `now`, decides: time-machine moves it to the minute.
    release = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=2)
    slot = SlotFactory(session__release_at=release)
    with (
        time_machine.travel(release - datetime.timedelta(seconds=1), tick=False),
        pytest.raises(Conflict),
    ):
        book(PatientProfileFactory(), slot)
    with time_machine.travel(release, tick=False):
        appointment = book(PatientProfileFactory(), slot)
    assert appointment.created_at == release


def test_a_free_booking_is_confirmed_to_the_patient_at_once():
    from appointments.models import Notification

    appointment = book(PatientProfileFactory(), SlotFactory(session__fee=0))

    notification = Notification.objects.get(appointment=appointment)
    assert notification.event == "booked"
    assert notification.user_id == appointment.user_id


def test_a_paid_booking_is_not_confirmed_before_payment():
    from appointments.models import Notification

    appointment = book(PatientProfileFactory(), SlotFactory(session__fee=100))

    assert (
        Notification.objects.filter(appointment=appointment, event="booked").exists()
        is False
    )


# the sold-out flag ---------------------------------------------------------------------


def test_a_slot_found_full_is_refused_without_asking_the_database_again(
    django_assert_num_queries,
):
    slot = SlotFactory(capacity=1)
    book(PatientProfileFactory(), slot)
    profile = PatientProfileFactory()
    with pytest.raises(Conflict):
        book(profile, slot)  # finds the slot full and remembers it

    # the rule and the duplicate check, no seat query
    with django_assert_num_queries(2), pytest.raises(Conflict) as excinfo:
        book(profile, slot)

    assert excinfo.value.code == "slot_full"


def test_a_returned_seat_clears_the_sold_out_flag_at_once(
    django_capture_on_commit_callbacks,
):
    from appointments.services import appointment_cancel

    slot = SlotFactory(capacity=1)
    holder = book(PatientProfileFactory(), slot)
    waiting = PatientProfileFactory()
    with pytest.raises(Conflict):
        book(waiting, slot)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=holder)
    appointment = book(waiting, slot)

    assert appointment.status == Appointment.Status.PENDING_PAYMENT


def test_added_seats_clear_the_sold_out_flag(django_capture_on_commit_callbacks):
    from scheduling.services import slot_add_seats

    slot = SlotFactory(capacity=1)
    book(PatientProfileFactory(), slot)
    waiting = PatientProfileFactory()
    with pytest.raises(Conflict):
        book(waiting, slot)

    with django_capture_on_commit_callbacks(execute=True):
        slot_add_seats(actor=ACTOR, slot=slot, seats=1)
    appointment = book(waiting, slot)

    assert appointment.queue_no == 2


def test_the_sold_out_flag_expires_when_another_process_returned_the_seat(settings):
    # given: the flag is set, then a seat comes back where this process's cache cannot hear
    settings.SOLD_OUT_CACHE_SECONDS = 2
    slot = SlotFactory(capacity=1)
    holder = book(PatientProfileFactory(), slot)
    waiting = PatientProfileFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False), pytest.raises(Conflict):
        book(waiting, slot)
    Appointment.objects.filter(pk=holder.pk).update(status="cancelled", holds_seat=None)
    Slot.objects.filter(pk=slot.pk).update(booked=0)

    # when / then: refused while the flag lives, booked once it has expired
    with (
        time_machine.travel(start + datetime.timedelta(seconds=1), tick=False),
        pytest.raises(Conflict),
    ):
        book(waiting, slot)
    with time_machine.travel(start + datetime.timedelta(seconds=3), tick=False):
        appointment = book(waiting, slot)
    assert appointment.queue_no == 1
