"""Checking a patient in with the code their app shows (appointments.checkin_code)."""

import datetime

from django.utils import timezone

from accounts.models import User
from appointments.checkin_code import (
    CheckinCodeInvalid,
    checkin_code_check_time,
    checkin_code_read,
)
from appointments.models import Appointment
from appointments.selectors import appointment_get_for_clinic_user
from appointments.services.lifecycle import appointment_check_in
from common.services import Actor


def appointment_check_in_by_code(
    *, actor: Actor, staff: User, token: str, now: datetime.datetime | None = None
) -> Appointment:
    """Check in the appointment a scanned code names, for desk staff (or a kiosk's staff
    account) of its hospital.

    A forged or altered code answers checkin_code_invalid (400); a code of another
    hospital's (or, for a doctor, another doctor's) appointment 404, as any id of others;
    outside the check-in window checkin_code_not_yet_valid / checkin_code_expired (400);
    an appointment that cannot be checked in (cancelled, already seen) 409.
    """
    now = now or timezone.now()
    claim = checkin_code_read(token)
    appointment = appointment_get_for_clinic_user(
        user=staff, appointment_id=claim.appointment_id
    )
    if appointment.hospital_id != claim.hospital_id:
        raise CheckinCodeInvalid()
    checkin_code_check_time(appointment=appointment, now=now)
    return appointment_check_in(
        actor=actor, appointment=appointment, by_staff=True, now=now
    )
