"""Reads across the apps for dashboards. Analytics is the top layer: it may read them all."""

import datetime
from dataclasses import dataclass

from django.db.models import F, Sum

from appointments.models import Appointment
from billing.models import Refund
from common.replica import reads_may_lag
from scheduling.models import ClinicSession, Slot

S = Appointment.Status

# A confirmed booking for the day: paid (or free), whatever became of it since.
DAY_BOOKED_STATUSES = (S.BOOKED, *Appointment.ON_THE_FLOOR, S.COMPLETED, S.NO_SHOW)
# The patient came: checked in, and possibly seen already.
DAY_CHECKED_IN_STATUSES = (*Appointment.ON_THE_FLOOR, S.COMPLETED)


@dataclass(frozen=True)
class TodayFigures:
    """One day at a hospital (or at every hospital) for the admin's front page."""

    date: datetime.date
    sessions: int  # open clinic sessions on the day
    booked: int  # confirmed bookings for those sessions (unpaid holds not counted)
    checked_in: int  # of those, patients who checked in (or were seen)
    no_shows: int  # of those, marked as no-show so far
    seats_left: int  # seats still free in the day's open sessions
    pending_refunds: int  # refunds sent and not yet confirmed by the channel (any day)


def sessions_on_day(*, hospital_id: int | None, day: datetime.date):
    sessions = ClinicSession.objects.filter(date=day, status=ClinicSession.Status.OPEN)
    if hospital_id is not None:
        sessions = sessions.filter(hospital_id=hospital_id)
    return sessions


def appointments_on_day(*, hospital_id: int | None, day: datetime.date):
    appointments = Appointment.objects.filter(session__date=day)
    if hospital_id is not None:
        appointments = appointments.filter(hospital_id=hospital_id)
    return appointments


def refunds_pending(*, hospital_id: int | None):
    refunds = Refund.objects.filter(status=Refund.Status.REFUNDING)
    if hospital_id is not None:
        refunds = refunds.filter(order__hospital_id=hospital_id)
    return refunds


@reads_may_lag  # the admin index's figures: a few seconds behind is fine
def today_figures(*, hospital_id: int | None, today: datetime.date) -> TodayFigures:
    """The day's figures at one hospital, or at every hospital when hospital_id is None.

    `today` is the hospital's local date (timezone.localdate() in Asia/Shanghai).
    """
    appointments = appointments_on_day(hospital_id=hospital_id, day=today)
    seats = Slot.objects.filter(
        session__in=sessions_on_day(hospital_id=hospital_id, day=today)
    ).aggregate(left=Sum(F("capacity") - F("booked")))
    return TodayFigures(
        date=today,
        sessions=sessions_on_day(hospital_id=hospital_id, day=today).count(),
        booked=appointments.filter(status__in=DAY_BOOKED_STATUSES).count(),
        checked_in=appointments.filter(status__in=DAY_CHECKED_IN_STATUSES).count(),
        no_shows=appointments.filter(status=S.NO_SHOW).count(),
        seats_left=seats["left"] or 0,
        pending_refunds=refunds_pending(hospital_id=hospital_id).count(),
    )
