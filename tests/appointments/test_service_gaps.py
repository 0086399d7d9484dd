"""Behaviours the mutation run (`make mutants`) found unguarded: counts the services return,
the rows they must leave alone, and the exact words a refused patient reads."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import MemberLevel
from appointments.models import Appointment, Notification, WaitlistEntry
from appointments.services import (
    appointment_cancel,
    sessions_mark_no_shows,
)
from appointments.services.booking import appointment_create_on_taken_seat, seat_take
from appointments.services.waitlist import (
    waitlist_close_for_profile,
    waitlist_close_for_session,
    waitlist_promote,
)
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from scheduling.models import Slot
from scheduling.rules import local_datetime, rule_for_hospital_id
from scheduling.services import availability_versions
from tests.appointments.booking_helpers import book, join, same_person
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status
HOUR = datetime.timedelta(hours=1)


def full_session_with_waiting(waiting: int):
    slot = SlotFactory(capacity=1)
    book(slot)
    return slot, [join(slot.session) for _ in range(waiting)]


# the waitlist ---------------------------------------------------------------------------


def test_promotion_returns_how_many_it_promoted_and_leaves_other_sessions_waiting():
    # given: two full sessions with waiting patients (the other session's joined first);
    # two seats are added to the second
    _other_slot, others = full_session_with_waiting(1)
    slot, entries = full_session_with_waiting(3)
    Slot.objects.filter(pk=slot.pk).update(capacity=3)

    # when
    with transaction.atomic():
        promoted = waitlist_promote(actor=ACTOR, session=slot.session)

    # then: the first two in line of that session only
    assert promoted == 2
    status = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert [status[e.pk] for e in entries] == [
        WaitlistEntry.Status.PROMOTED,
        WaitlistEntry.Status.PROMOTED,
        WaitlistEntry.Status.WAITING,
    ]
    assert status[others[0].pk] == WaitlistEntry.Status.WAITING
    for entry in entries[:2]:
        entry.refresh_from_db()
        assert OperationLog.objects.filter(
            action="waitlist.promoted",
            object_id=str(entry.pk),
            summary=f"appointment={entry.appointment_id}",
        ).exists()
    slot.refresh_from_db()
    assert slot.booked == 3


def test_promotion_without_a_free_seat_returns_zero():
    slot, entries = full_session_with_waiting(1)

    with transaction.atomic():
        promoted = waitlist_promote(actor=ACTOR, session=slot.session)

    assert promoted == 0
    entries[0].refresh_from_db()
    assert entries[0].status == WaitlistEntry.Status.WAITING


def test_a_patient_skipped_at_the_cap_is_told_and_the_skip_is_logged():
    # given: one booking a day; the only waiting patient already has one that day
    slot = SlotFactory(capacity=1)
    hospital = slot.session.hospital
    BookingRuleFactory(hospital=hospital, max_active_per_day=1, max_active_per_week=5)
    holder = book(slot)
    capped = PatientProfileFactory()
    book(
        SlotFactory(
            session=ClinicSessionFactory(
                doctor__hospital=hospital, date=slot.session.date
            )
        ),
        capped,
    )
    again = same_person(capped)
    entry = join(slot.session, again)

    # when
    appointment_cancel(actor=ACTOR, appointment=holder)

    # then
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLOSED
    assert entry.is_waiting is None
    assert OperationLog.objects.filter(
        action="waitlist.closed",
        object_id=str(entry.pk),
        summary="daily_limit_reached",
    ).exists()
    assert Notification.objects.filter(
        user=again.user, event="waitlist_closed"
    ).exists()
    slot.refresh_from_db()
    assert slot.booked == 0


def test_closing_a_sessions_waitlist_counts_and_leaves_other_sessions_alone():
    slot, entries = full_session_with_waiting(2)
    _other, others = full_session_with_waiting(1)

    with transaction.atomic():
        closed = waitlist_close_for_session(
            actor=ACTOR, session=slot.session, reason="stop_clinic"
        )

    assert closed == 2
    status = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert [status[e.pk] for e in entries] == [WaitlistEntry.Status.CLOSED] * 2
    assert status[others[0].pk] == WaitlistEntry.Status.WAITING


def test_closing_a_profiles_entries_counts_and_leaves_other_profiles_alone():
    # given: one patient waits in two sessions; someone else waits in the first
    profile = PatientProfileFactory()
    first, _ = full_session_with_waiting(0)
    second, _ = full_session_with_waiting(0)
    mine = [join(first.session, profile), join(second.session, profile)]
    theirs = join(first.session)

    # when
    with transaction.atomic():
        closed = waitlist_close_for_profile(actor=ACTOR, profile=profile)

    # then
    assert closed == 2
    for entry in mine:
        entry.refresh_from_db()
        assert entry.status == WaitlistEntry.Status.CLOSED
        assert OperationLog.objects.filter(
            action="waitlist.closed", object_id=str(entry.pk), summary="profile deleted"
        ).exists()
    theirs.refresh_from_db()
    assert theirs.status == WaitlistEntry.Status.WAITING


# no-shows -------------------------------------------------------------------------------


def test_no_shows_skip_a_session_still_running_and_mark_a_later_listed_one():
    # given: on one day, the afternoon session was created first, the morning one second;
    # two patients missed the morning
    day = timezone.localdate() + datetime.timedelta(days=2)
    afternoon = SlotFactory(
        session=ClinicSessionFactory(
            date=day,
            period="afternoon",
            start_time=datetime.time(14, 0),
            end_time=datetime.time(17, 0),
            fee=0,
        ),
    )
    morning = SlotFactory(session=ClinicSessionFactory(date=day, fee=0), capacity=3)
    waiting_for_afternoon = book(afternoon)
    missed = [book(morning), book(morning)]
    at_one = local_datetime(day, datetime.time(13, 0))

    # when: at 13:00, the morning is over and the afternoon not yet
    marked = sessions_mark_no_shows(actor=ACTOR, now=at_one)

    # then
    assert marked == 2
    for appointment in missed:
        appointment.refresh_from_db()
        assert appointment.status == S.NO_SHOW
    waiting_for_afternoon.refresh_from_db()
    assert waiting_for_afternoon.status == S.BOOKED
    morning.session.refresh_from_db()
    afternoon.session.refresh_from_db()
    assert morning.session.no_shows_marked_at == at_one
    assert afternoon.session.no_shows_marked_at is None


# refusals a patient reads ------------------------------------------------------------------


def test_a_late_cancel_names_the_deadline_in_local_time():
    slot = SlotFactory()
    BookingRuleFactory(hospital=slot.session.hospital, cancel_deadline_minutes=60)
    appointment = book(slot)
    deadline = timezone.localtime(slot.starts_at - HOUR)

    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(
            actor=ACTOR, appointment=appointment, now=slot.starts_at - HOUR
        )

    assert excinfo.value.code == "cancel_deadline_passed"
    assert excinfo.value.message == (f"Cancellation closed at {deadline:%m-%d %H:%M}.")
    appointment.refresh_from_db()
    assert appointment.status == S.PENDING_PAYMENT


def vip() -> object:
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code="vip")
    profile.user.save(update_fields=["member_level"])
    return profile


def unreleased_session_slot():
    """One slot of a 5-seat session released tomorrow: the VIP share (20 percent) is 1."""
    release = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    return SlotFactory(
        capacity=5,
        session__release_at=release,
        session__date=timezone.localdate() + datetime.timedelta(days=3),
    )


def test_the_members_share_is_counted_per_session():
    # given: two sessions released tomorrow, each with one seat for members before release
    first, second = unreleased_session_slot(), unreleased_session_slot()
    before = first.session.release_at - HOUR
    book(first, vip(), now=before)

    # when: the second session's members' seat is still free; the first's is taken
    early = book(second, vip(), now=before)
    with pytest.raises(Conflict) as excinfo:
        book(first, vip(), now=before)

    # then
    assert early.booked_early is True
    assert excinfo.value.code == "priority_seats_taken"
    assert excinfo.value.message == (
        "The seats reserved for members are taken; booking opens to everyone at release."
    )
    first.refresh_from_db()
    assert first.booked == 1


# caps and queue numbers ---------------------------------------------------------------------


def slot_on(hospital, date, **kwargs):
    return SlotFactory(
        session=ClinicSessionFactory(doctor__hospital=hospital, date=date), **kwargs
    )


def capped_hospital(per_day: int, per_week: int):
    hospital = SlotFactory().session.hospital
    BookingRuleFactory(
        hospital=hospital,
        max_active_per_day=per_day,
        max_active_per_week=per_week,
        window_days=14,
    )
    return hospital


def test_the_daily_cap_counts_each_booking_once_and_names_the_cap():
    # given: two bookings a day
    day = timezone.localdate() + datetime.timedelta(days=2)
    hospital = capped_hospital(per_day=2, per_week=5)
    profile = PatientProfileFactory()
    book(slot_on(hospital, day), profile)

    # when: a second that day is allowed, a third refused
    second = book(slot_on(hospital, day), same_person(profile))
    third_slot = slot_on(hospital, day)
    with pytest.raises(Conflict) as excinfo:
        book(third_slot, same_person(profile))

    # then
    assert second.status == S.PENDING_PAYMENT
    assert excinfo.value.code == "daily_limit_reached"
    assert excinfo.value.message == "This patient already has 2 bookings on this day."
    third_slot.refresh_from_db()
    assert third_slot.booked == 0


def test_cancelled_bookings_do_not_count_against_the_caps():
    day = timezone.localdate() + datetime.timedelta(days=2)
    hospital = capped_hospital(per_day=1, per_week=1)
    profile = PatientProfileFactory()
    appointment_cancel(actor=ACTOR, appointment=book(slot_on(hospital, day), profile))

    again = book(slot_on(hospital, day), same_person(profile))

    assert again.status == S.PENDING_PAYMENT


def test_the_weekly_window_is_seven_days_long_on_either_side():
    # given: one booking in any 7 days; the user holds D+7
    day = timezone.localdate() + datetime.timedelta(days=2)
    hospital = capped_hospital(per_day=1, per_week=1)
    profile = PatientProfileFactory()
    book(slot_on(hospital, day + datetime.timedelta(days=7)), profile)

    # when: D (7 days before) is allowed; D+1 (6 days before) is refused
    allowed = book(slot_on(hospital, day), same_person(profile))
    refused_slot = slot_on(hospital, day + datetime.timedelta(days=1))
    with pytest.raises(Conflict) as excinfo:
        book(refused_slot, same_person(profile))

    # then
    assert allowed.status == S.PENDING_PAYMENT
    assert excinfo.value.code == "weekly_limit_reached"
    assert excinfo.value.message == "This patient already has 1 bookings within 7 days."


def test_queue_numbers_start_again_in_each_session():
    first, second = SlotFactory(), SlotFactory()
    book(first), book(first)

    appointment = book(second)

    assert appointment.queue_no == 1


# what a returned seat sets off ------------------------------------------------------------


def test_a_cancel_gives_the_promoted_patient_a_hold_from_the_cancel_time(
    django_capture_on_commit_callbacks,
):
    # given
    slot, entries = full_session_with_waiting(1)
    holder = Appointment.objects.get(slot=slot)
    at = timezone.now() + datetime.timedelta(minutes=3)
    doctor_id = slot.session.doctor_id
    before = availability_versions(
        doctor_id=doctor_id, hospital_id=slot.session.hospital_id
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=holder, now=at)

    # then: the hold counts from the cancel; the doctor's availability is refreshed
    entries[0].refresh_from_db()
    assert entries[0].appointment.hold_expires_at == at + datetime.timedelta(minutes=15)
    after = availability_versions(
        doctor_id=doctor_id, hospital_id=slot.session.hospital_id
    )
    assert after[0] == before[0] + 1


# the insert ---------------------------------------------------------------------------------


def test_a_fee_of_one_fen_still_needs_payment():
    appointment = book(SlotFactory(session__fee=1, session__doctor__fee=1))

    assert appointment.status == S.PENDING_PAYMENT
    assert appointment.hold_expires_at is not None


def test_a_patient_promoted_from_the_waitlist_is_not_an_early_booking():
    slot, entries = full_session_with_waiting(1)

    appointment_cancel(actor=ACTOR, appointment=Appointment.objects.get(slot=slot))

    entries[0].refresh_from_db()
    assert entries[0].appointment.booked_early is False


def test_the_database_key_refuses_a_second_booking_that_passed_the_early_checks():
    # given: the patient's booking was inserted after this request's checks had run
    slot = SlotFactory(capacity=3)
    profile = PatientProfileFactory()
    book(slot, profile)
    session = slot.session

    @transaction.atomic
    def take_seat_and_insert():
        assert seat_take(slot_id=slot.pk)
        appointment_create_on_taken_seat(
            actor=ACTOR,
            user=profile.user,
            profile=profile,
            slot=slot,
            session=session,
            rule=rule_for_hospital_id(session.hospital_id),
            now=timezone.now(),
        )

    # when: this request takes a seat and inserts
    with pytest.raises(Conflict) as excinfo:
        take_seat_and_insert()

    # then: refused as a double booking, and the seat went back with the transaction
    assert excinfo.value.code == "already_booked"
    assert excinfo.value.message == (
        "This patient already has a booking in this session."
    )
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Appointment.objects.filter(profile=profile).count() == 1
