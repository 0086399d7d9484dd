"""The clinic desk's admin: appointments (list, check-in, identity), waitlist and outbox."""

from appointments.admin.appointment import AppointmentAdmin
from appointments.admin.others import NotificationAdmin, WaitlistEntryAdmin

__all__ = ["AppointmentAdmin", "NotificationAdmin", "WaitlistEntryAdmin"]
