"""Visit reminders and hold-expiry warnings, found by a sweep that runs every minute.

Reminders are rows (appointments.models.Reminder), not long-delayed Celery tasks: a task
scheduled days ahead dies with a broker restart, and cannot follow a cancellation or the
patient switching reminders off. The sweep
1. plans: creates the reminder rows of booked appointments whose visit is near enough for
   a reminder to come due (the hospital's BookingRule gives the times);
2. fires: turns each due pending row into a "visit_reminder" notification, once (a
   conditional UPDATE on the row's status decides between racing sweepers), unless the
   appointment is no longer booked, the patient switched reminders off, the visit has
   started, or a later reminder of the same visit is due too (after an outage only the
   latest is sent);
3. warns about unpaid holds that expire within HOLD_EXPIRING_MINUTES.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from appointments.models import Appointment, Notification, Reminder
from appointments.services.notify import appointment_notify
from appointments.services.reminder_times import PLAN_AHEAD, reminder_due_times
from scheduling.models import BookingRule

logger = logging.getLogger(__name__)

S = Appointment.Status
K = Reminder.Kind


def reminders_plan(*, now: datetime.datetime, limit: int = 500) -> int:
    """Create the reminder rows of booked appointments visiting within PLAN_AHEAD.

    A reminder that was due before the appointment was made is written as skipped: it
    would only repeat the booking confirmation. Returns the number of rows written.
    Concurrent sweeps may plan the same appointment; the unique key keeps one row each.
    """
    appointments = list(
        Appointment.objects.filter(
            status=S.BOOKED,
            visit_starts_at__gt=now,
            visit_starts_at__lte=now + PLAN_AHEAD,
        )
        .filter(
            # the no-show model's extra reminder (risk_extra) is written when it scores
            # the booking; the planned kinds are the rule's
            ~Exists(
                Reminder.objects.filter(
                    appointment=OuterRef("pk"),
                    kind__in=(K.EVENING_BEFORE, K.HOURS_BEFORE),
                )
            )
        )
        .order_by("visit_starts_at", "pk")[:limit]
    )
    if not appointments:
        return 0
    rules = {
        rule.hospital_id: rule
        for rule in BookingRule.objects.filter(
            hospital_id__in={a.hospital_id for a in appointments}
        )
    }
    rows = []
    for appointment in appointments:
        rule = rules.get(appointment.hospital_id) or BookingRule(
            hospital_id=appointment.hospital_id
        )
        due_times = reminder_due_times(
            visit_starts_at=appointment.visit_starts_at, rule=rule
        )
        for kind, due_at in due_times.items():
            too_late = due_at <= appointment.created_at
            rows.append(
                Reminder(
                    appointment=appointment,
                    kind=kind,
                    due_at=due_at,
                    status=Reminder.Status.SKIPPED
                    if too_late
                    else Reminder.Status.PENDING,
                    skip_reason="booked_after_due" if too_late else "",
                )
            )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _skip_reason(reminder: Reminder, now: datetime.datetime) -> str:
    appointment = reminder.appointment
    if appointment.status != S.BOOKED:
        return "not_booked"
    if not appointment.reminders_enabled:
        return "reminders_off"
    if now >= appointment.visit_starts_at:
        return "visit_started"
    later_due = Reminder.objects.filter(
        appointment_id=appointment.pk,
        status=Reminder.Status.PENDING,
        due_at__gt=reminder.due_at,
        due_at__lte=now,
    )
    if later_due.exists():
        return "superseded"
    return ""


@transaction.atomic
def reminder_fire(*, reminder_id: int, now: datetime.datetime) -> Notification | None:
    """Send one due reminder (write its notification), or skip it. At most once."""
    reminder = (
        Reminder.objects.select_related(
            "appointment",
            "appointment__profile",
            "appointment__doctor__department",
            "appointment__hospital",
        )
        .filter(pk=reminder_id, status=Reminder.Status.PENDING, due_at__lte=now)
        .first()
    )
    if reminder is None:
        return None
    reason = _skip_reason(reminder, now)
    status = Reminder.Status.SKIPPED if reason else Reminder.Status.SENT
    # Whoever moves the row out of pending fires it; a racing sweeper gets 0 rows here
    # (on MariaDB it waits for our commit first).
    moved = Reminder.objects.filter(
        pk=reminder.pk, status=Reminder.Status.PENDING
    ).update(status=status, skip_reason=reason, updated_at=now)
    if moved != 1 or reason:
        return None
    appointment = reminder.appointment
    notification = appointment_notify(
        appointment=appointment,
        event="visit_reminder",
        # per reminder row: a rescheduled booking's reminders are planned again (new
        # rows) and must not be taken for the old visit's, which were sent already
        dedupe_key=f"reminder:{appointment.pk}:{reminder.kind}:{reminder.pk}",
    )
    if notification is not None:
        Reminder.objects.filter(pk=reminder.pk).update(notification=notification)
    return notification


def reminders_fire(*, now: datetime.datetime, limit: int = 500) -> int:
    """Fire the due reminders, oldest first. Returns the number of notifications written."""
    due = list(
        Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(
        reminder_fire(reminder_id=reminder_id, now=now) is not None
        for reminder_id in due
    )


@transaction.atomic
def hold_expiring_notify(
    *, appointment_id: int, now: datetime.datetime
) -> Notification | None:
    """Warn about one unpaid hold about to expire. Locks the appointment row, so a payment
    committing at the same moment is seen and no warning goes out after it."""
    appointment = (
        Appointment.objects.select_for_update()
        .filter(pk=appointment_id, status=S.PENDING_PAYMENT, hold_expires_at__gt=now)
        .first()
    )
    if appointment is None:
        return None
    return appointment_notify(appointment=appointment, event="hold_expiring")


def holds_expiring_notify(*, now: datetime.datetime, limit: int = 500) -> int:
    """Warn the patients whose unpaid hold expires within HOLD_EXPIRING_MINUTES, once each."""
    minutes = settings.NOTIFICATIONS["HOLD_EXPIRING_MINUTES"]
    already_warned = Notification.objects.filter(
        appointment=OuterRef("pk"), event=Notification.Event.HOLD_EXPIRING
    )
    due = list(
        Appointment.objects.filter(
            status=S.PENDING_PAYMENT,
            hold_expires_at__gt=now,
            hold_expires_at__lte=now + datetime.timedelta(minutes=minutes),
        )
        .filter(~Exists(already_warned))
        .order_by("hold_expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(
        hold_expiring_notify(appointment_id=appointment_id, now=now) is not None
        for appointment_id in due
    )


def reminders_sweep(*, now: datetime.datetime | None = None) -> int:
    """Plan reminders, fire the due ones, warn about expiring holds (the periodic job).

    Returns the number of notifications written.
    """
    now = now or timezone.now()
    planned = reminders_plan(now=now)
    reminded = reminders_fire(now=now)
    warned = holds_expiring_notify(now=now)
    if planned or reminded or warned:
        logger.info(
            "reminders: %s planned, %s sent, %s hold warnings",
            planned,
            reminded,
            warned,
        )
    return reminded + warned
