"""The doctor's daily cap in what patients see: the session lists and the doctor search
show no seat on a date the cap has filled, as booking would refuse it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import ClinicSession, Period
from scheduling.selectors import doctor_availability
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

T = datetime.time


def _day(doctor, *, morning_booked: int, afternoon_booked: int, capacity: int = 5):
    """A morning and an afternoon session of `doctor` two days ahead, one slot each."""
    morning = SlotFactory(
        session=ClinicSessionFactory(doctor=doctor),
        capacity=capacity,
        booked=morning_booked,
    )
    afternoon = SlotFactory(
        session=ClinicSessionFactory(
            doctor=doctor,
            date=morning.session.date,
            period=Period.AFTERNOON,
            start_time=T(14),
            end_time=T(17),
        ),
        capacity=capacity,
        booked=afternoon_booked,
    )
    return morning, afternoon


def _remaining(doctor) -> list[tuple[int, list[int]]]:
    return [
        (session["remaining"], [slot["remaining"] for slot in session["slots"]])
        for session in doctor_availability(doctor=doctor)
    ]


def test_seats_left_are_bounded_by_the_places_left_under_the_cap():
    # given: at most 4 patients a day, 3 taken over the two sessions of the date
    doctor = DoctorFactory(max_patients_per_day=4)
    _day(doctor, morning_booked=2, afternoon_booked=1)

    # then: each session shows the one place left, not its own free seats
    assert _remaining(doctor) == [(1, [1]), (1, [1])]


def test_a_full_day_shows_no_seat_in_any_session_of_the_date():
    doctor = DoctorFactory(max_patients_per_day=3)
    _day(doctor, morning_booked=2, afternoon_booked=1)

    assert _remaining(doctor) == [(0, [0]), (0, [0])]


def test_a_stopped_session_does_not_count_and_other_dates_keep_the_whole_cap():
    doctor = DoctorFactory(max_patients_per_day=3)
    morning, _afternoon = _day(doctor, morning_booked=2, afternoon_booked=1)
    ClinicSession.objects.filter(pk=morning.session_id).update(
        status=ClinicSession.Status.STOPPED
    )
    SlotFactory(
        session=ClinicSessionFactory(
            doctor=doctor, date=morning.session.date + datetime.timedelta(days=1)
        ),
        capacity=5,
    )

    # then: the afternoon has 2 places left; the next day the whole cap (3 of 5 seats)
    assert _remaining(doctor) == [(2, [2]), (3, [3])]


def test_without_a_cap_the_seats_left_are_the_slots_own():
    doctor = DoctorFactory(max_patients_per_day=None)
    _day(doctor, morning_booked=2, afternoon_booked=1)

    assert _remaining(doctor) == [(3, [3]), (4, [4])]


def test_doctor_search_with_a_date_leaves_out_a_doctor_whose_day_is_full(api_client):
    full = DoctorFactory(name="已满", max_patients_per_day=3)
    _day(full, morning_booked=2, afternoon_booked=1)
    one_left = DoctorFactory(name="还有一个", max_patients_per_day=4)
    _day(one_left, morning_booked=2, afternoon_booked=1)
    uncapped = DoctorFactory(name="不限", max_patients_per_day=None)
    _day(uncapped, morning_booked=2, afternoon_booked=1)
    date = timezone.localdate() + datetime.timedelta(days=2)

    response = api_client.get(
        reverse("api:scheduling:doctor-search"), {"has_seats_on": date.isoformat()}
    )

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        one_left.pk,
        uncapped.pk,
    }
