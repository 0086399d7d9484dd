"""Cancel, check-in, completion, payment and expiry pinned exactly: the words a refused
patient reads, the boundary instants, the fields a transition writes, and its audit entry.
(The waitlist: test_waitlist_pinned.py; booking: test_booking_pinned.py.)"""

import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.members import member_late_cancel_use
from accounts.models import MemberLevel, PointsEntry
from appointments.models import Appointment, WaitlistEntry
from appointments.services import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_expire,
    appointment_mark_paid,
    sessions_mark_no_shows,
)
from appointments.services import lifecycle as lifecycle_module
from appointments.services import payment as payment_module
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from scheduling.models import ClinicSession
from scheduling.rules import local_datetime
from tests.appointments.booking_helpers import book, join
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status
MINUTE = datetime.timedelta(minutes=1)


def paid(appointment: Appointment) -> Appointment:
    return appointment_mark_paid(actor=ACTOR, appointment=appointment)


def log_summary(action: str, appointment: Appointment) -> str:
    return OperationLog.objects.get(
        action=action, object_id=str(appointment.pk)
    ).summary


def expire(appointment: Appointment, now: datetime.datetime | None = None) -> bool:
    """Let the hold run out before `now` and run the expiry job at `now`."""
    now = now or timezone.now()
    Appointment.objects.filter(pk=appointment.pk).update(
        hold_expires_at=now - datetime.timedelta(seconds=1)
    )
    return appointment_expire(actor=ACTOR, appointment_id=appointment.pk, now=now)


# cancel ------------------------------------------------------------------------------------


def test_a_cancel_without_a_reason_records_who_cancelled_and_when():
    appointment = book(SlotFactory())
    now = timezone.now() + MINUTE

    appointment_cancel(actor=ACTOR, appointment=appointment, now=now)

    appointment.refresh_from_db()
    assert (appointment.cancel_reason, appointment.cancelled_at) == ("patient", now)


def test_cancelling_twice_is_refused_in_words():
    appointment = book(SlotFactory())
    appointment_cancel(actor=ACTOR, appointment=appointment)

    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(actor=ACTOR, appointment=appointment)

    assert excinfo.value.code == "not_cancellable"
    assert (
        excinfo.value.message
        == "Only upcoming, unvisited appointments can be cancelled."
    )


def test_cancelling_at_the_visit_start_is_refused_in_words():
    slot = SlotFactory()
    appointment = book(slot)

    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(
            actor=ACTOR,
            appointment=appointment,
            by=Appointment.CancelledBy.STAFF,
            now=slot.starts_at,
        )

    assert excinfo.value.code == "visit_started"
    assert excinfo.value.message == "The visit time has already started."


# check-in ----------------------------------------------------------------------------------


def test_checking_in_an_unpaid_booking_is_refused_in_words():
    slot = SlotFactory()
    appointment = book(slot)

    with pytest.raises(Conflict) as excinfo:
        appointment_check_in(
            actor=ACTOR, appointment=appointment, by_staff=True, now=slot.starts_at
        )

    assert excinfo.value.code == "not_checkable"
    assert excinfo.value.message == "Only a paid, upcoming booking can be checked in."


def test_staff_check_in_closes_when_the_slot_ends_on_the_visit_day():
    slot = SlotFactory()
    appointment = paid(book(slot))

    with pytest.raises(Conflict) as excinfo:
        appointment_check_in(
            actor=ACTOR, appointment=appointment, by_staff=True, now=slot.ends_at
        )

    assert excinfo.value.code == "not_visit_day"
    assert excinfo.value.message == "Check-in is only possible on the day of the visit."


def test_staff_check_in_is_logged_as_by_staff():
    slot = SlotFactory()
    appointment = paid(book(slot))

    appointment_check_in(
        actor=ACTOR,
        appointment=appointment,
        by_staff=True,
        now=slot.ends_at - datetime.timedelta(seconds=1),
    )

    assert log_summary("appointment.checked_in", appointment) == "checked in by staff"


