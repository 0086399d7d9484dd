"""Visit reminders and hold warnings: rows planned and fired by the sweep, to the minute."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from appointments.models import Notification, Reminder
from appointments.notifications.reminders import (
    reminder_due_times,
    reminders_plan,
    reminders_sweep,
)
from appointments.notifications.services import appointment_reminders_set
from appointments.services import appointment_cancel, appointment_mark_paid
from scheduling.models import BookingRule
from tests.appointments.notification_helpers import ACTOR, appointment_at, at
from tests.hospitals.factories import HospitalFactory

pytestmark = pytest.mark.django_db

R = Reminder
EVENING, HOURS = R.Kind.EVENING_BEFORE, R.Kind.HOURS_BEFORE
# Friday 2026-03-06; the visits are on Monday 03-09 and Tuesday 03-10.
FRIDAY = at(2026, 3, 6, 10, 0)
MONDAY_8 = at(2026, 3, 9, 8, 0)
TUESDAY_0_30 = at(2026, 3, 10, 0, 30)
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def sweep_at(clock, when: datetime.datetime) -> int:
    clock.move_to(when)
    return reminders_sweep()


def reminders_of(appointment) -> dict[str, tuple]:
    return {
        r.kind: (r.due_at, r.status, r.skip_reason)
        for r in R.objects.filter(appointment=appointment)
    }


def reminder_notifications() -> list[str]:
    """The reminders' dedupe keys without the reminder row's id (their last part)."""
    rows = Notification.objects.filter(event="visit_reminder").order_by("pk")
    return [key.rsplit(":", 1)[0] for key in rows.values_list("dedupe_key", flat=True)]


# -- when reminders are due ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("visit", "rule", "expected"),
    [
        # an 08:00 Monday visit: Sunday 20:00, and 06:00 the same day
        (
            MONDAY_8,
            {},
            {EVENING: at(2026, 3, 8, 20, 0), HOURS: at(2026, 3, 9, 6, 0)},
        ),
        # a 00:30 Tuesday visit: both on Monday, the second at 22:30
        (
            TUESDAY_0_30,
            {},
            {EVENING: at(2026, 3, 9, 20, 0), HOURS: at(2026, 3, 9, 22, 30)},
        ),
        # across a month end, with the hospital's own times
        (
            at(2026, 4, 1, 1, 15),
            {
                "reminder_evening_time": datetime.time(21, 45),
                "reminder_hours_before": 3,
            },
            {EVENING: at(2026, 3, 31, 21, 45), HOURS: at(2026, 3, 31, 22, 15)},
        ),
        # hours-before off
        (MONDAY_8, {"reminder_hours_before": 0}, {EVENING: at(2026, 3, 8, 20, 0)}),
    ],
)
def test_reminder_due_times(visit, rule, expected):
    assert (
        reminder_due_times(
            visit_starts_at=visit, rule=BookingRule(hospital_id=1, **rule)
        )
        == expected
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "reminder_evening_time",
            datetime.time(11, 59),
            "The evening reminder must be at 12:00 or later.",
        ),
        ("reminder_hours_before", 49, "Must be between 0 and 48."),
    ],
)
def test_a_rule_refuses_reminder_times_out_of_range(field, value, message):
    rule = BookingRule(hospital=HospitalFactory(), **{field: value})

    with pytest.raises(ValidationError) as excinfo:
        rule.full_clean()

    assert excinfo.value.message_dict == {field: [message]}


# -- the sweep -----------------------------------------------------------------------------


def test_the_sweep_reminds_at_the_exact_minutes(
    clock, wechat_server, templates, django_capture_on_commit_callbacks
):
    # given: a booked 08:00 Monday visit
    appointment = appointment_at(MONDAY_8)

    # when / then: planned on the first sweep, nothing sent before the minute
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(clock, at(2026, 3, 8, 19, 59, 59)) == 0
    assert reminders_of(appointment) == {
        EVENING: (at(2026, 3, 8, 20, 0), R.Status.PENDING, ""),
        HOURS: (at(2026, 3, 9, 6, 0), R.Status.PENDING, ""),
    }

    # Sunday 20:00 sharp: the evening reminder
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(clock, at(2026, 3, 8, 20, 0)) == 1
    # Monday 05:59:59: nothing; 06:00: the second one
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(clock, at(2026, 3, 9, 5, 59, 59)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(clock, at(2026, 3, 9, 6, 0)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_at(clock, at(2026, 3, 9, 6, 1)) == 0

    assert reminder_notifications() == [
        f"reminder:{appointment.pk}:evening_before",
        f"reminder:{appointment.pk}:hours_before",
    ]
    assert reminders_of(appointment) == {
        EVENING: (at(2026, 3, 8, 20, 0), R.Status.SENT, ""),
        HOURS: (at(2026, 3, 9, 6, 0), R.Status.SENT, ""),
    }
    assert len(appointment.place) <= 20
    messages = wechat_server.subscribe_messages_to(appointment.user.wechat_openid)
    assert [m["template_id"] for m in messages] == ["tmpl-visit_reminder"] * 2
    assert messages[0]["data"] == {
        "name1": appointment.profile.name,
        "thing2": appointment.doctor.name,
        "time3": "2026-03-09 08:00",
        "thing4": appointment.place,
        "character_string5": str(appointment.queue_no),
    }
    sent = Notification.objects.filter(event="visit_reminder")
    assert set(sent.values_list("status", flat=True)) == {"sent"}


def test_a_visit_just_after_midnight_is_reminded_at_22_30_the_day_before(clock):
    appointment = appointment_at(TUESDAY_0_30)

    assert sweep_at(clock, at(2026, 3, 9, 20, 0)) == 1
    assert sweep_at(clock, at(2026, 3, 9, 22, 29, 59)) == 0
    assert sweep_at(clock, at(2026, 3, 9, 22, 30)) == 1

    assert reminder_notifications() == [
        f"reminder:{appointment.pk}:evening_before",
        f"reminder:{appointment.pk}:hours_before",
    ]


def test_the_hospitals_reminder_times_are_used(clock):
    appointment = appointment_at(
        MONDAY_8,
        rule={
            "reminder_evening_time": datetime.time(19, 30),
            "reminder_hours_before": 0,
        },
    )

    assert sweep_at(clock, at(2026, 3, 8, 19, 29, 59)) == 0
    assert sweep_at(clock, at(2026, 3, 8, 19, 30)) == 1
    assert sweep_at(clock, at(2026, 3, 9, 6, 0)) == 0

    assert reminders_of(appointment) == {
        EVENING: (at(2026, 3, 8, 19, 30), R.Status.SENT, "")
    }


def test_reminders_switched_off_are_skipped_and_switching_on_brings_later_ones_back(
    clock,
):
    appointment = appointment_at(MONDAY_8)
    appointment_reminders_set(actor=ACTOR, appointment=appointment, enabled=False)

    assert sweep_at(clock, at(2026, 3, 8, 20, 0)) == 0
    appointment_reminders_set(actor=ACTOR, appointment=appointment, enabled=True)
    assert sweep_at(clock, at(2026, 3, 9, 6, 0)) == 1

    assert reminders_of(appointment) == {
        EVENING: (at(2026, 3, 8, 20, 0), R.Status.SKIPPED, "reminders_off"),
        HOURS: (at(2026, 3, 9, 6, 0), R.Status.SENT, ""),
    }
    assert reminder_notifications() == [f"reminder:{appointment.pk}:hours_before"]


def test_a_cancelled_appointment_is_not_reminded(clock):
    appointment = appointment_at(MONDAY_8)
    reminders_sweep()  # planned on Friday
    appointment_cancel(actor=ACTOR, appointment=appointment)

    assert sweep_at(clock, at(2026, 3, 8, 20, 0)) == 0

    assert reminders_of(appointment)[EVENING] == (
        at(2026, 3, 8, 20, 0),
        R.Status.SKIPPED,
        "not_booked",
    )
    assert reminder_notifications() == []


def test_after_an_outage_only_the_latest_due_reminder_is_sent(clock):
    appointment = appointment_at(MONDAY_8)
    reminders_sweep()  # planned on Friday; then no sweep ran until Monday 06:30

    assert sweep_at(clock, at(2026, 3, 9, 6, 30)) == 1

    assert reminders_of(appointment) == {
        EVENING: (at(2026, 3, 8, 20, 0), R.Status.SKIPPED, "superseded"),
        HOURS: (at(2026, 3, 9, 6, 0), R.Status.SENT, ""),
    }


def test_no_reminder_once_the_visit_has_started(clock):
    appointment = appointment_at(MONDAY_8)
    reminders_sweep()

    assert sweep_at(clock, MONDAY_8) == 0

    assert reminders_of(appointment)[HOURS][1:] == (R.Status.SKIPPED, "visit_started")


def test_a_booking_made_after_a_reminder_time_skips_that_reminder(clock):
    # given: booked on Sunday at 21:00 for Monday 08:00
    clock.move_to(at(2026, 3, 8, 21, 0))
    appointment = appointment_at(MONDAY_8)

    assert reminders_sweep() == 0

    assert reminders_of(appointment) == {
        EVENING: (at(2026, 3, 8, 20, 0), R.Status.SKIPPED, "booked_after_due"),
        HOURS: (at(2026, 3, 9, 6, 0), R.Status.PENDING, ""),
    }


def test_reminders_are_planned_once_the_visit_is_three_days_ahead(clock):
    appointment = appointment_at(MONDAY_8)

    assert reminders_plan(now=MONDAY_8 - datetime.timedelta(days=3, seconds=1)) == 0
    assert reminders_plan(now=MONDAY_8 - datetime.timedelta(days=3)) == 2
    assert reminders_plan(now=MONDAY_8 - datetime.timedelta(days=3)) == 0

    assert R.objects.filter(appointment=appointment).count() == 2


def test_an_unpaid_appointment_is_planned_once_it_is_paid(clock):
    appointment = appointment_at(MONDAY_8, fee=2000)
    reminders_sweep()
    assert R.objects.exists() is False

    appointment_mark_paid(actor=ACTOR, appointment=appointment)
    reminders_sweep()

    assert set(reminders_of(appointment)) == {EVENING, HOURS}


def test_two_sweeps_at_the_same_minute_remind_once(clock):
    appointment = appointment_at(MONDAY_8)
    reminders_sweep()

    first = sweep_at(clock, at(2026, 3, 8, 20, 0))
    second = reminders_sweep()

    assert (first, second) == (1, 0)
    assert reminder_notifications() == [f"reminder:{appointment.pk}:evening_before"]


# -- hold warnings -------------------------------------------------------------------------


def test_an_unpaid_hold_is_warned_about_five_minutes_before_it_expires(clock):
    # given: booked on Friday 10:00 with a 15-minute hold
    appointment = appointment_at(MONDAY_8, fee=2000)
    assert appointment.hold_expires_at == FRIDAY + datetime.timedelta(minutes=15)

    # when / then
    assert sweep_at(clock, at(2026, 3, 6, 10, 9, 59)) == 0
    assert sweep_at(clock, at(2026, 3, 6, 10, 10)) == 1
    assert sweep_at(clock, at(2026, 3, 6, 10, 11)) == 0

    [warning] = Notification.objects.filter(event="hold_expiring")
    assert warning.dedupe_key == f"appointment:{appointment.pk}:hold_expiring"
    assert warning.body == (
        f"{appointment.profile.name}: please pay 20.00 yuan before 2026-03-06 10:15, "
        f"or your booking with {appointment.doctor.name} at 2026-03-09 08:00 will be "
        "released."
    )


def test_a_paid_hold_gets_no_warning(clock):
    appointment = appointment_at(MONDAY_8, fee=2000)
    appointment_mark_paid(actor=ACTOR, appointment=appointment)

    assert sweep_at(clock, at(2026, 3, 6, 10, 10)) == 0

    assert Notification.objects.filter(event="hold_expiring").exists() is False
