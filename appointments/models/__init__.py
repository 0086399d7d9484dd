"""Appointments' models, one module per subject; import them from here."""

from appointments.models.appointment import Appointment, RiskBand
from appointments.models.ledger import (
    LedgerAppeal,
    LedgerEntry,
    LedgerKind,
    LedgerRule,
)
from appointments.models.notifications import (
    Notification,
    NotificationThrottle,
    Reminder,
)
from appointments.models.rebooking_offers import RebookingOffer
from appointments.models.stop_requests import SessionStopRequest
from appointments.models.tickets import BookingTicket
from appointments.models.waitlist import WaitlistEntry

__all__ = [
    "Appointment",
    "BookingTicket",
    "LedgerAppeal",
    "LedgerEntry",
    "LedgerKind",
    "LedgerRule",
    "Notification",
    "NotificationThrottle",
    "Reminder",
    "RebookingOffer",
    "RiskBand",
    "SessionStopRequest",
    "WaitlistEntry",
]