def test_patient_check_in_follows_the_hospitals_window_and_says_when_it_opens():
    # given: this hospital opens check-in 30 minutes before the slot (default 60)
    slot = SlotFactory()
    BookingRuleFactory(hospital=slot.session.hospital, checkin_open_minutes=30)
    appointment = paid(book(slot))
    opens = slot.starts_at - datetime.timedelta(minutes=30)

    # when: 45 minutes before, then as it opens
    with pytest.raises(Conflict) as excinfo:
        appointment_check_in(
            actor=ACTOR,
            appointment=appointment,
            by_staff=False,
            now=slot.starts_at - datetime.timedelta(minutes=45),
        )
    appointment_check_in(
        actor=ACTOR, appointment=appointment, by_staff=False, now=opens
    )

    # then
    assert excinfo.value.code == "checkin_window_closed"
    assert excinfo.value.message == (
        f"Check-in opens at {timezone.localtime(opens):%H:%M} and closes when the "
        "time slot ends."
    )
    assert log_summary("appointment.checked_in", appointment) == "checked in by patient"


def test_completing_a_visit_awards_points_for_that_appointment(settings):
    settings.POINTS_PER_COMPLETED_VISIT = 20
    slot = SlotFactory()
    appointment = paid(book(slot))
    appointment_check_in(
        actor=ACTOR, appointment=appointment, by_staff=True, now=slot.starts_at
    )

    appointment_complete(actor=ACTOR, appointment=appointment)

    entry = PointsEntry.objects.get(source_type="appointment_completed")
    assert (entry.source_id, entry.delta, entry.reason) == (
        str(appointment.pk),
        20,
        "Visit completed",
    )


# payment -----------------------------------------------------------------------------------


def test_a_payment_in_time_is_logged_as_paid():
    appointment = paid(book(SlotFactory()))

    assert log_summary("appointment.booked", appointment) == "paid"


def test_a_late_payment_takes_a_free_queue_number_and_clears_the_cancellation():
    # given: two seats; the first booking expired and its number went to the next patient
    slot = SlotFactory(capacity=2)
    late = book(slot)
    assert late.queue_no == slot.queue_start
    assert expire(late)
    book(slot)

    # when
    paid(late)

    # then
    late.refresh_from_db()
    assert late.status == S.BOOKED
    assert late.queue_no == slot.queue_start + 1
    assert (late.cancelled_by, late.cancel_reason, late.cancelled_at) == ("", "", None)
    assert log_summary("appointment.booked", late) == "late payment re-took the seat"


def test_a_late_payment_at_the_visit_start_is_refused_in_words():
    slot = SlotFactory()
    late = book(slot)
    assert expire(late)

    with (
        time_machine.travel(slot.starts_at, tick=False),
        pytest.raises(Conflict) as excinfo,
    ):
        paid(late)

    assert excinfo.value.code == "seat_no_longer_available"
    assert excinfo.value.message == (
        "The seat was released before the payment arrived."
    )


def test_a_late_payment_is_refused_when_the_patient_booked_the_session_again():
    slot = SlotFactory(capacity=2)
    late = book(slot)
    assert expire(late)
    again = book(slot, late.profile)

    with pytest.raises(Conflict) as excinfo:
        paid(late)

    assert excinfo.value.code == "seat_no_longer_available"
    assert excinfo.value.message == (
        "The patient already holds another booking in this session."
    )
    late.refresh_from_db()
    again.refresh_from_db()
    assert (late.status, again.status) == (S.CANCELLED, S.PENDING_PAYMENT)
    slot.refresh_from_db()
    assert slot.booked == 1


# expiry ------------------------------------------------------------------------------------


def test_expiry_cancels_the_appointment_it_names_only_and_records_why_and_when():
    # given: two unpaid holds, both run out
    slot = SlotFactory()
    first, second = book(slot), book(slot)
    now = timezone.now()
    Appointment.objects.filter(pk=first.pk).update(hold_expires_at=now - MINUTE)

    # when
    assert expire(second, now=now)

    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.PENDING_PAYMENT
    assert second.status == S.CANCELLED
    assert second.cancel_reason == "payment not received in time"
    assert second.cancelled_at == now


