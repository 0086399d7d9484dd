import datetime

import pytest
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from appointments.services import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_expire,
    appointment_mark_paid,
    appointment_transition,
    session_stop,
    sessions_mark_no_shows,
    waitlist_join,
    waitlist_leave,
)
from appointments.services.stopping import SessionStopResult, session_stop_impact
from billing.services import payment_order_dev_pay
from common.errors import Conflict, DomainError
from common.models import OperationLog
from common.services import Actor
from scheduling.models import ClinicSession
from tests.appointments.booking_helpers import book
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
S = Appointment.Status


def paid(appointment):
    return appointment_mark_paid(actor=ACTOR, appointment=appointment)


# cancel ------------------------------------------------------------------------------------


def test_cancel_before_the_deadline_returns_the_seat():
    slot = SlotFactory(capacity=1)
    appointment = book(slot)
    deadline = slot.starts_at - datetime.timedelta(minutes=120)

    appointment_cancel(
        actor=ACTOR,
        appointment=appointment,
        reason="改期",
        now=deadline - datetime.timedelta(seconds=1),
    )

    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert appointment.cancelled_by == Appointment.CancelledBy.PATIENT
    assert appointment.cancel_reason == "改期"
    assert appointment.holds_seat is None
    assert slot.booked == 0
    assert (
        OperationLog.objects.filter(
            action="appointment.cancelled", object_id=str(appointment.pk)
        ).count()
        == 1
    )


def test_cancel_at_the_deadline_is_refused_and_changes_nothing():
    slot = SlotFactory()
    BookingRuleFactory(hospital=slot.session.hospital, cancel_deadline_minutes=60)
    appointment = book(slot)

    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(
            actor=ACTOR,
            appointment=appointment,
            now=slot.starts_at - datetime.timedelta(minutes=60),
        )

    assert excinfo.value.code == "cancel_deadline_passed"
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == S.PENDING_PAYMENT
    assert slot.booked == 1


def test_staff_may_cancel_after_the_patient_deadline():
    slot = SlotFactory()
    appointment = book(slot)

    appointment_cancel(
        actor=ACTOR,
        appointment=appointment,
        by=Appointment.CancelledBy.STAFF,
        now=slot.starts_at - datetime.timedelta(minutes=5),
    )

    assert appointment.status == S.CANCELLED
    assert appointment.cancelled_by == Appointment.CancelledBy.STAFF


def test_a_cancelled_appointment_cannot_be_cancelled_again():
    slot = SlotFactory()
    appointment = book(slot)
    appointment_cancel(actor=ACTOR, appointment=appointment)

    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(actor=ACTOR, appointment=appointment)

    assert excinfo.value.code == "not_cancellable"
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_stale_copy_loses_the_race_and_changes_nothing():
    # given: two copies of one appointment, as two concurrent requests would hold
    slot = SlotFactory()
    appointment = book(slot)
    stale = Appointment.objects.get(pk=appointment.pk)
    appointment_cancel(actor=ACTOR, appointment=appointment)

    # when: the other request acts on its stale copy
    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(actor=ACTOR, appointment=stale)

    # then: the seat was returned once
    assert excinfo.value.code == "appointment_state_changed"
    slot.refresh_from_db()
    assert slot.booked == 0


def test_transitions_that_are_not_allowed_are_refused():
    appointment = book(SlotFactory(session__fee=0))

    with pytest.raises(Conflict) as excinfo:
        appointment_transition(
            actor=ACTOR, appointment=appointment, to_status=S.COMPLETED
        )

    assert excinfo.value.code == "transition_not_allowed"
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED


# waitlist ----------------------------------------------------------------------------------


def test_joining_the_waitlist_needs_a_full_session():
    slot = SlotFactory(capacity=1)
    profile = PatientProfileFactory()

    with pytest.raises(Conflict) as excinfo:
        waitlist_join(
            actor=ACTOR, user=profile.user, profile=profile, session=slot.session
        )

    assert excinfo.value.code == "seats_available"
    assert WaitlistEntry.objects.count() == 0


def test_a_returned_seat_goes_to_the_highest_priority_then_the_first_waiting():
    # given: a full session and three waiting patients, the last one with a higher priority
    slot = SlotFactory(capacity=1)
    holder = book(slot)
    entries = []
    for _ in range(3):
        profile = PatientProfileFactory()
        entries.append(
            waitlist_join(
                actor=ACTOR, user=profile.user, profile=profile, session=slot.session
            )
        )
    WaitlistEntry.objects.filter(pk=entries[2].pk).update(priority=10)

    # when: the holder cancels and one seat comes back
    appointment_cancel(actor=ACTOR, appointment=holder)

    # then
    promoted = WaitlistEntry.objects.get(pk=entries[2].pk)
    assert promoted.status == WaitlistEntry.Status.PROMOTED
    assert promoted.is_waiting is None
    assert promoted.appointment.status == S.PENDING_PAYMENT
    assert promoted.appointment.hold_expires_at is not None
    assert promoted.appointment.profile_id == entries[2].profile_id
    assert (
        WaitlistEntry.objects.get(pk=entries[0].pk).status
        == WaitlistEntry.Status.WAITING
    )
    slot.refresh_from_db()
    assert slot.booked == 1


