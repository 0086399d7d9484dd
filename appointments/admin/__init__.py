"""The clinic desk's admin: appointments (list, check-in, identity), waitlist, outbox, 停诊."""

from appointments.admin.appointment import AppointmentAdmin
from appointments.admin.ledger import (
    LedgerAppealAdmin,
    LedgerEntryAdmin,
    LedgerRuleAdmin,
)
from appointments.admin.others import NotificationAdmin, WaitlistEntryAdmin
from appointments.admin.stop import ClinicSessionStopAdmin
from appointments.admin.stop_requests import SessionStopRequestAdmin

__all__ = [
    "AppointmentAdmin",
    "ClinicSessionStopAdmin",
    "LedgerAppealAdmin",
    "LedgerEntryAdmin",
    "LedgerRuleAdmin",
    "NotificationAdmin",
    "SessionStopRequestAdmin",
    "WaitlistEntryAdmin",
]
