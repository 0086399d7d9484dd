"""A small hospital with weekly clinics, for seed_year and the dashboards' tests."""

import datetime
from io import StringIO

from django.core.management import call_command

from hospitals.models import Doctor, Hospital
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory
from tests.scheduling.factories import ScheduleTemplateFactory

MORNING = (datetime.time(8), datetime.time(10))
AFTERNOON = (datetime.time(14), datetime.time(16))


def clinic_hospital(name: str) -> Hospital:
    """Two departments, three doctors (a chief, an attending, a resident), each with a
    morning and an afternoon clinic a week (four 30-minute slots of 2-4 seats)."""
    hospital = HospitalFactory(name=name)
    medicine = DepartmentFactory(hospital=hospital, name="内科")
    surgery = DepartmentFactory(hospital=hospital, name="外科")
    doctors = [
        (DoctorFactory(department=medicine, title=Doctor.Title.CHIEF, fee=5000), 2),
        (DoctorFactory(department=medicine, title=Doctor.Title.ATTENDING), 4),
        (DoctorFactory(department=surgery, title=Doctor.Title.RESIDENT, fee=1000), 4),
    ]
    for index, (doctor, seats) in enumerate(doctors):
        for weekday, period, (start, end) in (
            (index % 6, "morning", MORNING),
            ((index + 3) % 6, "afternoon", AFTERNOON),
        ):
            ScheduleTemplateFactory(
                doctor=doctor,
                weekday=weekday,
                period=period,
                start_time=start,
                end_time=end,
                seats_per_slot=seats,
            )
    return hospital


def seed_year(*args: str) -> str:
    out = StringIO()
    call_command("seed_year", *args, stdout=out)
    return out.getvalue()
