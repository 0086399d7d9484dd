"""The clinic desk's admin: appointments (list, check-in, identity), waitlist, outbox, 停诊
and its rebooking offers, the no-show ledger."""

from appointments.admin.appointment import AppointmentAdmin
from appointments.admin.ledger import (
    LedgerAppealAdmin,
    LedgerEntryAdmin,
    LedgerRuleAdmin,
)
from appointments.admin.others import NotificationAdmin, WaitlistEntryAdmin
from appointments.admin.rebooking_offers import RebookingOfferAdmin
from appointments.admin.stop import ClinicSessionStopAdmin
from appointments.admin.stop_requests import SessionStopRequestAdmin

__all__ = [
    "AppointmentAdmin",
    "ClinicSessionStopAdmin",
    "LedgerAppealAdmin",
    "LedgerEntryAdmin",
    "LedgerRuleAdmin",
    "NotificationAdmin",
    "RebookingOfferAdmin",
    "SessionStopRequestAdmin",
    "WaitlistEntryAdmin",
]
