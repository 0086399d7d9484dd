"""When a visit's reminders come due, and writing a moved booking's reminders again.

Here rather than in appointments.notifications.reminders (the sweep), so that services
(a reschedule) can plan reminders without importing the sweep, which imports services.
"""

import datetime

from django.utils import timezone

from appointments.models import Appointment, Reminder
from scheduling.models import BookingRule
from scheduling.rules import local_datetime

K = Reminder.Kind

# Reminders come due at most two days before the visit (the evening before a visit just
# after midnight is about 36 hours ahead at the earliest allowed time, 12:00), so rows are
# planned this far ahead: late enough to follow rule changes, early enough to be in time.
PLAN_AHEAD = datetime.timedelta(days=3)


def reminder_due_times(
    *, visit_starts_at: datetime.datetime, rule: BookingRule
) -> dict[str, datetime.datetime]:
    """When each reminder of a visit is due, in the hospital's rule.

    The evening reminder is at `reminder_evening_time` on the local day before the visit
    day; the other `reminder_hours_before` hours before the visit (none when 0).
    """
    visit_day = timezone.localdate(visit_starts_at)
    times = {
        K.EVENING_BEFORE: local_datetime(
            visit_day - datetime.timedelta(days=1), rule.reminder_evening_time
        )
    }
    if rule.reminder_hours_before:
        times[K.HOURS_BEFORE] = visit_starts_at - datetime.timedelta(
            hours=rule.reminder_hours_before
        )
    return times


def reminders_replan(
    *, appointment: Appointment, rule: BookingRule, now: datetime.datetime
) -> int:
    """A booking moved to another time (a reschedule): its reminders are planned again.

    The old visit's rows (sent, skipped or pending, the no-show model's extra one too) are
    deleted; their notifications stay in the inbox. A booked visit within PLAN_AHEAD gets
    its rows now, those already due written as skipped ("rescheduled_after_due": the
    reschedule message told the new time); later ones, and a hold once paid, are planned by
    the sweep. Runs inside the reschedule's transaction (the appointment row is locked).
    """
    Reminder.objects.filter(appointment_id=appointment.pk).delete()
    if (
        appointment.status != Appointment.Status.BOOKED
        or appointment.visit_starts_at > now + PLAN_AHEAD
    ):
        return 0
    rows = []
    due_times = reminder_due_times(
        visit_starts_at=appointment.visit_starts_at, rule=rule
    )
    for kind, due_at in due_times.items():
        too_late = due_at <= now
        rows.append(
            Reminder(
                appointment=appointment,
                kind=kind,
                due_at=due_at,
                status=Reminder.Status.SKIPPED if too_late else Reminder.Status.PENDING,
                skip_reason="rescheduled_after_due" if too_late else "",
            )
        )
    Reminder.objects.bulk_create(rows)
    return len(rows)
