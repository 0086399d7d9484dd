"""Many concurrent bookings across two sessions of one doctor stop at the doctor's daily cap.

Real threads on the real engine (MariaDB/MySQL in CI), skipped on SQLite, which serialises
writers and so cannot show the race. The bookings take different slot locks, so only the
doctor's row lock (appointments.services.doctor_cap) makes them count one after the other.
"""

import datetime
from collections import Counter

import pytest

from appointments.models import Appointment
from scheduling.models import Period, Slot
from tests.appointments.booking_helpers import booking_job, outcome
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]


def test_concurrent_bookings_in_two_sessions_of_one_doctor_never_pass_the_daily_cap():
    # given: at most 5 patients a day; a morning and an afternoon session with two slots
    # of 10 seats each (40 seats), and 30 patients racing, spread over the four slots
    doctor = DoctorFactory(max_patients_per_day=5)
    morning = ClinicSessionFactory(doctor=doctor, fee=0)
    afternoon = ClinicSessionFactory(
        doctor=doctor,
        date=morning.date,
        period=Period.AFTERNOON,
        start_time=datetime.time(14),
        end_time=datetime.time(17),
        fee=0,
    )
    slots = [
        SlotFactory(session=session, capacity=10)
        for session in (morning, afternoon, morning, afternoon)
    ]
    profiles = [PatientProfileFactory() for _ in range(30)]

    for _ in range(3):  # a few rounds give the race more chances
        Appointment.objects.filter(doctor=doctor).delete()
        Slot.objects.filter(pk__in=[s.pk for s in slots]).update(booked=0)

        # when
        results = run_at_once(
            [booking_job(p, slots[i % 4].pk) for i, p in enumerate(profiles)]
        )

        # then: exactly the cap, every other booking refused with the doctor's code, and
        # no seat kept by a refusal
        assert Counter(outcome(r) for r in results) == {
            "booked": 5,
            "doctor_daily_limit_reached": 25,
        }
        assert (
            Appointment.objects.filter(
                doctor=doctor, status__in=Appointment.UPCOMING
            ).count()
            == 5
        )
        assert (
            sum(
                Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list(
                    "booked", flat=True
                )
            )
            == 5
        )