def test_added_seats_promote_waiting_patients():
    from scheduling.services import slot_add_seats

    slot = SlotFactory(capacity=1)
    book(slot)
    profile = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=profile.user, profile=profile, session=slot.session
    )

    slot_add_seats(actor=ACTOR, slot=slot, seats=1)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (2, 2)


def test_leaving_the_waitlist_twice_is_refused():
    slot = SlotFactory(capacity=1)
    book(slot)
    profile = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=profile.user, profile=profile, session=slot.session
    )

    waitlist_leave(actor=ACTOR, entry=entry)
    with pytest.raises(Conflict) as excinfo:
        waitlist_leave(actor=ACTOR, entry=entry)

    assert excinfo.value.code == "not_waiting"
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT


def test_joining_twice_is_refused():
    slot = SlotFactory(capacity=1)
    book(slot)
    profile = PatientProfileFactory()
    waitlist_join(actor=ACTOR, user=profile.user, profile=profile, session=slot.session)

    with pytest.raises(Conflict) as excinfo:
        waitlist_join(
            actor=ACTOR, user=profile.user, profile=profile, session=slot.session
        )

    assert excinfo.value.code == "already_waiting"
    assert WaitlistEntry.objects.count() == 1


# stop-clinic -------------------------------------------------------------------------------


def test_stop_clinic_cancels_every_upcoming_appointment_and_closes_the_waitlist():
    # given: a free booked, a pending one and a waiting patient
    slot = SlotFactory(capacity=2, session__fee=0)
    session = slot.session
    first, second = book(slot), book(slot)
    profile = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=profile.user, profile=profile, session=session
    )

    # when
    result = session_stop(actor=ACTOR, session=session, reason="医生临时出差")

    # then: free bookings, so nothing to refund
    assert result == SessionStopResult(cancelled=2, refunds=0, refunded=0)
    session.refresh_from_db()
    assert session.status == ClinicSession.Status.STOPPED
    assert session.stop_reason == "医生临时出差"
    for appointment in (first, second):
        appointment.refresh_from_db()
        assert appointment.status == S.CANCELLED
        assert appointment.cancelled_by == Appointment.CancelledBy.STOP_CLINIC
        assert appointment.cancel_reason == "医生临时出差"
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLOSED
    slot.refresh_from_db()
    assert slot.booked == 0


def test_stop_clinic_reports_the_refunds_it_asked_for_and_the_impact_before(
    settings,
):
    # given: one booking paid 15 yuan and one still awaiting payment, in one session
    settings.PAYMENTS_DEV_GATEWAY = True
    order = open_order(fee=1500)
    payment_order_dev_pay(order=order, actor=ACTOR)
    session = order.appointment.session
    book(order.appointment.slot)

    # when
    impact = session_stop_impact(session_ids=[session.pk])
    result = session_stop(actor=ACTOR, session=session, reason="医生出差")

    # then
    assert impact == {session.pk: (2, 1)}
    assert result == SessionStopResult(cancelled=2, refunds=1, refunded=1500)
    assert session_stop_impact(session_ids=[session.pk]) == {}


def test_stopping_twice_or_without_a_reason_is_refused():
    session = SlotFactory().session

    with pytest.raises(DomainError) as no_reason:
        session_stop(actor=ACTOR, session=session, reason="  ")
    session_stop(actor=ACTOR, session=session, reason="停诊")
    with pytest.raises(Conflict) as twice:
        session_stop(actor=ACTOR, session=session, reason="停诊")

    assert (no_reason.value.code, twice.value.code) == (
        "reason_required",
        "session_already_stopped",
    )
    assert OperationLog.objects.filter(action="session.stop").count() == 1


# check-in, completion, no-shows -----------------------------------------------------------


def test_patient_check_in_opens_at_the_window_and_closes_when_the_slot_ends():
    slot = SlotFactory(session__fee=0)
    BookingRuleFactory(hospital=slot.session.hospital, checkin_open_minutes=60)
    too_early = book(slot)
    opens = slot.starts_at - datetime.timedelta(minutes=60)

    with pytest.raises(Conflict) as excinfo:
        appointment_check_in(
            actor=ACTOR,
            appointment=too_early,
            by_staff=False,
            now=opens - datetime.timedelta(seconds=1),
        )
    assert excinfo.value.code == "checkin_window_closed"
    appointment_check_in(actor=ACTOR, appointment=too_early, by_staff=False, now=opens)

    late = book(slot)
    with pytest.raises(Conflict):
        appointment_check_in(
            actor=ACTOR, appointment=late, by_staff=False, now=slot.ends_at
        )

    too_early.refresh_from_db()
    late.refresh_from_db()
    assert (too_early.status, late.status) == (S.CHECKED_IN, S.BOOKED)
    assert too_early.checked_in_at == opens


def test_an_unpaid_booking_cannot_check_in():
    slot = SlotFactory(session__fee=100)
    appointment = book(slot)

    with pytest.raises(Conflict) as excinfo:
        appointment_check_in(
            actor=ACTOR, appointment=appointment, by_staff=True, now=slot.starts_at
        )

    assert excinfo.value.code == "not_checkable"


def test_no_shows_are_marked_once_after_the_session_ends():
    slot = SlotFactory(session__fee=0, capacity=3)
    came, missed = book(slot), book(slot)
    appointment_check_in(
        actor=ACTOR, appointment=came, by_staff=True, now=slot.starts_at
    )
    appointment_complete(actor=ACTOR, appointment=came)
    session = slot.session
    end = timezone.make_aware(datetime.datetime.combine(session.date, session.end_time))

    before = sessions_mark_no_shows(
        actor=ACTOR, now=end - datetime.timedelta(seconds=1)
    )
    first = sessions_mark_no_shows(actor=ACTOR, now=end)
    second = sessions_mark_no_shows(
        actor=ACTOR, now=end + datetime.timedelta(minutes=15)
    )

    assert (before, first, second) == (0, 1, 0)
    missed.refresh_from_db()
    came.refresh_from_db()
    assert (missed.status, came.status) == (S.NO_SHOW, S.COMPLETED)


# payment and expiry ------------------------------------------------------------------------


def test_payment_confirms_a_pending_booking_once():
    appointment = book(SlotFactory())

    paid(appointment)
    paid(appointment)

    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert appointment.hold_expires_at is None
    assert (
        OperationLog.objects.filter(
            action="appointment.booked", object_id=str(appointment.pk)
        ).count()
        == 1
    )


def test_an_expired_hold_returns_the_seat_once():
    slot = SlotFactory(capacity=1)
    now = timezone.now()
    appointment = book(slot, now=now)
    hold_end = appointment.hold_expires_at

    early = appointment_expire(
        actor=ACTOR,
        appointment_id=appointment.pk,
        now=hold_end - datetime.timedelta(seconds=1),
    )
    first = appointment_expire(actor=ACTOR, appointment_id=appointment.pk, now=hold_end)
    again = appointment_expire(actor=ACTOR, appointment_id=appointment.pk, now=hold_end)

    assert (early, first, again) == (False, True, False)
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert appointment.cancelled_by == Appointment.CancelledBy.TIMEOUT
    assert slot.booked == 0


def test_a_late_payment_retakes_a_seat_that_is_still_free():
    slot = SlotFactory(capacity=1)
    appointment = book(slot)
    appointment_expire(
        actor=ACTOR, appointment_id=appointment.pk, now=appointment.hold_expires_at
    )

    paid(appointment)

    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert appointment.holds_seat is True
    assert slot.booked == 1


def test_a_late_payment_for_a_seat_someone_else_took_is_refused():
    slot = SlotFactory(capacity=1)
    appointment = book(slot)
    appointment_expire(
        actor=ACTOR, appointment_id=appointment.pk, now=appointment.hold_expires_at
    )
    book(slot)

    with pytest.raises(Conflict) as excinfo:
        paid(appointment)

    assert excinfo.value.code == "seat_no_longer_available"
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert slot.booked == 1


def test_cancelling_an_unpaid_booking_closes_the_order_the_patient_opened(
    settings, django_capture_on_commit_callbacks
):
    from billing.models import PaymentOrder
    from tests.billing.factories import open_order

    settings.PAYMENTS_DEV_GATEWAY = True
    order = open_order(channel="dev")

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=ACTOR, appointment=order.appointment)

    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.CLOSED


def test_deleting_a_waiting_profile_closes_its_entry_so_it_is_never_promoted():
    from accounts.services.profiles import patient_profile_delete

    slot = SlotFactory(capacity=1)
    holder = book(slot)
    profile = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=profile.user, profile=profile, session=slot.session
    )

    patient_profile_delete(actor=ACTOR, profile=profile)
    appointment_cancel(actor=ACTOR, appointment=holder)

    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLOSED
    assert Appointment.objects.filter(profile=profile).exists() is False
    slot.refresh_from_db()
    assert slot.booked == 0
