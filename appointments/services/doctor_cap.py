"""The doctor's daily cap: at most hospitals.Doctor.max_patients_per_day bookings over all
the doctor's sessions of one date (every booking that holds a seat: cancelled ones do not
count, seen ones do, so a finished patient does not make room for one more).

The value lives with the doctor (hospital staff set it); the check runs where a seat is
taken (booking, a waitlist promotion, a late payment that takes its seat again), after
the slot lock and before the user's (ARCHITECTURE.md, "Lock order").
"""

import datetime

from appointments.models import Appointment
from appointments.services import refusals
from hospitals.models import Doctor
from scheduling.models import ClinicSession


def _doctor_day_full(
    *, doctor_id: int, date: datetime.date, cap: int, exclude_appointment_id: int | None
) -> None:
    taken = (
        # Every booking of the date that holds a seat: ahead, on the floor, seen or
        # missed; only cancelled ones free a place. The same count as the seats taken
        # in the doctor's slots of the date, which the session lists show.
        Appointment.objects.filter(
            doctor_id=doctor_id, session__date=date, holds_seat=True
        )
        .exclude(pk=exclude_appointment_id)
        .count()
    )
    if taken >= cap:
        raise refusals.doctor_day_full(cap)


def doctor_day_cap_precheck(
    *, session: ClinicSession, exclude_appointment_id: int | None = None
) -> None:
    """The doctor's daily cap, read without a lock: refuses early in a rush, decides nothing."""
    cap = session.doctor.max_patients_per_day
    if cap is not None:
        _doctor_day_full(
            doctor_id=session.doctor_id,
            date=session.date,
            cap=cap,
            exclude_appointment_id=exclude_appointment_id,
        )


def doctor_day_cap_check(
    *, session: ClinicSession, exclude_appointment_id: int | None = None
) -> None:
    """The doctor's cap (hospitals.Doctor.max_patients_per_day) on bookings over all the
    doctor's sessions of the session's date: every booking that holds a seat counts.

    Takes the doctor's row lock when the doctor has a cap, so concurrent bookings in the
    doctor's different sessions (different slot locks) count one after the other. The
    caller holds its slot's lock (and for an early booking the session's), and takes the
    user's and person's after this: slot, session, doctor, user, person. A doctor without
    a cap takes no lock, so bookings of most doctors do not queue on one row. The cap is
    read again under the lock, as staff may have changed it. A booking being moved
    (`exclude_appointment_id`, a reschedule) does not count against itself.
    """
    if session.doctor.max_patients_per_day is None:
        return
    cap = (
        Doctor.objects.select_for_update()
        .filter(pk=session.doctor_id)
        .values_list("max_patients_per_day", flat=True)
        .first()
    )
    if cap is not None:
        _doctor_day_full(
            doctor_id=session.doctor_id,
            date=session.date,
            cap=cap,
            exclude_appointment_id=exclude_appointment_id,
        )
