"""A department's past clinics for the queue and simulation pages: sessions with
checked-in patients, recorded visit times and no-shows, written straight to the tables."""

import datetime

from django.utils import timezone

from appointments.models import Appointment
from hospitals.models import Department, Doctor
from scheduling.models import ClinicSession, Period
from scheduling.rules import local_datetime
from tests.analytics.factories import appointment_on
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

S = Appointment.Status


def past_day(days_ago: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days_ago)


def clinic_history(
    doctors: list[Doctor],
    *,
    days: range,
    visit_minutes: tuple[int, ...] = (10, 20, 10, 20),
    no_shows: int = 1,
    status: str = ClinicSession.Status.OPEN,
) -> None:
    """Each doctor holds an 08:00–12:00 session on each day `days` ago; in each, a patient
    per entry of `visit_minutes` checks in and is seen for that long, and `no_shows`
    booked patients never come."""
    for days_ago in days:
        date = past_day(days_ago)
        for doctor in doctors:
            session = ClinicSessionFactory(
                doctor=doctor, date=date, period=Period.MORNING, status=status
            )
            slot = SlotFactory(
                session=session,
                starts_at=local_datetime(date, datetime.time(8, 0)),
                ends_at=local_datetime(date, datetime.time(12, 0)),
                capacity=50,
            )
            start = local_datetime(date, datetime.time(8, 30))
            for minutes in visit_minutes:
                appointment = appointment_on(slot, status=S.COMPLETED)
                Appointment.objects.filter(pk=appointment.pk).update(
                    checked_in_at=start - datetime.timedelta(minutes=5),
                    visit_started_at=start,
                    visit_ended_at=start + datetime.timedelta(minutes=minutes),
                )
                start += datetime.timedelta(minutes=minutes)
            for _ in range(no_shows):
                appointment_on(slot, status=S.NO_SHOW)


def busy_department(
    department: Department, *, doctors: int = 2, days: int = 5
) -> list[Doctor]:
    """`doctors` doctors in parallel for `days` mornings (yesterday and before), each
    seeing 4 patients of 15 minutes on average per 4-hour morning, with one no-show:
    λ = doctors patients an hour, μ = 4 an hour, c = doctors, no-show rate 0.2."""
    staff = [DoctorFactory(department=department) for _ in range(doctors)]
    clinic_history(staff, days=range(1, days + 1))
    return staff