def test_expiry_of_the_older_hold_leaves_a_newer_run_out_hold_alone():
    # given: two unpaid holds, both run out; the newer one comes first in the model's order
    slot = SlotFactory()
    older, newer = book(slot), book(slot)
    now = timezone.now()
    Appointment.objects.filter(pk=newer.pk).update(hold_expires_at=now - MINUTE)

    # when
    assert expire(older, now=now)

    # then
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, newer.status) == (S.CANCELLED, S.PENDING_PAYMENT)


def test_an_expired_seat_goes_to_the_waitlist_with_a_hold_from_the_jobs_time():
    # given: the only seat held unpaid, one patient waiting; the job runs late
    slot = SlotFactory(capacity=1)
    holder = book(slot)
    entry = join(slot.session)
    now = timezone.now() - datetime.timedelta(minutes=5)

    # when
    assert expire(holder, now=now)

    # then
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    promoted = entry.appointment
    assert promoted.hold_expires_at == now + datetime.timedelta(minutes=15)
    assert OperationLog.objects.filter(
        action="waitlist.promoted", object_id=str(entry.pk)
    ).exists()


# races made to happen at their step -------------------------------------------------------


def test_a_payment_that_lands_during_expiry_wins_and_the_job_reports_nothing_done(
    monkeypatch,
):
    # given: the payment confirms the booking after the job read it as unpaid
    slot = SlotFactory()
    appointment = book(slot)
    cancel_and_release = payment_module.appointment_cancel_and_release

    def paid_meanwhile(**kwargs):
        Appointment.objects.filter(pk=appointment.pk).update(status=S.BOOKED)
        return cancel_and_release(**kwargs)

    monkeypatch.setattr(
        payment_module, "appointment_cancel_and_release", paid_meanwhile
    )

    # when
    expired = expire(appointment)

    # then
    assert expired is False
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_session_another_worker_claimed_is_left_to_it_and_the_next_is_marked(
    monkeypatch,
):
    # given: two finished sessions with a booked patient each; another worker claims the
    # first just before this one does
    day = timezone.localdate() + datetime.timedelta(days=2)
    first = SlotFactory(session=ClinicSessionFactory(date=day, fee=0))
    second = SlotFactory(session=ClinicSessionFactory(date=day, fee=0))
    for slot in (first, second):
        book(slot)
    after = local_datetime(day, datetime.time(13, 0))
    ends_at = lifecycle_module.session_ends_at

    def claimed_by_another(session):
        if session.pk == first.session_id:
            ClinicSession.objects.filter(pk=session.pk).update(
                no_shows_marked_at=after - MINUTE
            )
        return ends_at(session)

    monkeypatch.setattr(lifecycle_module, "session_ends_at", claimed_by_another)

    # when
    marked = sessions_mark_no_shows(actor=ACTOR, now=after)

    # then: the other worker marks the first; this one the second
    assert marked == 1
    statuses = dict(Appointment.objects.values_list("session_id", "status"))
    assert statuses == {first.session_id: S.BOOKED, second.session_id: S.NO_SHOW}


def test_the_late_cancel_quota_counts_the_month_of_the_cancel_time():
    # given: a gold member (one late cancel a month) who used it this month, and a booking
    # more than 40 days ahead, in a later month
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code="gold")
    profile.user.save(update_fields=["member_level"])
    member_late_cancel_use(
        user=profile.user, appointment_id=book(SlotFactory()).pk, now=timezone.now()
    )
    later = timezone.localdate() + datetime.timedelta(days=40)
    slot = SlotFactory(session=ClinicSessionFactory(date=later))
    appointment = book(slot, profile)

    # when: cancelled an hour before the visit, after the deadline
    appointment_cancel(
        actor=ACTOR,
        appointment=appointment,
        now=slot.starts_at - datetime.timedelta(hours=1),
    )

    # then: that month's use was still free
    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED
