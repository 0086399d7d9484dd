"""The no-show risk on the booking side: recording it, the confirm request and extra
reminder of a high-risk booking, the patient's confirmation, and the release of an
unconfirmed booking at its deadline (services/noshow_risk.py, services/noshow_release.py).

The risk here is given, as analytics would record it; tests/analytics/test_noshow_in_use.py
scores real bookings with a real (small) trained model.
"""

import datetime

import pytest
import time_machine

from appointments.errors import ErrorCode
from appointments.events import AppointmentBooked
from appointments.models import Appointment, Notification, Reminder, WaitlistEntry
from appointments.notifications.reminders import reminders_plan, reminders_sweep
from appointments.services import (
    appointment_cancel,
    appointment_confirm,
    appointment_mark_paid,
    appointment_risk_record,
    unconfirmed_release_sweep,
    waitlist_join,
)
from appointments.services.walk_in import walk_in_book
from common import events
from common.errors import Conflict
from common.models import OperationLog
from scheduling.models import BookingRule, Slot
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.floor_helpers import floor_session
from tests.appointments.notification_helpers import ACTOR, appointment_at, at

pytestmark = pytest.mark.django_db

S = Appointment.Status
# Friday 10:00; the visit is on Monday 09:00, so the default confirm deadline (24 hours
# before) is Sunday 09:00 and the extra reminder (a day before that) Saturday 09:00.
FRIDAY = at(2026, 3, 6, 10, 0)
VISIT = at(2026, 3, 9, 9, 0)
DEADLINE = at(2026, 3, 8, 9, 0)
EXTRA_DUE = at(2026, 3, 7, 9, 0)
MINUTE = datetime.timedelta(minutes=1)
RELEASE_ON = {"noshow_release_unconfirmed": True}


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def record(appointment, *, band="high", fair_band="high", risk=0.62, risk_fair=0.55):
    return appointment_risk_record(
        appointment_id=appointment.pk,
        risk=risk,
        risk_fair=risk_fair,
        band=band,
        fair_band=fair_band,
        model_id=7,
    )


def events_of(appointment) -> list[str]:
    return list(
        Notification.objects.filter(appointment=appointment)
        .order_by("pk")
        .values_list("event", flat=True)
    )


def kinds_of(appointment) -> dict[str, tuple]:
    return {
        r.kind: (r.due_at, r.status)
        for r in Reminder.objects.filter(appointment=appointment)
    }


# -- recording the risk --------------------------------------------------------------------


def test_the_risk_is_stored_in_permille_with_both_bands(clock):
    # given
    appointment = appointment_at(VISIT)

    # when
    record(appointment, band="medium", fair_band="low", risk=0.3456, risk_fair=0.1004)

    # then
    appointment.refresh_from_db()
    assert (
        appointment.noshow_risk,
        appointment.noshow_risk_band,
        appointment.noshow_risk_fair,
        appointment.noshow_fair_band,
        appointment.noshow_model_id,
    ) == (346, "medium", 100, "low", 7)


def test_a_high_risk_booking_gets_one_confirm_request_and_one_extra_reminder(clock):
    # given
    appointment = appointment_at(VISIT)

    # when: the scoring task is delivered twice
    first = record(appointment)
    second = record(appointment, band="low", fair_band="low")

    # then
    assert first is not None
    assert second is None
    assert events_of(appointment) == ["confirm_request"]
    request = Notification.objects.get(appointment=appointment)
    assert (
        request.page == f"pages/appointment/detail?id={appointment.pk}&action=confirm"
    )
    assert request.title == "Please confirm your visit"
    assert kinds_of(appointment) == {"risk_extra": (EXTRA_DUE, "pending")}
    appointment.refresh_from_db()
    assert appointment.noshow_risk_band == "high"
    assert appointment.confirm_requested_at == FRIDAY
    assert appointment.confirm_deadline is None  # the hospital does not release


def test_a_low_or_medium_risk_booking_is_not_contacted(clock):
    # given
    low, medium = appointment_at(VISIT), appointment_at(VISIT)

    # when
    record(low, band="low", fair_band="low")
    record(medium, band="medium", fair_band="high")

    # then
    assert events_of(low) == events_of(medium) == []
    assert kinds_of(low) == kinds_of(medium) == {}
    medium.refresh_from_db()
    assert medium.confirm_requested_at is None


def test_a_hospital_may_switch_the_contact_off(clock):
    # given
    appointment = appointment_at(VISIT, rule={"noshow_high_risk_contact": False})

    # when
    record(appointment)

    # then
    appointment.refresh_from_db()
    assert appointment.noshow_risk_band == "high"
    assert events_of(appointment) == []
    assert kinds_of(appointment) == {}


def test_the_extra_reminder_is_sent_once_and_the_rule_reminders_still_planned(clock):
    # given
    appointment = appointment_at(VISIT)
    record(appointment)
    reminders_plan(now=FRIDAY)

    # when
    clock.move_to(EXTRA_DUE)
    sent = reminders_sweep()
    clock.move_to(EXTRA_DUE + MINUTE)
    again = reminders_sweep()

    # then
    assert (sent, again) == (1, 0)
    assert set(kinds_of(appointment)) == {
        "risk_extra",
        "evening_before",
        "hours_before",
    }
    assert kinds_of(appointment)["risk_extra"] == (EXTRA_DUE, "sent")
    extra = Reminder.objects.get(appointment=appointment, kind="risk_extra")
    assert list(
        Notification.objects.filter(event="visit_reminder").values_list(
            "dedupe_key", flat=True
        )
    ) == [f"reminder:{appointment.pk}:risk_extra:{extra.pk}"]


def test_a_booking_made_after_the_extra_reminder_would_be_due_skips_it(clock):
    # given: Saturday noon, after the extra reminder's time
    clock.move_to(at(2026, 3, 7, 12, 0))
    appointment = appointment_at(VISIT)

    # when
    record(appointment)

    # then
    assert events_of(appointment) == ["confirm_request"]
    assert kinds_of(appointment) == {"risk_extra": (EXTRA_DUE, "skipped")}


# -- confirming ----------------------------------------------------------------------------


def test_confirming_is_idempotent_and_logged(clock):
    # given
    appointment = appointment_at(VISIT)
    record(appointment)

    # when
    first = appointment_confirm(actor=ACTOR, appointment=appointment)
    clock.move_to(FRIDAY + MINUTE)
    second = appointment_confirm(
        actor=ACTOR, appointment=Appointment.objects.get(pk=appointment.pk)
    )

    # then
    assert first.confirmed_at == second.confirmed_at == FRIDAY
    assert (
        OperationLog.objects.filter(
            action="appointment.confirm", object_id=str(appointment.pk)
        ).count()
        == 1
    )


def test_a_cancelled_booking_cannot_be_confirmed(clock):
    # given
    appointment = appointment_at(VISIT)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=S.CANCELLED, holds_seat=None
    )

    # when
    with pytest.raises(Conflict) as excinfo:
        appointment_confirm(actor=ACTOR, appointment=appointment)

    # then
    assert excinfo.value.code == ErrorCode.NOT_CONFIRMABLE
    assert excinfo.value.message == (
        "Only an upcoming booking can be confirmed; this one is Cancelled."
    )


def test_a_booking_cannot_be_confirmed_once_the_visit_started(clock):
    # given
    appointment = appointment_at(VISIT)
    clock.move_to(VISIT)

    # when
    with pytest.raises(Conflict) as excinfo:
        appointment_confirm(actor=ACTOR, appointment=appointment)

    # then
    assert excinfo.value.code == ErrorCode.VISIT_STARTED


# -- releasing unconfirmed bookings --------------------------------------------------------


def full_with_waiting_patient(appointment) -> WaitlistEntry:
    """Fill the appointment's session and put another patient on its waitlist."""
    Slot.objects.filter(session_id=appointment.session_id).update(capacity=1, booked=1)
    Slot.objects.filter(pk=appointment.slot_id).update(booked=1, capacity=1)
    profile = PatientProfileFactory()
    return waitlist_join(
        actor=ACTOR,
        user=profile.user,
        profile=profile,
        session=appointment.session,
    )


def test_release_is_off_by_default(clock):
    # given: a free booking, high risk even without sex and age, never confirmed
    appointment = appointment_at(VISIT)
    record(appointment)

    # when
    clock.move_to(DEADLINE + MINUTE)
    released = unconfirmed_release_sweep()

    # then
    assert released == 0
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert appointment.confirm_deadline is None
    assert BookingRule._meta.get_field("noshow_release_unconfirmed").default is False


def test_an_unconfirmed_free_booking_returns_its_seat_to_the_waitlist_after_the_deadline(
    clock,
):
    # given
    appointment = appointment_at(VISIT, rule=RELEASE_ON)
    record(appointment)
    entry = full_with_waiting_patient(appointment)
    appointment.refresh_from_db()
    assert appointment.confirm_deadline == DEADLINE
    request = Notification.objects.get(appointment=appointment, event="confirm_request")
    assert request.body == (
        f"{appointment.profile.name}: please confirm with one tap that you will come "
        f"to {appointment.doctor.name} at 2026-03-09 09:00, before 2026-03-08 09:00. "
        "A booking not confirmed by then gives its seat to patients on the waitlist. "
        "If you cannot come, please cancel."
    )

    # when
    clock.move_to(DEADLINE - MINUTE)
    before = unconfirmed_release_sweep()
    clock.move_to(DEADLINE)
    at_deadline = unconfirmed_release_sweep()
    again = unconfirmed_release_sweep()

    # then
    assert (before, at_deadline, again) == (0, 1, 0)
    appointment.refresh_from_db()
    assert appointment.status == S.CANCELLED
    assert appointment.cancelled_by == Appointment.CancelledBy.UNCONFIRMED
    assert appointment.cancel_reason == "Not confirmed before 03-08 09:00"
    assert events_of(appointment) == ["confirm_request", "unconfirmed_released"]
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert entry.appointment.status == S.BOOKED
    log = OperationLog.objects.get(
        action="appointment.noshow_release", object_id=str(appointment.pk)
    )
    assert log.summary == (
        "unconfirmed at deadline 2026-03-08 09:00; fair risk 550‰ (high), model 7"
    )


def test_a_confirmed_booking_is_not_released(clock):
    # given
    appointment = appointment_at(VISIT, rule=RELEASE_ON)
    record(appointment)
    clock.move_to(DEADLINE - MINUTE)
    appointment_confirm(actor=ACTOR, appointment=appointment)

    # when
    clock.move_to(DEADLINE + MINUTE)
    released = unconfirmed_release_sweep()

    # then
    assert released == 0
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED


def test_a_released_booking_answers_a_clear_error_to_a_late_confirmation(clock):
    # given
    appointment = appointment_at(VISIT, rule=RELEASE_ON)
    record(appointment)
    clock.move_to(DEADLINE + MINUTE)
    unconfirmed_release_sweep()

    # when
    with pytest.raises(Conflict) as excinfo:
        appointment_confirm(actor=ACTOR, appointment=appointment)

    # then
    assert excinfo.value.code == ErrorCode.RELEASED_UNCONFIRMED


def test_a_paid_booking_is_never_released(clock):
    # given: scored high while awaiting payment, with a hold that outlasts the deadline,
    # then paid before the deadline
    appointment = appointment_at(
        VISIT, fee=5000, rule=RELEASE_ON | {"hold_minutes": 4000}
    )
    record(appointment)
    appointment.refresh_from_db()
    assert appointment.confirm_deadline == DEADLINE  # unpaid when asked
    appointment_mark_paid(actor=ACTOR, appointment=appointment)

    # when
    clock.move_to(DEADLINE + MINUTE)
    released = unconfirmed_release_sweep()

    # then
    assert released == 0
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED


def test_a_booking_paid_before_it_was_scored_gets_no_deadline(clock):
    # given
    appointment = appointment_at(VISIT, fee=5000, rule=RELEASE_ON)
    appointment_mark_paid(actor=ACTOR, appointment=appointment)

    # when
    record(appointment)

    # then: asked to confirm, never to be released
    appointment.refresh_from_db()
    assert events_of(appointment)[-1] == "confirm_request"
    assert appointment.confirm_deadline is None
    clock.move_to(DEADLINE + MINUTE)
    assert unconfirmed_release_sweep() == 0


def test_a_high_risk_from_sex_and_age_alone_never_releases(clock):
    # given: high by the full model, low by the model without sex and age
    appointment = appointment_at(VISIT, rule=RELEASE_ON)
    record(appointment, band="high", fair_band="low")

    # when
    clock.move_to(DEADLINE + MINUTE)
    released = unconfirmed_release_sweep()

    # then: reminded and asked, but kept
    assert released == 0
    assert events_of(appointment) == ["confirm_request"]
    appointment.refresh_from_db()
    assert appointment.confirm_deadline is None
    assert appointment.status == S.BOOKED


def test_a_hospital_switching_release_off_keeps_the_bookings(clock):
    # given
    appointment = appointment_at(VISIT, rule=RELEASE_ON)
    record(appointment)
    BookingRule.objects.filter(hospital_id=appointment.hospital_id).update(
        noshow_release_unconfirmed=False
    )

    # when
    clock.move_to(DEADLINE + MINUTE)
    released = unconfirmed_release_sweep()

    # then
    assert released == 0
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED


def test_a_booking_made_after_its_deadline_gets_no_deadline(clock):
    # given: Sunday noon, after the deadline of the Monday visit
    clock.move_to(at(2026, 3, 8, 12, 0))
    appointment = appointment_at(VISIT, rule=RELEASE_ON)

    # when
    record(appointment)

    # then
    appointment.refresh_from_db()
    assert appointment.confirm_deadline is None
    assert events_of(appointment) == ["confirm_request"]


# -- the booking event ---------------------------------------------------------------------


@pytest.fixture
def booked_events(monkeypatch):
    """What AppointmentBooked's subscribers get, in the booking transaction."""
    received: list[int] = []
    monkeypatch.setitem(
        events._SUBSCRIPTIONS,
        AppointmentBooked,
        [
            events.Subscription(
                handler=lambda event: received.append(event.appointment_id),
                when=events.Phase.IN_TRANSACTION,
            )
        ],
    )
    return received


def test_each_booking_a_patient_makes_is_published(clock, booked_events):
    # given
    free = appointment_at(VISIT)
    hold = appointment_at(VISIT, fee=5000)
    waiting = full_with_waiting_patient(free)

    # when: the free booking is cancelled and the waitlist takes its seat
    appointment_cancel(actor=ACTOR, appointment=free)

    # then
    waiting.refresh_from_db()
    assert booked_events == [free.pk, hold.pk, waiting.appointment_id]


def test_a_walk_in_at_the_desk_is_not_published(clock, booked_events):
    # given: 09:00 on the visit day, the session running
    clock.move_to(VISIT)
    session = floor_session()

    # when
    walk_in = walk_in_book(
        actor=ACTOR,
        session=session,
        profile=PatientProfileFactory(),
        paid_at_desk=False,
    )

    # then
    assert walk_in.walk_in is True
    assert booked_events == []
