"""The schedule's models: booking rules (rules.py); weekly templates, sessions and slots
(sessions.py); the fields they share (fields.py)."""

from scheduling.models.rules import BookingRule
from scheduling.models.sessions import ClinicSession, ScheduleTemplate, Slot
from scheduling.periods import ClinicType, Period, validate_session_fields

__all__ = [
    "BookingRule",
    "ClinicSession",
    "ClinicType",
    "Period",
    "ScheduleTemplate",
    "Slot",
    "validate_session_fields",
]
