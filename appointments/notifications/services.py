"""Patient-facing writes around notifications: the inbox's read marks, the reminder switch."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.errors import ErrorCode
from appointments.models import Appointment, Notification
from common.errors import Conflict
from common.services import Actor, operation_log_write


# Marking messages read changes no booking, money or record, so it leaves no operation-log
# row (the convention asks for one on writes that do).
@transaction.atomic
def notification_mark_read(
    *, notification: Notification, now: datetime.datetime | None = None
) -> Notification:
    """Mark one notification read. Reading it again keeps the first time."""
    now = now or timezone.now()
    marked = Notification.objects.filter(
        pk=notification.pk, read_at__isnull=True
    ).update(read_at=now, updated_at=now)
    if marked:
        notification.read_at = now
    else:
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(
    *, user: User, now: datetime.datetime | None = None
) -> int:
    """Mark every unread notification of the user read. Returns how many were unread."""
    now = now or timezone.now()
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )


@transaction.atomic
def appointment_reminders_set(
    *, actor: Actor, appointment: Appointment, enabled: bool
) -> Appointment:
    """Switch the visit reminders of an upcoming appointment on or off.

    Planned reminders stay; the sweep skips them while the switch is off, so switching
    back on before a reminder is due brings it back.
    """
    upcoming = (Appointment.Status.PENDING_PAYMENT, Appointment.Status.BOOKED)
    changed = Appointment.objects.filter(pk=appointment.pk, status__in=upcoming).update(
        reminders_enabled=enabled, updated_at=timezone.now()
    )
    if changed != 1:
        raise Conflict(
            ErrorCode.NOT_UPCOMING,
            _("Reminders can only be changed for upcoming appointments."),
        )
    appointment.refresh_from_db(fields=["reminders_enabled", "updated_at"])
    operation_log_write(
        actor=actor,
        action="appointment.reminders_on" if enabled else "appointment.reminders_off",
        obj=appointment,
        summary=f"reminders {'on' if enabled else 'off'}",
    )
    return appointment
