"""Periods of the clinic day, weekdays, clinic types, and the checks a template and a
session share."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_SLOT_MINUTES = 240
MAX_FEE = 10_000_000  # fen, as hospitals.Doctor


class Period(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


# The hours each period may span, (earliest start, latest end), local time. A clerk who
# picks 上午 and types 13:30-17:00 made a mistake: patients read the period, not the hours.
# Morning and afternoon overlap around lunch (a morning clinic may run to 13:00, an
# afternoon one may start at 12:00); the evening ends before midnight as a session is on
# one date.
PERIOD_HOURS = {
    Period.MORNING: (datetime.time(6, 0), datetime.time(13, 0)),
    Period.AFTERNOON: (datetime.time(12, 0), datetime.time(18, 30)),
    Period.EVENING: (datetime.time(17, 0), datetime.time(23, 59)),
}


class ClinicType(models.TextChoices):
    """The kind of clinic a session is, as patients choose it (and as its fee reflects)."""

    EXPERT = "expert", _("Expert clinic")
    SPECIALIST = "specialist", _("Specialist clinic")
    GENERAL = "general", _("General clinic")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def validate_session_fields(obj: models.Model, *, slot_minutes: int | None) -> None:
    """Shared checks of a template or session: times within the period, slot length, fee."""
    errors: dict[str, str] = {}
    start, end = obj.start_time, obj.end_time
    hours = PERIOD_HOURS.get(obj.period)
    if hours is not None:
        earliest, latest = hours
        params = {
            "period": Period(obj.period).label,
            "earliest": f"{earliest:%H:%M}",
            "latest": f"{latest:%H:%M}",
        }
        if start is not None and not earliest <= start <= latest:
            errors["start_time"] = (
                _("%(period)s clinics start between %(earliest)s and %(latest)s.")
                % params
            )
        if end is not None and not earliest < end <= latest:
            errors["end_time"] = (
                _("%(period)s clinics end after %(earliest)s and by %(latest)s.")
                % params
            )
    if start is not None and end is not None and "end_time" not in errors:
        if end <= start:
            errors["end_time"] = _("The end must be after the start.")
        elif slot_minutes is not None and (
            datetime.datetime.combine(datetime.date.min, end)
            - datetime.datetime.combine(datetime.date.min, start)
        ) < datetime.timedelta(minutes=slot_minutes):
            errors["end_time"] = _("The clinic must last at least one slot.")
    if slot_minutes is not None and not (5 <= slot_minutes <= MAX_SLOT_MINUTES):
        errors["slot_minutes"] = _("Must be between 5 and %(highest)s.") % {
            "highest": MAX_SLOT_MINUTES
        }
    if obj.fee is not None and obj.fee > MAX_FEE:
        errors["fee"] = _("The fee is too high.")
    if errors:
        raise ValidationError(errors)


def room_hospital_error(room_hospital_id: int, hospital_id: int) -> dict | None:
    """The field error for a room of another hospital than the clinic's, else None."""
    if room_hospital_id != hospital_id:
        return {"room": _("The consulting room must belong to the doctor's hospital.")}
    return None
